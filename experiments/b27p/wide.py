import sys, json, tempfile, csv
from pathlib import Path
from cribwatch.board.build import build_program
from cribwatch.board.check import c_trace, compare_windows, compare_decisions
from cribwatch.cry.board import python_trace, model_and_config
from cribwatch.cry.board_export import export_c
from cribwatch.cry.audio import read_audio, write_wav
cwq, cfg = model_and_config()
exe = build_program("host")
d = Path("data/cry/test")
cries = {r["file"] for r in csv.DictReader(open(d / "cries.tsv"), delimiter="\t")}
files = [f for f in sorted((d / "audio").glob("mix_*")) if f.name in cries][:8]
files += sorted(Path("data/cry/real/audio").glob("*"))[:3]
tot = {"files": 0, "windows": 0, "shares": 0, "decisions": 0, "equal": True}
with tempfile.TemporaryDirectory() as td:
    t = Path(td)
    blob = Path(str(export_c(cwq, t / "m", cfg)["out"]))
    for f in files:
        wav = t / "a.wav"; write_wav(wav, read_audio(f))
        py = python_trace(wav, cwq, cfg); c = c_trace("host", exe, blob, wav, pitch_all=True)
        w = compare_windows(py.windows, c.windows, 0); e = compare_decisions(py, c)
        tot["files"] += 1; tot["windows"] += len(c.windows); tot["shares"] += w["voiced_share_compared"]
        tot["decisions"] += len(c.decisions); tot["equal"] &= bool(w["equal"]) and bool(e["equal"])
        print(f.name, w["equal"], w["voiced_share_compared"], w["voiced_share_differs"], e["equal"], len(c.decisions), flush=True)
print(json.dumps(tot))

# python_trace vs c_trace (lazy pitch) over the first nt test mixtures and nr real recordings
import json, sys, tempfile, time
from pathlib import Path
from cribwatch.cry.audio import read_audio, write_wav
from cribwatch.cry.board import python_trace, model_and_config, default_blob
from cribwatch.board.check import c_trace, compare_windows, compare_decisions
from cribwatch.board.build import build_program
from cribwatch.cry.dataset import load_set
tgt = sys.argv[1]; nt, nr = int(sys.argv[2]), int(sys.argv[3])
cwq, cfg = model_and_config()
exe = build_program(tgt)
t0 = time.time()
with tempfile.TemporaryDirectory() as td:
    td = Path(td)
    blob = default_blob(td / "m", cwq, detector=cfg)
    files = []
    for d, n in (("data/cry/test", nt), ("data/cry/real", nr)):
        s = load_set(Path(d)); files += [s.audio_path(f) for f in s.files[:n]]
    tot = {"files": 0, "windows": 0, "analysed": 0, "missing": 0, "voiced_share_differs": 0, "all_equal": 0, "alerts": 0, "ends": 0, "seconds": 0.0}
    for f in files:
        x = read_audio(f); w = td / "a.wav"; write_wav(w, x)
        py, c = python_trace(w, cwq, cfg), c_trace(tgt, exe, blob, w)
        cw = compare_windows(py.windows, c.windows, 1); de = compare_decisions(py, c)
        tot["files"] += 1; tot["windows"] += int(cw["windows"]); tot["voiced_share_differs"] += int(cw["voiced_share_differs"])
        tot["analysed"] += int(cw["voiced_share_compared"]); tot["missing"] += int(cw["voiced_share_missing"])
        tot["all_equal"] += int(bool(de["equal"]) and bool(cw["equal"])); tot["seconds"] += x.shape[0] / 16000
        tot["alerts"] += sum(1 for m in c.decisions if m["trace"] == "alert"); tot["ends"] += sum(1 for m in c.decisions if m["trace"] == "end")
        print(f.name, cw["equal"], cw["voiced_share_compared"], cw["voiced_share_differs"], de["equal"], round(time.time() - t0), flush=True)
    print(json.dumps(tot))

"""``cribwatch board check``: does the C runtime compute what Python computes?

The agreement rule (docs/BOARD.md): the front end is float in both languages, so it is checked
within a tolerance (``logmel``) and its 0-255 output may differ by one step on a small share of
values (a value on a rounding boundary); the integer model is checked **bit-exact** from the
same int8 input (Python's golden ``q0``), every layer (``q1`` ... ``qN``), the logit and the
score. Whether the C front end's own input also happened to be bit-exact end to end is reported
too. Finally, the same audio must give the same per-window chain inputs (score, level, voiced
share) and the same events from ``cribwatch cry detect`` (numpy integer reference) and
``cw_cry``.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cribwatch.board.build import build_program, runner
from cribwatch.errors import CribwatchError

DEMO_AUDIO = Path(__file__).resolve().parents[1] / "demo" / "samples" / "cry" / "demo.flac"


@dataclass(frozen=True)
class CheckConfig:
    """Tolerances and inputs of the board check."""

    windows: int = 8
    """Golden 1 s windows (hop 0.5 s) taken from the audio."""
    logmel_max_abs: float = 1e-4
    """Largest absolute log-mel error of the float front end."""
    logmel_mean_abs: float = 1e-5
    """Largest mean absolute log-mel error."""
    input_max_step: int = 1
    """Largest difference of a 0-255 model input value (float front end, rounding boundary)."""
    input_max_share: float = 0.001
    """Largest share of model input values that may differ at all."""
    float_max_abs: float = 1e-6
    """Largest error of logit and score (computed from the same int8 logit: exact in practice)."""
    voiced_frames: int = 1
    """Pitch frames per window whose cry-voiced flag may differ (float32 FFT in Python, double
    in C: a harmonicity within ~1e-6 of the threshold can fall either way)."""


def _run(cmd: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, input=stdin, capture_output=True)


def c_golden(
    target: str, exe: Path, blob: Path, golden: Path, out: Path, samples: int, own: bool
) -> None:
    for s in range(samples):
        (out / f"s{s:03d}").mkdir(parents=True, exist_ok=True)
    cmd = [*runner(target), str(exe), "--model", str(blob), "--golden", str(golden)]
    cmd += ["--out", str(out), "--samples", str(samples)]
    cmd += ["--model-input", "own" if own else "golden"]
    res = _run(cmd)
    if res.returncode != 0:
        raise CribwatchError(f"cw_cry golden mode failed: {res.stderr.decode().strip()}")


def python_windows_and_events(
    wav: Path, cwq: Path, cfg: object
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Per-window chain inputs and events of ``cribwatch cry detect`` (integer reference)."""
    from cribwatch.cry.intref import IntScorer
    from cribwatch.cry.postprocess import Chain, Event, WindowInfo
    from cribwatch.cry.stream import StreamDetector, wav_blocks

    rec: list[dict[str, float]] = []

    class Recording(Chain):
        def push(self, w: WindowInfo) -> list[Event]:
            rec.append({"score": w.score, "level_db": w.level_db, "voiced_share": w.voiced_share})
            return super().push(w)

    det = StreamDetector(IntScorer.load(cwq), cfg)  # type: ignore[arg-type]
    det.chain = Recording(det.cfg)
    events: list[dict[str, float]] = []
    for b in wav_blocks(wav):
        events.extend(e.to_dict() for e in det.push(b))
    events.extend(e.to_dict() for e in det.flush())
    return rec, events


def c_windows_and_events(
    target: str, exe: Path, blob: Path, wav: Path
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    res = _run([*runner(target), str(exe), "--model", str(blob), "--trace", str(wav)])
    if res.returncode != 0:
        raise CribwatchError(f"cw_cry failed on {wav}: {res.stderr.decode().strip()}")
    wins: list[dict[str, float]] = []
    events: list[dict[str, float]] = []
    for line in res.stdout.decode().splitlines():
        d = json.loads(line)
        (wins if "window" in d else events).append(d)
    return wins, events


def compare_windows(
    py: list[dict[str, float]], c: list[dict[str, float]], voiced_frames: int = 1, fpw: int = 49
) -> dict[str, object]:
    """Scores must be equal (same int8 logit), the level within float noise, the voiced share
    within ``voiced_frames`` of the ``fpw`` pitch frames of a window."""
    if len(py) != len(c):
        return {"equal": False, "windows": [len(py), len(c)], "first_diff": min(len(py), len(c))}
    worst = {"score": 0.0, "level_db": 0.0, "voiced_share": 0.0}
    lims = {"score": 1e-9, "level_db": 1e-9, "voiced_share": (voiced_frames + 0.5) / fpw}
    first = None
    differ = 0
    for i, (a, b) in enumerate(zip(py, c, strict=True)):
        differ += int(a["voiced_share"] != b["voiced_share"])
        for k in worst:
            d = abs(float(a[k]) - float(b[k]))
            worst[k] = max(worst[k], d)
            if d > lims[k] and first is None:
                first = i
    return {
        "equal": first is None,
        "windows": len(py),
        "first_diff": first,
        "max_abs": worst,
        "voiced_share_differs": differ,
    }


def check(
    target: str,
    cwq: Path,
    audio: Path = DEMO_AUDIO,
    filters: object | None = None,
    cfg: CheckConfig = CheckConfig(),
) -> dict[str, object]:
    """Build ``target``, run the golden windows and the audio through it, compare."""
    from cribwatch.board.export import export_c
    from cribwatch.cry.audio import read_audio, write_wav
    from cribwatch.cry.cli import load_filter_config
    from cribwatch.cry.golden import dump_cry_golden
    from cribwatch.deploy.golden import Tolerance, compare

    if not Path(cwq).is_file():
        raise CribwatchError(f"{cwq}: integer model not found")
    exe = build_program(target)
    fcfg = filters if filters is not None else load_filter_config(None, cwq)
    with tempfile.TemporaryDirectory(prefix="cw-board-check-") as td:
        t = Path(td)
        blob = Path(str(export_c(cwq, t / "model", fcfg)["out"]))
        man = dump_cry_golden(cwq, audio, t / "golden", cfg.windows)
        n = len(man["samples"])  # type: ignore[arg-type]
        c_golden(target, exe, blob, t / "golden", t / "c", n, own=False)
        c_golden(target, exe, blob, t / "golden", t / "c_own", n, own=True)
        tol = Tolerance(
            max_abs=max(cfg.logmel_max_abs, cfg.float_max_abs),
            mean_abs=cfg.logmel_mean_abs,
            int_max_abs=0.0,
        )
        res = compare(t / "golden", t / "c", tol)
        rows = res["tensors"]
        assert isinstance(rows, list)
        for r in rows:
            r["rule"] = "bit-exact" if str(r["name"]).startswith("q") else "tolerance"
            if r["name"] == "input":
                share = 0.0
                for sid in man["samples"]:  # type: ignore[attr-defined]
                    g = np.load(t / "golden" / sid / "input.npy")
                    a = np.fromfile(t / "c" / sid / "input.bin", dtype="<f4").reshape(g.shape)
                    share = max(share, float(np.mean(g != a)))
                r["differing_share"] = share
                r["pass"] = bool(
                    r["max_abs"] <= cfg.input_max_step and share <= cfg.input_max_share
                )
                r["rule"] = f"<= {cfg.input_max_step} step on <= {cfg.input_max_share:.1%}"
            elif r["name"] in ("logit", "score"):
                r["pass"] = bool(r["max_abs"] <= cfg.float_max_abs)
        first = next((r["name"] for r in rows if not r["pass"]), None)
        own = compare(t / "golden", t / "c_own", Tolerance(max_abs=0.0, mean_abs=0.0))
        wav = t / "audio.wav"
        write_wav(wav, read_audio(audio))
        pw, pe = python_windows_and_events(wav, cwq, fcfg)
        cw, ce = c_windows_and_events(target, exe, blob, wav)
        wins = compare_windows(pw, cw, cfg.voiced_frames)
        ev_equal = pe == [{k: e[k] for k in ("onset", "offset", "score", "emitted")} for e in ce]
    ok = first is None and bool(wins["equal"]) and ev_equal
    return {
        "target": target,
        "pass": ok,
        "first_divergent": first,
        "tensors": rows,
        "end_to_end_bit_exact": bool(own["pass"]),
        "windows": wins,
        "events": {"equal": ev_equal, "python": pe, "c": ce},
        "model": str(cwq),
        "audio": str(audio),
        "golden_windows": n,
    }

"""Run the C runtime's golden and trace modes and compare what it writes: the board side of
``cribwatch board check`` (the Python side, the cry detector's twin, is
:mod:`cribwatch.cry.board`).

- :func:`c_golden`: ``cw_cry --golden``: the C front end and model over a golden folder's inputs,
  every tensor written in the :mod:`cribwatch.deploy.golden` format;
- :func:`c_windows_and_events`: ``cw_cry --trace``: per-window chain inputs and the events;
- :func:`compare_windows`: two such window lists against the agreement rule of docs/BOARD.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from cribwatch.board.build import runner
from cribwatch.board.proc import run_child
from cribwatch.errors import CribwatchError

RUN_TIMEOUT_S = 3600.0
"""Longest a single C run may take before it is killed (a hang is a bug, not a result)."""


def _error(res_stderr: bytes) -> str:
    lines = res_stderr.decode(errors="replace").strip().splitlines()
    return lines[-1].removeprefix("error: ") if lines else "no message"


def c_golden(
    target: str, exe: Path, blob: Path, golden: Path, out: Path, samples: int, own: bool
) -> None:
    """Run ``exe`` (built for ``target``) in golden mode over ``samples`` samples of
    ``golden``; its tensors go to ``out``. ``own``: the model reads the C front end's own
    input instead of the golden ``q0``."""
    for s in range(samples):
        (out / f"s{s:03d}").mkdir(parents=True, exist_ok=True)
    cmd = [*runner(target), str(exe), "--model", str(blob), "--golden", str(golden)]
    cmd += ["--out", str(out), "--samples", str(samples)]
    cmd += ["--model-input", "own" if own else "golden"]
    res = run_child(cmd, timeout=RUN_TIMEOUT_S)
    if res.returncode != 0:
        raise CribwatchError(f"cw_cry golden mode failed: {_error(res.stderr)}")


def c_windows_and_events(
    target: str, exe: Path, blob: Path, wav: Path
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Per-window chain inputs and the events of ``cw_cry --trace`` on ``wav``."""
    cmd = [*runner(target), str(exe), "--model", str(blob), "--trace", str(wav)]
    res = run_child(cmd, timeout=RUN_TIMEOUT_S)
    if res.returncode != 0:
        raise CribwatchError(f"cw_cry failed on {wav}: {_error(res.stderr)}")
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

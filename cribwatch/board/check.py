"""Run the C runtime's golden and trace modes and compare what it writes: the board side of
``cribwatch board check`` (the Python side, the cry detector's twin, is
:mod:`cribwatch.cry.board`).

- :func:`c_golden`: ``cw_cry --golden``: the C front end and model over a golden folder's inputs,
  every tensor written in the :mod:`cribwatch.deploy.golden` format;
- :func:`c_trace`: ``cw_cry --trace``: per-window chain inputs, the alert and end lines as
  printed, and their unrounded values with the stream sample at which each fired (a
  :class:`Trace`);
- :func:`compare_windows`: two such window lists against the agreement rule of docs/BOARD.md;
- :func:`compare_decisions`: two traces' alerts and ends, bit for bit, and their order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class Trace:
    """What a streaming detector did over one recording, in the shape ``cw_cry --trace``
    prints it: ``windows`` (per window: score, level_db, voiced_share (None where C did not
    analyse the window's pitch frames), on the Python side also needs_share), ``messages`` (the
    ``{"type": "alert"|"end", ...}`` JSON lines as printed, numbers rounded) and ``decisions``
    (the same alerts and ends unrounded, each with ``at``: the stream sample at which it fired,
    the end of the deciding window, or of the stream for a bout closed at the end)."""

    windows: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def c_trace(target: str, exe: Path, blob: Path, wav: Path, pitch_all: bool = False) -> Trace:
    """Per-window chain inputs, alerts and ends of ``cw_cry --trace`` on ``wav``;
    ``pitch_all``: every window's pitch frames analysed (``--pitch-all``), not only those whose
    voiced share can decide (the outputs are the same)."""
    extra = ["--pitch-all"] if pitch_all else []
    cmd = [*runner(target), str(exe), "--model", str(blob), "--trace", *extra, str(wav)]
    res = run_child(cmd, timeout=RUN_TIMEOUT_S)
    if res.returncode != 0:
        raise CribwatchError(f"cw_cry failed on {wav}: {_error(res.stderr)}")
    out = Trace()
    for line in res.stdout.decode().splitlines():
        d = json.loads(line)
        if "window" in d:
            out.windows.append(d)
        elif "trace" in d:
            out.decisions.append(d)
        else:
            out.messages.append(d)
    return out


def compare_decisions(py: Trace, c: Trace) -> dict[str, object]:
    """Alerts and ends: the printed lines identical, the unrounded values (onset, emitted,
    offset, score) and the sample each fired at equal as doubles; and in order: every end is
    preceded by exactly one alert of the same bout (same onset and emitted), fired no later
    (``alert_lead_samples``: how much earlier, per bout; 0 only for a bout confirmed by the
    stream's last window)."""
    order_ok, leads = True, []
    pending: dict[str, Any] | None = None
    for d in c.decisions:
        if d["trace"] == "alert":
            order_ok &= pending is None
            pending = d
        elif pending is None:
            order_ok = False  # an end without its alert
        else:
            order_ok &= all(pending[k] == d[k] for k in ("onset", "emitted"))
            order_ok &= int(pending["at"]) <= int(d["at"])
            leads.append(int(d["at"]) - int(pending["at"]))
            pending = None
    order_ok &= pending is None
    first = next(
        (i for i, (a, b) in enumerate(zip(py.decisions, c.decisions, strict=False)) if a != b),
        None if len(py.decisions) == len(c.decisions) else min(len(py.decisions), len(c.decisions)),
    )
    return {
        "equal": py.messages == c.messages and py.decisions == c.decisions,
        "alerts": sum(d["trace"] == "alert" for d in c.decisions),
        "ends": sum(d["trace"] == "end" for d in c.decisions),
        "first_diff": first,
        "alert_before_end": order_ok,
        "alert_lead_samples": leads,
        "python": py.messages,
        "c": c.messages,
        "decisions": c.decisions,
    }


def compare_windows(
    py: list[dict[str, Any]],
    c: list[dict[str, Any]],
    voiced_frames: int = 1,
    fpw: int = 49,
) -> dict[str, object]:
    """Scores must be equal (same int8 logit), the level within float noise, the voiced share
    within ``voiced_frames`` of the ``fpw`` pitch frames of a window, where C analysed it.

    C analyses a window's pitch frames lazily (docs/BOARD.md, *Lazy pitch analysis*): only
    where the share can change a decision, i.e. where Python's window has ``needs_share``
    true (its score reaches the low threshold and it passes the loudness gate, the pitch
    filter on; every window with the rhythm filter). Elsewhere its share is ``None`` (null in
    ``cw_cry --trace``) and is not compared; a window that needs the share and lacks it on the
    C side fails the check (``voiced_share_missing``). A Python window without the key counts
    as needing it."""
    if len(py) != len(c):
        return {"equal": False, "windows": [len(py), len(c)], "first_diff": min(len(py), len(c))}
    worst = {"score": 0.0, "level_db": 0.0, "voiced_share": 0.0}
    lims = {"score": 1e-9, "level_db": 1e-9, "voiced_share": (voiced_frames + 0.5) / fpw}
    first = None
    differ = compared = missing = 0
    for i, (a, b) in enumerate(zip(py, c, strict=True)):
        has = b.get("voiced_share") is not None
        if not has and bool(a.get("needs_share", True)):
            missing += 1
            if first is None:
                first = i
        compared += int(has)
        differ += int(has and a["voiced_share"] != b["voiced_share"])
        for k in worst:
            if k == "voiced_share" and not has:
                continue
            d = abs(float(a[k]) - float(b[k]))
            worst[k] = max(worst[k], d)
            if d > lims[k] and first is None:
                first = i
    return {
        "equal": first is None,
        "windows": len(py),
        "first_diff": first,
        "max_abs": worst,
        "voiced_share_compared": compared,
        "voiced_share_missing": missing,
        "voiced_share_differs": differ,
    }

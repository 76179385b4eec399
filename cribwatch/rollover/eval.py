"""Evaluation of posture, roll-over alerts and the other alerts on a keypoint-sequence set.

Counting rules (the collars are fields of :class:`EvalConfig`):

* ``frame_accuracy``: smoothed posture equals the ground truth, over frames that have one
  (``unknown`` counts as wrong); ``raw_frame_accuracy`` is the same for the unsmoothed rules;
  ``coarse_accuracy`` merges ``side_left`` and ``side_right``.
* ``event_recall``: a ground-truth ``to_prone`` (``events.tsv``) is found if a ``to_prone``
  alert comes within ``collar_s`` (5 s) after it; its latency is the delay of the first one.
* ``false_alarms_per_hour``: ``to_prone`` alerts with no ground-truth ``to_prone`` in the
  ``collar_s`` before them, per hour of data.
* ``prone_too_long``: every ground-truth prone episode longer than the limit should fire
  exactly once within ``limit_collar_s`` (2 s) of the moment it reaches the limit; other
  firings are false.
* ``face_not_visible``: each covered episode (``covered.tsv``) is found by an alert between its
  onset and ``cover_collar_s`` after its end; alerts outside every covered episode are false.
  The other alert types never count as false ``to_prone`` alarms.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.rollover.events import EventConfig, run
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.posture import PostureConfig
from cribwatch.rollover.synth import coarse


@dataclass(frozen=True)
class EvalConfig:
    """Collars of the scoring rules."""

    collar_s: float = 5.0
    """A ``to_prone`` alert must come within this long after the roll."""
    limit_collar_s: float = 2.0
    """``prone_too_long`` must fire within this long of the limit being reached."""
    cover_collar_s: float = 2.0
    """A ``face_not_visible`` alert may come this long after the covering ends."""


def _read_tsv(path: Path, cols: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if not rows or rows[0] != cols:
        raise CribwatchError(f"{path}: line 1: header must be {' '.join(cols)}")
    out = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(cols):
            raise CribwatchError(f"{path}: line {i}: expected {len(cols)} tab-separated fields")
        out.append(dict(zip(cols, r, strict=True)))
    return out


def _float(path: Path, i: int, v: str) -> float:
    try:
        return float(v)
    except ValueError as exc:
        raise CribwatchError(f"{path}: line {i}: {v!r} is not a number") from exc


def evaluate(
    data: str | os.PathLike[str],
    posture_cfg: PostureConfig | None = None,
    event_cfg: EventConfig | None = None,
    cfg: EvalConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    method: str = "rules",
) -> dict[str, Any]:
    """Score a set folder (``*.jsonl`` + ``events.tsv`` [+ ``covered.tsv``])."""
    cfg = cfg or EvalConfig()
    ecfg = event_cfg or EventConfig()
    d = Path(data)
    if not d.is_dir():
        raise CribwatchError(f"{d}: not a folder")
    files = sorted(d.glob("*.jsonl"))
    if not files:
        raise CribwatchError(f"{d}: no *.jsonl keypoint sequences")
    gt_prone: dict[str, list[float]] = defaultdict(list)
    ev_path = d / "events.tsv"
    if not ev_path.is_file():
        raise CribwatchError(f"{ev_path}: file not found")
    for i, r in enumerate(_read_tsv(ev_path, ["file", "time", "event"]), start=2):
        if r["event"] not in ("to_prone", "to_supine", "to_side"):
            raise CribwatchError(f"{ev_path}: line {i}: unknown event {r['event']!r}")
        if r["event"] == "to_prone":
            gt_prone[r["file"]].append(_float(ev_path, i, r["time"]))
    cov_path = d / "covered.tsv"
    covers: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for i, r in enumerate(_read_tsv(cov_path, ["file", "onset", "offset"]), start=2):
        covers[r["file"]].append(
            (_float(cov_path, i, r["onset"]), _float(cov_path, i, r["offset"]))
        )

    seconds = 0.0
    n_gt = n_found = n_fa = 0
    latencies: list[float] = []
    fr_n = fr_ok = fr_raw = fr_coarse = 0
    ptl_expected = ptl_found = ptl_false = 0
    cov_n = cov_found = cov_false = cov_false_prone = 0
    n_alerts = 0
    for k, f in enumerate(files):
        seq = read_sequence(f)
        if seq.n == 0:
            continue
        dt = 1.0 / seq.fps
        seconds += float(seq.t[-1] - seq.t[0]) + dt
        det = run(seq.t, seq.kp, posture_cfg, ecfg, method)
        alerts = [e for e in det.events if e.kind == "alert"]
        n_alerts += len(alerts)
        prone_alerts = [e.time for e in alerts if e.event == "to_prone"]
        truth = sorted(gt_prone.get(f.name, []))
        n_gt += len(truth)
        for tg in truth:
            hits = [a for a in prone_alerts if tg <= a <= tg + cfg.collar_s]
            if hits:
                n_found += 1
                latencies.append(min(hits) - tg)
        for a in prone_alerts:
            if not any(a - cfg.collar_s <= tg <= a for tg in truth):
                n_fa += 1
        # frames
        gt_lab = seq.posture
        for i, g in enumerate(gt_lab):
            if g is None:
                continue
            fr_n += 1
            fr_ok += det.postures[i] == g
            fr_raw += det.raw[i] == g
            fr_coarse += coarse(det.postures[i]) == coarse(g)
        # prone episodes from frame ground truth
        if seq.has_posture:
            pr = np.array([g == "prone" for g in gt_lab], dtype=np.int8)
            on = np.flatnonzero(np.diff(np.r_[0, pr]) == 1)
            off = np.flatnonzero(np.diff(np.r_[pr, 0]) == -1)
            due = [
                float(seq.t[a]) + ecfg.prone_limit_s
                for a, b in zip(on, off, strict=True)
                if float(seq.t[b] - seq.t[a]) + dt > ecfg.prone_limit_s
            ]
            ptl = [e.time for e in alerts if e.event == "prone_too_long"]
            used: set[int] = set()
            for tdue in due:
                ptl_expected += 1
                for j, a in enumerate(ptl):
                    if j not in used and abs(a - tdue) <= cfg.limit_collar_s:
                        used.add(j)
                        ptl_found += 1
                        break
            ptl_false += len(ptl) - len(used)
        # covering
        fnv = [e.time for e in alerts if e.event == "face_not_visible"]
        eps = covers.get(f.name, [])
        cov_n += len(eps)
        for on_t, off_t in eps:
            if any(on_t <= a <= off_t + cfg.cover_collar_s for a in fnv):
                cov_found += 1
        idx_t = {round(float(x), 4): i for i, x in enumerate(seq.t)}
        for a in fnv:
            if not any(on_t <= a <= off_t + cfg.cover_collar_s for on_t, off_t in eps):
                cov_false += 1
                fi = idx_t.get(round(a, 4))
                if fi is not None and gt_lab[fi] == "prone":
                    cov_false_prone += 1
        if progress is not None:
            progress(k + 1, len(files))
    hours = seconds / 3600.0

    def pct(q: float) -> float | None:
        return float(np.percentile(latencies, q)) if latencies else None

    return {
        "data": str(d),
        "method": method,
        "prone_dwell_s": ecfg.prone_dwell_s,
        "files": len(files),
        "hours": round(hours, 4),
        "frames_with_truth": fr_n,
        "frame_accuracy": fr_ok / fr_n if fr_n else None,
        "raw_frame_accuracy": fr_raw / fr_n if fr_n else None,
        "coarse_accuracy": fr_coarse / fr_n if fr_n else None,
        "to_prone_events": n_gt,
        "event_recall": n_found / n_gt if n_gt else None,
        "false_alarms": n_fa,
        "false_alarms_per_hour": n_fa / hours if hours > 0 else None,
        "latency_p50_s": pct(50),
        "latency_p90_s": pct(90),
        "prone_too_long": {
            "expected": ptl_expected,
            "recall": ptl_found / ptl_expected if ptl_expected else None,
            "false_per_hour": ptl_false / hours if hours > 0 else None,
        },
        "face_not_visible": {
            "episodes": cov_n,
            "recall": cov_found / cov_n if cov_n else None,
            "false_per_hour": cov_false / hours if hours > 0 else None,
            "false_while_prone": cov_false_prone,
        },
        "alerts": n_alerts,
    }

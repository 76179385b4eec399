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
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.io import read_text
from cribwatch.progress import Progress, report
from cribwatch.rollover.events import METHODS, Detection, Event, EventConfig, run
from cribwatch.rollover.learned import LearnedPosture
from cribwatch.rollover.learned import load as load_learned
from cribwatch.rollover.pose import Sequence, read_sequence
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
    rows = list(csv.reader(read_text(path).splitlines(), delimiter="\t"))
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
        x = float(v)
    except ValueError as exc:
        raise CribwatchError(f"{path}: line {i}: {v!r} is not a number") from exc
    if not math.isfinite(x):
        raise CribwatchError(f"{path}: line {i}: {v!r} is not a finite number")
    return x


@dataclass
class _Truth:
    """Ground truth of a set: ``to_prone`` times and covered episodes per file name."""

    prone: dict[str, list[float]]
    covers: dict[str, list[tuple[float, float]]]


def _read_truth(d: Path) -> _Truth:
    """``events.tsv`` (required) and ``covered.tsv`` (optional) of the set folder ``d``."""
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
    return _Truth(gt_prone, covers)


@dataclass
class _Counts:
    """Running counts over the files of a set (see the module doc for the rules)."""

    seconds: float = 0.0
    n_gt: int = 0
    n_found: int = 0
    n_fa: int = 0
    latencies: list[float] = field(default_factory=list)
    fr_n: int = 0
    fr_ok: int = 0
    fr_raw: int = 0
    fr_coarse: int = 0
    ptl_expected: int = 0
    ptl_found: int = 0
    ptl_false: int = 0
    cov_n: int = 0
    cov_found: int = 0
    cov_false: int = 0
    cov_false_prone: int = 0
    n_alerts: int = 0


def _score_rolls(
    prone_alerts: list[float], truth: list[float], cfg: EvalConfig, c: _Counts
) -> None:
    """``to_prone`` alerts against the ground-truth rolls: recall, latency, false alarms."""
    c.n_gt += len(truth)
    for tg in truth:
        hits = [a for a in prone_alerts if tg <= a <= tg + cfg.collar_s]
        if hits:
            c.n_found += 1
            c.latencies.append(min(hits) - tg)
    for a in prone_alerts:
        if not any(a - cfg.collar_s <= tg <= a for tg in truth):
            c.n_fa += 1


def _score_frames(gt_lab: list[str | None], det: Detection, c: _Counts) -> None:
    """Per-frame posture accuracy (smoothed, raw, coarse) over frames with ground truth."""
    for i, g in enumerate(gt_lab):
        if g is None:
            continue
        c.fr_n += 1
        c.fr_ok += det.postures[i] == g
        c.fr_raw += det.raw[i] == g
        c.fr_coarse += coarse(det.postures[i]) == coarse(g)


def _score_prone_too_long(
    seq: Sequence, alerts: list[Event], ecfg: EventConfig, cfg: EvalConfig, c: _Counts
) -> None:
    """Each ground-truth prone episode longer than the limit must fire once near its due time."""
    dt = 1.0 / seq.fps
    pr = np.array([g == "prone" for g in seq.posture], dtype=np.int8)
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
        c.ptl_expected += 1
        for j, a in enumerate(ptl):
            if j not in used and abs(a - tdue) <= cfg.limit_collar_s:
                used.add(j)
                c.ptl_found += 1
                break
    c.ptl_false += len(ptl) - len(used)


def _score_covering(
    seq: Sequence, alerts: list[Event], eps: list[tuple[float, float]], cfg: EvalConfig,
    c: _Counts,
) -> None:  # fmt: skip
    """``face_not_visible`` alerts against the covered episodes."""
    fnv = [e.time for e in alerts if e.event == "face_not_visible"]
    c.cov_n += len(eps)
    for on_t, off_t in eps:
        if any(on_t <= a <= off_t + cfg.cover_collar_s for a in fnv):
            c.cov_found += 1
    idx_t = {round(float(x), 4): i for i, x in enumerate(seq.t)}
    for a in fnv:
        if not any(on_t <= a <= off_t + cfg.cover_collar_s for on_t, off_t in eps):
            c.cov_false += 1
            fi = idx_t.get(round(a, 4))
            if fi is not None and seq.posture[fi] == "prone":
                c.cov_false_prone += 1


def _score_file(
    seq: Sequence, det: Detection, name: str, truth: _Truth, ecfg: EventConfig,
    cfg: EvalConfig, c: _Counts,
) -> None:  # fmt: skip
    """Add one sequence's detections to the counts."""
    alerts = [e for e in det.events if e.kind == "alert"]
    c.n_alerts += len(alerts)
    prone_alerts = [e.time for e in alerts if e.event == "to_prone"]
    _score_rolls(prone_alerts, sorted(truth.prone.get(name, [])), cfg, c)
    _score_frames(seq.posture, det, c)
    if seq.has_posture:
        _score_prone_too_long(seq, alerts, ecfg, cfg, c)
    _score_covering(seq, alerts, truth.covers.get(name, []), cfg, c)


def _result(d: Path, method: str, ecfg: EventConfig, files: int, c: _Counts) -> dict[str, Any]:
    hours = c.seconds / 3600.0

    def pct(q: float) -> float | None:
        return float(np.percentile(c.latencies, q)) if c.latencies else None

    def per_hour(n: int) -> float | None:
        return n / hours if hours > 0 else None

    return {
        "data": str(d),
        "method": method,
        "prone_dwell_s": ecfg.prone_dwell_s,
        "files": files,
        "hours": round(hours, 4),
        "frames_with_truth": c.fr_n,
        "frame_accuracy": c.fr_ok / c.fr_n if c.fr_n else None,
        "raw_frame_accuracy": c.fr_raw / c.fr_n if c.fr_n else None,
        "coarse_accuracy": c.fr_coarse / c.fr_n if c.fr_n else None,
        "to_prone_events": c.n_gt,
        "event_recall": c.n_found / c.n_gt if c.n_gt else None,
        "false_alarms": c.n_fa,
        "false_alarms_per_hour": per_hour(c.n_fa),
        "latency_p50_s": pct(50),
        "latency_p90_s": pct(90),
        "prone_too_long": {
            "expected": c.ptl_expected,
            "recall": c.ptl_found / c.ptl_expected if c.ptl_expected else None,
            "false_per_hour": per_hour(c.ptl_false),
        },
        "face_not_visible": {
            "episodes": c.cov_n,
            "recall": c.cov_found / c.cov_n if c.cov_n else None,
            "false_per_hour": per_hour(c.cov_false),
            "false_while_prone": c.cov_false_prone,
        },
        "alerts": c.n_alerts,
    }


def evaluate(
    data: str | os.PathLike[str],
    posture_cfg: PostureConfig | None = None,
    event_cfg: EventConfig | None = None,
    cfg: EvalConfig | None = None,
    progress: Progress | None = None,
    method: str = "rules",
    model: LearnedPosture | None = None,
) -> dict[str, Any]:
    """Score a set folder (``*.jsonl`` + ``events.tsv`` [+ ``covered.tsv``]); ``model``: the
    learned classifier to use instead of the shipped one."""
    cfg = cfg or EvalConfig()
    ecfg = event_cfg or EventConfig()
    d = Path(data)
    if not d.is_dir():
        raise CribwatchError(f"{d}: not a folder")
    files = sorted(d.glob("*.jsonl"))
    if not files:
        raise CribwatchError(f"{d}: no *.jsonl keypoint sequences")
    truth = _read_truth(d)
    if method not in METHODS:
        raise CribwatchError(f"unknown posture method {method!r} (rules, learned or both)")
    if method == "rules":
        model = None
    elif model is None:
        model = load_learned()
    c = _Counts()
    for k, f in enumerate(files):
        seq = read_sequence(f)
        if seq.n == 0:
            continue
        c.seconds += float(seq.t[-1] - seq.t[0]) + 1.0 / seq.fps
        det = run(seq.t, seq.kp, posture_cfg, ecfg, method, model)
        _score_file(seq, det, f.name, truth, ecfg, cfg, c)
        report(progress, k + 1, len(files))
    return _result(d, method, ecfg, len(files), c)


def evaluate_set(
    data: str | os.PathLike[str],
    *,
    method: str = "both",
    prone_dwell_s: float | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """What ``cribwatch rollover eval`` runs: the shipped configs, ``prone_dwell_s`` overridden."""
    ecfg = EventConfig()
    if prone_dwell_s is not None:
        if not math.isfinite(prone_dwell_s) or prone_dwell_s < 0:
            raise CribwatchError(
                f"prone_dwell_s must be a finite number >= 0, not {prone_dwell_s!r}"
            )
        ecfg = replace(ecfg, prone_dwell_s=prone_dwell_s)
    return evaluate(data, event_cfg=ecfg, progress=progress, method=method)

"""The ``nobody_in_view`` alert on generated keypoint nights: recall and false alerts.

There is no night infant video to measure on, so the alert is measured on keypoint nights of
the generator (:mod:`cribwatch.rollover.synth`, quiet nights: no roll to prone) with its
person drop-outs (whole frames where the estimator finds nobody, in episodes) at several
rates, and with **absences** inserted: stretches of ``absence_s`` seconds where the infant is
out of view (all keypoints 0), one every ``absence_every_s`` seconds on average.

* **recall**: an absence is found by a ``nobody_in_view`` alert between its start and
  ``collar_s`` after its end;
* **false alerts per hour**: alerts outside every absence (and its collar), over the hours
  of the nights, counted on the nights without absences (drop-outs only).
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.io import read_text
from cribwatch.progress import Progress, report
from cribwatch.rollover.api import RolloverDetector
from cribwatch.rollover.events import EventConfig, face_missing_enough, face_seen_enough
from cribwatch.rollover.nightmeasure import wilson
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.posture import PostureConfig, features
from cribwatch.rollover.synth import SynthConfig, family_config, generate


@dataclass(frozen=True)
class AbsenceConfig:
    """Settings of the measurement."""

    hours: float = 2.0
    """Hours of generated night per drop-out rate (each for absences and without)."""
    seq_s: float = 600.0
    """Length of one generated sequence."""
    absence_s: tuple[float, float] = (15.0, 120.0)
    """Range of absence lengths (uniform)."""
    absence_every_s: float = 300.0
    """One absence per this many seconds on average."""
    collar_s: float = 2.0
    """An alert up to this long after an absence ends still finds it."""
    seed: int = 5
    """Base seed."""


def _absences(
    n_s: float, cfg: AbsenceConfig, rng: np.random.Generator
) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    t = float(rng.uniform(10.0, cfg.absence_every_s))
    while t < n_s - cfg.absence_s[0]:
        d = float(rng.uniform(*cfg.absence_s))
        out.append((t, min(t + d, n_s)))
        t += d + float(rng.exponential(cfg.absence_every_s))
    return out


def measure_absence(
    dropouts: tuple[float, ...] = (0.05, 0.2, 0.4),
    config: AbsenceConfig | None = None,
    events: EventConfig | None = None,
    progress: Progress | None = None,
    family: str = "a",
) -> dict[str, Any]:
    """Recall, latency and false alerts per hour of ``nobody_in_view`` per drop-out rate, on
    nights of the generator ``family`` (:data:`cribwatch.rollover.synth.FAMILIES`)."""
    cfg = config or AbsenceConfig()
    ev = events or EventConfig()
    n_seq = max(1, round(cfg.hours * 3600.0 / cfg.seq_s))
    total = len(dropouts) * n_seq
    done = 0
    rows = []
    for rate in dropouts:
        found = n_abs = false_q = 0
        lat: list[float] = []
        hours_q = 0.0
        for i in range(n_seq):
            seed = cfg.seed + 1000 * i + int(rate * 1e4)
            syn = family_config(family, SynthConfig(seq_s=cfg.seq_s, quiet=True))
            syn = replace(syn, noise=replace(syn.noise, dropout=rate))
            seq, _ = generate(seed, syn)
            det = RolloverDetector(events=ev)
            # nights with drop-outs only: every alert is false
            alerts = [e for e in det.run(seq.t, seq.kp).events if e.event == "nobody_in_view"]
            false_q += len(alerts)
            hours_q += (float(seq.t[-1]) - float(seq.t[0])) / 3600.0
            # the same night with absences
            rng = np.random.default_rng(seed + 7)
            absn = _absences(float(seq.t[-1]), cfg, rng)
            kp = seq.kp.copy()
            for a, b in absn:
                kp[(seq.t >= a) & (seq.t < b)] = 0.0
            times = [e.time for e in det.run(seq.t, kp).events if e.event == "nobody_in_view"]
            for a, b in absn:
                hit = [x for x in times if a <= x <= b + cfg.collar_s]
                n_abs += 1
                if hit:
                    found += 1
                    lat.append(hit[0] - a)
            done += 1
            report(progress, done, total)
        rows.append(
            {
                "dropout": rate,
                "absences": n_abs,
                "recall": round(found / n_abs, 4) if n_abs else None,
                "latency_p50_s": round(float(np.median(lat)), 2) if lat else None,
                "false_alerts_per_hour": round(false_q / max(hours_q, 1e-9), 3),
                "false_alerts": false_q,
                "hours": round(hours_q, 2),
            }
        )
    return {
        "family": family,
        "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "nobody_hold_s": ev.nobody_hold_s,
        "rows": rows,
    }


# ------------------------------------------------------------------------------ covered face


def face_alert_times(
    t: np.ndarray, n_face: np.ndarray, body_in_view: np.ndarray, events: EventConfig | None = None
) -> list[float]:
    """Times of ``face_not_visible`` alerts: the face part of the detector's tracker
    (:class:`cribwatch.rollover.events.Tracker`, same rule and settings: ``face_hold_s``,
    ``face_reset_s``, ``face_rearm_s``, ``min_face``) over per-frame face counts and
    body-in-view flags, without the posture state (so candidate settings can be scanned
    fast on hours of keypoints)."""
    cfg = events or EventConfig()
    out: list[float] = []
    missing: float | None = None
    seen: float | None = 0.0
    armed = True
    hist: deque[tuple[float, bool]] = deque()
    mhist: deque[tuple[float, bool]] = deque()
    for ti, nf, body in zip(
        np.asarray(t, np.float64).tolist(), np.asarray(n_face).tolist(),
        np.asarray(body_in_view).tolist(), strict=True,
    ):  # fmt: skip
        if cfg.face_reset_frac > 0 and (nf >= cfg.min_face or body):
            if face_seen_enough(hist, ti, nf >= cfg.min_face, cfg):
                missing = None
        if nf >= cfg.min_face:
            if seen is None:
                seen = ti
            if cfg.face_reset_frac <= 0 and ti - seen >= cfg.face_reset_s:
                missing = None
            if not armed and ti - seen >= cfg.face_rearm_s:
                armed = True
        if cfg.face_miss_frac > 0:
            if nf >= cfg.min_face or body:
                hit = face_missing_enough(mhist, ti, nf >= cfg.min_face, cfg)
                if nf < cfg.min_face:
                    seen = None
                if hit and body and armed:
                    armed = False
                    out.append(ti)
        elif body and nf < cfg.min_face:
            seen = None
            if missing is None:
                missing = ti
            if armed and ti - missing >= cfg.face_hold_s:
                armed = False
                out.append(ti)
    return out


@dataclass
class _Cover:
    episodes: int = 0
    found: int = 0
    false: int = 0
    seconds: float = 0.0
    short: int = 0


def score_covered(
    alerts: list[float], episodes: list[tuple[float, float]], end_s: float, collar_s: float = 2.0,
    min_s: float = 0.0,
) -> tuple[int, int, int, int]:  # fmt: skip
    """``face_not_visible`` alerts against covered episodes, as ``rollover eval`` scores them
    (found: an alert between onset and ``collar_s`` after the offset; false: an alert outside
    every episode and its collar). Episodes cut by the end of the sequence (``end_s``) to
    less than ``min_s`` are left out of the recall (no alert that waits ``min_s`` can find
    them); their alerts are not false. Returns (episodes, found, false, left out)."""
    n = found = short = 0
    for on, off in episodes:
        hit = any(on <= a <= off + collar_s for a in alerts)
        if off >= end_s - 1e-6 and off - on < min_s and not hit:
            short += 1
            continue
        n += 1
        found += hit
    false = sum(not any(on <= a <= off + collar_s for on, off in episodes) for a in alerts)
    return n, found, false, short


def measure_covered(
    sets: tuple[str | os.PathLike[str], ...],
    candidates: dict[str, EventConfig],
    min_s: float = 0.0,
    progress: Progress | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Covered-face recall and false alerts per hour for each candidate event setting on
    each set folder (``rollover make-set`` output with ``covered.tsv``): per candidate and
    set, the episodes, recall (with its 95% Wilson interval), false alerts per hour and the
    episodes left out (:func:`score_covered`)."""
    res: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in candidates}
    files: list[tuple[str, Path, list[tuple[float, float]]]] = []
    for s in sets:
        d = Path(s)
        by_file: dict[str, list[tuple[float, float]]] = {}
        cov = d / "covered.tsv"
        if not cov.is_file():
            raise CribwatchError(f"{cov}: file not found")
        for i, line in enumerate(read_text(cov).splitlines()[1:], start=2):
            parts = line.split("\t")
            if len(parts) != 3:
                raise CribwatchError(f"{cov}: line {i}: expected file, onset, offset")
            by_file.setdefault(parts[0], []).append((float(parts[1]), float(parts[2])))
        files += [(str(s), f, by_file.get(f.name, [])) for f in sorted(d.glob("*.jsonl"))]
    counts = {c: {str(s): _Cover() for s in sets} for c in candidates}
    for done, (name, f, eps) in enumerate(files, start=1):
        seq = read_sequence(f)
        feat = features(seq.kp, PostureConfig())
        t = np.asarray(seq.t, np.float64)
        end = float(t[-1])
        for c, ev in candidates.items():
            n, k, fa, short = score_covered(
                face_alert_times(t, feat.n_face, feat.body_in_view, ev), eps, end, min_s=min_s
            )
            cc = counts[c][name]
            cc.episodes += n
            cc.found += k
            cc.false += fa
            cc.short += short
            cc.seconds += end - float(t[0])
        report(progress, done, len(files))
    for c in candidates:
        for s in sets:
            cc = counts[c][str(s)]
            lo, hi = wilson(cc.found, cc.episodes)
            res[c][str(s)] = {
                "episodes": cc.episodes,
                "found": cc.found,
                "recall": round(cc.found / cc.episodes, 4) if cc.episodes else None,
                "recall_ci95": [lo, hi],
                "false_per_hour": round(cc.false / max(cc.seconds / 3600.0, 1e-9), 3),
                "false": cc.false,
                "hours": round(cc.seconds / 3600.0, 3),
                "left_out_cut_by_end": cc.short,
            }
    return res

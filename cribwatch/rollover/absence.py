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

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cribwatch.progress import Progress, report
from cribwatch.rollover.api import RolloverDetector
from cribwatch.rollover.events import EventConfig
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

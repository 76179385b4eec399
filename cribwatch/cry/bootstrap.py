"""Bootstrap intervals of ``cribwatch cry eval`` (95 %, 2000 resamples, seed 0): sensitivity
resampling babies (real cries of one Donate-a-cry app instance together, :func:`cry_cluster`),
false alarms per hour resampling files or noise recordings, and paired differences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cribwatch.cry.dataset import CrySet
from cribwatch.cry.sources import donateacry_uuid


@dataclass
class CryOutcome:
    """Per labelled cry: found or not, latency, source and EBR."""

    file: str
    onset: float
    found: bool
    latency: float
    source: str
    ebr: str
    cluster: str = ""
    """What the cry's recording shares with others: the Donate-a-cry app instance (baby and
    phone) of a real cry, else the cry itself."""


def cry_cluster(source: str, name: str, file: str, onset: float) -> str:
    """Bootstrap cluster of one labelled cry: Donate-a-cry recordings are named
    ``<app instance uuid>-<timestamp>-...``, so cries of one baby and phone share the uuid."""

    uuid = donateacry_uuid(source, name)
    return f"uuid:{uuid}" if uuid is not None else f"{file}@{onset:.2f}"


def ratio_bootstrap(
    num: np.ndarray, den: np.ndarray, n: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95 % bootstrap interval of sum(num) / sum(den), resampling clusters (rows) with
    replacement: each row is one cluster's total (found cries and cries of one baby; false
    alarms and hours of one file)."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if num.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.shape[0], size=(n, num.shape[0]))
    r = num[idx].sum(axis=1) / np.maximum(den[idx].sum(axis=1), 1e-12)
    return float(np.percentile(r, 2.5)), float(np.percentile(r, 97.5))


def source_uncertainty(
    s: CrySet, fa_by_source: dict[str, float], hours: float
) -> dict[str, object]:
    """False alarms per hour with a 95 % bootstrap interval that resamples the set's noise
    recordings (every source of sources.tsv, with its false alarms or none): one animal
    recording repeated over many files counts as one draw, not as many."""
    names = sorted({src for rows in s.sources.values() for _, _, src in rows} | set(fa_by_source))
    counts = np.array([fa_by_source.get(n, 0.0) for n in names])
    lo, hi = ratio_bootstrap(counts, np.full(len(names), hours / max(1, len(names))))
    top = sorted(fa_by_source.items(), key=lambda kv: -kv[1])[:5]
    return {
        "far_per_hour_ci95_by_source": [round(lo, 3), round(hi, 3)],
        "noise_sources": len(names),
        "false_alarm_sources_top": [[n, c] for n, c in top],
    }


def uncertainty(
    outcomes: list[CryOutcome], fa_per_file: list[tuple[float, float]]
) -> dict[str, object]:
    """95 % bootstrap intervals: sensitivity resampling babies (real cries of one Donate-a-cry
    app instance together; every other cry on its own), false alarms per hour resampling
    files. Files of one set share noise recordings, so the false-alarm interval is too narrow
    where one recording causes many alarms."""

    def sens_ci(sel: list[CryOutcome]) -> list[float] | None:
        if not sel:
            return None
        keys = sorted({o.cluster for o in sel})
        pos = {k: i for i, k in enumerate(keys)}
        found, count = np.zeros(len(keys)), np.zeros(len(keys))
        for o in sel:
            found[pos[o.cluster]] += o.found
            count[pos[o.cluster]] += 1
        return [round(v, 4) for v in ratio_bootstrap(found, count)]

    fa = np.array(fa_per_file, float).reshape(-1, 2)
    lo, hi = ratio_bootstrap(fa[:, 0], fa[:, 1])
    return {
        "sensitivity_ci95": sens_ci(outcomes),
        "sensitivity_real_ci95": sens_ci([o for o in outcomes if o.source == "real"]),
        "far_per_hour_ci95": [round(lo, 3), round(hi, 3)] if fa.size else None,
        "real_cry_clusters": len({o.cluster for o in outcomes if o.source == "real"}),
    }


def bootstrap_paired(
    a: np.ndarray, b: np.ndarray, n: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of a - b and its 95 % bootstrap interval (paired resampling of items)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    lo, hi = ratio_bootstrap(d, np.ones_like(d), n, seed)  # the mean is sum(d) / sum(1)
    return float(d.mean()), lo, hi

"""Evaluation of colorization methods on a pair set.

For every pair with ground truth the method colours ``night.png`` with ``reference.png``;
the output is scored against ``target.png`` (metrics in :mod:`cribwatch.color.metrics`).
``changed`` regions come from ``mask.png``, or, where a pair has none, from the colour
difference of reference and target (CIEDE2000 > 10). Set values are means over pairs
(``dcf`` is the mean of per-pair dCF, not the difference of mean CFs); a region empty in a pair
is left out of that region's mean. ``ms_per_frame`` is the median wall time of the method
call per pair (decoding and scoring excluded), one process with ``threads`` torch threads
(1 by default: on a shared machine more threads mostly measure the neighbours' load).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cribwatch.color.align import align as align_reference
from cribwatch.color.align import fill_guided
from cribwatch.color.methods import check_method, method_names, read_night, read_reference
from cribwatch.color.metrics import PairScores, derive_change_mask, score_pair
from cribwatch.color.pairs import Pair, load_pair_set
from cribwatch.color.pipeline import learned_method
from cribwatch.color.transfer import BASELINES, Method
from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb
from cribwatch.progress import Progress, report

METRIC_KEYS = tuple(f.name for f in fields(PairScores))


def available_methods() -> tuple[str, ...]:
    """Names ``--method`` accepts: the baselines, then the learned methods."""
    return method_names()


DEFAULT_VARIANTS: dict[str, str] = {"auto": "pad"}
"""Pipeline variant a bare method name runs with: ``auto`` is ``auto@pad`` (a mirror margin
around the frame, so the network's zero padding paints no colour blobs along its edges;
docs/results/color-camera.md)."""


def resolve_method(name: str, weights: Path | None = None) -> Method:
    """The colorize function of a method name (baseline or learned; a bare name in
    :data:`DEFAULT_VARIANTS` runs with its default variant)."""
    check_method(name)
    if name in BASELINES:
        if weights is not None:
            raise CribwatchError(f"method {name!r} takes no weights")
        return BASELINES[name]
    if name in DEFAULT_VARIANTS:
        name = f"{name}@{DEFAULT_VARIANTS[name]}"
    return learned_method(name, weights)  # "@bilinear" and co.: pipeline variants


def load_inputs(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """(night grey, reference RGB) of a pair (sizes checked)."""
    return read_night(pair.night), read_reference(pair.reference)


def changed_region(pair: Pair, reference: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Boolean 'changed' mask of a pair at the target's size."""
    if pair.mask is not None:
        m = read_gray(pair.mask) > 0.5
        if m.shape != target.shape[:2]:
            raise CribwatchError(
                f"{pair.mask}: size {m.shape} differs from target {target.shape[:2]}"
            )
        return m
    if reference.shape != target.shape:
        raise CribwatchError(f"{pair.dir}: no mask.png and reference/target sizes differ")
    return derive_change_mask(reference, target)


def _nanmean(values: list[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def evaluate(
    data: Path,
    method: str,
    *,
    weights: Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    threads: int = 1,
    align: bool = False,
) -> dict[str, Any]:
    """Score ``method`` on every pair with ground truth in ``data``; returns the set summary.

    With ``align`` each reference is first registered to its night frame
    (:func:`cribwatch.color.align.align`) and warped onto it, and the output's pixels the
    warped reference does not cover take the colour of covered pixels of similar brightness
    nearby (:func:`~cribwatch.color.align.fill_guided`, as :class:`~cribwatch.color.api.Colorizer`
    does); a reference refused as not matching is used as it is (``align_refused`` counts
    them; ``align_ms`` is the median registration time, not part of ``ms_per_frame``)."""
    torch.set_num_threads(threads)
    fn = resolve_method(method, weights)
    pairs = [p for p in load_pair_set(data) if p.target is not None]
    if not pairs:
        raise CribwatchError(f"{data}: no pairs with ground truth (target.png) to score")
    if limit is not None:
        if limit < 1:
            raise CribwatchError(f"limit must be at least 1, not {limit}")
        pairs = pairs[:limit]
    rows: list[PairScores] = []
    times: list[float] = []
    refused: list[bool] = []
    align_ms: list[float] = []
    for i, pair in enumerate(pairs):
        night, reference = load_inputs(pair)
        covered = None
        if align:
            res = align_reference(night, reference)
            refused.append(not res.ok)
            align_ms.append(res.ms)
            if res.ok:
                covered = res.covered()
                reference = res.warp(reference)
        assert pair.target is not None
        target = read_rgb(pair.target)
        if night.shape != target.shape[:2]:
            raise CribwatchError(
                f"{pair.night}: size {night.shape} differs from target {target.shape[:2]}"
            )
        t0 = time.perf_counter()
        pred = fn(night, reference)
        times.append((time.perf_counter() - t0) * 1000.0)
        if covered is not None:
            pred = fill_guided(pred, covered, night)  # as the Colorizer does
        if not np.all(np.isfinite(pred)):
            raise CribwatchError(f"{pair.dir}: method {method!r} produced NaN or infinite values")
        rows.append(score_pair(pred, target, changed_region(pair, reference, target)))
        report(progress, i + 1, len(pairs))
    summary: dict[str, Any] = {
        "method": method,
        "data": str(data),
        "n": len(rows),
        "threads": threads,
    }
    for key in METRIC_KEYS:
        summary[key] = _nanmean([getattr(r, key) for r in rows])
    summary["ms_per_frame"] = float(np.median(times))
    if align:
        summary["align_refused"] = float(np.mean(refused))
        summary["align_ms"] = float(np.median(align_ms))
    summary["per_pair"] = [{"id": p.id, **asdict(r)} for p, r in zip(pairs, rows, strict=True)]
    return summary


def json_ready(summary: dict[str, Any], per_pair: bool = False) -> dict[str, Any]:
    """Summary with NaN as null, rounded, per-pair rows only on request."""

    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return None if math.isnan(v) else round(v, 4)
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    out = {k: v for k, v in summary.items() if per_pair or k != "per_pair"}
    return clean(out)  # type: ignore[no-any-return]

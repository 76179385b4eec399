"""Tuning searches of ``cribwatch cry tune``: the threshold at a false-alarm budget, the
filter settings (:func:`search_filters`) and the event timing (:func:`search_event_timing`)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from cribwatch.cry.dataset import CrySet
from cribwatch.cry.eval import FileAnalysis, detect_set, evaluate, set_infos, sweep
from cribwatch.cry.postprocess import FilterConfig

FILTER_GRID: dict[str, tuple[float, ...]] = {
    "min_unit_s": (0.4, 0.6, 0.8),
    "voiced_share_min": (0.15, 0.3, 0.45),
    "min_bout_s": (1.5, 2.0),
}
"""The filter settings ``cribwatch cry tune --search-filters`` tries (every combination)."""
SMOOTHING_STARTS: tuple[tuple[int, int], ...] = ((2, 3), (3, 3), (3, 4))
"""(k_on, n_on) pairs the search tries after FILTER_GRID, each with SMOOTHING_MIN_BOUT_S and
SUSTAIN_LOWS. A one-window start, (1, 1), was tried (third session of 2026-12-02): it won on
val3, whose real cries the model trained on, and lost on babies it never heard
(docs/results/cry.md), so it is not searched."""
SMOOTHING_MIN_BOUT_S: tuple[float, ...] = (1.0, 1.5, 2.0)
"""Then the start of a bout (``k_on`` of ``n_on`` windows) and the shortest bout, from the best
filter settings (what they mean in time depends on the hop; the start config competes)."""
SUSTAIN_LOWS: tuple[float, ...] = (0.0,)
"""And the hysteresis' lower score (``sustain_low``; 0: off). Only off: 0.9 and 0.95 gained
nothing on val3 at <= 1 FA/h and no unseen real cries at equal false alarms on valA
(docs/results/cry.md); set ``sustain_low`` in a config to use it."""
SWITCHABLE = ("rhythm", "pitch")
"""Filters the search also tries switched off, one at a time (the start config's filter set
is tried first and wins ties)."""
_USES = {"min_unit_s": "rhythm", "voiced_share_min": "pitch"}
"""The filter a FILTER_GRID setting belongs to (a setting of a switched-off filter is not
searched)."""


def filter_sets(enabled: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The start config's filter set, then that set without each of SWITCHABLE in turn."""
    out = [tuple(enabled)]
    for name in SWITCHABLE:
        if name in enabled:
            out.append(tuple(f for f in enabled if f != name))
    return out


def search_filters(
    s: CrySet,
    an: dict[str, FileAnalysis],
    cfg: FilterConfig,
    thresholds: np.ndarray,
    max_far: float,
) -> tuple[FilterConfig, dict[str, float]]:
    """Best (sensitivity at <= max_far FA/h, then fewest FA/h) config over the filter sets of
    :func:`filter_sets`, FILTER_GRID and thresholds; returns it and its curve point."""
    best: tuple[tuple[float, float], FilterConfig, dict[str, float]] | None = None
    seen: set[FilterConfig] = set()
    infos = set_infos(an, cfg)  # the chain's inputs: no setting searched here changes them

    def consider(c: FilterConfig) -> None:
        """Sweep ``c``'s thresholds (once per setting) and keep it if it beats the best."""
        nonlocal best
        setting = replace(c, threshold=cfg.threshold)
        if setting in seen:
            return
        seen.add(setting)
        curve = sweep(s, an, c, thresholds, infos)
        thr = pick_threshold(curve, max_far)
        point = next(p for p in curve if p["threshold"] == thr)
        ok = point["far_per_hour"] <= max_far
        key = (point["sensitivity"] if ok else -point["far_per_hour"], -point["far_per_hour"])
        if best is None or key > best[0]:
            best = (key, replace(c, threshold=thr), point)

    keys = list(FILTER_GRID)
    for enabled in filter_sets(cfg.enabled):
        for values in itertools.product(*(FILTER_GRID[k] for k in keys)):
            kw = {
                k: (v if _USES.get(k, "smoothing") in enabled else getattr(cfg, k))
                for k, v in zip(keys, values, strict=True)
            }
            consider(replace(cfg, enabled=enabled, **kw))  # type: ignore[arg-type]
    assert best is not None
    start = best[1]
    if "smoothing" in start.enabled:
        for (k_on, n_on), mb, low in itertools.product(
            SMOOTHING_STARTS, SMOOTHING_MIN_BOUT_S, SUSTAIN_LOWS
        ):
            consider(replace(start, k_on=k_on, n_on=n_on, min_bout_s=mb, sustain_low=low))
    return best[1], best[2]


EVENT_TIMING_GRID: dict[str, tuple[float, ...]] = {
    "onset_shift_s": (0.0, 0.1, 0.2, 0.3),
    "hangover_s": (1.0, 1.5, 2.0, 3.0),
}
"""Event timing settings ``cribwatch cry tune --search-filters`` tries after the threshold;
``hangover_s`` sets ``m_off`` = hangover_s / hop_s quiet windows (2, 3, 4, 6 at 0.5 s)."""
ONSET_GRID: dict[str, tuple[float, ...]] = {
    "onset_lookback_s": (0.0, 1.5, 3.0),
    "onset_low": (0.5, 0.6, 0.7, 0.8),
    "onset_back_shift_s": (0.3, 0.4, 0.5, 0.6),
}
"""Then the onset look-back (the second, lower score threshold), from the best timing."""


def search_event_timing(
    s: CrySet, an: dict[str, FileAnalysis], cfg: FilterConfig, max_far: float
) -> tuple[FilterConfig, dict[str, float]]:
    """Best event F1 over EVENT_TIMING_GRID (the onset estimate and the hang-over, which
    merges the units of one cry into one event), then over ONSET_GRID from the best of those,
    among the settings that keep ``cfg``'s sensitivity and at most ``max_far`` false alarms per
    hour; ``cfg`` itself competes."""
    dur = {f: a.duration for f, a in an.items()}
    infos = set_infos(an, cfg)

    def point(c: FilterConfig) -> dict[str, float]:
        r, _ = evaluate(s, detect_set(an, c, infos), dur)
        return {k: float(r[k] or 0.0) for k in ("sensitivity", "far_per_hour", "event_f1")}  # type: ignore[arg-type]

    best_cfg, best = cfg, point(cfg)
    far_cap = max(max_far, best["far_per_hour"])
    seen = {cfg}
    for grid in (EVENT_TIMING_GRID, ONSET_GRID):
        start = best_cfg
        keys = list(grid)
        for values in itertools.product(*(grid[k] for k in keys)):
            kw: dict[str, float | int] = dict(zip(keys, values, strict=True))
            if "hangover_s" in kw:
                kw["m_off"] = max(1, int(round(kw.pop("hangover_s") / start.hop_s)))
            if kw.get("onset_lookback_s", 1.0) == 0.0:
                kw = {"onset_lookback_s": 0.0}  # off: the other two do not matter
            c = replace(start, **kw)  # type: ignore[arg-type]
            if c in seen:
                continue
            seen.add(c)
            pt = point(c)
            ok = pt["far_per_hour"] <= far_cap and pt["sensitivity"] >= best["sensitivity"]
            if ok and pt["event_f1"] > best["event_f1"]:
                best_cfg, best = c, pt
    return best_cfg, best


def pick_threshold(
    curve: list[dict[str, float]], max_far: float, key: str = "far_per_hour"
) -> float:
    """Lowest threshold whose false-alarm rate is at most ``max_far`` (highest sensitivity)."""
    ok = [c for c in curve if c[key] <= max_far]
    if not ok:
        return max(c["threshold"] for c in curve)
    best = max(c["sensitivity"] for c in ok)
    return min(c["threshold"] for c in ok if c["sensitivity"] == best)

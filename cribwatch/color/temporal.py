"""Night video sequences with known truth, and the temporal measures of a video colorizer.

:func:`night_sequence` builds a sequence from one scene crop: a static day scene, a disc-shaped
object that enters at ``enter`` and moves across, an auto-gain step at ``gain_at`` (the night
exposure multiplied by ``gain``), each frame rendered by the night simulator with fixed
parameters and fresh sensor noise (:func:`cribwatch.sim.night.render_night`).

Measures (:func:`temporal_scores`), over the *static* pixels (no object in frames t - 1 and t):

- ``flicker``: mean CIEDE2000 between consecutive output frames (the gain step's frame pair
  left out: a lightness step there is the camera's, not flicker);
- ``l_std``: temporal standard deviation of lightness (CIE L), per pixel within each constant
  gain segment, averaged;
- ``lag``: after the object enters, the frames until the output's mean CIEDE2000 against the
  day truth over the object falls within 10% of its final value (mean of the last 5 frames).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import cv2 as _cv2
import numpy as np

from cribwatch.color.api import Colorizer
from cribwatch.color.stream import StreamConfig
from cribwatch.errors import CribwatchError
from cribwatch.io import read_rgb
from cribwatch.progress import Progress, report
from cribwatch.sim.night import RANGE_PRESETS, render_night, sample_params

cv2: Any = _cv2


@dataclass(frozen=True)
class SequenceConfig:
    """Shape of a generated night sequence."""

    frames: int = 40
    enter: int = 16
    """Frame at which the object appears (then moves across)."""
    gain_at: int = 8
    """Frame of the auto-gain step."""
    gain: float = 1.4
    """Exposure factor of the step."""
    radius: float = 0.12
    """Object radius as a fraction of the frame height."""
    speed: float = 0.0
    """Object motion per frame (fraction of the width) after it enters (0: it stays)."""


@dataclass
class Sequence:
    night: list[np.ndarray]
    """(H, W) float32 night frames."""
    day: list[np.ndarray]
    """(H, W, 3) float32 day truth frames."""
    moving: list[np.ndarray]
    """(H, W) bool: the object in this frame or the one before."""
    object_mask: list[np.ndarray]
    """(H, W) bool: the object in this frame."""
    cfg: SequenceConfig


def night_sequence(
    scene: np.ndarray, rng: np.random.Generator, cfg: SequenceConfig | None = None
) -> Sequence:
    """A night sequence of the day ``scene`` (H, W, 3) float RGB (see the module doc)."""
    cfg = cfg or SequenceConfig()
    if cfg.frames < 2 or not 0 <= cfg.enter < cfg.frames:
        raise CribwatchError(f"sequence of {cfg.frames} frames with the object at {cfg.enter}")
    h, w = scene.shape[:2]
    p = replace(sample_params(rng, RANGE_PRESETS["train"]), jpeg_quality=None)
    colour = np.array(rng.uniform(0.1, 0.9, 3), np.float32)
    cy, cx0 = rng.uniform(0.3, 0.7) * h, rng.uniform(0.2, 0.4) * w
    yy, xx = np.mgrid[0:h, 0:w]
    night, day, objs = [], [], []
    for t in range(cfg.frames):
        d = scene.astype(np.float32).copy()
        obj = np.zeros((h, w), bool)
        if t >= cfg.enter:
            cx = cx0 + cfg.speed * w * (t - cfg.enter)
            obj = (yy - cy) ** 2 + (xx - cx) ** 2 < (cfg.radius * h) ** 2
            d[obj] = colour
        pt = p if t < cfg.gain_at else replace(p, exposure=min(1.0, p.exposure * cfg.gain))
        night.append(render_night(d, pt, rng))
        day.append(d)
        objs.append(obj)
    moving = [objs[0]] + [objs[t] | objs[t - 1] for t in range(1, cfg.frames)]
    return Sequence(night, day, moving, objs, cfg)


def _lab(rgb: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2lab  # extra: train (metrics)

    a = np.asarray(rgb, np.float64)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    return np.asarray(rgb2lab(np.clip(a, 0, 1)))


def temporal_scores(frames: list[np.ndarray], seq: Sequence) -> dict[str, float]:
    """``flicker``, ``l_std`` and ``lag`` of output ``frames`` (RGB, or grey for the input
    itself) against the sequence's truth (see the module doc)."""
    from skimage.color import deltaE_ciede2000  # extra: train (metrics)

    if len(frames) != len(seq.night):
        raise CribwatchError(f"{len(frames)} frames for a sequence of {len(seq.night)}")
    labs = [_lab(f) for f in frames]
    cfg = seq.cfg
    flick = []
    for t in range(1, len(labs)):
        if t == cfg.gain_at:
            continue
        static = ~(seq.moving[t] | seq.moving[t - 1])
        flick.append(float(deltaE_ciede2000(labs[t - 1], labs[t])[static].mean()))
    ever = np.zeros(seq.night[0].shape, bool)
    for m in seq.object_mask:
        ever |= m
    stds = []
    for lo, hi in ((0, cfg.gain_at), (cfg.gain_at, len(labs))):
        if hi - lo >= 3:
            ls = np.stack([labs[t][..., 0] for t in range(lo, hi)])
            stds.append(float(ls.std(axis=0)[~ever].mean()))
    errs = []
    for t in range(cfg.enter, len(labs)):
        m = seq.object_mask[t]
        if not m.any():
            errs.append(float("nan"))
            continue
        errs.append(
            float(deltaE_ciede2000(_lab(seq.day[t]), _with_l(labs[t], seq.day[t]))[m].mean())
        )
    final = float(np.nanmean(errs[-5:])) if errs else float("nan")
    lag = float("nan")
    for k, e in enumerate(errs):
        if np.isfinite(e) and abs(e - final) <= 0.1 * final:
            lag = float(k)
            break
    return {
        "flicker": float(np.mean(flick)),
        "l_std": float(np.mean(stds)),
        "lag": lag,
        "object_de00_final": final,
    }


def _with_l(lab: np.ndarray, truth_rgb: np.ndarray) -> np.ndarray:
    """``lab`` with the truth's lightness (colour error only, as the pair metrics)."""
    out = lab.copy()
    out[..., 0] = _lab(truth_rgb)[..., 0]
    return out


def evaluate_sequences(
    pairs: list[Any],
    seed: int = 0,
    cfg: SequenceConfig | None = None,
    method: str = "ssim-guided",
    progress: Progress | None = None,
) -> dict[str, dict[str, float]]:
    """Temporal scores (means over sequences) of the night input itself, the frame-by-frame
    colorizer, and the streaming colorizer (lightness denoising only, and denoising with
    chroma smoothing), on one sequence per pair: the pair's day ``target`` as the scene and its
    ``reference`` as the day reference, seeded ``(seed, index)``."""
    cfg = cfg or SequenceConfig()
    modes: dict[str, StreamConfig | None] = {
        "frame-by-frame": StreamConfig(denoise=False, smooth=False),
        "stream-denoise": StreamConfig(smooth=False),
        "stream": StreamConfig(),
    }
    rows: dict[str, list[dict[str, float]]] = {"night input": [], **{k: [] for k in modes}}
    ms: dict[str, list[float]] = {k: [] for k in modes}
    for i, p in enumerate(pairs):
        if p.target is None:
            raise CribwatchError(f"{p.dir}: no target.png (a pair set with ground truth needed)")
        seq = night_sequence(read_rgb(p.target), np.random.default_rng([seed, i]), cfg)
        rows["night input"].append(temporal_scores(seq.night, seq))
        col = Colorizer(read_rgb(p.reference), method)
        for name, sc in modes.items():
            stream = col.stream(sc)
            t0 = time.perf_counter()
            out = [stream.push(f) for f in seq.night]
            ms[name].append(1000.0 * (time.perf_counter() - t0) / len(out))
            rows[name].append(temporal_scores(out, seq))
        report(progress, i + 1, len(pairs))
    summary: dict[str, dict[str, float]] = {}
    for name, rs in rows.items():
        summary[name] = {k: float(np.nanmean([r[k] for r in rs])) for k in rs[0]}
        if name in ms:
            summary[name]["ms_per_frame"] = float(np.median(ms[name]))
    return summary


__all__ = [
    "Sequence",
    "SequenceConfig",
    "evaluate_sequences",
    "night_sequence",
    "temporal_scores",
]

"""Frame-by-frame colour for video: temporal denoising of lightness and smoothing of colour
where the scene is static, reset where it moves.

A fixed camera sees mostly the same scene from frame to frame; its night frames differ by
sensor grain, and colour computed frame by frame inherits that grain as flicker. Per frame
(:meth:`ColorStream.push`):

1. **gain**: an auto-gain step changes the whole frame's brightness; the running mean is
   rescaled by the ratio of the blurred frames' medians, so a gain step is not taken for
   motion and the denoised frame follows it at once;
2. **motion mask**: ``|blur(frame) - blur(mean)| > motion_k * sigma``, with ``sigma`` the
   robust (median absolute) spread of that difference over the frame, dilated; where it
   moves, the state resets to the new frame;
3. **lightness denoising** (``denoise``): a per-pixel running average of the night frame over
   the frames since the pixel last moved (at most :attr:`StreamConfig.frames`): the
   colorizer sees the averaged frame;
4. **colour smoothing** (``smooth``): the output's chroma (Lab a, b) is averaged the same way
   (at most :attr:`StreamConfig.colour_frames` frames) where static, reset where it moves;
   the gate and the reference's colour stay put where nothing moves, so this is the
   smoothing of the network's map and gate seen at its output. Lightness is the (denoised)
   night frame's.

With ``denoise`` and ``smooth`` off, :meth:`ColorStream.push` returns exactly what the
colorizer returns for the frame (tested).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2 as _cv2
import numpy as np

from cribwatch.errors import CribwatchError

cv2: Any = _cv2


@dataclass(frozen=True)
class StreamConfig:
    """Settings of :class:`ColorStream`."""

    denoise: bool = True
    """Average the night frame over time where static."""
    smooth: bool = True
    """Average the output's chroma over time where static."""
    frames: int = 8
    """Most frames the lightness average spans (the newest weighs at least 1/frames)."""
    colour_frames: int = 8
    """Most frames the chroma average spans."""
    motion_k: float = 4.0
    """A pixel moves where its blurred change exceeds this many robust noise spreads."""
    blur: float = 2.0
    """Gaussian sigma (pixels) of the motion test."""
    dilate: int = 7
    """Side (pixels) of the dilation of the motion mask."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "frames": (1, 1000),
        "colour_frames": (1, 1000),
        "motion_k": (0.5, 100.0),
        "blur": (0.0, 20.0),
        "dilate": (1, 101),
    }


def _as_float(night: np.ndarray) -> np.ndarray:
    n = np.asarray(night)
    if n.ndim != 2:
        raise CribwatchError(f"night frame must be grey (H, W), got shape {n.shape}")
    if n.dtype == np.uint8:
        return n.astype(np.float32) / 255.0
    f = n.astype(np.float32)
    if not np.all(np.isfinite(f)):
        raise CribwatchError("night frame contains NaN or infinite values")
    return f


class ColorStream:
    """Colours a night video frame by frame with a colorizer ``fn(night) -> rgb`` (a
    :class:`cribwatch.color.api.Colorizer`); see the module doc.

    ``push(frame)`` takes an (H, W) grey frame (float in [0, 1] or uint8) and returns
    (H, W, 3) float32 RGB in [0, 1]; ``moving`` holds the last motion mask; ``reset()``
    forgets the past (a new scene, a new reference)."""

    def __init__(
        self, fn: Callable[[np.ndarray], np.ndarray], cfg: StreamConfig | None = None
    ) -> None:
        self.fn = fn
        self.cfg = cfg or StreamConfig()
        self.reset()

    def reset(self) -> None:
        """Forget every past frame."""
        self._mean: np.ndarray | None = None
        self._count: np.ndarray | None = None
        self._ab: list[np.ndarray] | None = None
        self._ab_count: np.ndarray | None = None
        self.moving: np.ndarray | None = None

    def _blur(self, x: np.ndarray) -> np.ndarray:
        b = self.cfg.blur
        return x if b <= 0 else cv2.GaussianBlur(x, (0, 0), b, borderType=cv2.BORDER_REFLECT_101)

    def _motion(self, f: np.ndarray) -> np.ndarray:
        assert self._mean is not None
        bf, bm = self._blur(f), self._blur(self._mean)
        # medians on a quarter-resolution lattice: the same statistics, 16x fewer pixels
        gain = float(np.median(bf[::4, ::4])) / max(float(np.median(bm[::4, ::4])), 1e-4)
        if 0.2 < gain < 5.0 and abs(gain - 1.0) > 0.02:
            self._mean = self._mean * gain  # an auto-gain step: follow it, not motion
            bm = bm * gain
        d = cv2.absdiff(bf, bm)
        sigma = 1.4826 * float(np.median(d[::4, ::4])) + 1e-4
        moving = (d > self.cfg.motion_k * sigma).astype(np.uint8)
        k = self.cfg.dilate
        if k > 1:
            moving = cv2.dilate(moving, np.ones((k, k), np.uint8))
        return moving.astype(bool)

    def push(self, night: np.ndarray) -> np.ndarray:
        """The colour frame of the next night frame."""
        f = _as_float(night)
        cfg = self.cfg
        if not (cfg.denoise or cfg.smooth):
            return self.fn(night)
        if self._mean is None or self._mean.shape != f.shape:
            self._mean = f.copy()
            self._count = np.ones(f.shape, np.float32)
            self.moving = np.ones(f.shape, bool)
            self._ab = None
        else:
            assert self._count is not None
            self.moving = self._motion(f)
            # a moving pixel's count restarts at 1, so its weight 1 takes the new frame as is
            self._count = np.minimum(self._count + 1, np.float32(cfg.frames))
            self._count[self.moving] = 1.0
            self._mean += (f - self._mean) / self._count
        frame = np.clip(self._mean, 0.0, 1.0).astype(np.float32) if cfg.denoise else f
        rgb = np.asarray(self.fn(frame), dtype=np.float32)
        if not cfg.smooth:
            return rgb
        lab_l, lab_a, lab_b = cv2.split(cv2.cvtColor(np.clip(rgb, 0.0, 1.0), cv2.COLOR_RGB2Lab))
        if self._ab is None or self._ab[0].shape != f.shape:
            self._ab = [lab_a, lab_b]
            self._ab_count = np.ones(f.shape, np.float32)
        else:
            assert self._ab_count is not None and self.moving is not None
            self._ab_count = np.minimum(self._ab_count + 1, np.float32(cfg.colour_frames))
            self._ab_count[self.moving] = 1.0
            for state, new in zip(self._ab, (lab_a, lab_b), strict=True):
                state += cv2.divide(cv2.subtract(new, state), self._ab_count)
        out = cv2.cvtColor(cv2.merge([lab_l, *self._ab]), cv2.COLOR_Lab2RGB)
        return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)

    __call__ = push


__all__ = ["ColorStream", "StreamConfig"]

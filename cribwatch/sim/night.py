"""Infrared night-frame simulator.

A baby-monitor camera at night records near-infrared (NIR) lit by its own 850/940 nm LEDs:
one channel, centre-bright, low contrast, noisy. :func:`simulate_night` turns a day colour
frame into such a frame, in this order (each effect's range is a field of
:class:`NightRanges`; every call draws its parameters from a seeded generator):

1. **NIR channel response** in linear light: ``nir = (1 - bleach) * (w_r R + w_g G + w_b B)
   + bleach * max(R, G, B)``. Red is weighted most (closest to NIR); the ``bleach`` term makes
   the response depend on a surface's brightness more than its hue, as most textile dyes are
   transparent in NIR: fabrics of different colours look alike and skin looks pale.
2. **Illuminator vignetting**: gain ``1 - vignette * (r / r_max)^2`` around a centre shifted
   by up to ``centre_shift`` of the frame size.
3. **Exposure, contrast, black level and gamma**: ``y = exposure * nir``; contrast pulled
   towards the mean by ``contrast``; a black level lifted by ``black``; display gamma
   ``y^(1 / (2.2 * gamma))``.
4. **Poisson-Gaussian sensor noise**: ``Poisson(y * photons) / photons + N(0, read_noise^2)``.
5. **Optical blur**: Gaussian with sigma ``blur`` pixels.
6. **JPEG** at quality ``jpeg_quality`` with probability ``jpeg_prob``.

The result is float32 grey in [0, 1], shape (H, W).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, fields

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from cribwatch.errors import CribwatchError

Range = tuple[float, float]


@dataclass(frozen=True)
class NightRanges:
    """Uniform sampling ranges of the night simulator's parameters (training defaults)."""

    w_r: Range = (0.45, 0.8)
    """Red weight of the NIR response (green and blue share the rest)."""
    g_share: Range = (0.4, 0.8)
    """Share of the non-red weight that goes to green (the rest to blue)."""
    bleach: Range = (0.2, 0.6)
    """Weight of the hue-independent max(R, G, B) term (dyes transparent in NIR)."""
    vignette: Range = (0.25, 0.65)
    """Fractional brightness loss at the frame corner."""
    centre_shift: Range = (0.0, 0.1)
    """Offset of the illuminator's centre, as a fraction of the frame size."""
    exposure: Range = (0.12, 0.45)
    """Overall gain (the night frame is darker)."""
    contrast: Range = (0.55, 0.9)
    """Contrast kept around the mean (1 = unchanged)."""
    black: Range = (0.01, 0.06)
    """Lifted black level."""
    gamma: Range = (0.85, 1.2)
    """Gamma factor on the display encoding (1 = sRGB-like 2.2)."""
    photons: Range = (120.0, 600.0)
    """Photons at full scale (lower = more shot noise)."""
    read_noise: Range = (0.004, 0.015)
    """Standard deviation of the Gaussian read noise."""
    blur: Range = (0.3, 1.0)
    """Optical blur sigma in pixels."""
    jpeg_quality: Range = (50.0, 92.0)
    """JPEG quality when JPEG is applied."""
    jpeg_prob: float = 0.5
    """Probability of JPEG compression."""


OOD_RANGES = NightRanges(
    w_r=(0.1, 0.35),
    g_share=(0.1, 0.4),
    bleach=(0.65, 0.9),
    vignette=(0.7, 0.85),
    exposure=(0.05, 0.12),
    contrast=(0.35, 0.55),
    photons=(30.0, 110.0),
    read_noise=(0.02, 0.035),
    blur=(1.0, 1.6),
    jpeg_quality=(25.0, 50.0),
    jpeg_prob=0.8,
)
"""Settings outside the training ranges (stronger noise, another channel response), used
to measure generalisation."""

RANGE_PRESETS = {"train": NightRanges(), "ood": OOD_RANGES}


@dataclass(frozen=True)
class NightParams:
    """One draw of the simulator's parameters (stored in each pair's meta.json)."""

    w_r: float
    w_g: float
    w_b: float
    bleach: float
    vignette: float
    centre_x: float
    centre_y: float
    exposure: float
    contrast: float
    black: float
    gamma: float
    photons: float
    read_noise: float
    blur: float
    jpeg_quality: int | None


def sample_params(rng: np.random.Generator, ranges: NightRanges | None = None) -> NightParams:
    """Draw one parameter set from ``ranges``."""
    r = ranges or NightRanges()

    def u(v: Range) -> float:
        return float(rng.uniform(v[0], v[1]))

    w_r = u(r.w_r)
    g_share = u(r.g_share)
    shift = u(r.centre_shift)
    angle = float(rng.uniform(0, 2 * np.pi))
    params = NightParams(
        w_r=w_r,
        w_g=(1 - w_r) * g_share,
        w_b=(1 - w_r) * (1 - g_share),
        bleach=u(r.bleach),
        vignette=u(r.vignette),
        centre_x=0.5 + shift * float(np.cos(angle)),
        centre_y=0.5 + shift * float(np.sin(angle)),
        exposure=u(r.exposure),
        contrast=u(r.contrast),
        black=u(r.black),
        gamma=u(r.gamma),
        photons=u(r.photons),
        read_noise=u(r.read_noise),
        blur=u(r.blur),
        jpeg_quality=int(round(u(r.jpeg_quality))) if rng.uniform() < r.jpeg_prob else None,
    )
    return params


def params_in_ranges(p: NightParams, r: NightRanges) -> bool:
    """True when every drawn parameter lies in its range (used by tests and data checks)."""
    checks = {
        "w_r": p.w_r,
        "bleach": p.bleach,
        "vignette": p.vignette,
        "exposure": p.exposure,
        "contrast": p.contrast,
        "black": p.black,
        "gamma": p.gamma,
        "photons": p.photons,
        "read_noise": p.read_noise,
        "blur": p.blur,
    }
    for name, value in checks.items():
        lo, hi = getattr(r, name)
        if not lo <= value <= hi:
            return False
    return p.jpeg_quality is None or r.jpeg_quality[0] <= p.jpeg_quality <= r.jpeg_quality[1]


def _srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def render_night(rgb: np.ndarray, p: NightParams, rng: np.random.Generator) -> np.ndarray:
    """Apply parameters ``p`` to sRGB ``rgb`` (H, W, 3) in [0, 1]; noise drawn from ``rng``."""
    arr = np.asarray(rgb, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise CribwatchError(f"simulate_night needs RGB (H, W, 3), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise CribwatchError("simulate_night: input contains NaN or infinite values")
    lin = _srgb_to_linear(np.clip(arr, 0.0, 1.0))
    mix = p.w_r * lin[..., 0] + p.w_g * lin[..., 1] + p.w_b * lin[..., 2]
    nir = (1 - p.bleach) * mix + p.bleach * lin.max(axis=2)
    h, w = nir.shape
    yy, xx = np.mgrid[0:h, 0:w]
    dx = (xx + 0.5) / w - p.centre_x
    dy = ((yy + 0.5) / h - p.centre_y) * (h / w)
    r2 = dx * dx + dy * dy
    r2max = 0.25 * (1 + (h / w) ** 2)
    y = nir * (1 - p.vignette * np.clip(r2 / r2max, 0, 1)) * p.exposure
    y = y.mean() + p.contrast * (y - y.mean())
    y = np.clip(p.black + (1 - p.black) * np.clip(y, 0, 1), 0, 1)
    y = y ** (1 / (2.2 * p.gamma))
    y = rng.poisson(y * p.photons) / p.photons + rng.normal(0.0, p.read_noise, y.shape)
    y = gaussian_filter(np.clip(y, 0, 1), p.blur, mode="reflect")
    if p.jpeg_quality is not None:
        buf = io.BytesIO()
        Image.fromarray(np.clip(np.rint(y * 255), 0, 255).astype(np.uint8), "L").save(
            buf, format="JPEG", quality=p.jpeg_quality
        )
        y = np.asarray(Image.open(buf), dtype=np.float64) / 255.0
    return np.clip(y, 0, 1).astype(np.float32)


def simulate_night(
    rgb: np.ndarray, seed: int | np.random.Generator, ranges: NightRanges | None = None
) -> tuple[np.ndarray, NightParams]:
    """Simulate an IR night frame from a day colour frame.

    Args:
        rgb: (H, W, 3) float sRGB in [0, 1].
        seed: integer seed or a numpy Generator; same seed, same frame.
        ranges: parameter ranges (default :class:`NightRanges`, the training ranges).

    Returns:
        (night, params): float32 grey (H, W) in [0, 1] and the drawn parameters.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    p = sample_params(rng, ranges)
    return render_night(rgb, p, rng), p


def params_dict(p: NightParams) -> dict[str, float | int | None]:
    """Parameters as a JSON-ready dict."""
    return asdict(p)


def ranges_dict(r: NightRanges) -> dict[str, object]:
    """Ranges as a JSON-ready dict."""
    return {f.name: getattr(r, f.name) for f in fields(r)}

"""Colorization metrics: colourfulness, PSNR, SSIM and the CIEDE2000 family.

All take float RGB in [0, 1], shape (H, W, 3), as numpy arrays. These serve evaluation and
tests, not the runtime path, so they use scikit-image's reference implementations.

References:
    D. Hasler and S. Süsstrunk, "Measuring colourfulness in natural images", Proc. SPIE 5007,
    2003 (metric M3). We use the absolute-opponent form that public colorization benchmarks
    compute (DDColor ``basicsr/metrics/colorfulness.py``), so numbers compare with their tables.

    G. Sharma, W. Wu and E. N. Dalal, "The CIEDE2000 color-difference formula", Color Research
    and Application 30(1), 2005.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2gray, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from cribwatch.errors import CribwatchError


def _check_rgb(rgb: np.ndarray, name: str = "image") -> np.ndarray:
    arr = np.asarray(rgb, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise CribwatchError(f"{name} must be RGB (H, W, 3), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise CribwatchError(f"{name} contains NaN or infinite values")
    return arr


def colorfulness(rgb: np.ndarray) -> float:
    """Colourfulness CF (Hasler and Süsstrunk M3, benchmark form) of RGB in [0, 1].

    On 0-255 RGB: ``rg = |R - G|``, ``yb = |0.5 (R + G) - B|``,
    ``CF = sqrt(std_rg^2 + std_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2)``
    (population standard deviations). A grey image has CF 0; pure red (255, 0, 0) has
    ``0.3 * sqrt(255^2 + 127.5^2) = 85.53``.
    """
    arr = _check_rgb(rgb) * 255.0
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    rg = np.abs(r - g)
    yb = np.abs(0.5 * (r + g) - b)
    std = np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    mean = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(std + 0.3 * mean)


def delta_cf(pred: np.ndarray, gt: np.ndarray) -> float:
    """Per-image |CF(pred) - CF(gt)| (a set's dCF is the mean of these, not of CFs)."""
    return abs(colorfulness(pred) - colorfulness(gt))


def psnr(pred: np.ndarray, gt: np.ndarray) -> float:
    """PSNR (dB) of RGB in [0, 1] against the ground truth."""
    return float(peak_signal_noise_ratio(_check_rgb(gt), _check_rgb(pred), data_range=1.0))


def ssim_gray(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean SSIM of the grey (luma) images, Gaussian 11x11 window, sigma 1.5."""
    return float(
        structural_similarity(
            rgb2gray(_check_rgb(gt)),
            rgb2gray(_check_rgb(pred)),
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1.0,
        )
    )


def de00_map(pred: np.ndarray, gt: np.ndarray, *, gt_lightness: bool = True) -> np.ndarray:
    """Per-pixel CIEDE2000 between ``pred`` and ``gt``.

    With ``gt_lightness`` both images get the ground truth's L (the prediction keeps its own
    ab), so the map scores colour only, not the night frame's brightness.
    """
    lab_gt = rgb2lab(_check_rgb(gt, "ground truth"))
    lab_pred = rgb2lab(_check_rgb(pred, "prediction"))
    if lab_gt.shape != lab_pred.shape:
        raise CribwatchError(f"shape mismatch: prediction {pred.shape} vs truth {gt.shape}")
    if gt_lightness:
        lab_pred = lab_pred.copy()
        lab_pred[..., 0] = lab_gt[..., 0]
    return np.asarray(deltaE_ciede2000(lab_gt, lab_pred), dtype=np.float64)


def derive_change_mask(
    reference: np.ndarray, target: np.ndarray, threshold: float = 10.0
) -> np.ndarray:
    """'Changed' mask from two colour frames: CIEDE2000 between them above ``threshold``."""
    return de00_map(reference, target, gt_lightness=False) > threshold


@dataclass(frozen=True)
class PairScores:
    """Scores of one prediction against its ground truth."""

    cf_pred: float
    cf_gt: float
    dcf: float
    psnr: float
    ssim: float
    de00: float
    de00_changed: float
    de00_static: float
    de00_raw: float
    de00_border: float = float("nan")
    """Mean CIEDE2000 (truth's lightness) over the band of :data:`BORDER` pixels along the
    frame's edges (where a network's zero padding paints colour blobs)."""


BORDER = 8
"""Width (pixels) of the edge band of ``de00_border``."""


def score_pair(pred: np.ndarray, gt: np.ndarray, changed: np.ndarray | None = None) -> PairScores:
    """All metrics of one prediction. ``changed`` is a boolean (H, W) mask of the scene change;
    where a region is empty its de00 is NaN (excluded from set means)."""
    dmap = de00_map(pred, gt)
    if changed is None:
        changed = np.zeros(dmap.shape, dtype=bool)
    if changed.shape != dmap.shape:
        raise CribwatchError(f"mask shape {changed.shape} does not match image {dmap.shape}")
    cf_p, cf_g = colorfulness(pred), colorfulness(gt)
    return PairScores(
        cf_pred=cf_p,
        cf_gt=cf_g,
        dcf=abs(cf_p - cf_g),
        psnr=psnr(pred, gt),
        ssim=ssim_gray(pred, gt),
        de00=float(dmap.mean()),
        de00_changed=float(dmap[changed].mean()) if changed.any() else float("nan"),
        de00_static=float(dmap[~changed].mean()) if (~changed).any() else float("nan"),
        de00_raw=float(de00_map(pred, gt, gt_lightness=False).mean()),
        de00_border=_border_mean(dmap, BORDER),
    )


def _border_mean(dmap: np.ndarray, band: int) -> float:
    """Mean of ``dmap`` over the ``band`` pixels nearest the edges."""
    h, w = dmap.shape
    if min(h, w) <= 2 * band:
        return float(dmap.mean())
    edge = np.ones((h, w), bool)
    edge[band:-band, band:-band] = False
    return float(dmap[edge].mean())

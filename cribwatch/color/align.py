"""Cross-modal registration of a day colour reference to a near-infrared night frame.

Colour day light and NIR night light give different intensities to the same surfaces (dyes are
transparent in NIR, the illuminator vignettes, the night frame is dark and grainy), so the
registration works on *structure*: both frames become locally normalised gradient-magnitude
images, and the warp is found on those (G. D. Evangelidis and E. Z. Psarakis, "Parametric
image alignment using enhanced correlation coefficient maximization", IEEE TPAMI 30(10), 2008;
OpenCV's ``findTransformECC``):

1. **structure images** (:func:`structure`) at the working size (longer side
   :attr:`AlignConfig.work_side`): Gaussian blur, Sobel gradient magnitude, divided by its
   local RMS (a Gaussian window), so a dim vignetted corner counts like the bright centre;
2. **seeds**: phase correlation of the two structure images at the coarsest level gives a
   translation; the seed is tried at each zoom of :attr:`AlignConfig.seed_zooms` and the best
   converged start is kept;
3. **ECC coarse to fine**: an affine warp (or a homography, ``motion``) refined on a pyramid
   (:attr:`AlignConfig.levels`, each level twice the size of the one before);
4. **confidence**: the zero-mean normalised correlation of the two structure images over the
   pixels the warped reference covers (1 = identical structure, about 0 for unrelated scenes);
   with the layout correlation (heavily blurred grey frames), the photometric fit
   (:func:`photometric_fit`: how well a NIR-like mix of the reference's colour channels under
   a smooth illumination explains the night frame), the covered fraction and the warp's own
   shape (zoom, shear) it decides whether the views match (:meth:`Alignment.check`). A
   reference of another scene is refused with one line
   (:class:`~cribwatch.errors.CribwatchError`).

The warp is a 3x3 matrix that maps a night-frame pixel (full resolution, pixel centres at
integers) to the reference pixel that shows the same point. :meth:`Alignment.warp` resamples a
reference onto the night frame's grid; pixels the reference does not cover are filled by
mirroring its edge, and the colour output there is then replaced by :func:`fill_guided`
(the colour of covered pixels nearby of similar night brightness; :attr:`Alignment.covered`
says which pixels); a stream makes a :func:`fill_plan` once per warp (the hole's indices;
uncovered edge strips up to :data:`EDGE_PX` pixels wide keep the mirrored edge) and
applies it in place per frame (:func:`apply_fill_plan`).
Warping once per reference costs one ``cv2.warpPerspective``; a stream re-estimates the warp
only when the view changes (:mod:`cribwatch.color.bank`, :mod:`cribwatch.color.stream`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import cv2 as _cv2
import numpy as np
from scipy.stats import beta

from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb
from cribwatch.progress import Progress, report

cv2: Any = _cv2

Motion = Literal["affine", "homography"]


@dataclass(frozen=True)
class AlignConfig:
    """Settings of :func:`align` (thresholds chosen on a tuning split, see
    docs/results/color-camera.md)."""

    work_side: int = 320
    """Longer side (pixels) of the finest working level."""
    levels: int = 3
    """Pyramid levels (the coarsest is ``work_side / 2^(levels - 1)``)."""
    motion: Motion = "affine"
    """Warp model: ``affine`` (shift, rotation, zoom, shear) or ``homography``."""
    iterations: int = 60
    """ECC iterations per level."""
    blur: float = 2.0
    """Gaussian sigma (pixels of the finest level; halved per coarser level, at least 0.8)
    before the gradients: the night frame's grain must not make edges."""
    norm_sigma: float = 16.0
    """Window (sigma, working pixels) of the local RMS the gradient magnitude is divided by."""
    seed_angles: tuple[float, ...] = (-4.0, 0.0, 4.0)
    """Rotations (degrees) of the reference tried by the phase-correlation seed search."""
    seed_zooms: tuple[float, ...] = (0.92, 1.0, 1.08)
    """Zooms of the reference tried by the phase-correlation seed search."""
    seeds: int = 3
    """Strongest phase-correlation peaks refined by ECC (plus the identity); the start with the
    best coverage-weighted structure correlation is kept."""
    blocks: int = 6
    """Starts (the strongest first) also refined by robust block matching (0: none)."""
    robust_passes: int = 0
    """ECC passes per level with the worst-agreeing pixels masked out (0: none)."""
    robust_keep: float = 0.75
    """Share of pixels kept by those passes (lowest structure residual)."""
    features: int = 800
    """SIFT keypoints per frame for the feature seed (0: no feature seed)."""
    min_confidence: float = 0.2
    """Least structure correlation for the views to match."""
    min_layout: float = 0.6
    """Least layout correlation (blurred grey frames) that accepts a view whose structure
    correlation is below :attr:`min_confidence` (a scene with little structure)."""
    layout_floor: float = -0.2
    """Least layout correlation that a view accepted on structure must also have (an
    anticorrelated broad layout is another scene whose edges happen to line up)."""
    min_photometric: float = 0.8
    """Least photometric fit (:func:`photometric_fit`) that accepts a view whose structure
    and layout correlations are both too low (a scene with little structure whose colours
    still explain the night frame's brightness)."""
    photometric_keep: float = 0.8
    """Share of the covered pixels the photometric fit keeps (the best-fitting ones: objects
    present in one view only are left out)."""
    min_coverage: float = 0.5
    """Least fraction of the night frame the warped reference must cover."""
    zoom_range: tuple[float, float] = (0.6, 1.6)
    """Accepted range of the warp's zoom (square root of the determinant)."""
    max_shear: float = 0.15
    """Largest accepted shear/anisotropy of the warp's linear part."""
    preset_features: int = 2000
    """RootSIFT keypoints per frame (at most :attr:`preset_side` on the longer side) for the
    *preset* candidate: a homography from full-resolution feature matches, tried when the
    structure search's best warp is refused (a large view change such as another pan-tilt
    preset, beyond the search's 5 degrees / affine range). 0: none."""
    preset_side: int = 1024
    """Longer side (pixels) the frames are reduced to (never enlarged) for the preset
    candidate's features."""
    preset_ratio: float = 0.8
    """Lowe's ratio test for the preset candidate's matches."""
    min_inliers: int = 60
    """Least feature matches consistent with the preset homography (USAC MAGSAC, 3 px) for
    it to replace a refused estimate; such a view is accepted with perspective (no shear
    limit; zoom and coverage limits hold). Chosen on the tuning and validation splits: above
    every wrong-scene pair there (at most 56; docs/results/color-camera.md, third pass)."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "work_side": (32, 4096),
        "levels": (1, 6),
        "iterations": (1, 1000),
        "blur": (0.0, 10.0),
        "norm_sigma": (0.5, 100.0),
        "min_confidence": (-1.0, 1.0),
        "min_coverage": (0.0, 1.0),
        "min_photometric": (-1.0, 1.01),
        "photometric_keep": (0.1, 1.0),
        "min_layout": (-1.0, 1.01),
        "layout_floor": (-1.01, 1.0),
        "max_shear": (0.0, 1.0),
        "preset_features": (0, 100000),
        "preset_side": (64, 8192),
        "preset_ratio": (0.1, 1.0),
        "min_inliers": (4, 1000000),
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"motion": ("affine", "homography")}


@dataclass
class Alignment:
    """A registration result: the night -> reference map and how far to trust it."""

    matrix: np.ndarray
    """(3, 3) float64: night pixel (x, y, 1) -> reference pixel (homogeneous)."""
    confidence: float
    """Structure correlation over the covered pixels (see module doc)."""
    coverage: float
    """Fraction of the night frame the warped reference covers."""
    night_size: tuple[int, int]
    """(H, W) of the night frame."""
    ref_size: tuple[int, int]
    """(h, w) of the reference."""
    consensus: float = float("nan")
    """Median block-wise structure correlation (see :func:`align`)."""
    layout: float = float("nan")
    """Correlation of the heavily blurred grey frames under the warp (the broad layout of
    bright and dark: it speaks for scenes with little structure)."""
    photometric: float = float("nan")
    """Photometric fit: how well a NIR-like mix of the warped reference's colour channels
    under a smooth illumination explains the night frame (:func:`photometric_fit`)."""
    ms: float = 0.0
    """Wall time of the estimate in milliseconds."""
    inliers: int = 0
    """Feature matches consistent with the warp when it is the preset candidate (a
    full-resolution feature homography, :attr:`AlignConfig.min_inliers`); 0 otherwise."""
    reasons: list[str] = field(default_factory=list)
    """Why the views do not match (empty when they do), filled by :meth:`check`."""

    @property
    def ok(self) -> bool:
        """True when the views match (no reasons against)."""
        return not self.reasons

    def zoom(self) -> float:
        """Reference pixels per night pixel (square root of the linear part's determinant)."""
        a = self._linear()
        return float(np.sqrt(abs(np.linalg.det(a))))

    def angle(self) -> float:
        """Rotation of the map in degrees."""
        a = self._linear()
        return float(np.degrees(np.arctan2(a[1, 0] - a[0, 1], a[0, 0] + a[1, 1])))

    def shift(self) -> tuple[float, float]:
        """Where the night frame's centre lands in the reference, minus the reference centre
        (reference pixels)."""
        h, w = self.night_size
        p = self.map_points(np.array([[(w - 1) / 2.0, (h - 1) / 2.0]]))[0]
        rh, rw = self.ref_size
        return float(p[0] - (rw - 1) / 2.0), float(p[1] - (rh - 1) / 2.0)

    def shear(self) -> float:
        """Departure of the linear part from a rotation times a zoom (0 for a similarity)."""
        a = self._linear() / max(self.zoom(), 1e-9)
        return float(np.abs(a.T @ a - np.eye(2)).max())

    def _linear(self) -> np.ndarray:
        """The linear part of the map, scaled to the night frame's pixels."""
        h, w = self.night_size
        rh, rw = self.ref_size
        m = self.matrix / self.matrix[2, 2]
        a = m[:2, :2].copy()
        # express in night-sized units: a reference of another size is first resized
        a[0] *= w / rw
        a[1] *= h / rh
        return a

    def map_points(self, pts: np.ndarray) -> np.ndarray:
        """Reference coordinates of night-frame points ``pts`` (N, 2) as (x, y)."""
        p = np.hstack([np.asarray(pts, np.float64), np.ones((len(pts), 1))]) @ self.matrix.T
        return p[:, :2] / p[:, 2:3]

    def warp(self, reference: np.ndarray) -> np.ndarray:
        """``reference`` (h, w[, C]) resampled onto the night frame's grid (H, W[, C]); the
        pixels it does not cover are filled by mirroring its edge."""
        ref = np.asarray(reference)
        if tuple(ref.shape[:2]) != self.ref_size:
            raise CribwatchError(
                f"reference {ref.shape[:2]} is not the size {self.ref_size} it was aligned at"
            )
        h, w = self.night_size
        src = ref.astype(np.float32) if ref.dtype != np.uint8 else ref
        out = cv2.warpPerspective(
            src,
            self.matrix,
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT_101,
        )
        return np.asarray(out, dtype=ref.dtype if ref.dtype == np.uint8 else np.float32)

    def covered(self) -> np.ndarray:
        """(H, W) bool: the night-frame pixels whose map lands inside the reference."""
        h, w = self.night_size
        rh, rw = self.ref_size
        ones = np.full((rh, rw), 255, np.uint8)
        cov = cv2.warpPerspective(
            ones,
            self.matrix,
            (w, h),
            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        return np.asarray(cov > 0)

    def check(self, cfg: AlignConfig) -> Alignment:
        """Fill :attr:`reasons` against ``cfg``'s limits; returns self."""
        r: list[str] = []
        layout = self.layout if np.isfinite(self.layout) else -1.0
        structure_ok = (
            np.isfinite(self.confidence)
            and self.confidence >= cfg.min_confidence
            and layout >= cfg.layout_floor
        )
        photo = self.photometric if np.isfinite(self.photometric) else -1.0
        preset = self.inliers >= cfg.min_inliers
        if not (structure_ok or layout >= cfg.min_layout or photo >= cfg.min_photometric or preset):
            r.append(
                f"structure correlation {self.confidence:.2f} (least {cfg.min_confidence:.2f}, "
                f"with layout at least {cfg.layout_floor:.2f}), layout correlation "
                f"{layout:.2f} (least {cfg.min_layout:.2f} alone), photometric fit "
                f"{photo:.2f} (least {cfg.min_photometric:.2f} alone)"
            )
        if self.coverage < cfg.min_coverage:
            r.append(f"reference covers {self.coverage:.0%} of the frame < {cfg.min_coverage:.0%}")
        z = self.zoom()
        if not cfg.zoom_range[0] <= z <= cfg.zoom_range[1]:
            r.append(f"zoom {z:.2f} outside {cfg.zoom_range[0]:g}-{cfg.zoom_range[1]:g}")
        if self.shear() > cfg.max_shear and not preset:
            r.append(f"shear {self.shear():.2f} > {cfg.max_shear:.2f}")
        self.reasons = r
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``matrix`` rounded)."""
        dx, dy = self.shift()
        return {
            "ok": self.ok,
            "confidence": round(self.confidence, 4),
            "coverage": round(self.coverage, 4),
            "consensus": round(self.consensus, 4),
            "layout": round(self.layout, 4),
            "photometric": round(self.photometric, 4),
            "inliers": int(self.inliers),
            "zoom": round(self.zoom(), 4),
            "angle": round(self.angle(), 3),
            "shift_px": [round(dx, 2), round(dy, 2)],
            "matrix": np.round(self.matrix / self.matrix[2, 2], 6).tolist(),
            "ms": round(self.ms, 2),
            "reasons": list(self.reasons),
        }


def _rgb_or_gray(img: np.ndarray) -> np.ndarray:
    """Float32 in [0, 1] of an RGB or grey image (uint8 scaled), channels kept."""
    a = np.asarray(img)
    out = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    return np.ascontiguousarray(out)


def _gray(img: np.ndarray) -> np.ndarray:
    """Float32 grey in [0, 1] of an (H, W) grey or (H, W, 3) RGB image (float or uint8)."""
    a = np.asarray(img)
    if a.ndim == 3 and a.shape[2] == 3:
        a = a.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    elif a.ndim != 2:
        raise CribwatchError(f"image must be (H, W) grey or (H, W, 3) RGB, got shape {a.shape}")
    a = a.astype(np.float32)
    if np.asarray(img).dtype == np.uint8:
        a = a / 255.0
    if not np.all(np.isfinite(a)):
        raise CribwatchError("image contains NaN or infinite values")
    return a


def _linear_light(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear light (float32)."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients by the normal equations (a few columns, many rows: no
    threaded LAPACK call), with a tiny ridge so a constant column cannot make it singular."""
    a = x.T @ x
    a[np.diag_indices_from(a)] += 1e-9 * (np.trace(a) / len(a) + 1e-12)
    return np.asarray(np.linalg.solve(a, x.T @ y))


def photometric_fit(
    night: np.ndarray, reference: np.ndarray, m3: np.ndarray, keep: float = 0.8, rounds: int = 3
) -> float:
    """How well the warped reference's colours explain the night frame's brightness: the
    night frame in linear light (blurred against the grain) is fitted as an offset plus a
    smooth illumination (a quadratic in the night frame's coordinates: the illuminator's
    vignetting) times a mix of the reference's linear R, G, B and max(R, G, B) (a NIR
    response: red weighs most, dyes bleach); the worst-fitting ``1 - keep`` of the covered
    pixels (objects in one view only) are left out and the fit repeated ``rounds`` times.
    Returns the correlation of the illumination-corrected night frame with the fitted mix
    over the kept pixels (about 1 for the same scene, low for another). ``night`` (H, W)
    grey and ``reference`` (H, W, 3) RGB or (H, W) grey on the same grid; ``m3`` maps night
    pixels to reference pixels."""
    n = _gray(night)
    h, w = n.shape
    ref = np.asarray(reference, np.float32)
    lin = _linear_light(ref)
    feats = np.dstack([lin, lin.max(axis=2)]) if lin.ndim == 3 else lin[..., None]
    warped = np.dstack(
        [
            cv2.warpPerspective(
                np.ascontiguousarray(feats[..., k]),
                m3,
                (w, h),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            )
            for k in range(feats.shape[2])
        ]
    ).reshape(h, w, -1)
    ones = np.ones(feats.shape[:2], np.float32)
    cov = (
        cv2.warpPerspective(ones, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP) > 0.99
    )
    if cov.sum() < 64:
        return -1.0
    nl = _linear_light(cv2.GaussianBlur(n, (0, 0), max(1.0, w / 160.0))).astype(np.float64)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    xx, yy = (xx - w / 2.0) / w, (yy - h / 2.0) / w
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], -1)
    f = warped.astype(np.float64)
    sel = cov.copy()
    gain = np.ones((h, w))
    coef = np.zeros(f.shape[2])
    off = 0.0
    for _ in range(max(1, rounds)):
        for _ in range(2):
            x = np.concatenate([f[sel] * gain[sel][:, None], np.ones((int(sel.sum()), 1))], 1)
            sol = _least_squares(x, nl[sel])
            coef, off = sol[:-1], float(sol[-1])
            mix = f @ coef
            v = _least_squares(basis[sel] * mix[sel][:, None], nl[sel] - off)
            gain = np.clip(basis @ v, 0.05, None)
        pred = off + gain * (f @ coef)
        res = cv2.GaussianBlur(np.abs(nl - pred).astype(np.float32), (0, 0), 3.0)
        sel = cov & (res <= np.quantile(res[cov], keep))
        if sel.sum() < 64:
            return -1.0
    t = (nl - off) / gain
    a, b = t[sel], (f @ coef)[sel]
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 0 else -1.0


def structure(gray: np.ndarray, cfg: AlignConfig, blur: float | None = None) -> np.ndarray:
    """Normalised gradient magnitude of a grey image (float32, same size): the magnitude of
    the Sobel gradient after a Gaussian blur (``blur``, default :attr:`AlignConfig.blur`),
    divided by its local RMS (a Gaussian window of :attr:`AlignConfig.norm_sigma`) plus half
    its global RMS, so dim corners count without lifting the grain of flat regions."""
    g = gray
    b = cfg.blur if blur is None else blur
    if b > 0:
        g = cv2.GaussianBlur(g, (0, 0), b, borderType=cv2.BORDER_REFLECT_101)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy)
    loc = np.sqrt(cv2.GaussianBlur(mag * mag, (0, 0), cfg.norm_sigma))
    glob = float(np.sqrt((mag * mag).mean()))
    out = mag / (loc + 0.5 * glob + 1e-6)
    return np.ascontiguousarray(out, dtype=np.float32)


def _work_size(h: int, w: int, side: int) -> tuple[int, int]:
    s = min(1.0, side / max(h, w))
    return max(8, round(h * s)), max(8, round(w * s))


def _to3(m: np.ndarray) -> np.ndarray:
    return m if m.shape == (3, 3) else np.vstack([m, [0.0, 0.0, 1.0]])


def _scale(m3: np.ndarray, s: float) -> np.ndarray:
    """The same map for images scaled by ``s`` (both frames)."""
    d = np.diag([s, s, 1.0])
    return np.asarray(d @ m3 @ np.linalg.inv(d))


def _score(tpl: np.ndarray, ref: np.ndarray, m3: np.ndarray) -> tuple[float, float]:
    """(normalised correlation over covered pixels, covered fraction) of the structure images
    under ``m3`` (template pixel -> ref pixel)."""
    h, w = tpl.shape
    warped = cv2.warpPerspective(ref, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    ones = np.ones(ref.shape, np.float32)
    cov = cv2.warpPerspective(ones, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    mask = cov > 0.99
    frac = float(mask.mean())
    if mask.sum() < 64:
        return -1.0, frac
    a, b = tpl[mask].astype(np.float64), warped[mask].astype(np.float64)
    a -= a.mean()
    b -= b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return (float((a * b).sum()) / den if den > 0 else -1.0), frac


def _plausible(m3: np.ndarray, cfg: AlignConfig) -> bool:
    """A working-level map within the accepted zoom and shear (same-size frames)."""
    a = m3[:2, :2] / m3[2, 2]
    det = float(np.linalg.det(a))
    if det <= 0:
        return False
    z = np.sqrt(det)
    if not cfg.zoom_range[0] <= z <= cfg.zoom_range[1]:
        return False
    u = a / z
    return float(np.abs(u.T @ u - np.eye(2)).max()) <= cfg.max_shear


def _consensus(tpl: np.ndarray, ref: np.ndarray, m3: np.ndarray, grid: int = 4) -> float:
    """Robust structure agreement: the median, over a ``grid`` x ``grid`` lattice of blocks, of
    each block's structure correlation (a block the reference covers less than half scores
    0), so one strong moved or pasted object cannot outvote the rest of the scene."""
    h, w = tpl.shape
    warped = cv2.warpPerspective(ref, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    ones = np.ones(ref.shape, np.float32)
    cov = cv2.warpPerspective(ones, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    vals = []
    for i in range(grid):
        for j in range(grid):
            ys = slice(i * h // grid, (i + 1) * h // grid)
            xs = slice(j * w // grid, (j + 1) * w // grid)
            m = cov[ys, xs] > 0.99
            if m.mean() < 0.5:
                vals.append(0.0)
                continue
            a = tpl[ys, xs][m].astype(np.float64)
            b = warped[ys, xs][m].astype(np.float64)
            a -= a.mean()
            b -= b.mean()
            den = float(np.sqrt((a * a).sum() * (b * b).sum()))
            vals.append(float((a * b).sum()) / den if den > 0 else 0.0)
    return float(np.median(vals))


def _select_score(tpl: np.ndarray, ref: np.ndarray, m3: np.ndarray) -> float:
    """Structure correlation with the pixels the reference does not cover counted as no match
    (so a warp cannot win by covering only a corner)."""
    score, frac = _score(tpl, ref, m3)
    return score * frac


def _feature_seed(night: np.ndarray, ref: np.ndarray, cfg: AlignConfig) -> np.ndarray | None:
    """A similarity (night pixel -> reference pixel, same-size working frames) from SIFT
    keypoints of the denoised, contrast-equalised frames matched with the ratio test and
    fitted with RANSAC; None when too few agree."""
    if cfg.features <= 0:
        return None
    sift = cv2.SIFT_create(nfeatures=cfg.features)
    clahe = cv2.createCLAHE(2.0, (4, 4))

    def prep(g: np.ndarray) -> np.ndarray:
        g = cv2.GaussianBlur(g, (0, 0), 1.5)
        lo, hi = float(g.min()), float(g.max())
        return clahe.apply(((g - lo) / (hi - lo + 1e-6) * 255).astype(np.uint8))

    k1, d1 = sift.detectAndCompute(prep(night), None)
    k2, d2 = sift.detectAndCompute(prep(ref), None)
    if d1 is None or d2 is None or len(k1) < 4 or len(k2) < 4:
        return None
    good = [m[0] for m in cv2.BFMatcher().knnMatch(d1, d2, k=2)
            if len(m) == 2 and m[0].distance < 0.85 * m[1].distance]  # fmt: skip
    if len(good) < 6:
        return None
    p = np.array([k1[g.queryIdx].pt for g in good], np.float32)
    q = np.array([k2[g.trainIdx].pt for g in good], np.float32)
    m, inl = cv2.estimateAffinePartial2D(
        p, q, method=cv2.RANSAC, ransacReprojThreshold=4.0, maxIters=2000
    )
    if m is None or inl is None or int(inl.sum()) < 6:
        return None
    return _to3(np.asarray(m, np.float64))


def _outlier_mask(tpl: np.ndarray, ref: np.ndarray, m3: np.ndarray, keep: float) -> np.ndarray:
    """uint8 mask (255 kept) of the template pixels whose blurred structure residual under
    ``m3`` lies in the lowest ``keep`` share: objects present in one view only (pasted,
    moved) stop pulling the warp."""
    h, w = tpl.shape
    warped = cv2.warpPerspective(ref, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    res = cv2.GaussianBlur(np.abs(tpl - warped), (0, 0), max(2.0, w / 80.0))
    return (res <= np.quantile(res, keep)).astype(np.uint8) * 255


def _ecc(
    tpl: np.ndarray,
    ref: np.ndarray,
    m3: np.ndarray,
    cfg: AlignConfig,
    mask: np.ndarray | None = None,
) -> np.ndarray | None:
    """One ECC refinement (None when it does not converge)."""
    motion = cv2.MOTION_HOMOGRAPHY if cfg.motion == "homography" else cv2.MOTION_AFFINE
    init = (m3 / m3[2, 2]).astype(np.float32)
    init = init if cfg.motion == "homography" else init[:2].copy()
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, cfg.iterations, 1e-5)
    try:
        _, out = cv2.findTransformECC(tpl, ref, init, motion, crit, mask, 1)
    except cv2.error:
        return None
    res = _to3(np.asarray(out, np.float64))
    return res if np.all(np.isfinite(res)) else None


def align(night: np.ndarray, reference: np.ndarray, cfg: AlignConfig | None = None) -> Alignment:
    """Register ``reference`` (RGB or grey, any size) to ``night`` (grey); returns the
    :class:`Alignment` with its :attr:`~Alignment.reasons` filled (no exception: see
    :func:`align_or_refuse`). A reference of another size is matched as if first resized to
    the night frame's size, and the matrix maps into its own pixels."""
    cfg = cfg or AlignConfig()
    t0 = time.perf_counter()
    n, r = _gray(night), _gray(reference)
    hn, wn = n.shape
    hr, wr = r.shape
    wh, ww = _work_size(hn, wn, cfg.work_side)
    sizes = [(max(8, round(wh / 2**k)), max(8, round(ww / 2**k))) for k in range(cfg.levels)]
    sizes = sizes[::-1]  # coarse -> fine
    pyr: list[tuple[np.ndarray, np.ndarray]] = []
    for k, (hh, w_) in enumerate(sizes):
        b = max(0.8, cfg.blur / 2 ** (len(sizes) - 1 - k)) if cfg.blur > 0 else 0.0
        nn = cv2.resize(n, (w_, hh), interpolation=cv2.INTER_AREA)
        rr = cv2.resize(r, (w_, hh), interpolation=cv2.INTER_AREA)
        pyr.append((structure(nn, cfg, b), structure(rr, cfg, b)))
    # seeds: phase correlation at the coarsest level against the reference turned and zoomed
    # by each (angle, zoom) of a small grid; the strongest peaks start ECC
    t0s, r0s = pyr[0]
    h0, w0 = t0s.shape
    win = cv2.createHanningWindow((w0, h0), cv2.CV_32F)
    c = np.array([(w0 - 1) / 2.0, (h0 - 1) / 2.0])
    peaks: list[tuple[float, np.ndarray]] = []
    for ang in cfg.seed_angles:
        for z in cfg.seed_zooms:
            t = np.deg2rad(ang)
            lin = z * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
            m = np.eye(3)
            m[:2, :2] = lin
            m[:2, 2] = c - lin @ c
            turned = cv2.warpPerspective(
                r0s, m, (w0, h0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            )
            (sx, sy), resp = cv2.phaseCorrelate(t0s, turned, win)
            m[:2, 2] += lin @ np.array([sx, sy])
            peaks.append((float(resp), m))
    peaks.sort(key=lambda x: -x[0])
    starts = [m for _, m in peaks[: cfg.seeds]] + [np.eye(3)]
    fine_h, fine_w = sizes[-1]
    feat = _feature_seed(
        cv2.resize(n, (fine_w, fine_h), interpolation=cv2.INTER_AREA),
        cv2.resize(r, (fine_w, fine_h), interpolation=cv2.INTER_AREA),
        cfg,
    )
    if feat is not None:
        starts.append(_scale(feat, w0 / fine_w))
    uniq = _dedupe(starts)
    cands = [_refine(pyr, sizes, m, cfg) for m in uniq]
    if cfg.blocks:
        cands += [_block_candidate(pyr, sizes, m) for m in uniq[: cfg.blocks]]
    scores = [_consensus(pyr[-1][0], pyr[-1][1], m) for m in cands]
    m3 = cands[int(np.argmax(scores))]
    res = _assess(n, reference, pyr, sizes, m3, float(max(scores)), cfg)
    if not res.ok and cfg.preset_features > 0:
        pre = _preset_homography(n, r, cfg)
        if pre is not None and pre[1] >= cfg.min_inliers:
            full_h, inl = pre
            mw = _to_work(full_h, (hn, wn), (hr, wr), sizes[-1])
            alt = _assess(n, reference, pyr, sizes, mw, _consensus(pyr[-1][0], pyr[-1][1], mw),
                          cfg, inliers=inl, full=full_h)  # fmt: skip
            if alt.ok:
                res = alt
    res.ms = 1000.0 * (time.perf_counter() - t0)
    return res


def align_keep(
    night: np.ndarray,
    reference: np.ndarray,
    prior: np.ndarray | Alignment,
    cfg: AlignConfig | None = None,
    margin: float = 0.1,
) -> Alignment:
    """:func:`align` with a prior: the night -> reference map accepted last (or the identity
    for a reference taken by the same camera whose view has not moved) is kept unless a new
    estimate is *clearly* better: accepted, and its consensus (median block-wise structure
    correlation) above the prior's on this frame by more than ``margin``. A stream or a
    reference bank re-choosing after a refresh then does not trade a right warp for an
    ambiguous one (on structure-poor scenes the search can land elsewhere with about the
    same score). The kept prior is re-scored and re-checked on this frame; when the rule
    refuses it, the new estimate is returned."""
    cfg = cfg or AlignConfig()
    t0 = time.perf_counter()
    m_prior = np.asarray(prior.matrix if isinstance(prior, Alignment) else prior, np.float64)
    new = align(night, reference, cfg)
    n, r = _gray(night), _gray(reference)
    hn, wn = n.shape
    hr, wr = r.shape
    wh, ww = _work_size(hn, wn, cfg.work_side)
    b = max(0.8, cfg.blur) if cfg.blur > 0 else 0.0
    tn = structure(cv2.resize(n, (ww, wh), interpolation=cv2.INTER_AREA), cfg, b)
    tr = structure(cv2.resize(r, (ww, wh), interpolation=cv2.INTER_AREA), cfg, b)
    mw = _to_work(_to3(m_prior), (hn, wn), (hr, wr), (wh, ww))
    cons = _consensus(tn, tr, mw)
    kept = _assess(n, reference, [(tn, tr)], [(wh, ww)], mw, cons, cfg, full=_to3(m_prior))
    if kept.ok and not (new.ok and new.consensus > cons + margin):
        new = kept
    new.ms = 1000.0 * (time.perf_counter() - t0)
    return new


def _assess(
    n: np.ndarray,
    reference: np.ndarray,
    pyr: list[tuple[np.ndarray, np.ndarray]],
    sizes: list[tuple[int, int]],
    m3: np.ndarray,
    consensus: float,
    cfg: AlignConfig,
    inliers: int = 0,
    full: np.ndarray | None = None,
) -> Alignment:
    """The :class:`Alignment` of finest-level map ``m3`` (its scores and the rule's verdict);
    ``full`` overrides the full-resolution matrix (the preset candidate's own)."""
    hn, wn = n.shape
    rr = np.asarray(reference)
    hr, wr = int(rr.shape[0]), int(rr.shape[1])
    conf, frac = _score(pyr[-1][0], pyr[-1][1], m3)
    fh, fw = sizes[-1]
    r = _gray(reference)
    sig = max(1.0, fw / 50.0)
    blur_n = cv2.GaussianBlur(cv2.resize(n, (fw, fh), interpolation=cv2.INTER_AREA), (0, 0), sig)
    blur_r = cv2.GaussianBlur(cv2.resize(r, (fw, fh), interpolation=cv2.INTER_AREA), (0, 0), sig)
    layout, _ = _score(blur_n, blur_r, m3)
    ph, pw = max(8, fh // 2), max(8, fw // 2)  # half the working size: a fit, not a search
    photo = photometric_fit(
        cv2.resize(n, (pw, ph), interpolation=cv2.INTER_AREA),
        cv2.resize(_rgb_or_gray(reference), (pw, ph), interpolation=cv2.INTER_AREA),
        _scale(m3, pw / fw),
        cfg.photometric_keep,
    )
    res = Alignment(
        matrix=_centre_fix(m3, (hn, wn), (hr, wr), sizes[-1]) if full is None else full,
        confidence=float(conf),
        coverage=float(frac),
        consensus=consensus,
        layout=float(layout),
        photometric=float(photo),
        night_size=(hn, wn),
        ref_size=(hr, wr),
        inliers=int(inliers),
    )
    return res.check(cfg)


def _to_work(
    full: np.ndarray, night: tuple[int, int], ref: tuple[int, int], work: tuple[int, int]
) -> np.ndarray:
    """The inverse of :func:`_centre_fix`: a full-resolution map at the working size."""
    (hn, wn), (hr, wr), (fh, fw) = night, ref, work

    def grid(sx: float, sy: float) -> np.ndarray:
        return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])

    return np.asarray(grid(fw / wr, fh / hr) @ full @ np.linalg.inv(grid(fw / wn, fh / hn)))


def _u8(g: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(g, [0.5, 99.5])
    return (np.clip((g - lo) / (hi - lo + 1e-6), 0, 1) * 255).astype(np.uint8)


def _rootsift(g: np.ndarray, cfg: AlignConfig) -> tuple[list[Any], np.ndarray | None, float]:
    """RootSIFT keypoints and descriptors of grey ``g`` (denoised, CLAHE) at most
    :attr:`AlignConfig.preset_side` on the longer side, and that scale."""
    s = min(1.0, cfg.preset_side / max(g.shape))
    if s < 1.0:
        g = cv2.resize(g, (round(g.shape[1] * s), round(g.shape[0] * s)),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    x = cv2.createCLAHE(2.0, (8, 8)).apply(_u8(cv2.GaussianBlur(g, (0, 0), 1.0)))
    k, d = cv2.SIFT_create(nfeatures=cfg.preset_features).detectAndCompute(x, None)
    if d is None:
        return list(k), None, s
    d = d / (np.abs(d).sum(1, keepdims=True) + 1e-7)
    return list(k), np.sqrt(d).astype(np.float32), s


def _preset_homography(
    n: np.ndarray, r: np.ndarray, cfg: AlignConfig
) -> tuple[np.ndarray, int] | None:
    """A full-resolution night -> reference homography from RootSIFT matches (ratio test,
    USAC MAGSAC at 3 px) and its inlier count; None when too few match. R. Arandjelovic and
    A. Zisserman, "Three things everyone should know to improve object retrieval", CVPR 2012
    (RootSIFT); D. Barath et al., "MAGSAC++", CVPR 2020."""
    k1, d1, s1 = _rootsift(n, cfg)
    k2, d2, s2 = _rootsift(r, cfg)
    if d1 is None or d2 is None or len(k1) < 8 or len(k2) < 8:
        return None
    good = [m[0] for m in cv2.BFMatcher().knnMatch(d1, d2, k=2)
            if len(m) == 2 and m[0].distance < cfg.preset_ratio * m[1].distance]  # fmt: skip
    if len(good) < 8:
        return None
    p = np.array([k1[g.queryIdx].pt for g in good], np.float32) / s1
    q = np.array([k2[g.trainIdx].pt for g in good], np.float32) / s2
    h, inl = cv2.findHomography(p, q, cv2.USAC_MAGSAC, 3.0 / min(s1, s2), maxIters=5000,
                                confidence=0.999)  # fmt: skip
    if h is None or inl is None or not np.all(np.isfinite(h)):
        return None
    return np.asarray(h, np.float64), int(inl.sum())


def _dedupe(starts: list[np.ndarray], tol: float = 1.0) -> list[np.ndarray]:
    """Starts that differ (by more than ``tol`` coarse pixels at the frame corners)."""
    out: list[np.ndarray] = []
    corners = np.array([[0, 0, 1], [40, 0, 1], [0, 30, 1], [40, 30, 1]], np.float64).T
    for m in starts:
        p = m @ corners
        if all(np.abs(p - q @ corners).max() > tol for q in out):
            out.append(m)
    return out


def _refine(
    pyr: list[tuple[np.ndarray, np.ndarray]],
    sizes: list[tuple[int, int]],
    start: np.ndarray,
    cfg: AlignConfig,
) -> np.ndarray:
    """A coarsest-level start refined by ECC level by level (a level's result is kept only when
    it is plausible and does not lower the structure agreement); the finest-level map."""
    m3 = start
    for k in range(len(pyr)):
        if k:
            m3 = _scale(m3, sizes[k][1] / sizes[k - 1][1])
        before = _select_score(pyr[k][0], pyr[k][1], m3)
        e = _ecc(pyr[k][0], pyr[k][1], m3, cfg)
        if e is not None and _plausible(e, cfg):
            if _select_score(pyr[k][0], pyr[k][1], e) >= before:
                m3 = e
        for _ in range(cfg.robust_passes):
            mask = _outlier_mask(pyr[k][0], pyr[k][1], m3, cfg.robust_keep)
            e = _ecc(pyr[k][0], pyr[k][1], m3, cfg, mask)
            if e is not None and _plausible(e, cfg):
                m3 = e
    return m3


def _parabola(a: float, b: float, c: float) -> float:
    """Sub-pixel offset of a peak ``b`` between ``a`` and ``c`` (0 when not a maximum)."""
    den = a - 2.0 * b + c
    return 0.5 * (a - c) / den if den < 0 else 0.0


def _block_refine(
    tpl: np.ndarray,
    ref: np.ndarray,
    m3: np.ndarray,
    patch: int,
    search: int,
    grid: tuple[int, int],
    similarity: bool,
) -> tuple[np.ndarray, int]:
    """Robust block matching: the reference warped by ``m3``, each informative patch of a
    ``grid`` of the template found in it (normalised cross-correlation within ``search``
    pixels, sub-pixel peak), and an affine (or similarity) fitted to the matches with RANSAC,
    so a moved or pasted object is outvoted by the rest of the scene. Returns the new map
    and its inlier count (``m3`` and 0 when too few patches match)."""
    h, w = tpl.shape
    wr = cv2.warpPerspective(ref, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    half = patch // 2
    pts, found = [], []
    gy, gx = grid
    for i in range(gy):
        for j in range(gx):
            cy = int(round(half + search + (h - 2 * (half + search) - 1) * i / max(1, gy - 1)))
            cx = int(round(half + search + (w - 2 * (half + search) - 1) * j / max(1, gx - 1)))
            t = tpl[cy - half : cy + half, cx - half : cx + half]
            sw = wr[
                cy - half - search : cy + half + search, cx - half - search : cx + half + search
            ]
            if t.std() < 1e-3 or sw.shape != (patch + 2 * search, patch + 2 * search):
                continue
            if sw.std() < 1e-3:
                continue
            r = cv2.matchTemplate(sw, t, cv2.TM_CCOEFF_NORMED)
            _, peak, _, (x, y) = cv2.minMaxLoc(r)
            if peak < 0.2:
                continue
            dx = _parabola(r[y, x - 1], r[y, x], r[y, x + 1]) if 0 < x < r.shape[1] - 1 else 0.0
            dy = _parabola(r[y - 1, x], r[y, x], r[y + 1, x]) if 0 < y < r.shape[0] - 1 else 0.0
            px, py = cx - 0.5, cy - 0.5
            pts.append((px, py))
            found.append((px + x + dx - search, py + y + dy - search))
    if len(pts) < 6:
        return m3, 0
    p = np.asarray(pts, np.float64)
    q = np.hstack([np.asarray(found, np.float64), np.ones((len(found), 1))]) @ m3.T
    q = q[:, :2] / q[:, 2:3]
    fit = cv2.estimateAffinePartial2D if similarity else cv2.estimateAffine2D
    m, inl = fit(
        p.astype(np.float32),
        q.astype(np.float32),
        method=cv2.RANSAC,
        ransacReprojThreshold=1.5,
        maxIters=2000,
        confidence=0.999,
        refineIters=20,
    )
    if m is None or inl is None:
        return m3, 0
    return _to3(np.asarray(m, np.float64)), int(inl.sum())


def _block_candidate(
    pyr: list[tuple[np.ndarray, np.ndarray]], sizes: list[tuple[int, int]], start: np.ndarray
) -> np.ndarray:
    """A coarsest-level start refined by block matching: a wide search at the level below
    the finest, then two narrow passes at the finest (finest-level map)."""
    m3 = start
    lv = max(0, len(pyr) - 2)
    for k in range(1, lv + 1):
        m3 = _scale(m3, sizes[k][1] / sizes[k - 1][1])
    hh, ww = sizes[lv]
    m3, _ = _block_refine(pyr[lv][0], pyr[lv][1], m3, max(16, ww // 7), max(8, ww // 6),
                          (6, 8), similarity=True)  # fmt: skip
    if lv != len(pyr) - 1:
        m3 = _scale(m3, sizes[-1][1] / ww)
    fh, fw = sizes[-1]
    for _ in range(2):
        m3, _ = _block_refine(pyr[-1][0], pyr[-1][1], m3, max(16, fw // 10), max(4, fw // 50),
                              (8, 10), similarity=False)  # fmt: skip
    return m3


def _centre_fix(
    m3: np.ndarray, night: tuple[int, int], ref: tuple[int, int], work: tuple[int, int]
) -> np.ndarray:
    """Full-resolution map from a working-resolution one, with pixel centres at integers on
    every grid (``u_work = (u_full + 0.5) / s - 0.5``)."""
    (hn, wn), (hr, wr), (fh, fw) = night, ref, work

    def grid(sx: float, sy: float) -> np.ndarray:
        # full -> work: u_w = (u_f + 0.5) * sx - 0.5
        return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])

    n2w = grid(fw / wn, fh / hn)
    r2w = grid(fw / wr, fh / hr)
    return np.asarray(np.linalg.inv(r2w) @ m3 @ n2w)


def align_or_refuse(
    night: np.ndarray,
    reference: np.ndarray,
    cfg: AlignConfig | None = None,
    name: str = "reference",
) -> Alignment:
    """:func:`align`, refusing (one line naming ``name``) when the views do not match."""
    res = align(night, reference, cfg)
    if not res.ok:
        raise CribwatchError(
            f"{name}: does not match the night view ({'; '.join(res.reasons)}); "
            "a reference of another scene or preset?"
        )
    return res


def structure_agreement(
    night: np.ndarray, warped_reference: np.ndarray, cfg: AlignConfig | None = None
) -> float:
    """Structure correlation of a night frame with a reference already warped onto it, at a
    small working size (about 80x60: a few milliseconds): the cheap per-frame check that the
    view has not moved since the warp was estimated."""
    cfg = cfg or AlignConfig()
    n, r = _gray(night), _gray(warped_reference)
    if n.shape != r.shape:
        raise CribwatchError(f"night {n.shape} and warped reference {r.shape} differ in size")
    hh, ww = _work_size(int(n.shape[0]), int(n.shape[1]), max(32, cfg.work_side // 4))
    b = max(0.8, cfg.blur / 4)
    a = structure(cv2.resize(n, (ww, hh), interpolation=cv2.INTER_AREA), cfg, b)
    c = structure(cv2.resize(r, (ww, hh), interpolation=cv2.INTER_AREA), cfg, b)
    return _score(a, c, np.eye(3))[0]


def fill_uncovered(
    rgb: np.ndarray, covered: np.ndarray, margin: int = 2, sigma: float = 6.0
) -> np.ndarray:
    """``rgb`` (H, W, 3 float in [0, 1]) with the colour (Lab a, b) of the pixels outside
    ``covered`` taken from the nearest covered pixel (at least ``margin`` pixels inside the
    covered region, where the reference's edge no longer shows), smoothed (Gaussian
    ``sigma``) so the fill carries no streaks; lightness stays the output's own. Pixels a
    warped reference does not cover then take the colour of the scene next to them instead
    of the reference's mirrored edge."""
    out = np.asarray(rgb, np.float32)
    cov = np.asarray(covered, bool)
    if cov.shape != out.shape[:2]:
        raise CribwatchError(f"coverage {cov.shape} and image {out.shape[:2]} differ in size")
    if cov.all() or not cov.any():
        return out
    src = cov
    if margin > 0:
        k = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
        eroded = cv2.erode(cov.astype(np.uint8), k, borderType=cv2.BORDER_REPLICATE) > 0
        if eroded.any():
            src = eroded
    lab = cv2.cvtColor(np.ascontiguousarray(np.clip(out, 0, 1)), cv2.COLOR_RGB2Lab)
    _, labels = cv2.distanceTransformWithLabels(
        (~src).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(src)
    lut_y = np.zeros(int(labels.max()) + 1, np.int64)
    lut_x = np.zeros_like(lut_y)
    lut_y[labels[ys, xs]] = ys
    lut_x[labels[ys, xs]] = xs
    near = lab[lut_y[labels], lut_x[labels]]
    ab = near[..., 1:]
    if sigma > 0:
        ab = cv2.GaussianBlur(np.ascontiguousarray(ab), (0, 0), sigma)
    hole = ~cov
    lab[hole, 1:] = ab[hole]
    filled = np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0)
    res = out.copy()
    res[hole] = filled[hole]
    return res


def _nearest_fill(ab: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Each pixel's value of ``ab`` (H, W, C) at the nearest pixel of ``src`` (bool)."""
    _, labels = cv2.distanceTransformWithLabels(
        (~src).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(src)
    lut_y = np.zeros(int(labels.max()) + 1, np.int64)
    lut_x = np.zeros_like(lut_y)
    lut_y[labels[ys, xs]] = ys
    lut_x[labels[ys, xs]] = xs
    return np.asarray(ab[lut_y[labels], lut_x[labels]])


def _wide_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; a wide one is done on a downsampled copy (sigma about 2 there) and
    upsampled, so its cost does not grow with ``sigma``."""
    if sigma <= 3.0:
        return np.asarray(cv2.GaussianBlur(x, (0, 0), sigma))
    h, w = x.shape[:2]
    q = sigma / 2.0
    sh, sw = max(2, round(h / q)), max(2, round(w / q))
    small = cv2.resize(x, (sw, sh), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 2.0 * min(sw / w, sh / h) * q)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def fill_guided(
    rgb: np.ndarray,
    covered: np.ndarray,
    night: np.ndarray,
    margin: int = 2,
    bins: int = 8,
    sigmas: tuple[float, ...] = (4.0, 12.0, 36.0, 96.0),
    side: int = 120,
) -> np.ndarray:
    """``rgb`` with the colour (Lab a, b) of the pixels outside ``covered`` from
    :func:`guided_fill_map` (see there); lightness stays the output's own."""
    cov = np.asarray(covered, bool)
    if cov.shape != np.shape(rgb)[:2]:
        raise CribwatchError(f"coverage {cov.shape} and image {np.shape(rgb)[:2]} differ in size")
    if cov.all() or not cov.any():
        return np.asarray(rgb, np.float32)
    return apply_fill(rgb, cov, guided_fill_map(rgb, cov, night, margin, bins, sigmas, side))


def apply_fill(rgb: np.ndarray, covered: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """``rgb`` with the Lab a, b of the pixels outside ``covered`` set from ``ab`` (H, W, 2):
    only those pixels are converted; ``rgb`` is left as it is (:func:`apply_fill_plan` on a
    copy; a stream makes the plan once and fills in place)."""
    return apply_fill_plan(np.array(rgb, np.float32, order="C"), fill_plan(covered), ab)


EDGE_PX = 2
"""The edge-strip rule's width used by the live monitor and :class:`~cribwatch.color.api.Colorizer`
by default (:func:`fill_plan`): uncovered strips at most this many pixels wide count as
covered."""


@dataclass(frozen=True)
class FillPlan:
    """What filling the pixels a warped reference does not cover needs, computed once per
    warp (:func:`fill_plan`); :func:`apply_fill_plan` then colours a frame's hole in place."""

    covered: np.ndarray
    """(H, W) bool: the pixels the warped reference colours (thin edge strips included when
    :attr:`edge_px` > 0); :func:`guided_fill_map` takes its colour from these."""
    hole: np.ndarray
    """Flat (row-major) int64 indices of the pixels to fill (``~covered``)."""
    edge_px: int
    """The edge-strip rule it was made with (0: every uncovered pixel is filled)."""

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the frames it applies to."""
        return (int(self.covered.shape[0]), int(self.covered.shape[1]))

    @property
    def needed(self) -> bool:
        """Whether there is anything to fill (some pixels to fill and some to take colour
        from)."""
        return 0 < self.hole.size < self.covered.size

    def fill_map(self, rgb: np.ndarray, night: np.ndarray) -> np.ndarray:
        """:func:`guided_fill_map` of ``rgb`` over this plan's coverage."""
        return guided_fill_map(rgb, self.covered, night)


def fill_plan(covered: np.ndarray | Alignment, edge_px: int = 0) -> FillPlan:
    """The :class:`FillPlan` of ``covered`` ((H, W) bool, or an :class:`Alignment`, whose
    :meth:`~Alignment.covered` is taken): the hole's indices, computed once per warp.

    ``edge_px`` > 0 is the *edge-strip rule*: uncovered strips along the frame edge at most
    ``edge_px`` pixels wide count as covered (a morphological opening of the hole with a
    ``2 * edge_px + 1`` square, the frame's outside counted as hole): the warp's mirrored edge
    (:meth:`Alignment.warp`) colours them. A same-camera reference warped by a sub-pixel
    shift leaves a one-pixel border uncovered (coverage about 0.99); without the rule that
    border is filled on every frame for nothing visible. Wider strips (a real shift) are
    filled whole, as with 0. ``edge_px=0`` gives exactly :func:`apply_fill`'s result."""
    if edge_px < 0:
        raise CribwatchError(f"edge_px must be 0 or more, not {edge_px}")
    cov = np.asarray(covered.covered() if isinstance(covered, Alignment) else covered, bool)
    if cov.ndim != 2:
        raise CribwatchError(f"coverage must be (H, W), got shape {cov.shape}")
    if edge_px > 0 and not cov.all():
        k = np.ones((2 * edge_px + 1, 2 * edge_px + 1), np.uint8)
        # opening: erosion counts the outside as hole (an edge strip's own width decides),
        # dilation ignores it (nothing beyond the frame grows back in)
        hole = cv2.dilate(cv2.erode((~cov).astype(np.uint8), k), k)
        cov = np.asarray(hole == 0)
    cov = np.array(cov, bool, order="C")  # its own copy (the caller's stays writable)
    cov.flags.writeable = False
    return FillPlan(cov, np.flatnonzero(~cov), int(edge_px))


def apply_fill_plan(rgb: np.ndarray, plan: FillPlan, ab: np.ndarray) -> np.ndarray:
    """:func:`apply_fill` with a :class:`FillPlan`: the Lab a, b of the plan's hole pixels set
    from ``ab`` ((H, W, 2), e.g. :meth:`FillPlan.fill_map`), *in place* when ``rgb`` is a
    writable C-contiguous float32 array (otherwise on a float32 copy); returns the result.
    Only the hole's pixels are touched: no full-frame mask or copy per frame."""
    out = np.asarray(rgb, np.float32)
    if out.shape[:2] != plan.shape:
        raise CribwatchError(f"fill plan {plan.shape} and image {out.shape[:2]} differ in size")
    if not plan.hole.size:
        return out
    if not (out.flags.c_contiguous and out.flags.writeable):
        out = np.array(out, np.float32, order="C")
    flat = out.reshape(-1, 3)
    hole = plan.hole
    px = np.ascontiguousarray(np.clip(flat[hole], 0, 1)[:, None, :])
    lab = cv2.cvtColor(px, cv2.COLOR_RGB2Lab)
    lab[:, 0, 1:] = np.asarray(ab).reshape(-1, 2)[hole]
    flat[hole] = np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)[:, 0, :], 0.0, 1.0)
    return out


def guided_fill_map(
    rgb: np.ndarray,
    covered: np.ndarray,
    night: np.ndarray,
    margin: int = 2,
    bins: int = 8,
    sigmas: tuple[float, ...] = (4.0, 12.0, 36.0, 96.0),
    side: int = 120,
) -> np.ndarray:
    """Lab (a, b) map (H, W, 2) for the pixels outside ``covered``, taken from covered
    pixels nearby *of similar night brightness* (a joint-bilateral fill: ``bins`` soft bins
    of the night frame's blurred grey, each a normalised Gaussian convolution of the covered
    pixels' colour, tried from the smallest of ``sigmas`` (full-size pixels) up until enough
    covered pixels are in reach; where none is, the nearest covered colour). Computed at
    about ``side`` pixels on the short side (colour is smooth; a few ms per frame) and
    upsampled. A sky that darkens towards an edge keeps its gradient's colours instead of the
    edge's one. ``covered`` must hold some covered pixels."""
    out = np.asarray(rgb, np.float32)
    cov = np.asarray(covered, bool)
    h, w = cov.shape
    src = cov
    if margin > 0:
        k = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
        eroded = cv2.erode(cov.astype(np.uint8), k, borderType=cv2.BORDER_REPLICATE) > 0
        if eroded.any():
            src = eroded
    f = min(1.0, side / min(h, w))
    sh, sw = max(8, round(h * f)), max(8, round(w * f))
    wsrc = cv2.resize(src.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
    inside = wsrc > 0.99
    if not inside.any():
        near = fill_uncovered(out, cov, margin)
        return np.asarray(cv2.cvtColor(near, cv2.COLOR_RGB2Lab)[..., 1:])
    masked = np.ascontiguousarray(np.clip(out, 0, 1) * src[..., None])
    small = cv2.resize(masked, (sw, sh), interpolation=cv2.INTER_AREA)
    small = np.clip(small / np.maximum(wsrc, 1e-6)[..., None], 0, 1).astype(np.float32)
    ab = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_RGB2Lab)[..., 1:])
    g = cv2.resize(_gray(night), (sw, sh), interpolation=cv2.INTER_AREA)
    g = cv2.GaussianBlur(g, (0, 0), max(0.5, 2.0 * f))
    lo, hi = np.percentile(g[inside], [1, 99])
    pos = np.clip((g - lo) / max(float(hi - lo), 1e-6), 0, 1) * (bins - 1)
    phis = [np.clip(1.0 - np.abs(pos - b), 0, 1).astype(np.float32) for b in range(bins)]
    wk = inside.astype(np.float32)
    fill = cv2.GaussianBlur(_nearest_fill(ab, inside), (0, 0), max(0.5, 6.0 * f))
    done = inside.copy()
    for sig in sigmas:
        if done.all():
            break
        num = np.zeros((sh, sw, 2), np.float32)
        den = np.zeros((sh, sw), np.float32)
        s_ = max(0.5, sig * f)
        for phi in phis:
            d = _wide_blur(wk * phi, s_)
            a = _wide_blur(np.ascontiguousarray(ab * (wk * phi)[..., None]), s_)
            num += phi[..., None] * a
            den += phi * d
        ok = (den > 0.02) & ~done
        fill[ok] = num[ok] / den[ok, None]
        done |= ok
    return np.asarray(cv2.resize(fill, (w, h), interpolation=cv2.INTER_LINEAR))


def clopper_pearson(k: int, n: int, level: float = 0.95) -> list[float]:
    """Exact (Clopper-Pearson) interval of a rate ``k / n``; [0, 1] when ``n`` is 0."""
    if n <= 0:
        return [0.0, 1.0]
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return [round(lo, 4), round(hi, 4)]


def registration_error(
    est: np.ndarray, truth: np.ndarray, size: tuple[int, int], grid: int = 10
) -> float:
    """Mean distance (reference pixels) between two night -> reference maps over a ``grid`` x
    ``grid`` lattice of night-frame points."""
    h, w = size
    xs, ys = np.meshgrid(np.linspace(0, w - 1, grid), np.linspace(0, h - 1, grid))
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)], axis=1)

    def apply(m: np.ndarray) -> np.ndarray:
        p = pts @ _to3(np.asarray(m, np.float64)).T
        return p[:, :2] / p[:, 2:3]

    return float(np.linalg.norm(apply(est) - apply(truth), axis=1).mean())


__all__ = [
    "AlignConfig",
    "Alignment",
    "align",
    "align_keep",
    "align_or_refuse",
    "apply_fill",
    "apply_fill_plan",
    "EDGE_PX",
    "FillPlan",
    "fill_plan",
    "fill_guided",
    "guided_fill_map",
    "fill_uncovered",
    "photometric_fit",
    "measure",
    "clopper_pearson",
    "FRAMES",
    "registration_error",
    "structure_agreement",
    "structure",
]


FRAMES: tuple[str, ...] = ("auto", "night")
"""Which frame :func:`measure` registers: ``auto`` the pair's alignment frame (``align.png``,
the mean of several night frames, ``make-pairs --align-frames``) where there is one, else the
night frame; ``night`` always the single night frame."""


def measure(
    pairs: list[Any],
    cfg: AlignConfig | None = None,
    progress: Progress | None = None,
    fail_px: float = 3.0,
    frame: str = "auto",
) -> dict[str, Any]:
    """Registration on pairs with a known warp (``meta.json`` ``ref_warp``, from ``color
    make-pairs --ref-warp``): error p50/p90 (reference pixels, mean over a 10x10 lattice),
    failure rate (error above ``fail_px``), right-scene refusals, and wrong-scene refusals
    (each night frame against the reference of the next pair of another scene), with 95%
    Clopper-Pearson intervals for the three rates. ``frame`` (:data:`FRAMES`) says which
    night frame is registered."""
    cfg = cfg or AlignConfig()
    if frame not in FRAMES:
        raise CribwatchError(f"--frame: unknown {frame!r} ({', '.join(FRAMES)})")
    known = [p for p in pairs if isinstance(p.meta.get("ref_warp"), dict)]
    if not known:
        raise CribwatchError("no pairs with a known reference warp (make-pairs --ref-warp)")
    errs, right_ok, wrong_ok, ms = [], [], [], []
    used = 0
    for i, p in enumerate(known):
        src = getattr(p, "align", None) if frame == "auto" else None
        used += src is not None
        n, r = read_gray(src if src is not None else p.night), read_rgb(p.reference)
        a = align(n, r, cfg)
        truth = np.asarray(p.meta["ref_warp"]["night_to_reference"], np.float64)
        errs.append(registration_error(a.matrix, truth, n.shape))
        right_ok.append(a.ok)
        ms.append(a.ms)
        j = (i + 1) % len(known)
        while known[j].meta.get("scene") == p.meta.get("scene") and j != i:
            j = (j + 1) % len(known)
        if j != i:
            wrong_ok.append(align(n, read_rgb(known[j].reference), cfg).ok)
        report(progress, i + 1, len(known))
    e = np.asarray(errs)
    fails = int((e > fail_px).sum())
    refused = int(len(right_ok) - np.sum(right_ok))
    wrong_refused = int(len(wrong_ok) - np.sum(wrong_ok))
    return {
        "n": len(known),
        "alignment_frames": used,
        "failure_interval": clopper_pearson(fails, len(known)),
        "right_refused_interval": clopper_pearson(refused, len(right_ok)),
        "wrong_refused_interval": clopper_pearson(wrong_refused, len(wrong_ok)),
        "error_px_p50": float(np.percentile(e, 50)),
        "error_px_p90": float(np.percentile(e, 90)),
        "failure_rate": float((e > fail_px).mean()),
        "fail_px": fail_px,
        "right_refused": float(1.0 - np.mean(right_ok)),
        "wrong_refused": float(1.0 - np.mean(wrong_ok)) if wrong_ok else float("nan"),
        "accepted_failures": float(
            np.mean([(x > fail_px) and ok for x, ok in zip(e, right_ok, strict=True)])
        ),
        "ms_p50": float(np.median(ms)),
    }

"""Change evidence for the reference-copy gate: where does the night frame disagree with the
day reference, beyond what the SSIM map sees?

The SSIM map (:mod:`cribwatch.color.mask`) compares local *structure*. A recoloured blanket keeps
its structure and changes only its hue, so the map misses it; but the night camera's
near-infrared response depends on the colour (:mod:`cribwatch.sim.night`: a weighted sum of
the linear R, G, B plus a share of their maximum), so the night frame's *intensity* there no
longer follows the reference. This module measures that, on frames at model resolution
(NumPy + OpenCV, no torch, so the deployable runtime can compute it too):

1. :func:`nir_fit`: a robust per-image model of the night frame from the reference,
   ``night ~ (w . [R, G, B, max(R, G, B)]) * (1 + poly2(x, y)) + c`` (linear-light reference
   channels; the polynomial gain stands for the illuminator's vignetting), fitted by
   alternating trimmed least squares (each round keeps the ``trim`` share of pixels with the
   smallest residuals, so changed regions drop out of the fit).
2. :func:`evidence_features`: the residual's magnitude (blurred, in units of the night frame's
   own noise level), its signed local mean, the residual outside the 3x3 envelope of the
   prediction (tolerates a pixel or two of misalignment), a census-transform distance, a local
   normalised cross-correlation of intensities and ``1 - SSIM map``.
3. :func:`change_probability`: a logistic classifier over those maps (and their
   ``log1p``), fitted on training pairs' true change masks (:func:`fit_logistic`).

Cost: the reference's half of every map (its linear colours and the fit's design rows, its
census bits, its local mean and variance) is :class:`EvidenceReference`, computed once per
reference; :func:`evidence_stack` fits on every 2nd pixel of every 2nd row in 6 rounds
(:data:`FIT_STRIDE`, :data:`FIT_ROUNDS`: the fit the shipped classifier was fitted with and its
validation and held-out numbers measured with; ``stride=4, rounds=8`` is a cheaper fit, about
1-2 ms less per frame, that moved the validation metrics beyond the tolerance set for keeping
it as the default); :class:`EvidenceState` keeps the reference's half and the NIR model across
the frames of a stream (refit every N frames, or at once when the residual level drifts).
Measured: docs/results/color.md, "Issue 26, session 4: making the evidence cheap".

Measured as a detector of the generator's changed pixels on validation pairs (ROC AUC, per pixel
at model resolution, pooled): see docs/results/color.md, "Change evidence for the gate".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy import sparse

from cribwatch.errors import CribwatchError
from cribwatch.io import read_json_object

FEATURES: tuple[str, ...] = (
    "ssim",
    "resid",
    "resid_signed",
    "envelope",
    "census",
    "ncc",
)
"""Names of the evidence maps, in the order :func:`evidence_stack` stacks them."""


@lru_cache(maxsize=16)
def resample_matrix(n_in: int, n_out: int) -> sparse.csr_matrix:
    """``(n_out, n_in)`` weights of an antialiased bilinear (triangle) resize along one axis,
    as PIL and ``torch.nn.functional.interpolate(..., mode="bilinear", antialias=True)``
    compute them (the filter widened by the scale when shrinking; half-pixel centres)."""
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support = fscale  # the triangle's support (1) times the scale
    rows, cols, vals = [], [], []
    for i in range(n_out):
        centre = scale * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        j = np.arange(lo, hi)
        w = np.clip(1.0 - np.abs((j - centre + 0.5) / fscale), 0.0, None)
        total = w.sum()
        if total > 0:
            w = w / total
        rows += [i] * len(j)
        cols += list(j)
        vals += list(w)
    return sparse.csr_matrix(
        (np.asarray(vals, np.float32), (rows, cols)), shape=(n_out, n_in), dtype=np.float32
    )


def resize_aa(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` or ``(H, W, C)`` float image resized to ``size`` (h, w) as
    :func:`cribwatch.color.lab.resize` does in torch (antialiased bilinear), without torch: the
    evidence is sensitive to the resize filter (its noise normalisation sees the filter)."""
    h, w = size
    if img.shape[:2] == (h, w):
        return img.astype(np.float32, copy=False)
    mh, mw = resample_matrix(img.shape[0], h), resample_matrix(img.shape[1], w)
    planes = [img] if img.ndim == 2 else [img[..., c] for c in range(img.shape[2])]
    out = [np.asarray((mw @ (mh @ p.astype(np.float32)).T).T, np.float32) for p in planes]
    return out[0] if img.ndim == 2 else np.stack(out, axis=2)


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(x, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear light."""
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


FIT_STRIDE = 2
"""Default pixel grid of the NIR fit in :func:`evidence_maps`: every 2nd pixel of every 2nd row
(4096 pixels at 128x128), the grid the shipped classifier was fitted with. ``stride=4`` (with 8
rounds) is cheaper; its validation metrics and cost: docs/results/color.md, "Issue 26, session
4: making the evidence cheap"."""
FIT_ROUNDS = 6
"""Default alternating least-squares rounds of the NIR fit in :func:`evidence_maps` (as the
shipped classifier was fitted)."""


@dataclass(frozen=True)
class NirFit:
    """Result of :func:`nir_fit` (all maps ``(H, W)``, float32)."""

    residual: np.ndarray
    """Night frame minus its prediction from the reference."""
    prediction: np.ndarray
    """The night frame as predicted from the reference."""
    sigma: float
    """Robust standard deviation of the residual over the pixels kept in the last round."""


@dataclass(frozen=True)
class NirModel:
    """Coefficients of the NIR model (see module doc): ``colour`` the 4 weights of
    ``[R, G, B, max]`` and the offset ``c``; ``gain`` the 6 coefficients of
    ``g0 + poly2(x, y)``; ``sigma`` the robust residual level of the fit."""

    colour: np.ndarray
    gain: np.ndarray
    sigma: float


def _fit_design(rgb: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference's half of the fit: per pixel ``[R, G, B, max]`` in linear light and the
    gain polynomial's terms ``[x, y, x^2, y^2, xy]`` (both float32, one row per pixel), and
    the flat indices of the fit's pixel grid."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx = xx / max(w - 1, 1) * 2 - 1
    yy = yy / max(h - 1, 1) * 2 - 1
    lin = srgb_to_linear(np.clip(rgb, 0, 1).astype(np.float32))
    p_all = np.concatenate([lin.reshape(-1, 3), lin.max(axis=2).reshape(-1, 1)], axis=1)
    sp_all = np.stack([v.ravel() for v in (xx, yy, xx * xx, yy * yy, xx * yy)], axis=1)
    idx = (np.arange(0, h, stride)[:, None] * w + np.arange(0, w, stride)[None, :]).ravel()
    return p_all, sp_all, idx


def _fit_model(t: np.ndarray, p: np.ndarray, sp: np.ndarray, trim: float, rounds: int) -> NirModel:
    """Alternating trimmed least squares on the fit's grid (``t`` the night values, ``p`` and
    ``sp`` the design rows, float64)."""
    n = len(t)
    keep = np.ones(n, bool)
    gain = np.ones(n)
    k = max(0, min(n - 1, int(trim * (n - 1))))
    wc = np.zeros(5)
    ga = np.zeros(6)
    ar = np.abs(t)

    def solve(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        ak = a[keep]
        return np.linalg.solve(ak.T @ ak + 1e-9 * np.eye(a.shape[1]), ak.T @ y[keep])

    for _ in range(rounds):
        wc = solve(np.concatenate([p * gain[:, None], np.ones((n, 1))], axis=1), t)
        base = p @ wc[:4]
        ga = solve(np.concatenate([base[:, None], base[:, None] * sp], axis=1), t - wc[4])
        fitted = base * (ga[0] + sp @ ga[1:])
        gain = fitted / np.where(np.abs(base) > 1e-9, base, 1e-9)
        ar = np.abs(t - fitted - wc[4])
        keep = ar <= np.partition(ar, k)[k]
    sigma = float(1.4826 * np.median(ar[keep])) + 1e-9
    return NirModel(wc, ga, sigma)


def _predict(model: NirModel, p_all: np.ndarray, sp_all: np.ndarray) -> np.ndarray:
    """The model's prediction of every pixel (flat, float32)."""
    wc, ga = model.colour, model.gain
    pred = (p_all @ wc[:4].astype(np.float32)) * (ga[0] + sp_all @ ga[1:].astype(np.float32))
    return (pred + wc[4]).astype(np.float32)


def nir_fit(
    night: np.ndarray,
    reference: np.ndarray,
    trim: float = 0.7,
    rounds: int = 6,
    stride: int = 2,
) -> NirFit:
    """Robust per-image prediction of the night frame from the reference (see module doc).

    Args:
        night: ``(H, W)`` night grey frame in [0, 1].
        reference: ``(H, W, 3)`` day reference RGB in [0, 1], aligned with the night frame.
        trim: share of pixels kept for the next round's fit (the best-fitting ones).
        rounds: alternating least-squares rounds (colour weights, then the gain polynomial).
        stride: the fit sees every ``stride``-th pixel of every ``stride``-th row (the
            prediction and residual cover every pixel).
    """
    _check_fit(night, reference, trim, rounds, stride)
    h, w = night.shape
    p_all, sp_all, idx = _fit_design(reference, stride)
    t_all = np.clip(night, 0, 1).astype(np.float64).ravel()
    model = _fit_model(
        t_all[idx], p_all[idx].astype(np.float64), sp_all[idx].astype(np.float64), trim, rounds
    )
    pred = _predict(model, p_all, sp_all)
    res = (t_all - pred).astype(np.float32)
    return NirFit(res.reshape(h, w), pred.reshape(h, w), model.sigma)


def _check_fit(
    night: np.ndarray, reference: np.ndarray, trim: float, rounds: int, stride: int
) -> None:
    if night.ndim != 2 or reference.shape != (*night.shape, 3):
        raise CribwatchError(
            f"nir_fit needs (H, W) and (H, W, 3) frames, got {night.shape} and {reference.shape}"
        )
    if not 0.1 <= trim <= 1.0:
        raise CribwatchError(f"nir_fit trim must be in [0.1, 1], got {trim}")
    if rounds < 1 or stride < 1:
        raise CribwatchError(f"nir_fit needs rounds >= 1 and stride >= 1, got {rounds}, {stride}")


def noise_level(night: np.ndarray) -> float:
    """Robust standard deviation of the night frame's fine detail (sensor noise dominates)."""
    hf = night - _blur(night, 1.0)
    return float(1.4826 * np.median(np.abs(hf - np.median(hf)))) + 1e-6


def census_distance(a: np.ndarray, b: np.ndarray, radius: int = 2) -> np.ndarray:
    """Share of a ``(2 radius + 1)^2`` neighbourhood whose brighter/darker-than-centre bit
    differs between ``a`` and ``b`` (the census transform's Hamming distance, normalised)."""
    pa = cv2.copyMakeBorder(a, radius, radius, radius, radius, cv2.BORDER_REFLECT)
    pb = cv2.copyMakeBorder(b, radius, radius, radius, radius, cv2.BORDER_REFLECT)
    h, w = a.shape
    diff = np.zeros((h, w), np.float32)
    count = 0
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            if dy == radius and dx == radius:
                continue
            diff += (pa[dy : dy + h, dx : dx + w] > a) != (pb[dy : dy + h, dx : dx + w] > b)
            count += 1
    return diff / count


def local_ncc(a: np.ndarray, b: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """Gaussian-windowed normalised cross-correlation of two grey frames, in [-1, 1]."""
    ma, mb = _blur(a, sigma), _blur(b, sigma)
    cov = _blur(a * b, sigma) - ma * mb
    va = _blur(a * a, sigma) - ma * ma
    vb = _blur(b * b, sigma) - mb * mb
    return np.clip(cov / np.sqrt(np.clip(va * vb, 1e-12, None)), -1.0, 1.0)


class EvidenceReference:
    """The reference's half of every evidence map, computed once per reference: the blurred
    reference and its grey, the NIR fit's design rows (linear colours, gain terms) and pixel
    grid, the census bits of the grey and its local mean and variance (for the NCC).

    Args:
        reference: ``(H, W, 3)`` reference RGB in [0, 1] (model resolution).
        stride: the NIR fit's pixel grid (see :func:`nir_fit`).
    """

    RADIUS = 2
    """Census neighbourhood radius (5x5), as :func:`census_distance`'s default."""

    def __init__(self, reference: np.ndarray, stride: int = FIT_STRIDE) -> None:
        if reference.ndim != 3 or reference.shape[2] != 3:
            raise CribwatchError(f"evidence needs an (H, W, 3) reference, got {reference.shape}")
        self.shape = (int(reference.shape[0]), int(reference.shape[1]))
        self.stride = stride
        self.rb = _blur(np.clip(reference, 0, 1).astype(np.float32), 0.7)
        self.gray = self.rb @ np.array([0.299, 0.587, 0.114], np.float32)
        self.p_all, self.sp_all, self.idx = _fit_design(self.rb, stride)
        self.p = self.p_all[self.idx].astype(np.float64)
        self.sp = self.sp_all[self.idx].astype(np.float64)
        r, (h, w) = self.RADIUS, self.shape
        pb = cv2.copyMakeBorder(self.gray, r, r, r, r, cv2.BORDER_REFLECT)
        self.shifts = [
            (dy, dx) for dy in range(2 * r + 1) for dx in range(2 * r + 1) if (dy, dx) != (r, r)
        ]
        self.census_bits = np.stack(
            [pb[dy : dy + h, dx : dx + w] > self.gray for dy, dx in self.shifts]
        )
        self.ncc_mean = _blur(self.gray, 3.0)
        self.ncc_var = _blur(self.gray * self.gray, 3.0) - self.ncc_mean * self.ncc_mean

    def fit(self, nb: np.ndarray, rounds: int = FIT_ROUNDS, trim: float = 0.7) -> NirModel:
        """The NIR model of the (blurred) night frame ``nb`` on this reference's grid."""
        _check_fit(nb, self.rb, trim, rounds, self.stride)
        t = np.clip(nb, 0, 1).astype(np.float64).ravel()[self.idx]
        return _fit_model(t, self.p, self.sp, trim, rounds)

    def predict(self, model: NirModel) -> np.ndarray:
        """The model's prediction of the night frame, ``(H, W)`` float32."""
        return _predict(model, self.p_all, self.sp_all).reshape(self.shape)

    def census(self, a: np.ndarray) -> np.ndarray:
        """:func:`census_distance` of ``a`` against the reference's grey (the same value: the
        bits of ``a`` in one array, compared with the reference's at once)."""
        r, (h, w) = self.RADIUS, self.shape
        pa = cv2.copyMakeBorder(a, r, r, r, r, cv2.BORDER_REFLECT)
        cur = np.empty(self.census_bits.shape, bool)
        for i, (dy, dx) in enumerate(self.shifts):
            np.greater(pa[dy : dy + h, dx : dx + w], a, out=cur[i])
        np.not_equal(cur, self.census_bits, out=cur)
        count = cur.view(np.uint8).sum(axis=0, dtype=np.uint8).astype(np.float32)
        return count / len(self.shifts)

    def ncc(self, a: np.ndarray, sigma: float = 3.0) -> np.ndarray:
        """:func:`local_ncc` of ``a`` against the reference's grey."""
        ma, mb = _blur(a, sigma), self.ncc_mean
        cov = _blur(a * self.gray, sigma) - ma * mb
        va = _blur(a * a, sigma) - ma * ma
        return np.clip(cov / np.sqrt(np.clip(va * self.ncc_var, 1e-12, None)), -1.0, 1.0)


def _maps(
    night: np.ndarray,
    nb: np.ndarray,
    ref: EvidenceReference,
    pred: np.ndarray,
    ssim_map: np.ndarray,
) -> dict[str, np.ndarray]:
    """The evidence maps of a night frame (``nb`` its blur) given the NIR prediction."""
    residual = nb - pred
    noise = noise_level(night)
    k = np.ones((3, 3), np.uint8)
    hi, lo = cv2.dilate(pred, k), cv2.erode(pred, k)
    outside = np.maximum(0.0, np.maximum(nb - hi, lo - nb))
    maps = {
        "ssim": 1.0 - ssim_map.astype(np.float32),
        "resid": _blur(np.abs(residual), 3.0) / noise,
        "resid_signed": np.abs(_blur(residual, 4.0)) / noise,
        "envelope": _blur(outside.astype(np.float32), 3.0) / noise,
        "census": _blur(ref.census(nb), 2.0),
        "ncc": 1.0 - ref.ncc(nb),
    }
    return {name: maps[name].astype(np.float32) for name in FEATURES}


def _night(night: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.clip(night, 0, 1).astype(np.float32)
    return n, _blur(n, 0.7)


def evidence_maps(
    night: np.ndarray,
    reference: np.ndarray,
    ssim_map: np.ndarray,
    stride: int = FIT_STRIDE,
    rounds: int = FIT_ROUNDS,
) -> dict[str, np.ndarray]:
    """Every evidence map of :data:`FEATURES` (higher = more likely changed), ``(H, W)`` float32.

    Args:
        night: ``(H, W)`` night grey frame in [0, 1] (model resolution).
        reference: ``(H, W, 3)`` reference RGB in [0, 1], aligned, same size.
        ssim_map: ``(H, W)`` SSIM attention map (1 = matches) of the same pair.
        stride, rounds: the NIR fit's pixel grid and rounds (default 2 and 6, as the shipped
            classifier was fitted; 4 and 8 is the cheaper fit, see :data:`FIT_STRIDE`).
    """
    ref = EvidenceReference(reference, stride)
    n, nb = _night(night)
    _check_fit(nb, ref.rb, 0.7, rounds, stride)
    return _maps(n, nb, ref, ref.predict(ref.fit(nb, rounds)), ssim_map)


def evidence_stack(
    night: np.ndarray,
    reference: np.ndarray,
    ssim_map: np.ndarray,
    stride: int = FIT_STRIDE,
    rounds: int = FIT_ROUNDS,
) -> np.ndarray:
    """:func:`evidence_maps` as one ``(len(FEATURES), H, W)`` array."""
    maps = evidence_maps(night, reference, ssim_map, stride, rounds)
    return np.stack([maps[name] for name in FEATURES])


class EvidenceState:
    """:func:`evidence_stack` for a stream of night frames: the reference's half
    (:class:`EvidenceReference`) is kept while the reference stays the same (compared by
    value on every call, so a changed reference is always seen), and the NIR model is refitted
    every ``refit_every`` frames, or at once when the residual level on the fit's grid grows
    beyond ``drift`` times the fit's own (an exposure or illuminator change). With
    ``refit_every=1`` the output is exactly :func:`evidence_stack`'s.

    Example::

        state = EvidenceState(refit_every=4)
        for night in frames:
            p = change_probability(state.stack(night, reference, ssim_map), logistic)
    """

    def __init__(
        self,
        refit_every: int = 1,
        drift: float = 1.25,
        stride: int = FIT_STRIDE,
        rounds: int = FIT_ROUNDS,
    ) -> None:
        if refit_every < 1 or drift <= 1.0:
            raise CribwatchError(
                f"EvidenceState needs refit_every >= 1 and drift > 1, got {refit_every}, {drift}"
            )
        self.refit_every, self.drift = refit_every, drift
        self.stride, self.rounds = stride, rounds
        self._key: np.ndarray | None = None
        self.ref: EvidenceReference | None = None
        self.model: NirModel | None = None
        self.age = 0
        self.refits = 0
        """How many times the NIR model was fitted (for tests and benches)."""

    def prepare(self, reference: np.ndarray) -> EvidenceReference:
        """The reference's half for ``reference`` (kept if it is the one already prepared;
        otherwise computed, and the NIR model dropped)."""
        if self.ref is None or self._key is None or not np.array_equal(self._key, reference):
            self._key = np.array(reference, copy=True)
            self.ref = EvidenceReference(reference, self.stride)
            self.model = None
        return self.ref

    def _level(self, residual_grid: np.ndarray) -> float:
        """The fit's robust residual level (as :class:`NirModel`'s ``sigma``) on the grid."""
        ar = np.abs(residual_grid)
        k = max(0, min(len(ar) - 1, int(0.7 * (len(ar) - 1))))
        return float(1.4826 * np.median(ar[ar <= np.partition(ar, k)[k]])) + 1e-9

    def stack(self, night: np.ndarray, reference: np.ndarray, ssim_map: np.ndarray) -> np.ndarray:
        """:func:`evidence_stack` of one frame of the stream."""
        ref = self.prepare(reference)
        n, nb = _night(night)
        pred = None
        if self.model is not None and self.age < self.refit_every:
            pred = ref.predict(self.model)
            level = self._level((nb - pred).ravel()[ref.idx])
            if level > self.drift * self.model.sigma:
                pred = None
        if pred is None:
            self.model = ref.fit(nb, self.rounds)
            self.age, self.refits = 0, self.refits + 1
            pred = ref.predict(self.model)
        self.age += 1
        maps = _maps(n, nb, ref, pred, ssim_map)
        return np.stack([maps[name] for name in FEATURES])


def design(stack: np.ndarray) -> np.ndarray:
    """Per-pixel design matrix ``(H W, 2 F)`` of a ``(F, H, W)`` stack: each map and its
    ``log1p`` (the maps are heavy-tailed)."""
    f = stack.reshape(stack.shape[0], -1).T.astype(np.float64)
    return np.concatenate([f, np.log1p(np.abs(f))], axis=1)


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic change classifier over :func:`design` columns (standardised)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, stack: np.ndarray) -> np.ndarray:
        """Change logit per pixel, ``(H, W)`` float32: the standardisation folded into the
        weights, one multiply-add per map and per ``log1p`` (the same value as the
        standardised :func:`design` times ``coef``, to float32 rounding)."""
        k = stack.shape[0]
        w = np.asarray(self.coef) / np.asarray(self.scale)
        const = self.intercept - float(np.dot(w, np.asarray(self.mean)))
        z = np.full(stack.shape[1:], const, np.float32)
        for j in range(k):
            f = stack[j].astype(np.float32, copy=False)
            z += np.float32(w[j]) * f
            z += np.float32(w[k + j]) * np.log1p(np.abs(f))
        return z


def fit_logistic(
    stacks: list[np.ndarray],
    masks: list[np.ndarray],
    samples: int = 200_000,
    seed: int = 0,
    l2: float = 1.0,
    iterations: int = 25,
) -> Logistic:
    """Fit the change classifier on training pairs' stacks and true change masks: L2-penalised
    logistic regression (penalty ``l2 |w|^2 / 2`` on the standardised columns' weights, as
    scikit-learn's default ``C = 1``) by Newton's method on ``samples`` random pixels."""
    x = np.concatenate([design(s) for s in stacks])
    y = np.concatenate([m.ravel() for m in masks]).astype(np.float64)
    if len(y) == 0 or y.min() == y.max():
        raise CribwatchError("fit_logistic needs changed and unchanged pixels")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(y), min(samples, len(y)), replace=False)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    a = np.concatenate([(x[idx] - mean) / scale, np.ones((len(idx), 1))], axis=1)
    t = y[idx]
    reg = np.full(a.shape[1], l2)
    reg[-1] = 0.0  # the intercept is not penalised
    beta = np.zeros(a.shape[1])
    for _ in range(iterations):
        prob = 1.0 / (1.0 + np.exp(-np.clip(a @ beta, -30, 30)))
        grad = a.T @ (prob - t) + reg * beta
        hess = (a * (prob * (1 - prob))[:, None]).T @ a + np.diag(reg) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in beta[:-1]),
        float(beta[-1]),
    )


def load_logistic(path: Path) -> Logistic:
    """A change classifier from a JSON object ``{"mean", "scale", "coef": [2 F numbers each],
    "intercept": number}`` (what ``dataclasses.asdict`` of a :class:`Logistic` writes; the key
    ``written_by`` is ignored); every error names ``path``."""
    return logistic_from_mapping(read_json_object(path), str(path))


def logistic_from_mapping(data: dict[str, Any], source: str) -> Logistic:
    """A change classifier from its mapping (a JSON file's object, or a checkpoint's
    ``meta.evidence``); every error names ``source``."""
    data = dict(data)
    path = source
    data.pop("written_by", None)
    k = 2 * len(FEATURES)
    fields = ("mean", "scale", "coef", "intercept")
    if set(data) != set(fields):
        raise CribwatchError(f"{path}: a change classifier needs exactly the keys {list(fields)}")
    values: dict[str, Any] = {}
    for name in fields[:3]:
        v = data[name]
        ok = isinstance(v, list) and len(v) == k
        if not ok or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in v):
            raise CribwatchError(f"{path}: {name} must be a list of {k} numbers")
        values[name] = tuple(float(x) for x in v)
    b = data["intercept"]
    if not isinstance(b, int | float) or isinstance(b, bool):
        raise CribwatchError(f"{path}: intercept must be a number")
    every = [*values["mean"], *values["scale"], *values["coef"], float(b)]
    if not all(np.isfinite(every)) or min(values["scale"]) <= 0:
        raise CribwatchError(f"{path}: numbers must be finite and every scale positive")
    return Logistic(values["mean"], values["scale"], values["coef"], float(b))


def change_probability(stack: np.ndarray, model: Logistic) -> np.ndarray:
    """Probability that each pixel changed, ``(H, W)`` float32 in (0, 1)."""
    z = np.clip(model.logit(stack), -30, 30)
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32, copy=False)


__all__ = [
    "FEATURES",
    "FIT_ROUNDS",
    "FIT_STRIDE",
    "EvidenceReference",
    "EvidenceState",
    "Logistic",
    "NirFit",
    "NirModel",
    "census_distance",
    "change_probability",
    "design",
    "evidence_maps",
    "evidence_stack",
    "fit_logistic",
    "load_logistic",
    "local_ncc",
    "nir_fit",
    "noise_level",
    "resample_matrix",
    "resize_aa",
    "srgb_to_linear",
]

"""A learned, calibrated face veto: a supine infant with its face in view is not prone.

The posture classifiers call prone on a supine infant whose face is in view (issue 25: 44 of
family e's 62 quiet-night false alarms). The hand rule of the ``both`` method (nose and both
eyes reliable rule prone out) stops those, but real pose models put a face on the back of a
head (90% of back-view frames on real people), so that rule also vetoes most real rolls.

This module learns the veto instead: a logistic model of **P(not prone | the face block)**
on frames with at least one reliable face keypoint and the body axis in view, from features
of the face against the torso (:func:`veto_features`): the face keypoints' scores, the eyes'
and ears' order against the shoulders', their signed widths, the nose's offset from the eye
midpoint and the face's offset from the shoulder midpoint (along the body normal and axis),
the shoulders' and hips' signed widths, the eye spacing against the shoulder width, and a
few products of these (the order of the eyes matters only with the shoulders seen). It is
fitted on the fit generator families (:func:`fit`), with an out-of-family Platt calibration
(a, b on the logit), so its probability means the same on a family it never saw as far as
the fit families tell.

Use (:func:`apply`): on a frame whose calibrated P(not prone) reaches ``threshold``
(``PostureConfig.face_veto``; 0 = off), the prone probability is moved to supine (or to the
side where the side is likelier than supine). Frames stay independent (a stream can call it
one frame at a time); the tracker's smoothing gives the temporal consistency. With
``PostureConfig.face_veto_entry`` the probabilities stay as they are and the frame is only
marked (``Features.veto``): the tracker then applies the veto only while it is not in the
prone state, so the veto can hold back an entry into prone but cannot split a prone
episode (a split re-arms the alert and raises a second one). Inference is a dot product in
numpy.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from cribwatch import cards
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path
from cribwatch.rollover.posture import FACE, Features, PostureConfig, features

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "rollover_faceveto.npz"
"""Shipped veto weights (numpy; a ``.json`` card beside them)."""
FEATURE_NAMES: tuple[str, ...] = (
    "score_nose", "score_leye", "score_reye", "score_lear", "score_rear",
    "eye_order", "ear_order", "eye_width", "ear_width", "eyes_both", "ears_both",
    "nose_off_n", "nose_off_u", "face_off_n", "face_off_u", "abs_face_off_n",
    "shoulder_w", "shoulders_both", "hip_w", "hips_both", "eye_over_shoulder",
    "n_face", "eye_order_x_sw", "ear_order_x_sw", "nose_u_x_eyes",
)  # fmt: skip
"""The veto's input features, in order (:func:`veto_features`)."""
N_VETO_FEATURES = len(FEATURE_NAMES)


def _width(k: np.ndarray, rel: np.ndarray, f: Features, a: int, b: int) -> tuple[np.ndarray, ...]:
    both = rel[:, a] & rel[:, b] & f.valid
    w = ((k[:, a, :2] - k[:, b, :2]) * f.normal).sum(axis=1) / f.length
    return np.where(both, np.clip(w, -2, 2), 0.0), both


def veto_features(
    kp: np.ndarray, config: PostureConfig | None = None, feat: Features | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 17, 3) keypoints -> ((N, F) float32 features, (N,) mask of frames the veto judges).

    The veto judges a frame with the body axis in view and at least one reliable face
    keypoint; its features elsewhere are zeros. ``feat``: the frame's
    :func:`cribwatch.rollover.posture.features` if already computed.
    """
    cfg = config or PostureConfig()
    k = np.asarray(kp, dtype=np.float64)
    if k.ndim == 2:
        k = k[None]
    f = feat if feat is not None else features(k, cfg)
    rel = k[:, :, 2] >= cfg.score_thr
    face = rel[:, list(FACE)]
    nf = face.sum(axis=1)
    judged = f.valid & (nf > 0)
    nrm = f.normal
    u = np.stack([nrm[:, 1], -nrm[:, 0]], axis=1)
    ln = f.length
    sw = np.nan_to_num(f.sw)
    sh_ok = ~np.isnan(f.sw)
    hw = np.nan_to_num(f.hw)
    ew, e_ok = _width(k, rel, f, 1, 2)
    aw, a_ok = _width(k, rel, f, 3, 4)
    eye_order = np.where(e_ok & sh_ok, np.sign(ew) * np.sign(sw), 0.0)
    ear_order = np.where(a_ok & sh_ok, np.sign(aw) * np.sign(sw), 0.0)
    eye_mid = (k[:, 1, :2] + k[:, 2, :2]) / 2
    n_ok = rel[:, 0] & e_ok
    dn = k[:, 0, :2] - eye_mid
    nose_n = np.where(n_ok, np.clip((dn * nrm).sum(axis=1) / ln, -2, 2), 0.0)
    nose_u = np.where(n_ok, np.clip((dn * u).sum(axis=1) / ln, -2, 2), 0.0)
    head = (k[:, list(FACE), :2] * face[:, :, None]).sum(axis=1) / np.maximum(nf, 1)[:, None]
    rh = head - f.sh_mid
    off_n = np.where(judged, np.clip((rh * nrm).sum(axis=1) / ln, -3, 3), 0.0)
    off_u = np.where(judged, np.clip((rh * u).sum(axis=1) / ln, -3, 3), 0.0)
    eye_sh = np.where(e_ok & sh_ok, np.clip(np.abs(ew) / np.maximum(np.abs(sw), 0.05), 0, 3), 0.0)
    cols = [
        *(k[:, i, 2] for i in FACE),
        eye_order, ear_order, ew, aw, e_ok.astype(float), a_ok.astype(float),
        nose_n, nose_u, off_n, off_u, np.abs(off_n),
        np.clip(sw, -2, 2), sh_ok.astype(float),
        np.clip(hw, -2, 2), (~np.isnan(f.hw)).astype(float),
        eye_sh, nf / 5.0, eye_order * np.abs(np.clip(sw, -2, 2)),
        ear_order * np.abs(np.clip(sw, -2, 2)), nose_u * e_ok,
    ]  # fmt: skip
    x = np.stack(cols, axis=1)
    x = np.where(judged[:, None], x, 0.0)
    return x.astype(np.float32), judged


@dataclass
class FaceVeto:
    """Logistic veto: weights over standardised features, and its Platt calibration."""

    w: np.ndarray
    """(F,) weights."""
    b: np.ndarray
    """(1,) bias."""
    mean: np.ndarray
    """(F,) input mean."""
    std: np.ndarray
    """(F,) input standard deviation (positive)."""
    calib: np.ndarray
    """(2,) Platt calibration ``a, b``: P = sigmoid(a * logit + b)."""

    def logit(self, x: np.ndarray) -> np.ndarray:
        """(N, F) features -> (N,) uncalibrated log-odds of *not prone*."""
        return np.asarray(((x - self.mean) / self.std) @ self.w + self.b[0])

    def prob(self, x: np.ndarray) -> np.ndarray:
        """(N, F) features -> (N,) calibrated P(not prone)."""
        z = self.calib[0] * self.logit(x) + self.calib[1]
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def arrays(self) -> dict[str, np.ndarray]:
        """The weights as float32 arrays by name."""
        return {k: np.asarray(v, dtype=np.float32) for k, v in asdict(self).items()}

    def save(self, path: str | os.PathLike[str], card: dict[str, Any] | None = None) -> None:
        """Write the weights (``.npz``, with a ``written_by`` marker) and, if given, the card."""
        p = Path(path)
        with atomic_path(p) as tmp, open(tmp, "wb") as fh:
            arrays: dict[str, Any] = {"written_by": np.array(OUTPUT_MARK.encode()), **self.arrays()}
            np.savez(fh, **arrays)
        if card is not None:
            body = dict(card)
            body["weights"] = p.name
            body["sha256"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()}
            cards.write_card(cards.card_path(p), body)


def load(path: str | os.PathLike[str] | None = None) -> FaceVeto:
    """Load veto weights (default: the shipped ones; numpy only, no pickles)."""
    p = Path(path) if path is not None else WEIGHTS
    if not p.is_file():
        raise CribwatchError(f"{p}: face veto weights not found")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k]) for k in z.files if k != "written_by"}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CribwatchError(f"{p}: not valid face veto weights ({exc})") from exc
    shapes = {"w": (N_VETO_FEATURES,), "b": (1,), "mean": (N_VETO_FEATURES,),
              "std": (N_VETO_FEATURES,), "calib": (2,)}  # fmt: skip
    out: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        a = arrays.get(name)
        if a is None:
            raise CribwatchError(f"{p}: not valid face veto weights (no {name!r})")
        if a.shape != shape or not np.issubdtype(a.dtype, np.floating):
            raise CribwatchError(f"{p}: not valid face veto weights ({name} has shape {a.shape})")
        if not np.all(np.isfinite(a)):
            raise CribwatchError(f"{p}: not valid face veto weights ({name} not finite)")
        out[name] = a.astype(np.float64)
    if np.any(out["std"] <= 0):
        raise CribwatchError(f"{p}: not valid face veto weights (std must be positive)")
    return FaceVeto(**out)


@functools.lru_cache(maxsize=1)
def load_default() -> FaceVeto:
    """The shipped veto, loaded once (a stream calls the posture one frame at a time)."""
    return load()


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1e-3, weight: np.ndarray | None = None
) -> FaceVeto:
    """Fit the logistic veto (``y`` 1 = not prone) by L-BFGS; calibration left at identity."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    wt = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    wt = wt / wt.mean()
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(std > 1e-6, std, 1.0)
    z = (x - mean) / std
    n, d = z.shape

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        s = z @ w + b
        # log(1 + e^s) - y s, stable
        ls = np.logaddexp(0.0, s) - y * s
        p = 1.0 / (1.0 + np.exp(-s))
        g = (p - y) * wt
        val = float((ls * wt).mean() + 0.5 * l2 * (w @ w))
        grad = np.concatenate([z.T @ g / n + l2 * w, [g.mean()]])
        return val, grad

    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    th = res.x
    return FaceVeto(w=th[:d], b=np.array([th[d]]), mean=mean, std=std, calib=np.array([1.0, 0.0]))


def fit_platt(logit: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Platt calibration ``(a, b)`` of out-of-family log-odds ``logit`` against ``y``."""
    s0 = np.asarray(logit, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        s = ab[0] * s0 + ab[1]
        p = 1.0 / (1.0 + np.exp(-s))
        val = float((np.logaddexp(0.0, s) - yy * s).mean())
        g = p - yy
        return val, np.array([(g * s0).mean(), g.mean()])

    return np.asarray(minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B").x)


def veto_mask(
    kp: np.ndarray,
    feat: Features,
    threshold: float,
    config: PostureConfig | None = None,
    veto: FaceVeto | None = None,
) -> np.ndarray:
    """(N,) frames whose calibrated P(not prone) reaches ``threshold`` (none when it is 0)."""
    x, judged = veto_features(kp, config, feat)
    v = np.zeros(len(judged), dtype=bool)
    if threshold > 0 and judged.any():
        v[judged] = (veto or load()).prob(x[judged]) >= threshold
    return v


def move_prone(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(N, 3) probabilities with the prone probability of the frames ``v`` moved to supine, or
    to the side where the side is likelier than supine (a new array)."""
    out = np.array(p, dtype=np.float64, copy=True)
    to_side = v & (np.nan_to_num(out[:, 1]) > np.nan_to_num(out[:, 0]))
    to_sup = v & ~to_side
    out[to_sup, 0] += out[to_sup, 2]
    out[to_side, 1] += out[to_side, 2]
    out[v, 2] = 0.0
    return out


def apply(
    p: np.ndarray,
    kp: np.ndarray,
    feat: Features,
    threshold: float,
    config: PostureConfig | None = None,
    veto: FaceVeto | None = None,
) -> np.ndarray:
    """(N, 3) supine/side/prone probabilities with the veto applied (a new array).

    Where the calibrated P(not prone) reaches ``threshold`` (> 0), the prone probability
    goes to supine, or to the side where the side is likelier than supine.
    """
    if threshold <= 0:
        return np.array(p, dtype=np.float64, copy=True)
    return move_prone(p, veto_mask(kp, feat, threshold, config, veto))

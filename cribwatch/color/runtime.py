"""The deployable colour pipeline: NumPy + OpenCV pre/post-processing around an ONNX network.

This is the twin of the torch pipeline (:func:`cribwatch.color.model.make_inputs`,
:mod:`cribwatch.color.mask`, :func:`cribwatch.color.pipeline.upsample_ab`), written for the
frame budget of a phone or hub: it imports neither torch nor kornia (a process that runs it
needs NumPy, OpenCV and ONNX Runtime only), and it works on the 8-bit frames a camera gives.
Training keeps the torch version (it must stay differentiable); tests check that both agree
(``tests/color/test_runtime.py``). The differences are the resampling kernels: OpenCV's
``INTER_AREA`` shrink against torch's antialiased bilinear one, and OpenCV's Lab conversion
against kornia's, both well under one Lab unit.

Steps per frame (``reference`` prepared once with :meth:`ColorRuntime.set_reference`, as a
stream does: the day reference changes rarely, the night frame every frame):

1. **pre** (:meth:`ColorRuntime.pre`): night frame to float32 through a 256-entry table,
   shrunk to the model resolution, its CIE L; the SSIM map pipeline on the shrunk night frame
   against the reference's half prepared once by :meth:`ColorRuntime.set_reference`
   (:func:`ssim_attention_map_np`: global brightness/contrast normalisation and Gaussian
   denoise fused into one filter and one affine pass, SSIM with an 11x11 sigma 1.5 Gaussian
   window in float32 on centred values with the night frame's three moments in one
   three-channel filter call, clip to [0, 1], 7x7 closing, Gaussian blur); the full
   resolution L of the night frame (the guide) through a 256-entry table.
2. **model**: ONNX Runtime on ``night_l``, ``ref_lab``, ``smap`` -> ``ab``, ``gate``.
3. **post** (:meth:`ColorRuntime.post`): fast guided-filter upsampling of ab and of the gate to
   full resolution, guided by the night L; mixing with the reference's cached full-resolution
   ab by the gate; Lab -> sRGB (OpenCV), 8-bit RGB out.

Border rules follow the torch pipeline: Gaussian filters reflect without repeating the edge
pixel (``BORDER_REFLECT_101``, torch's ``reflect``), closing ignores pixels outside the image
(kornia's geodesic border), guided-filter boxes average valid pixels only.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import cv2 as _cv2
import numpy as np
import onnxruntime as ort

from cribwatch.cards import check_fields
from cribwatch.color.evidence import (
    FIT_ROUNDS,
    FIT_STRIDE,
    EvidenceState,
    Logistic,
    change_probability,
    resize_aa,
)
from cribwatch.deploy.bench import peak_rss_mb
from cribwatch.errors import CribwatchError

cv2: Any = _cv2  # OpenCV's type stubs reject the scalar operands the library accepts

AB_SCALE = 110.0
"""Normalisation of a and b (same as :data:`cribwatch.color.lab.AB_SCALE`)."""
L_SCALE = 100.0
"""Normalisation of L (same as :data:`cribwatch.color.lab.L_SCALE`)."""


def _srgb_to_l(g: np.ndarray) -> np.ndarray:
    """CIE L in [0, 100] of sRGB grey values ``g`` in [0, 1] (float array)."""
    g = np.clip(g, 0.0, 1.0)
    lin = np.where(g <= 0.04045, g / 12.92, ((g + 0.055) / 1.055) ** 2.4)
    t = (6 / 29) ** 3
    f = np.where(lin > t, np.cbrt(np.maximum(lin, 1e-12)), lin / (3 * (6 / 29) ** 2) + 4 / 29)
    return (116.0 * f - 16.0).astype(np.float32)


L_TABLE = _srgb_to_l(np.arange(256, dtype=np.float64) / 255.0).reshape(1, 256)
"""CIE L of each 8-bit grey level (an sRGB grey ``(k, k, k) / 255``)."""
G_TABLE = (L_TABLE / 100.0).astype(np.float32)
"""``L / 100`` of each 8-bit grey level: the guide of the guided upsampling."""
L8_TABLE = np.round(L_TABLE * 2.55).astype(np.uint8)
"""L of each grey level in OpenCV's 8-bit Lab encoding (``L * 255 / 100``)."""
F_TABLE = (np.arange(256, dtype=np.float32) / np.float32(255.0)).reshape(1, 256)
"""Each 8-bit grey level as a float32 in [0, 1]."""


def odd_kernel(sigma: float) -> int:
    """Gaussian kernel side used by the torch pipeline for ``sigma`` (``2 round(3 sigma) + 1``)."""
    return max(int(2 * round(3 * sigma) + 1), 3)


def shrink(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize float ``img`` to ``size`` (h, w): area averaging when shrinking, else bilinear."""
    h, w = size
    if img.shape[:2] == (h, w):
        return img
    smaller = h < img.shape[0] or w < img.shape[1]
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if smaller else cv2.INTER_LINEAR)


def gauss(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter with the torch pipeline's kernel side and reflect border."""
    k = odd_kernel(sigma)
    return cv2.GaussianBlur(x, (k, k), sigma, borderType=cv2.BORDER_REFLECT_101)


def _gauss_ssim(x: np.ndarray, window: int, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(x, (window, window), sigma, borderType=cv2.BORDER_REFLECT_101)


def ssim_side(
    y: np.ndarray, centre: float, window: int = 11, sigma: float = 1.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-image half of :func:`ssim_map_np` for ``y``: ``(y - centre, G(y - centre),
    G((y - centre)^2))`` in float32 (``G`` the SSIM window), computed once for a reference
    that many frames are compared with."""
    yc = np.subtract(y, np.float32(centre), dtype=np.float32)
    m = _gauss_ssim(cv2.merge([yc, cv2.multiply(yc, yc)]), window, sigma)
    return yc, m[..., 0], m[..., 1]


def ssim_map_centred(
    xc: np.ndarray,
    y_side: tuple[np.ndarray, np.ndarray, np.ndarray],
    centre: float,
    window: int = 11,
    sigma: float = 1.5,
) -> np.ndarray:
    """Per-pixel SSIM (data range 1) of ``x = xc + centre`` against the frame that
    ``y_side`` (:func:`ssim_side`) describes, in float32 with one filter call.

    Both frames are centred by the same constant before the moments are taken: SSIM's
    variances and covariance do not depend on it, and with values near zero the float32
    differences ``E[x^2] - mu^2`` lose no digits on flat regions (the reason the torch twin
    works in float64). The means are shifted back for the luminance term."""
    c1, c2 = 0.01**2, 0.03**2
    yc, my, eyy = y_side
    m = _gauss_ssim(cv2.merge([xc, cv2.multiply(xc, xc), cv2.multiply(xc, yc)]), window, sigma)
    mx, exx, exy = m[..., 0], m[..., 1], m[..., 2]
    vx = exx - mx * mx
    vy = eyy - my * my
    cov = exy - mx * my
    ux, uy = mx + np.float32(centre), my + np.float32(centre)
    num = (np.float32(2) * ux * uy + np.float32(c1)) * (np.float32(2) * cov + np.float32(c2))
    den = (ux * ux + uy * uy + np.float32(c1)) * (vx + vy + np.float32(c2))
    return np.divide(num, den, dtype=np.float32)


def ssim_map_np(x: np.ndarray, y: np.ndarray, window: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Per-pixel SSIM of two (H, W) images in [0, 1] (data range 1), in float32.

    The map of :func:`cribwatch.color.ssim.ssim_map` (Gaussian window, population moments,
    reflect border without repeating the edge pixel); away from a ``window // 2`` border it is
    scikit-image's ``structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=1, full=True)`` map within 1e-4."""
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    centre = 0.5 * (float(cv2.mean(x)[0]) + float(cv2.mean(y)[0]))
    xc = np.subtract(x, np.float32(centre), dtype=np.float32)
    return ssim_map_centred(xc, ssim_side(y, centre, window, sigma), centre, window, sigma)


def _centred_side(g: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """Normalised (``0.5 + gain z``) and denoised frame minus 0.5, float32.

    The denoising blur is linear and its kernel sums to one, so it runs on the raw frame and
    the normalisation's scale and shift follow in one pass."""
    if cfg["norm"] not in ("global", "none"):
        raise CribwatchError(
            f"the runtime pipeline supports norm 'global' or 'none', not {cfg['norm']!r}"
        )
    g = np.asarray(g, np.float32)
    if cfg["norm"] == "global":
        mean, std = cv2.meanStdDev(g)
        scale = cfg["norm_gain"] / (float(std[0, 0]) + cfg["eps"])
        shift = -float(mean[0, 0]) * scale
    else:
        scale, shift = 1.0, -0.5
    if cfg["pre_sigma"] > 0:
        g = gauss(g, cfg["pre_sigma"])
    return g * np.float32(scale) + np.float32(shift)


def ssim_reference_np(ref_gray: np.ndarray, cfg: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """The reference's half of :func:`ssim_attention_map_np`, prepared once per reference."""
    return ssim_side(_centred_side(ref_gray, cfg), 0.0, cfg["window"], cfg["sigma"])


def ssim_attention_map_np(
    night: np.ndarray,
    ref_gray: np.ndarray | None,
    cfg: dict[str, Any],
    ref_side: tuple[np.ndarray, ...] | None = None,
) -> np.ndarray:
    """The SSIM map pipeline (:func:`cribwatch.color.mask.ssim_attention_map`) on two (H, W)
    float32 frames of the same size, with ``work_side`` equal to their size.

    float32 throughout: normalisation and denoising fused into one filter and one affine pass
    per frame, the three moments of the night frame in one three-channel filter call, the
    reference's half (``ref_side``, from :func:`ssim_reference_np`) reused across frames."""
    if ref_side is None:
        if ref_gray is None:
            raise CribwatchError("ssim_attention_map_np needs ref_gray or ref_side")
        ref_side = ssim_reference_np(ref_gray, cfg)
    xc = _centred_side(night, cfg)
    yc, my, eyy = ref_side
    s = ssim_map_centred(xc, (yc, my, eyy), 0.5, cfg["window"], cfg["sigma"])
    s = cv2.max(cv2.min(s, 1.0), 0.0)
    if cfg["close_size"] > 1:
        kernel = np.ones((cfg["close_size"], cfg["close_size"]), np.uint8)
        s = cv2.morphologyEx(s, cv2.MORPH_CLOSE, kernel)
    if cfg["blur_sigma"] > 0:
        s = gauss(s, cfg["blur_sigma"])
    return cv2.max(cv2.min(s, 1.0), 0.0)


def _box_mean(x: np.ndarray, r: int, counts: np.ndarray) -> np.ndarray:
    s = cv2.boxFilter(
        x, -1, (2 * r + 1, 2 * r + 1), normalize=False, borderType=cv2.BORDER_CONSTANT
    )
    return s / counts if s.ndim == 2 else s / counts[..., None]


def guided_upsample_np(
    guide_lr: np.ndarray,
    src_lr: np.ndarray,
    guide_hr: np.ndarray,
    radius: int,
    eps: float,
    scale: tuple[float, ...] | None = None,
) -> list[np.ndarray]:
    """Fast guided-filter upsampling of ``src_lr`` (h, w, C) to ``guide_hr``'s size (H, W)
    (the twin of :func:`cribwatch.color.pipeline.guided_upsample`); returns C contiguous
    (H, W) planes (full-resolution work stays on contiguous planes with OpenCV's kernels)."""
    h, w = guide_lr.shape
    ones = np.ones((h, w), np.float32)
    counts = cv2.boxFilter(
        ones, -1, (2 * radius + 1, 2 * radius + 1), normalize=False, borderType=cv2.BORDER_CONSTANT
    )
    gi = guide_lr[..., None]
    mean_i = _box_mean(guide_lr, radius, counts)[..., None]
    mean_p = _box_mean(src_lr, radius, counts)
    cov = _box_mean(gi * src_lr, radius, counts) - mean_i * mean_p
    var = _box_mean(guide_lr * guide_lr, radius, counts)[..., None] - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    a = _box_mean(a, radius, counts).reshape(h, w, -1)
    b = _box_mean(b, radius, counts).reshape(h, w, -1)
    if scale is not None:  # output units, folded into the low-resolution coefficients
        k = np.asarray(scale, np.float32).reshape(1, 1, -1)
        a, b = a * k, b * k
    hh, ww = guide_hr.shape
    a_planes = cv2.split(np.ascontiguousarray(a, dtype=np.float32))
    b_planes = cv2.split(np.ascontiguousarray(b, dtype=np.float32))
    out = []
    for ap, bp in zip(a_planes, b_planes, strict=True):
        au = cv2.resize(ap, (ww, hh), interpolation=cv2.INTER_LINEAR)
        bu = cv2.resize(bp, (ww, hh), interpolation=cv2.INTER_LINEAR)
        out.append(cv2.add(cv2.multiply(au, guide_hr), bu))
    return out


@functools.lru_cache(maxsize=16)
def _inv_counts(h: int, w: int, radius: int) -> np.ndarray:
    """``1 / (number of valid pixels)`` of each (2r+1)-box of an (h, w) image (read-only)."""
    k = (2 * radius + 1, 2 * radius + 1)
    ones = np.ones((h, w), np.float32)
    counts = cv2.boxFilter(ones, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    inv = np.float32(1.0) / counts
    inv.setflags(write=False)
    return inv


def guided_coeffs_np(
    guide_lr: np.ndarray,
    src_lr: np.ndarray,
    radius: int,
    eps: float,
    scale: tuple[float, ...] | None = None,
    offset: tuple[float, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The low-resolution half of :func:`guided_upsample_np`: the smoothed linear
    coefficients ``(a, b)``, each (h, w, C) float32 and contiguous, with ``a * guide + b``
    the filtered ``src`` (times ``scale``, plus ``offset``, per channel, folded in here).

    The same arithmetic as :func:`guided_upsample_np` (box means over valid pixels only, here
    as a product with the cached reciprocal counts), one contiguous plane at a time with
    OpenCV's kernels (half the time of NumPy broadcasting over (h, w, C) arrays here)."""
    h, w = guide_lr.shape
    k = (2 * radius + 1, 2 * radius + 1)
    inv = _inv_counts(h, w, radius)

    def box(x: np.ndarray) -> np.ndarray:
        s = cv2.boxFilter(x, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
        return cv2.multiply(s, inv)

    g = np.ascontiguousarray(guide_lr, dtype=np.float32)
    mean_i = box(g)
    var = cv2.subtract(box(cv2.multiply(g, g)), cv2.multiply(mean_i, mean_i))
    var = cv2.add(var, float(eps))
    planes = cv2.split(np.ascontiguousarray(src_lr, dtype=np.float32))
    n = len(planes)
    scale = scale if scale is not None else (1.0,) * n
    offset = offset if offset is not None else (0.0,) * n
    a_out, b_out = [], []
    for p, sc, off in zip(planes, scale, offset, strict=True):
        mean_p = box(p)
        cov = cv2.subtract(box(cv2.multiply(g, p)), cv2.multiply(mean_i, mean_p))
        a = cv2.divide(cov, var)
        b = cv2.subtract(mean_p, cv2.multiply(a, mean_i))
        a_out.append(cv2.multiply(box(a), float(sc)))
        b_out.append(cv2.add(cv2.multiply(box(b), float(sc)), float(off)))
    return cv2.merge(a_out), cv2.merge(b_out)


@dataclass(frozen=True)
class RuntimeConfig:
    """Settings of the deployable pipeline (the rest travels in the ONNX file's metadata).

    The evidence fields are checked on construction and by :func:`cribwatch.cards.from_mapping`
    (``BOUNDS``); an error names the field."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "evidence_refit": (1, 100_000),
        "evidence_stride": (1, 64),
        "evidence_rounds": (1, 100),
    }

    radius: int = 2
    """Guided-filter box radius in model-resolution pixels (as :class:`PipelineConfig`)."""
    eps: float = 1e-3
    """Guided-filter regulariser (as :class:`PipelineConfig`)."""
    evidence_refit: int = 4
    """For a network with change evidence: refit the NIR model every this many frames of a
    stream (and at once when its residual level drifts; :class:`EvidenceState`); 1 refits
    every frame. The reference's half of the evidence is computed once per reference."""
    evidence_stride: int = FIT_STRIDE
    """For a network with change evidence: the NIR fit sees every this-many-th pixel of every
    this-many-th row (:func:`cribwatch.color.evidence.nir_fit`'s ``stride``)."""
    evidence_rounds: int = FIT_ROUNDS
    """For a network with change evidence: the NIR fit's alternating least-squares rounds.
    The shipped classifier was fitted, and its validation and held-out numbers measured, with
    ``evidence_stride=2, evidence_rounds=6`` (docs/results/color.md, "Issue 26, session 4:
    making the evidence cheap")."""

    def __post_init__(self) -> None:
        check_fields(self)


class ColorRuntime:
    """Night frames to colour frames with an exported colour network, without torch.

    Example::

        rt = ColorRuntime(Path("color_ssim_guided.int8.onnx"), threads=2)
        rt.set_reference(day_rgb_u8)          # once per reference
        rgb_u8 = rt(night_u8)                 # every frame
    """

    def __init__(self, model: Path, threads: int = 1, cfg: RuntimeConfig | None = None) -> None:
        model = Path(model)
        if not model.is_file():
            raise CribwatchError(f"{model}: model file not found")
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
            props = dict(self.session.get_modelmeta().custom_metadata_map)
        except Exception as exc:  # noqa: BLE001 - any failure to load is a bad model file
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise CribwatchError(f"{model}: not an ONNX model ({reason})") from exc
        if "cribwatch" not in props:
            raise CribwatchError(f"{model}: not a cribwatch colour model (no 'cribwatch' metadata)")
        try:
            meta = json.loads(props["cribwatch"])
        except (ValueError, TypeError) as exc:
            raise CribwatchError(f"{model}: unreadable cribwatch colour metadata ({exc})") from exc
        self._setup(model, meta, cfg)

    def _setup(self, model: Path, meta: Any, cfg: RuntimeConfig | None) -> None:
        """The network's settings from its cribwatch metadata (``meta``), checked, and the
        session's input and output names (``self.session`` is open)."""
        try:
            self.net = dict(meta["network"])
            self.ssim = dict(meta["ssim_config"])
            self.size = int(self.net["size"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CribwatchError(f"{model}: unreadable cribwatch colour metadata ({exc})") from exc
        if self.ssim.get("work_side") not in (None, self.size):
            raise CribwatchError(f"{model}: the runtime needs the SSIM map at model resolution")
        self.evidence: Logistic | None = None
        if meta.get("evidence"):  # trained on the map fused with the change evidence
            try:
                self.evidence = Logistic(**meta["evidence"])
            except TypeError as exc:
                raise CribwatchError(
                    f"{model}: unreadable change-evidence metadata ({exc})"
                ) from exc
        self.cfg = cfg or RuntimeConfig()
        self._evidence_state = self._new_evidence_state()
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
        self._ref: dict[str, Any] = {}
        self._ref_size: tuple[int, int] | None = None
        self._buf: dict[str, np.ndarray] = {}

    def _new_evidence_state(self) -> EvidenceState:
        """A fresh stream cache of the change evidence with this runtime's settings."""
        c = self.cfg
        return EvidenceState(
            refit_every=c.evidence_refit, stride=c.evidence_stride, rounds=c.evidence_rounds
        )

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A full-resolution work buffer kept across frames: fresh 1-4 MB arrays every frame
        cost page faults that took longer than the arithmetic on this CPU."""
        buf = self._buf.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buf[name] = np.empty(shape, dtype)
        return buf

    @property
    def uses_reference(self) -> bool:
        return bool(self.net.get("reference", True))

    def set_reference(self, reference: np.ndarray, size: tuple[int, int] | None = None) -> None:
        """Prepare a day reference (H, W, 3) uint8 RGB for night frames of ``size`` (h, w)
        (default: the reference's own size; a reference of another size is resized to it)."""
        if reference.dtype != np.uint8 or reference.ndim != 3 or reference.shape[2] != 3:
            raise CribwatchError(
                f"reference must be (H, W, 3) uint8 RGB, got {reference.shape} {reference.dtype}"
            )
        size = size or reference.shape[:2]
        rf = reference.astype(np.float32) / 255.0
        s = self.size
        # a network with change evidence gets its model-size inputs resized as torch resizes
        # them (resize_aa): the evidence's noise normalisation sees the resize filter
        small = np.clip((resize_aa if self.evidence else shrink)(rf, (s, s)), 0.0, 1.0)
        lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab)
        ref_lab = (lab / np.array([L_SCALE, AB_SCALE, AB_SCALE], np.float32)).transpose(2, 0, 1)
        gray = small @ np.array([0.299, 0.587, 0.114], np.float32)
        full = np.clip(shrink(rf, size), 0.0, 1.0)
        gray = np.ascontiguousarray(gray, dtype=np.float32)
        # the reference's full-resolution chroma in the post stage's channel layout
        # ([slot of L, a + 128, b + 128]: OpenCV's 8-bit Lab encoding, before rounding)
        lab_hr = cv2.cvtColor(full, cv2.COLOR_RGB2Lab)
        lab_hr[..., 0] = 0.0
        lab_hr[..., 1:] += np.float32(128.0)
        self._ref = {
            "ref_lab": np.ascontiguousarray(ref_lab[None], dtype=np.float32),
            "gray": gray,
            "ssim_side": ssim_reference_np(gray, self.ssim),
            "rgb": small,
            "ab_hr": np.ascontiguousarray(lab_hr, dtype=np.float32),
        }
        if self.evidence is not None:  # a fresh stream cache: the reference's half, no fit yet
            self._evidence_state = self._new_evidence_state()
            self._evidence_state.prepare(small)
        self._ref_size = (int(size[0]), int(size[1]))

    def pre(self, night: np.ndarray) -> dict[str, np.ndarray]:
        """Network feeds and the full-resolution guide of an (H, W) uint8 night frame."""
        if night.dtype != np.uint8 or night.ndim != 2:
            raise CribwatchError(
                f"night frame must be (H, W) uint8, got {night.shape} {night.dtype}"
            )
        if self.uses_reference and self._ref_size != night.shape:
            raise CribwatchError(
                f"night frame {night.shape} does not match the prepared reference size "
                f"{self._ref_size}"
            )
        s = self.size
        # 8-bit to float32 [0, 1] in one table pass, then the area shrink (the triangle
        # resize of torch for a network with change evidence); no clip needed: an average of
        # values in [0, 1] stays there
        n = (resize_aa if self.evidence else shrink)(cv2.LUT(night, F_TABLE), (s, s))
        feeds = {"night_l": (_srgb_to_l(n) * np.float32(1.0 / L_SCALE))[None, None]}
        if self.uses_reference:
            feeds["ref_lab"] = self._ref["ref_lab"]
            if "smap" in self.inputs:
                smap = ssim_attention_map_np(n, None, self.ssim, self._ref["ssim_side"])
                if self.evidence is not None:  # model.evidence_inputs: map x (1 - p)
                    stack = self._evidence_state.stack(n, self._ref["rgb"], smap)
                    smap = smap * (np.float32(1.0) - change_probability(stack, self.evidence))
                feeds["smap"] = smap[None, None]
        # the guide (L / 100 of each grey level) at model resolution, and at full resolution
        # once per output channel (OpenCV's arithmetic wants equal channel counts; a merge
        # is cheaper than broadcasting)
        g = cv2.LUT(night, G_TABLE, dst=self._buffer("g_hr", night.shape, np.float32))
        feeds["_g_lr"] = shrink(g, (s, s)).copy()
        hw3 = (*night.shape, 3)
        feeds["_g3"] = cv2.merge([g, g, g], dst=self._buffer("g3", hw3, np.float32))
        feeds["_l8"] = cv2.LUT(night, L8_TABLE)
        return feeds

    def model(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """ONNX Runtime on the network feeds -> [ab] or [ab, gate] at model resolution."""
        return list(
            self.session.run(self.outputs, {k: v for k, v in feeds.items() if k in self.inputs})
        )

    def post(self, outs: list[np.ndarray], feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Guided upsampling, reference mixing and Lab -> RGB: (H, W, 3) uint8 (see
        :meth:`post_lab8`; the last step is OpenCV's table-driven 8-bit Lab -> RGB)."""
        return cv2.cvtColor(self.post_lab8(outs, feeds), cv2.COLOR_Lab2RGB)

    def post_lab8(self, outs: list[np.ndarray], feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Guided upsampling and reference mixing: (H, W, 3) uint8 in OpenCV's 8-bit Lab
        encoding (``L * 255 / 100``, ``a + 128``, ``b + 128``); a work buffer, valid until
        the next call.

        float32 throughout, and at full resolution every step works on one three-channel
        image laid out as OpenCV's 8-bit Lab (``[L slot, a + 128, b + 128]``): the guided
        filter's coefficients of ``[gate, a, b]`` (the ``+ 128`` and the ``AB_SCALE`` folded
        into them at model resolution) are upsampled in two calls and applied as
        ``a * guide + b`` in two more; the gate, clipped to [0, 1], blends the network's
        chroma with the reference's (``cv2.blendLinear``, one call); the result is rounded
        and saturated to 8 bits, the night frame's L (a table of its grey levels) goes into
        the first channel. The same arithmetic as the per-plane form of
        :func:`guided_upsample_np` up to float rounding: a and b differ from it by at most
        one 8-bit level (``tests/color/test_runtime.py`` checks it)."""
        s = self.size
        ab = outs[0][0]
        gate = outs[1][0, 0] if len(outs) > 1 else np.zeros((s, s), np.float32)
        src = cv2.merge([np.asarray(gate, np.float32), *np.asarray(ab, np.float32)])
        a, b = guided_coeffs_np(
            feeds["_g_lr"],
            src,
            self.cfg.radius,
            self.cfg.eps,
            (1.0, AB_SCALE, AB_SCALE),
            (0.0, 128.0, 128.0),
        )
        g3 = feeds["_g3"]
        hw = (g3.shape[1], g3.shape[0])
        p = cv2.resize(a, hw, dst=self._buffer("p", g3.shape, np.float32))
        q = cv2.resize(b, hw, dst=self._buffer("q", g3.shape, np.float32))
        cv2.multiply(p, g3, dst=p)
        cv2.add(p, q, dst=p)
        if len(outs) > 1:
            # ab + gate (ref_ab - ab) = (1 - gate) ab + gate ref_ab
            g = cv2.extractChannel(p, 0, dst=self._buffer("g", g3.shape[:2], np.float32))
            cv2.min(g, 1.0, dst=g)
            cv2.max(g, 0.0, dst=g)
            w = cv2.subtract(1.0, g, dst=self._buffer("w", g3.shape[:2], np.float32))
            p = cv2.blendLinear(p, self._ref["ab_hr"], w, g, dst=q)
        # round and saturate to 8 bits (a + 128 and b + 128 are never negative: |ab| <= 110)
        lab8 = cv2.convertScaleAbs(p, dst=self._buffer("lab8", g3.shape, np.uint8))
        cv2.insertChannel(feeds["_l8"], lab8, 0)
        return lab8

    def __call__(self, night: np.ndarray) -> np.ndarray:
        feeds = self.pre(night)
        return self.post(self.model(feeds), feeds)


def stage_marks(rt: ColorRuntime, night: np.ndarray) -> list[tuple[float, float]]:
    """Colour one frame, stage by stage; the (wall, CPU) clock before pre-processing and
    after each of pre-processing, the network and post-processing."""
    marks = [(time.perf_counter(), time.process_time())]
    feeds = rt.pre(night)
    marks.append((time.perf_counter(), time.process_time()))
    outs = rt.model(feeds)
    marks.append((time.perf_counter(), time.process_time()))
    rt.post(outs, feeds)
    marks.append((time.perf_counter(), time.process_time()))
    return marks


def bench_one(
    model: Path,
    height: int,
    width: int,
    threads: int,
    frames: int = 200,
    warmup: int = 20,
    open_rt: Callable[[Path, int], ColorRuntime] = ColorRuntime,
) -> dict[str, Any]:
    """Per-stage p50/p90 (ms) of the pipeline on one configuration, in this process
    (``open_rt(model, threads)`` opens it: ONNX Runtime by default).

    Besides wall time it gives the process CPU time per stage (``*_cpu_ms_p50``: all threads
    together) and the load average, since wall times on a shared machine grow with its load.

    The frames are the first bundled demo pair resized to ``height`` x ``width`` (decoding is
    not timed); the reference is prepared once (``ref_ms``: its one-off cost) and each frame
    then runs pre, model and post.
    """
    cv2.setNumThreads(threads)
    sample = Path(str(resources.files("cribwatch.demo") / "samples" / "color" / "00000"))
    night0 = cv2.imread(str(sample / "night.png"), cv2.IMREAD_GRAYSCALE)
    ref0 = cv2.cvtColor(cv2.imread(str(sample / "reference.png")), cv2.COLOR_BGR2RGB)
    if night0 is None or ref0 is None:
        raise CribwatchError(f"{sample}: bundled sample pair missing")
    night = cv2.resize(night0, (width, height), interpolation=cv2.INTER_LINEAR)
    ref = cv2.resize(ref0, (width, height), interpolation=cv2.INTER_LINEAR)
    rt = open_rt(model, threads)
    t0 = time.perf_counter()
    rt.set_reference(ref)
    ref_ms = 1000 * (time.perf_counter() - t0)
    stages = ("pre", "model", "post")
    times: dict[str, list[float]] = {k: [] for k in (*stages, "total")}
    cpu: dict[str, list[float]] = {k: [] for k in times}

    for i in range(warmup + frames):
        marks = stage_marks(rt, night)
        if i >= warmup:
            spans = [(k, marks[j], marks[j + 1]) for j, k in enumerate(stages)]
            for k, a, b in [*spans, ("total", marks[0], marks[-1])]:
                times[k].append(1000 * (b[0] - a[0]))
                cpu[k].append(1000 * (b[1] - a[1]))
    row: dict[str, Any] = {
        "resolution": f"{width}x{height}",
        "threads": threads,
        "frames": frames,
        "ref_ms": round(ref_ms, 3),
    }
    for k, vals in times.items():
        row[f"{k}_ms_p50"] = round(float(np.percentile(vals, 50)), 3)
        row[f"{k}_ms_p90"] = round(float(np.percentile(vals, 90)), 3)
    for k, vals in cpu.items():
        row[f"{k}_cpu_ms_p50"] = round(float(np.percentile(vals, 50)), 3)
    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
    row["load_avg_1min"] = round(os.getloadavg()[0], 2)
    return row


def main(argv: list[str] | None = None) -> int:
    """``python -m cribwatch.color.runtime MODEL --height H --width W --threads T``: one
    benchmark configuration as a JSON line (run in its own process for an honest peak RSS)."""
    from cribwatch import clikit  # python -m entry point: the CLI layer

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("model", type=Path)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    a = ap.parse_args(argv)

    def checked() -> dict[str, Any]:
        clikit.check_number("--height", a.height, low=1, high=8192, integer=True)
        clikit.check_number("--width", a.width, low=1, high=8192, integer=True)
        clikit.check_number("--threads", a.threads, low=1, high=256, integer=True)
        clikit.check_number("--frames", a.frames, low=1, high=1_000_000, integer=True)
        clikit.check_number("--warmup", a.warmup, low=0, high=1_000_000, integer=True)
        return bench_one(a.model, a.height, a.width, a.threads, a.frames, a.warmup)

    row = clikit.run(checked)
    sys.stdout.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

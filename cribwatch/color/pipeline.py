"""Full-resolution colorization with the learned network.

``pre -> model -> guided upsampling -> RGB``:

1. **Pre-processing** (float, outside the network, :func:`cribwatch.color.model.make_inputs`):
   night frame and reference resized to the model resolution (128x128), night L, reference
   Lab, SSIM map (:func:`cribwatch.color.mask.ssim_attention_map` with the settings saved in
   the weights).
2. **Model**: normalised ab at 128x128.
3. **Guided upsampling** of ab to the night frame's full size, guided by the full-resolution
   night lightness: the fast guided filter (K. He, J. Sun and X. Tang, "Guided image filtering",
   IEEE TPAMI 35(6), 2013; K. He and J. Sun, "Fast guided filter", arXiv 1505.00996, 2015).
   At model resolution, per ab channel ``p`` and the low-resolution guide ``I``:
   ``A = cov(I, p) / (var(I) + eps)``, ``b = mean(p) - A mean(I)`` over ``(2 r + 1)^2``
   boxes; ``A`` and ``b`` are box-averaged, upsampled bilinearly and applied to the
   full-resolution guide: ``q = A I_full + b``. Colour edges then follow the night frame's
   edges instead of the blur of a 128-pixel map. ``upsample="bilinear"`` is the plain resize
   it is measured against.
   The network's reference-copy gate is upsampled the same way and mixes, at full
   resolution, the reference's own full-resolution ab (reference resized to the night frame,
   as ``transfer`` does) with the upsampled network ab, so copied reference colour keeps its
   full-resolution detail (``compose="model"`` mixes at 128x128 instead, for comparison).
4. **RGB**: the night frame's full-resolution L with the upsampled ab, Lab -> sRGB (kornia).

Learned methods (names for ``cribwatch color eval/colorize --method``), each a
:data:`cribwatch.color.transfer.Method` ``fn(night (H, W), reference (h, w, 3)) -> (H, W, 3)``:

- ``ssim-guided``: the SSIM-attention network (``weights/color_ssim_guided.pt``);
- ``ref``: the same network trained without attention (``weights/color_ref.pt``);
- ``auto``: night frame only, the reference is ignored (``weights/color_auto.pt``);
- ``blend``: per pixel, ``m * ab_ref + (1 - m) * ab_auto`` with the SSIM map ``m`` (a colour
  blending baseline built from the two ablations).

A name with a variant suffix (``ssim-guided@bilinear``: plain bilinear upsampling;
``@lowres``: gate mixing at model resolution; ``@lowres-bilinear``: both) selects a pipeline
variant for measurements; variants are not listed in :data:`LEARNED_METHODS`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from cribwatch.cards import from_mapping
from cribwatch.color.checkpoint import load_checkpoint
from cribwatch.color.evidence import Logistic
from cribwatch.color.lab import (
    AB_SCALE,
    L_SCALE,
    compose,
    gray_to_l,
    np_to_t,
    resize,
    rgb_to_lab_t,
    t_to_np,
)
from cribwatch.color.mask import SSIMMapConfig
from cribwatch.color.methods import LEARNED_METHODS, WEIGHTS, default_weights
from cribwatch.color.model import ColorNet, ColorNetConfig, evidence_inputs, make_inputs
from cribwatch.color.transfer import Method
from cribwatch.errors import CribwatchError

VARIANTS: dict[str, dict[str, Any]] = {
    "guided": {},
    "bilinear": {"upsample": "bilinear"},
    "lowres": {"compose": "model"},
    "lowres-bilinear": {"compose": "model", "upsample": "bilinear"},
    "pad": {"pad": 0.1},
}
"""Pipeline variants selectable as ``method@variant`` (for measurements)."""


@dataclass(frozen=True)
class PipelineConfig:
    """Post-processing settings of the full-resolution pipeline."""

    upsample: Literal["guided", "bilinear"] = "guided"
    """How model-resolution ab reaches full resolution."""
    radius: int = 2
    """Guided-filter box radius in model-resolution pixels (2 -> 5x5 boxes)."""
    eps: float = 1e-3
    """Guided-filter regulariser on the variance of the guide (L / 100 units); larger = smoother."""
    pad: float = 0.0
    """Mirror margin (fraction of each side) added around the night frame (and reference)
    before the network and cropped off after: the frame's edges then lie inside the
    network's view, away from its zero padding, which paints colour blobs along the edges of
    the ``auto`` network's output (variant ``@pad``: 0.1; the default 0 keeps the outputs as
    trained and measured)."""
    compose: Literal["full", "model"] = "full"
    """Where the gate mixes reference and network ab: at full resolution with the reference's
    own full-resolution ab ("full"), or at model resolution before upsampling ("model")."""


@dataclass
class LoadedNet:
    """A network with the pre-processing settings it was trained with."""

    model: ColorNet
    ssim_cfg: SSIMMapConfig
    meta: dict[str, Any]


def load_net(path: Path) -> LoadedNet:
    """Load weights (a training checkpoint or a shipped weights file) for inference; the file
    is read without running code and its configs are validated (errors name ``path``)."""
    state = load_checkpoint(Path(path))
    model = ColorNet(from_mapping(ColorNetConfig, state["config"], f"{path}: config"))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0][:200]
        raise CribwatchError(f"{path}: weights do not match the network ({reason})") from exc
    model.eval()
    ssim_cfg = from_mapping(SSIMMapConfig, state["ssim_config"], f"{path}: ssim_config")
    meta = state.get("meta", {})
    return LoadedNet(model, ssim_cfg, dict(meta) if isinstance(meta, dict) else {})


def _box(x: Tensor, r: int) -> Tensor:
    return F.avg_pool2d(x, 2 * r + 1, stride=1, padding=r, count_include_pad=False)


def guided_upsample(
    guide_lr: Tensor, src_lr: Tensor, guide_hr: Tensor, radius: int = 2, eps: float = 1e-3
) -> Tensor:
    """Fast guided-filter upsampling of ``src_lr`` ``(B, C, h, w)`` to the size of
    ``guide_hr`` ``(B, 1, H, W)``, with ``guide_lr`` the guide at ``(h, w)`` (see module doc)."""
    mean_i = _box(guide_lr, radius)
    mean_p = _box(src_lr, radius)
    cov = _box(guide_lr * src_lr, radius) - mean_i * mean_p
    var = _box(guide_lr * guide_lr, radius) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    a, b = _box(a, radius), _box(b, radius)
    size = (int(guide_hr.shape[-2]), int(guide_hr.shape[-1]))
    a = F.interpolate(a, size=size, mode="bilinear", align_corners=False)
    b = F.interpolate(b, size=size, mode="bilinear", align_corners=False)
    return a * guide_hr + b


def upsample_ab(ab_lr: Tensor, l_hr: Tensor, cfg: PipelineConfig) -> Tensor:
    """Model-resolution ab (Lab units) to the size of the full-resolution ``l_hr`` (Lab L)."""
    size = (int(l_hr.shape[-2]), int(l_hr.shape[-1]))
    if cfg.upsample == "bilinear":
        return F.interpolate(ab_lr, size=size, mode="bilinear", align_corners=False)
    if cfg.upsample != "guided":
        raise CribwatchError(f"unknown upsampling {cfg.upsample!r} (guided or bilinear)")
    g_hr = l_hr / L_SCALE
    g_lr = resize(g_hr, (int(ab_lr.shape[-2]), int(ab_lr.shape[-1])))
    out = guided_upsample(g_lr, ab_lr / AB_SCALE, g_hr, cfg.radius, cfg.eps) * AB_SCALE
    return out.clamp(-AB_SCALE, AB_SCALE)


def _check(night: np.ndarray, reference: np.ndarray | None) -> None:
    if night.ndim != 2:
        raise CribwatchError(f"night frame must be grey (H, W), got shape {night.shape}")
    if not np.all(np.isfinite(night)):
        raise CribwatchError("night frame contains NaN or infinite values")
    if reference is not None:
        if reference.ndim != 3 or reference.shape[2] != 3:
            raise CribwatchError(f"reference must be RGB (H, W, 3), got shape {reference.shape}")
        if not np.all(np.isfinite(reference)):
            raise CribwatchError("reference contains NaN or infinite values")


def _net_outputs(
    net: LoadedNet, n: Tensor, r: Tensor | None
) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor | None, Tensor]:
    """The network's own ab and gate at model resolution, its normalised reference Lab and
    SSIM map (None where the net does not use them), and the full-resolution night L."""
    c = net.model.cfg
    use_map = c.reference and c.attention
    night_l, ref_lab, smap = make_inputs(
        n, r if c.reference else None, c.size, net.ssim_cfg, with_map=use_map
    )
    evidence = net.meta.get("evidence")
    if evidence and smap is not None and r is not None:  # trained on the fused map (issue 26)
        smap = evidence_inputs(n, r, smap, Logistic(**evidence), c.size)[1]
    ab_net, gate = net.model.forward_parts(night_l, ref_lab, smap)
    return ab_net, gate, ref_lab, smap, gray_to_l(n)


def _full_res_ab(
    net: LoadedNet, n: Tensor, r: Tensor | None, cfg: PipelineConfig
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Full-resolution ab (Lab units), the full-resolution L and the model-resolution SSIM map
    (None when the net does not use it) for night ``n`` (1, 1, H, W) and reference ``r``."""
    ab_net, gate, ref_lab, smap, l_hr = _net_outputs(net, n, r)
    if gate is None or ref_lab is None or r is None:
        return upsample_ab(ab_net * AB_SCALE, l_hr, cfg), l_hr, smap
    if cfg.compose == "model":
        ab = gate * ref_lab[:, 1:3] + (1.0 - gate) * ab_net
        return upsample_ab(ab * AB_SCALE, l_hr, cfg), l_hr, smap
    ab_hr, gate_hr, ref_ab_hr = _parts_hr(ab_net, gate, r, l_hr, cfg)
    return gate_hr * ref_ab_hr + (1.0 - gate_hr) * ab_hr, l_hr, smap


def _parts_hr(
    ab_net: Tensor, gate: Tensor, r: Tensor, l_hr: Tensor, cfg: PipelineConfig
) -> tuple[Tensor, Tensor, Tensor]:
    """The network's own ab and its gate upsampled to ``l_hr``'s size (guided by it), and the
    reference's own full-resolution ab: the three parts the output is composed of."""
    size = (int(l_hr.shape[-2]), int(l_hr.shape[-1]))
    ref_ab_hr = rgb_to_lab_t(resize(r, size).clamp(0.0, 1.0))[:, 1:]
    ab_hr = upsample_ab(ab_net * AB_SCALE, l_hr, cfg)
    gate_hr = (upsample_ab(gate * AB_SCALE, l_hr, cfg) / AB_SCALE).clamp(0.0, 1.0)
    return ab_hr, gate_hr, ref_ab_hr


@torch.no_grad()
def colour_parts(
    net: LoadedNet, night: np.ndarray, reference: np.ndarray, cfg: PipelineConfig | None = None
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Full-resolution parts of a gated network's output for inspection, as (1, C, H, W)
    tensors: its own ab, its gate, the reference ab (Lab units) and the night L; the output
    is ``gate * reference ab + (1 - gate) * own ab`` with the night L."""
    if not net.model.cfg.reference:
        raise CribwatchError("colour_parts needs a network with a reference (and its gate)")
    _check(night, reference)
    n, r = np_to_t(np.clip(night, 0, 1)), np_to_t(reference)
    ab_net, gate, _, _, l_hr = _net_outputs(net, n, r)
    assert gate is not None
    ab_hr, gate_hr, ref_ab_hr = _parts_hr(ab_net, gate, r, l_hr, cfg or PipelineConfig())
    return ab_hr, gate_hr, ref_ab_hr, l_hr


class Colorizer:
    """Callable ``Method`` for one network (``ssim-guided``, ``ref`` or ``auto``)."""

    def __init__(self, net: LoadedNet, cfg: PipelineConfig | None = None) -> None:
        self.net, self.cfg = net, cfg or PipelineConfig()

    @torch.no_grad()
    def __call__(self, night: np.ndarray, reference: np.ndarray) -> np.ndarray:
        uses_ref = self.net.model.cfg.reference
        _check(night, reference if uses_ref else None)
        pad = self.cfg.pad
        h, w = night.shape
        ph, pw = int(round(pad * h)), int(round(pad * w))
        n_np = np.clip(night, 0, 1)
        if ph or pw:
            n_np = np.pad(n_np, ((ph, ph), (pw, pw)), mode="reflect")
        n = np_to_t(n_np)
        r = None
        if uses_ref:
            r_np = np.asarray(reference, np.float32)
            if ph or pw:  # the reference, resized to the frame, mirrored the same way
                r_np = t_to_np(resize(np_to_t(r_np), (h, w)))
                r_np = np.pad(r_np, ((ph, ph), (pw, pw), (0, 0)), mode="reflect")
            r = np_to_t(r_np)
        ab, l_hr, _ = _full_res_ab(self.net, n, r, self.cfg)
        out = t_to_np(compose(l_hr, ab))
        return out[ph : ph + h, pw : pw + w] if (ph or pw) else out


class BlendColorizer:
    """``blend``: the ``ref`` and ``auto`` outputs mixed per pixel by the SSIM map."""

    def __init__(self, ref: LoadedNet, auto: LoadedNet, cfg: PipelineConfig | None = None) -> None:
        if not ref.model.cfg.reference or auto.model.cfg.reference:
            raise CribwatchError("blend needs a reference network and an automatic network")
        self.ref, self.auto, self.cfg = ref, auto, cfg or PipelineConfig()
        self.ssim_cfg = ref.ssim_cfg

    @torch.no_grad()
    def __call__(self, night: np.ndarray, reference: np.ndarray) -> np.ndarray:
        _check(night, reference)
        n, r = np_to_t(np.clip(night, 0, 1)), np_to_t(reference)
        _, _, smap = make_inputs(n, r, self.ref.model.cfg.size, self.ssim_cfg)
        assert smap is not None
        ab_ref, l_hr, _ = _full_res_ab(self.ref, n, r, self.cfg)
        ab_auto, _, _ = _full_res_ab(self.auto, n, None, self.cfg)
        m = resize(smap, (int(n.shape[-2]), int(n.shape[-1]))).clamp(0.0, 1.0)
        return t_to_np(compose(l_hr, m * ab_ref + (1.0 - m) * ab_auto))


def learned_method(name: str, weights: Path | None = None) -> Method:
    """The learned method ``name`` (see module doc) as a ``Method``.

    Args:
        name: one of :data:`LEARNED_METHODS`, optionally with ``@bilinear`` or ``@guided``.
        weights: weights file for ``ssim-guided``, ``ref`` or ``auto`` (default: the shipped
            ones); not accepted for ``blend``, which uses the shipped ``ref`` and ``auto``.
    """
    base, _, variant = name.partition("@")
    cfg = PipelineConfig()
    if variant:
        if variant not in VARIANTS:
            raise CribwatchError(
                f"unknown variant {variant!r} in method {name!r} ({', '.join(VARIANTS)})"
            )
        cfg = replace(cfg, **VARIANTS[variant])
    if base not in LEARNED_METHODS:
        raise CribwatchError(
            f"unknown learned method {name!r} (one of {', '.join(LEARNED_METHODS)})"
        )
    if base == "blend":
        if weights is not None:
            raise CribwatchError(
                "blend uses the shipped ref and auto weights; --weights not accepted"
            )
        return BlendColorizer(
            load_net(default_weights("ref")), load_net(default_weights("auto")), cfg
        )
    path = Path(weights) if weights is not None else default_weights(base)
    net = load_net(path)
    want = {"ssim-guided": (True, True), "ref": (True, False), "auto": (False, None)}[base]
    got_ref, got_att = net.model.cfg.reference, net.model.cfg.attention
    if got_ref != want[0] or (want[1] is not None and got_att != want[1]):
        raise CribwatchError(
            f"{path}: weights are for reference={got_ref}, attention={got_att}, not {base!r}"
        )
    return Colorizer(net, cfg)


__all__ = [
    "LEARNED_METHODS",
    "WEIGHTS",
    "BlendColorizer",
    "Colorizer",
    "PipelineConfig",
    "default_weights",
    "guided_upsample",
    "learned_method",
    "load_net",
    "upsample_ab",
]

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
4. **RGB**: the night frame's full-resolution L with the upsampled ab, Lab -> sRGB (kornia).

Learned methods (names for ``cribwatch color eval/colorize --method``), each a
:data:`cribwatch.color.transfer.Method` ``fn(night (H, W), reference (h, w, 3)) -> (H, W, 3)``:

- ``ssim-guided``: the SSIM-attention network (``weights/color_ssim_guided.pt``);
- ``ref``: the same network trained without attention (``weights/color_ref.pt``);
- ``auto``: night frame only, the reference is ignored (``weights/color_auto.pt``);
- ``blend``: per pixel, ``m * ab_ref + (1 - m) * ab_auto`` with the SSIM map ``m`` (a colour
  blending baseline built from the two ablations).

A name with ``@bilinear`` (``ssim-guided@bilinear``) uses plain bilinear ab upsampling; it is
for measuring what guided upsampling gains and is not listed in :data:`LEARNED_METHODS`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from cribwatch.color.lab import AB_SCALE, L_SCALE, compose, gray_to_l, np_to_t, resize, t_to_np
from cribwatch.color.mask import SSIMMapConfig
from cribwatch.color.model import ColorNet, config_from_dict, make_inputs
from cribwatch.color.transfer import Method
from cribwatch.errors import CribwatchError

LEARNED_METHODS: tuple[str, ...] = ("ref", "auto", "blend", "ssim-guided")
"""Learned method names, resolved by :func:`learned_method`."""

WEIGHTS: dict[str, str] = {
    "ssim-guided": "color_ssim_guided.pt",
    "ref": "color_ref.pt",
    "auto": "color_auto.pt",
}
"""Shipped weight files (in ``cribwatch/weights/``) of the single-network methods."""


@dataclass(frozen=True)
class PipelineConfig:
    """Post-processing settings of the full-resolution pipeline."""

    upsample: Literal["guided", "bilinear"] = "guided"
    """How model-resolution ab reaches full resolution."""
    radius: int = 2
    """Guided-filter box radius in model-resolution pixels (2 -> 5x5 boxes)."""
    eps: float = 1e-3
    """Guided-filter regulariser on the variance of the guide (L / 100 units); larger = smoother."""


@dataclass
class LoadedNet:
    """A network with the pre-processing settings it was trained with."""

    model: ColorNet
    ssim_cfg: SSIMMapConfig
    meta: dict[str, Any]


def default_weights(method: str) -> Path:
    """Path of the shipped weights of ``method`` (``ssim-guided``, ``ref`` or ``auto``)."""
    if method not in WEIGHTS:
        raise CribwatchError(f"no shipped weights for method {method!r}")
    return Path(str(resources.files("cribwatch") / "weights" / WEIGHTS[method]))


def load_net(path: Path) -> LoadedNet:
    """Load weights (a training checkpoint or a shipped weights file) for inference."""
    from cribwatch.color.train import load_checkpoint

    state = load_checkpoint(Path(path))
    model = ColorNet(config_from_dict(state["config"]))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise CribwatchError(f"{path}: weights do not match the network ({exc})") from exc
    model.eval()
    ssim_cfg = SSIMMapConfig(**state["ssim_config"])
    return LoadedNet(model, ssim_cfg, dict(state.get("meta", {})))


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


def _predict_ab(net: LoadedNet, n: Tensor, r: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """Model-resolution ab (Lab units) and the SSIM map (None when the net does not use it)."""
    c = net.model.cfg
    use_map = c.reference and c.attention
    night_l, ref_lab, smap = make_inputs(
        n, r if c.reference else None, c.size, net.ssim_cfg, with_map=use_map
    )
    return net.model(night_l, ref_lab, smap) * AB_SCALE, smap


class Colorizer:
    """Callable ``Method`` for one network (``ssim-guided``, ``ref`` or ``auto``)."""

    def __init__(self, net: LoadedNet, cfg: PipelineConfig | None = None) -> None:
        self.net, self.cfg = net, cfg or PipelineConfig()

    @torch.no_grad()
    def __call__(self, night: np.ndarray, reference: np.ndarray) -> np.ndarray:
        _check(night, reference if self.net.model.cfg.reference else None)
        n = np_to_t(np.clip(night, 0, 1))
        r = np_to_t(reference) if self.net.model.cfg.reference else None
        ab, _ = _predict_ab(self.net, n, r)
        l_hr = gray_to_l(n)
        return t_to_np(compose(l_hr, upsample_ab(ab, l_hr, self.cfg)))


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
        size = self.ref.model.cfg.size
        _, _, smap = make_inputs(n, r, size, self.ssim_cfg)
        assert smap is not None
        ab_ref, _ = _predict_ab(self.ref, n, r)
        ab_auto, _ = _predict_ab(self.auto, n, None)
        if ab_auto.shape != ab_ref.shape:
            ab_auto = resize(ab_auto, (int(ab_ref.shape[-2]), int(ab_ref.shape[-1])))
        ab = smap * ab_ref + (1.0 - smap) * ab_auto
        l_hr = gray_to_l(n)
        return t_to_np(compose(l_hr, upsample_ab(ab, l_hr, self.cfg)))


def learned_method(name: str, weights: Path | None = None) -> Method:
    """The learned method ``name`` (see module doc) as a ``Method``.

    Args:
        name: one of :data:`LEARNED_METHODS`, optionally with ``@bilinear`` or ``@guided``.
        weights: weights file for ``ssim-guided``, ``ref`` or ``auto`` (default: the shipped
            ones); not accepted for ``blend``, which uses the shipped ``ref`` and ``auto``.
    """
    base, _, up = name.partition("@")
    cfg = PipelineConfig()
    if up:
        if up not in ("guided", "bilinear"):
            raise CribwatchError(f"unknown upsampling {up!r} in method {name!r}")
        cfg = replace(cfg, upsample=up)  # type: ignore[arg-type]
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
    "BlendColorizer",
    "Colorizer",
    "PipelineConfig",
    "default_weights",
    "guided_upsample",
    "learned_method",
    "load_net",
    "upsample_ab",
]

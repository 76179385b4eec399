"""SSIM-guided colorization network: night lightness + day reference + SSIM map -> ab.

The network predicts only chroma (Lab ab) for the night frame at model resolution (128x128 by
default); lightness always comes from the night frame itself.

Architecture (a two-branch U-Net, all plain convolutions, depthwise-separable blocks, ReLU and
bilinear upsampling, so it exports to ONNX/TFLite and quantizes without custom ops):

- **Night branch** (encoder): the night frame's L (``L / 100``), the same L standardised per
  image (night exposure varies a lot), and the SSIM map, at four levels (1, 1/2, 1/4, 1/8).
- **Reference branch** (encoder): the reference in normalised Lab (``L / 100``, ``a / 110``,
  ``b / 110``) at the same four levels.
- **SSIM attention** in the manner of EnlightenGAN's self-regularised attention (Jiang et al.,
  arXiv 1906.06972): the SSIM map is resized (bilinear) to every feature resolution and
  multiplied into every tensor that carries reference colour *where it joins the night stream*:
  the reference encoder skips, the reference bottleneck, and the reference ab that the decoder
  receives at full model resolution. Reference colour therefore flows only where structure
  matches; where the map is 0 the output is a function of the night frame alone, which the
  decoder must colour from the night frame itself.
- **Decoder**: bilinear x2 upsampling, concatenation with the night skip and the attended
  reference skip, a 1x1 fusion and a depthwise-separable block per level; a 3x3 head and
  ``tanh`` bound the network's own normalised ab to [-1, 1] (times
  :data:`~cribwatch.color.lab.AB_SCALE`).
- **Reference-copy gate** (with a reference): a second 3x3 head gives ``g``; the output is
  ``G * ref_ab + (1 - G) * ab`` with ``G = sigmoid(g) * min(1, m / gate_full_at)``, the SSIM
  attention applied once more to the gate. Where nothing changed the network can pass the
  reference's chroma through exactly (a small network does not reproduce it well through its
  features); where the map is 0 the gate is closed and the colour is the network's own.

Switches (one class, so the ablations share all code):

- ``attention=False``: the SSIM map is replaced by ones everywhere (no multiplication, and the
  night branch sees a constant map): the "reference" baseline, a reference U-Net with day Lab
  and night L input. Changing the map then changes nothing.
- ``reference=False``: no reference branch at all (automatic colorization from the night frame
  alone, for when no reference exists).

:func:`make_inputs` is the one place that turns a night frame and a reference into the
network's inputs (resize to model size, Lab, SSIM map), shared by training and inference; the
SSIM map pipeline stays outside the network (float pre-processing) so the exported network
stays quantization-friendly. :func:`evidence_inputs` fuses the map with the change probability
of :mod:`cribwatch.color.evidence` (``map x (1 - p)``) for a network trained or run with change
evidence (its weights' ``meta.evidence``); the input layout stays the same.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from cribwatch.color.config import ARCHITECTURES, SLIM, ColorNetConfig
from cribwatch.color.evidence import Logistic, change_probability, evidence_stack
from cribwatch.color.lab import AB_SCALE, L_SCALE, gray_to_l, luma, resize, rgb_to_lab_t
from cribwatch.color.mask import SSIMMapConfig, ssim_attention_map
from cribwatch.errors import CribwatchError


def default_ssim_config() -> SSIMMapConfig:
    """SSIM map settings of the network: the pipeline's defaults, worked at model resolution."""
    return SSIMMapConfig(work_side=ColorNetConfig.size)


class ConvBNReLU(nn.Sequential):
    """Conv (optionally grouped/strided) + BatchNorm + ReLU; BN folds into the conv on export."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class DSBlock(nn.Module):
    """Depthwise 3x3 (stride 1 or 2) + pointwise 1x1, residual when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = ConvBNReLU(cin, cin, 3, stride=stride, groups=cin)
        self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        y = self.pw(self.dw(x))
        if self.residual:
            y = y + x
        return F.relu(y)


class Encoder(nn.Module):
    """Four-level encoder: stem at full resolution, then a stride-2 block per level."""

    def __init__(self, cin: int, widths: tuple[int, ...], stem_stride: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            ConvBNReLU(cin, widths[0], 3, stride=stem_stride), DSBlock(widths[0], widths[0])
        )
        self.down = nn.ModuleList(
            nn.Sequential(
                DSBlock(widths[i], widths[i + 1], stride=2), DSBlock(widths[i + 1], widths[i + 1])
            )
            for i in range(len(widths) - 1)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        feats = [self.stem(x)]
        for block in self.down:
            feats.append(block(feats[-1]))
        return feats


class UpFuse(nn.Module):
    """Bilinear x2 upsampling, concatenation with skips, 1x1 fusion, one DS block."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.fuse = ConvBNReLU(cin + cskip, cout, 1)
        self.block = DSBlock(cout, cout)

    def forward(self, x: Tensor, skips: list[Tensor]) -> Tensor:
        size = (int(skips[0].shape[-2]), int(skips[0].shape[-1]))
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        return self.block(self.fuse(torch.cat([x, *skips], dim=1)))


def attend(x: Tensor, smap: Tensor) -> Tensor:
    """Multiply ``x`` by the SSIM map resized (bilinear) to ``x``'s resolution."""
    if smap.shape[-2:] != x.shape[-2:]:
        size = (int(x.shape[-2]), int(x.shape[-1]))
        smap = F.interpolate(smap, size=size, mode="bilinear", align_corners=False)
    return x * smap


def _to_size(x: Tensor, size: tuple[int, int]) -> Tensor:
    """``x`` resized (bilinear) to ``size`` where it differs (heads below model resolution)."""
    if (int(x.shape[-2]), int(x.shape[-1])) == size:
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ColorNet(nn.Module):
    """The SSIM-guided colorization network (see the module docstring).

    Inputs (all ``(B, C, S, S)`` at model resolution ``S``):
        night_l: ``(B, 1)`` night lightness ``L / 100`` in [0, 1].
        ref_lab: ``(B, 3)`` reference Lab normalised (``L / 100``, ``a / 110``, ``b / 110``);
            ignored (may be None) when ``reference=False``.
        smap: ``(B, 1)`` SSIM map in [0, 1] (1 = structure matches); ignored (may be None)
            when ``attention=False`` or ``reference=False``.

    Returns:
        ``(B, 2)`` normalised ab in [-1, 1]; multiply by ``AB_SCALE`` for Lab units.
    """

    def __init__(self, cfg: ColorNetConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or ColorNetConfig()
        w, rw = cfg.widths, cfg.ref_widths
        self.night = Encoder(3, w, cfg.stem_stride)
        self.bottleneck = nn.Sequential(
            *(DSBlock(w[3], w[3]) for _ in range(cfg.bottleneck_blocks))
        )
        self.ref: Encoder | None = None
        ref_skip: tuple[int, ...] = (0, 0, 0, 0)
        if cfg.reference:
            self.ref = Encoder(3, rw, cfg.stem_stride)
            self.ref_bottleneck = DSBlock(rw[3], rw[3])
            self.merge = ConvBNReLU(w[3] + rw[3], w[3], 1)
            ref_skip = rw
        self.up2 = UpFuse(w[3], w[2] + ref_skip[2], w[2])
        self.up1 = UpFuse(w[2], w[1] + ref_skip[1], w[1])
        self.up0 = UpFuse(w[1], w[0] + ref_skip[0] + (2 if cfg.reference else 0), w[0])
        self.head = nn.Conv2d(w[0], 2, 3, padding=1)
        self.gate: nn.Conv2d | None = None
        if cfg.reference:
            self.gate = nn.Conv2d(w[0], 1, 3, padding=1)

    def _night_input(self, night_l: Tensor, smap: Tensor) -> Tensor:
        c = self.cfg
        mean = night_l.mean(dim=(2, 3), keepdim=True)
        std = (night_l - mean).pow(2).mean(dim=(2, 3), keepdim=True).sqrt()
        z = (night_l - mean) / (std + c.std_eps)
        return torch.cat([night_l, 0.5 + c.std_gain * z, smap], dim=1)

    def forward(
        self,
        night_l: Tensor,
        ref_lab: Tensor | None = None,
        smap: Tensor | None = None,
        with_parts: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor, Tensor | None]:
        """Composed ab; with ``with_parts`` also the network's own ab and the gate (training
        uses this to supervise both through the DistributedDataParallel wrapper)."""
        ab, gate = self.forward_parts(night_l, ref_lab, smap)
        out = ab if gate is None or ref_lab is None else gate * ref_lab[:, 1:3] + (1.0 - gate) * ab
        return (out, ab, gate) if with_parts else out

    def forward_parts(
        self, night_l: Tensor, ref_lab: Tensor | None = None, smap: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """The network's own ab and the reference-copy gate (None without a reference).

        The output is ``gate * ref_ab + (1 - gate) * ab``; ``gate = sigmoid(g) * min(1, m / t)``
        with ``m`` the SSIM map (ones without attention), so a zero map closes the gate and the
        reference reaches neither term. The full-resolution pipeline composes the two parts
        at the frame's size, with the reference's own full-resolution ab.
        """
        use_map = self.cfg.reference and self.cfg.attention
        if use_map:
            if smap is None:
                raise CribwatchError("ColorNet with attention needs an SSIM map")
            a = smap
        else:
            a = torch.ones_like(night_l)
        n = self.night(self._night_input(night_l, a))
        b = self.bottleneck(n[3])
        skips: list[list[Tensor]] = [[n[0]], [n[1]], [n[2]]]
        if self.ref is not None:
            if ref_lab is None:
                raise CribwatchError("ColorNet with reference=True needs ref_lab")
            r = self.ref(ref_lab)
            rb = self.ref_bottleneck(r[3])
            b = self.merge(torch.cat([b, attend(rb, a)], dim=1))
            for i in range(3):
                skips[i].append(attend(r[i], a))
            ref_ab = ref_lab[:, 1:3]
            if self.cfg.stem_stride > 1:  # the first level works below model resolution
                ref_ab = F.avg_pool2d(ref_ab, self.cfg.stem_stride)
            skips[0].append(attend(ref_ab, a))
        x = self.up2(b, skips[2])
        x = self.up1(x, skips[1])
        x = self.up0(x, skips[0])
        size = (int(night_l.shape[-2]), int(night_l.shape[-1]))
        if self.gate is None:
            return torch.tanh(_to_size(self.head(x), size)), None
        # The two heads as one convolution with three outputs (ab, gate logit): the same
        # arithmetic, but one pass over the features instead of two, and a runtime's kernels
        # handle three output channels better than one or two (the heads were the slowest
        # convolutions of the exported graph, FP32 and INT8 alike).
        w = torch.cat([self.head.weight, self.gate.weight])
        bias = torch.cat([cast(Tensor, self.head.bias), cast(Tensor, self.gate.bias)])
        y = _to_size(F.conv2d(x, w, bias, padding=1), size)
        limit = torch.clamp(a / self.cfg.gate_full_at, max=1.0)
        return torch.tanh(y[:, :2]), torch.sigmoid(y[:, 2:3]) * limit


def make_inputs(
    night: Tensor,
    reference: Tensor | None,
    size: int = ColorNetConfig.size,
    ssim_cfg: SSIMMapConfig | None = None,
    with_map: bool = True,
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Network inputs at model resolution from full-size frames.

    Args:
        night: ``(B, 1, H, W)`` night grey frame in [0, 1].
        reference: ``(B, 3, h, w)`` day reference RGB in [0, 1], or None (automatic mode).
        size: model resolution (square); frames are resized (antialiased bilinear) to it.
        ssim_cfg: SSIM map settings (default :func:`default_ssim_config`); the same settings
            must be used in training and inference.
        with_map: compute the SSIM map (skip it for models that ignore it).

    Returns:
        ``(night_l, ref_lab, smap)`` as :class:`ColorNet` expects; differentiable torch ops.
    """
    if night.ndim != 4 or night.shape[1] != 1:
        raise CribwatchError(f"night frame must be (B, 1, H, W), got {tuple(night.shape)}")
    n = resize(night, (size, size)).clamp(0.0, 1.0)
    night_l = gray_to_l(n) / L_SCALE
    if reference is None:
        return night_l, None, None
    if reference.ndim != 4 or reference.shape[1] != 3:
        raise CribwatchError(f"reference must be (B, 3, H, W), got {tuple(reference.shape)}")
    r = resize(reference, (size, size)).clamp(0.0, 1.0)
    lab = rgb_to_lab_t(r)
    scale = torch.tensor([L_SCALE, AB_SCALE, AB_SCALE], dtype=lab.dtype, device=lab.device)
    ref_lab = lab / scale.view(1, 3, 1, 1)
    smap = None
    if with_map:
        smap = ssim_attention_map(n, luma(r), ssim_cfg or default_ssim_config()).to(n.dtype)
    return night_l, ref_lab, smap


def evidence_inputs(
    night: Tensor, reference: Tensor, smap: Tensor, logistic: Logistic, size: int
) -> tuple[Tensor, Tensor]:
    """The change probability of :mod:`cribwatch.color.evidence` and the SSIM map fused with it.

    Args:
        night: ``(B, 1, H, W)`` night frames in [0, 1] (full size, as :func:`make_inputs`).
        reference: ``(B, 3, h, w)`` references RGB in [0, 1].
        smap: ``(B, 1, S, S)`` SSIM map from :func:`make_inputs` (model resolution ``S``).
        logistic: the change classifier (fitted on training pairs).
        size: model resolution ``S``.

    Returns:
        ``(p, fused)``: ``p`` the probability that each pixel changed and ``fused = smap (1 - p)``,
        both ``(B, 1, S, S)``; the network with evidence sees ``fused`` where it saw the map.
        Computed in NumPy (no gradient), per frame.
    """
    n = resize(night, (size, size)).clamp(0.0, 1.0).detach().cpu().numpy()
    r = resize(reference, (size, size)).clamp(0.0, 1.0).detach().cpu().numpy()
    m = smap.detach().cpu().numpy()
    probs = [
        change_probability(
            evidence_stack(n[i, 0], np.ascontiguousarray(r[i].transpose(1, 2, 0)), m[i, 0]),
            logistic,
        )
        for i in range(n.shape[0])
    ]
    p = torch.from_numpy(np.stack(probs)[:, None]).to(smap.dtype)
    return p, smap * (1.0 - p)


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: ColorNet, size: int | None = None) -> int:
    """Multiply-accumulates of one forward pass on one ``size`` x ``size`` frame.

    Counted by :class:`torch.utils.flop_counter.FlopCounterMode` (convolutions and matrix
    products; it reports 2 FLOPs per MAC), on the model in eval mode.
    """
    s = size or model.cfg.size
    x = torch.rand(1, 1, s, s)
    ref = torch.rand(1, 3, s, s)
    smap = torch.rand(1, 1, s, s)
    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x, ref, smap)
    model.train(was_training)
    return int(counter.get_total_flops() // 2)


def config_dict(cfg: ColorNetConfig) -> dict[str, Any]:
    """Config as a JSON-ready dict."""
    d = asdict(cfg)
    d["widths"] = list(cfg.widths)
    d["ref_widths"] = list(cfg.ref_widths)
    return d


def config_from_dict(d: dict[str, Any]) -> ColorNetConfig:
    """Inverse of :func:`config_dict` (unknown keys raise CribwatchError)."""
    known = {f for f in ColorNetConfig.__dataclass_fields__}
    extra = set(d) - known
    if extra:
        raise CribwatchError(f"unknown ColorNet config keys: {sorted(extra)}")
    kw = dict(d)
    for k in ("widths", "ref_widths"):
        if k in kw:
            kw[k] = tuple(kw[k])
    return ColorNetConfig(**kw)


__all__ = [
    "ARCHITECTURES",
    "SLIM",
    "ColorNet",
    "ColorNetConfig",
    "attend",
    "config_dict",
    "config_from_dict",
    "count_macs",
    "count_params",
    "default_ssim_config",
    "evidence_inputs",
    "make_inputs",
]

"""The one colour-conversion helper on the runtime path (torch, via kornia).

Conventions: RGB is sRGB in [0, 1]; Lab is CIE L*a*b* (D65) with L in [0, 100] and a, b
roughly in [-110, 110]. A grey night frame ``g`` is read as the sRGB grey ``(g, g, g)``; its
lightness is the L of that grey. scikit-image's converters serve metrics and tests only.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from kornia.color import lab_to_rgb, rgb_to_lab
from torch import Tensor

AB_SCALE = 110.0
"""Normalisation of a and b: ab / AB_SCALE lies in about [-1, 1]."""
L_SCALE = 100.0
"""Normalisation of L: L / L_SCALE lies in [0, 1]."""


def gray_to_l(gray: Tensor) -> Tensor:
    """``(B, 1, H, W)`` sRGB grey in [0, 1] -> CIE L in [0, 100] (exact, no kornia needed)."""
    g = gray.clamp(0.0, 1.0)
    lin = torch.where(g <= 0.04045, g / 12.92, ((g + 0.055) / 1.055) ** 2.4)
    f = torch.where(
        lin > (6 / 29) ** 3, lin.clamp_min(1e-12) ** (1 / 3), lin / (3 * (6 / 29) ** 2) + 4 / 29
    )
    return 116.0 * f - 16.0


def rgb_to_lab_t(rgb: Tensor) -> Tensor:
    """``(B, 3, H, W)`` sRGB in [0, 1] -> Lab."""
    return rgb_to_lab(rgb.clamp(0.0, 1.0))


def lab_to_rgb_t(lab: Tensor) -> Tensor:
    """Lab -> sRGB in [0, 1] (clipped)."""
    return lab_to_rgb(lab, clip=True)


def compose(l_channel: Tensor, ab: Tensor) -> Tensor:
    """RGB from an ``(B, 1, H, W)`` L and ``(B, 2, H, W)`` ab (both in Lab units)."""
    return lab_to_rgb_t(torch.cat([l_channel, ab], dim=1))


def resize(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of a ``(B, C, H, W)`` tensor (antialiased when shrinking)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrink)


def np_to_t(img: np.ndarray) -> Tensor:
    """(H, W) or (H, W, C) float numpy -> (1, C, H, W) float32 tensor."""
    arr = np.asarray(img, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))[None]


def t_to_np(t: Tensor) -> np.ndarray:
    """(1, C, H, W) tensor -> (H, W, C) numpy float32, or (H, W) when C == 1."""
    arr = t.detach()[0].permute(1, 2, 0).cpu().numpy().astype(np.float32)
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def luma(rgb: Tensor) -> Tensor:
    """ITU-R 601 luma of ``(B, 3, H, W)`` RGB -> ``(B, 1, H, W)`` (as PIL's 'L' conversion)."""
    w = torch.tensor([0.299, 0.587, 0.114], dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * w).sum(dim=1, keepdim=True)

"""Non-learned colorization methods.

Each method takes the night grey frame ``(H, W)`` and the daytime colour reference
``(h, w, 3)`` (float in [0, 1]) and returns RGB ``(H, W, 3)`` at the night frame's size.
Lightness always comes from the night frame; only ab (chroma) comes from the method. A
reference of another size is resized to the night frame (alignment is a later step).

- ``gray``: no colour (lower bound).
- ``transfer``: the reference's ab on the night frame's L ("Transfer Color").
- ``ssim-map``: the reference's ab multiplied by the SSIM map, so changed regions stay grey.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from cribwatch.color.lab import compose, gray_to_l, luma, np_to_t, resize, rgb_to_lab_t, t_to_np
from cribwatch.color.mask import SSIMMapConfig, ssim_attention_map
from cribwatch.errors import CribwatchError

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _inputs(night: np.ndarray, reference: np.ndarray) -> tuple[Tensor, Tensor]:
    if night.ndim != 2:
        raise CribwatchError(f"night frame must be grey (H, W), got shape {night.shape}")
    if reference.ndim != 3 or reference.shape[2] != 3:
        raise CribwatchError(f"reference must be RGB (H, W, 3), got shape {reference.shape}")
    n = np_to_t(night)
    r = resize(np_to_t(reference), (night.shape[0], night.shape[1])).clamp(0, 1)
    return n, r


def gray(night: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """No colour: the night frame as an RGB grey image."""
    if night.ndim != 2:
        raise CribwatchError(f"night frame must be grey (H, W), got shape {night.shape}")
    return np.repeat(np.clip(night, 0, 1)[..., None], 3, axis=2).astype(np.float32)


@torch.no_grad()
def transfer(night: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Transfer Color: reference ab on the night frame's L."""
    n, r = _inputs(night, reference)
    ab = rgb_to_lab_t(r)[:, 1:]
    return t_to_np(compose(gray_to_l(n), ab))


@torch.no_grad()
def ssim_masked(
    night: np.ndarray, reference: np.ndarray, cfg: SSIMMapConfig | None = None
) -> np.ndarray:
    """Reference ab scaled by the SSIM map: changed regions fall back to grey."""
    n, r = _inputs(night, reference)
    smap = ssim_attention_map(n, luma(r), cfg)
    ab = rgb_to_lab_t(r)[:, 1:] * smap
    return t_to_np(compose(gray_to_l(n), ab))


BASELINES: dict[str, Method] = {
    "gray": gray,
    "transfer": transfer,
    "ssim-map": ssim_masked,
}

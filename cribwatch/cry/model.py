"""The tiny cry CNN: a depthwise-separable stack over one 1 s log-mel window.

Input: (B, 1, 98, 64) float32 holding the integer-valued 0-255 model input of
:func:`cribwatch.cry.features.to_model_input` (98 frames of 10 ms = 1 s at 16 kHz, 64 mel
bands); no normalisation layer, so the quantized input is uint8 with scale 1 and zero point 0.
Output: (B,) logits of "this window holds crying".

Operators (the board runtime of issue 12 implements exactly these): 3x3 convolution,
3x3 depthwise convolution, 1x1 (pointwise) convolution, each followed by batch norm (folded
away for deployment) and ReLU6 (clipped ReLU), global average pooling, one fully connected
layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cribwatch.cry.features import WINDOW_FRAMES
from cribwatch.errors import CribwatchError

__all__ = [
    "MAX_MACS",
    "MAX_PARAMS",
    "WINDOW_FRAMES",
    "CryNet",
    "CryNetConfig",
    "count_macs",
    "count_params",
    "load_model",
]


MAX_PARAMS = 50_000
"""Board budget: parameters of the cry model."""
MAX_MACS = 2_000_000
"""Board budget: multiply-accumulates per 1 s window (two windows a second on a small MIPS core)."""


@dataclass(frozen=True)
class CryNetConfig:
    """Architecture of :class:`CryNet`."""

    stem: int = 16
    """Channels of the first (full) 3x3 convolution, stride 2."""
    channels: tuple[int, ...] = (32, 48, 64, 96)
    """Output channels of each depthwise-separable block."""
    strides: tuple[int, ...] = (2, 2, 1, 2)
    """Stride of each block's depthwise convolution."""
    n_mels: int = 64
    """Mel bands of the input."""
    frames: int = WINDOW_FRAMES
    """Frames of the input window."""


def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=False),
    )


class CryNet(nn.Module):
    """Depthwise-separable CNN, about 14 k parameters and 1.2 M MACs per window."""

    def __init__(self, cfg: CryNetConfig = CryNetConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = [conv_bn(1, cfg.stem, 3, 2)]
        cin = cfg.stem
        for cout, s in zip(cfg.channels, cfg.strides, strict=True):
            layers.append(conv_bn(cin, cin, 3, s, groups=cin))
            layers.append(conv_bn(cin, cout, 1, 1))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(cin, 1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.features(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, frames, n_mels) 0-255 input -> (B,) logits."""
        return self.head(self.forward_features(x)).squeeze(1)

    def config_dict(self) -> dict[str, object]:
        return asdict(self.cfg)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass (convolutions and linear layers)."""
    macs = 0

    def conv_hook(m: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(m, nn.Conv2d)
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        macs += int(out.numel() // out.shape[0]) * k

    def lin_hook(m: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(m, nn.Linear)
        macs += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    was = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape[1:]))
    model.train(was)
    for h in hooks:
        h.remove()
    return macs


def load_model(path: str) -> tuple[CryNet, dict[str, object]]:
    """Load a checkpoint written by :func:`cribwatch.cry.train.train`; returns (model, meta).

    The file is read with ``torch.load(weights_only=True)``: tensors and plain containers only,
    so no code in a model file ever runs; anything else is refused naming the file."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: weights not found")
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - unpickling refusals come in many types
        raise CribwatchError(
            f"{p}: not a cribwatch cry model checkpoint (cannot be loaded as plain tensors: "
            f"{type(exc).__name__})"
        ) from exc
    if (
        not isinstance(ck, dict)
        or not isinstance(ck.get("arch"), dict)
        or not isinstance(ck.get("state_dict"), dict)
    ):
        raise CribwatchError(f"{p}: not a cribwatch cry model checkpoint (no arch/state_dict)")
    try:
        arch: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in ck["arch"].items()
        }
        cfg = CryNetConfig(**arch)
        model = CryNet(cfg)
        model.load_state_dict(ck["state_dict"])
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError) as exc:
        raise CribwatchError(f"{p}: not a cry model checkpoint ({type(exc).__name__})") from exc
    model.eval()
    meta = ck.get("meta", {})
    return model, dict(meta) if isinstance(meta, dict) else {}

"""Shared fixtures for the cry tests: small generated signals and models, no data/ needed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cribwatch.cry.audio import SR


@pytest.fixture(scope="session")
def tiny_model():
    """A randomly initialised CryNet with non-trivial batch-norm statistics (eval mode)."""
    from cribwatch.cry.model import CryNet

    torch.manual_seed(0)
    m = CryNet()
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5, generator=g)
            mod.running_var.uniform_(0.5, 2.0, generator=g)
            mod.weight.data.uniform_(0.5, 1.5, generator=g)
    return m.eval()


def harmonic(f0: float, seconds: float, level: float = 0.3, n_harm: int = 6) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, n_harm + 1))
    x = x / np.max(np.abs(x))
    return (level * x).astype(np.float32)


class ConstScorer:
    """Scores every window with the same value (isolates the post-processing filters)."""

    def __init__(self, value: float = 0.9) -> None:
        self.value = value

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.full(x.shape[0], self.value)


@pytest.fixture(scope="session")
def tiny_int(tiny_model):
    """The integer (8-bit) version of tiny_model, calibrated on random windows."""
    from cribwatch.cry.quantize import (
        FoldedNet,
        calibrate,
        fix_gap,
        fold,
        gap_spatial,
        layer_bits,
        to_int_model,
    )

    layers = fold(tiny_model)
    net = FoldedNet(layers, layer_bits(layers, 8))
    rng = np.random.default_rng(0)
    calib = rng.integers(0, 256, (64, 98, 64)).astype(np.uint8)
    plain = FoldedNet(layers, None)
    net.act = calibrate(plain, calib)
    im = to_int_model(net, 8, "ptq")
    fix_gap(im, gap_spatial(net))
    return im

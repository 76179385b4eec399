"""Fixtures of the colour tests: a small random network saved as weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cribwatch.color.model import ColorNet, ColorNetConfig


@pytest.fixture(scope="session")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random network saved as a checkpoint (no training needed for parity); its
    heads are given a visible colour so that pipelines have chroma to disagree on."""
    from dataclasses import asdict

    from cribwatch.color.mask import SSIMMapConfig
    from cribwatch.color.model import config_dict
    from cribwatch.color.train import CKPT_FORMAT, save_checkpoint

    torch.manual_seed(0)
    cfg = ColorNetConfig(
        widths=(8, 8, 16, 16), ref_widths=(8, 8, 8, 16), bottleneck_blocks=1, size=64
    )
    model = ColorNet(cfg).eval()
    with torch.no_grad():
        model.head.bias.copy_(torch.tensor([0.25, -0.3]))
    path = tmp_path_factory.mktemp("w") / "net.pt"
    state = {
        "format": CKPT_FORMAT,
        "config": config_dict(cfg),
        "ssim_config": asdict(SSIMMapConfig(work_side=64)),
        "model": model.state_dict(),
    }
    save_checkpoint(path, state)
    return path

"""Shared fixtures: small generated inputs, no network, no data/ folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata


@pytest.fixture(scope="session")
def scene_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few real colour photos (scikit-image samples) as a scene folder."""
    d = tmp_path_factory.mktemp("scenes")
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        Image.fromarray(getattr(skdata, name)()).save(d / f"{name}.png")
    return d


@pytest.fixture(scope="session")
def stamp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few RGBA cut-outs: coloured discs and a square with alpha."""
    d = tmp_path_factory.mktemp("stamps")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:96]
    for i in range(6):
        rgba = np.zeros((96, 96, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 256, 3)
        disc = (yy - 48) ** 2 + (xx - 48) ** 2 < (30 + 5 * i) ** 2
        rgba[..., 3] = np.where(
            disc if i % 2 else (abs(yy - 48) < 35) & (abs(xx - 48) < 35), 255, 0
        )
        Image.fromarray(rgba, "RGBA").save(d / f"stamp{i}.png")
    return d


@pytest.fixture(scope="session")
def pair_set(tmp_path_factory: pytest.TempPathFactory, scene_dir: Path, stamp_dir: Path) -> Path:
    """A small generated pair set (all sources, 6 pairs)."""
    from cribwatch.color.pairs import PairConfig, make_pairs

    out = tmp_path_factory.mktemp("sets") / "pairs"
    make_pairs(
        scene_dir, stamp_dir, out, 6, seed=3, split="all", cfg=PairConfig(height=96, width=128)
    )
    return out

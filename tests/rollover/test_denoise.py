"""The learned noise filter for IR night frames (issue 25, ninth round; not shipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.denoise import Denoiser, DenoiseTrainConfig, night_pairs, train_denoiser

pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("ai_edge_litert")
skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from PIL import Image

    d = tmp_path_factory.mktemp("scenes")
    paths = []
    for name in ("brick", "grass", "coffee"):
        img = np.asarray(getattr(skdata, name)())
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        p = d / f"{name}.png"
        Image.fromarray(img[:160, :160]).save(p)
        paths.append(p)
    return paths


def test_pairs_are_the_same_draw_with_and_without_noise(scenes: list[Path]) -> None:
    cfg = DenoiseTrainConfig(side=160, draws=2, scale=0.5)
    noisy, clean = night_pairs(scenes[:1], cfg)
    assert len(noisy) == len(clean) == 2 and noisy[0].shape == clean[0].shape == (80, 80)
    # one draw: the clean frame is what the noisy one scatters around
    assert abs(float(noisy[0].mean() - clean[0].mean())) < 0.02
    assert float(np.abs(noisy[0] - clean[0]).mean()) > 0.002


def test_trained_filter_lowers_the_noise_and_runs_on_any_size(
    scenes: list[Path], tmp_path: Path
) -> None:
    cfg = DenoiseTrainConfig(side=160, draws=2, scale=1.0, steps=150, batch=8, patch=32)
    card = train_denoiser(scenes[:2], tmp_path / "dn.onnx", cfg, val_scenes=scenes[2:])
    assert (tmp_path / "dn.json").is_file() and card["architecture"]["scale"] == 1.0
    assert card["training"]["val_l1"] < card["training"]["val_l1_unfiltered"]
    d = Denoiser(tmp_path / "dn.onnx")
    out = d(np.full((37, 53), 90, np.uint8))
    assert out.shape == (37, 53) and out.dtype == np.uint8
    with pytest.raises(CribwatchError, match="uint8"):
        d(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(CribwatchError, match="not found"):
        Denoiser(tmp_path / "absent.onnx")

"""The colour front desk runs a ``.tflite`` network (LiteRT) like an ``.onnx`` one."""

from __future__ import annotations

import numpy as np
import pytest

from cribwatch.color.api import Colorizer, uses_runtime
from cribwatch.color.litert_net import litert_available
from cribwatch.color.methods import weights_dir
from cribwatch.io import read_gray, read_rgb

PAIR = "cribwatch/demo/samples/color/00000"


def test_tflite_weights_use_the_torch_free_runtime() -> None:
    assert uses_runtime("ssim-guided", weights_dir() / "x.tflite")
    assert not uses_runtime("ssim-guided", weights_dir() / "x.pt")


@pytest.mark.skipif(not litert_available(), reason="ai-edge-litert is not installed")
def test_int8_tflite_colorizes_close_to_the_default() -> None:
    night, ref = read_gray(f"{PAIR}/night.png"), read_rgb(f"{PAIR}/reference.png")
    tfl = Colorizer(ref, weights=weights_dir() / "color_ssim_guided_slim.int8.tflite")
    assert tfl.backend == "litert"
    base = Colorizer(ref)
    assert base.backend == "onnx"
    a, b = tfl.colorize(night), base.colorize(night)
    assert a.shape == b.shape and np.isfinite(a).all()
    psnr = 10 * np.log10(1.0 / float(np.mean((a - b) ** 2)))
    assert psnr >= 38.0, psnr

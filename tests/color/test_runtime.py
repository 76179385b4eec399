"""The deployable NumPy/OpenCV pipeline against the torch pipeline it mirrors."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from cribwatch.color.deploy import export
from cribwatch.color.lab import np_to_t, t_to_np
from cribwatch.color.mask import SSIMMapConfig, ssim_attention_map
from cribwatch.color.metrics import psnr
from cribwatch.color.pipeline import Colorizer, load_net
from cribwatch.color.runtime import ColorRuntime, ssim_attention_map_np
from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb


def test_ssim_map_twin_matches_torch() -> None:
    from skimage import data as skdata
    from skimage.transform import resize

    a = resize(skdata.camera(), (64, 64), anti_aliasing=True).astype(np.float32)
    b = a.copy()
    b[20:40, 10:50] = a[20:40, 10:50][::-1, ::-1]  # a changed block (same mean and spread)
    cfg = SSIMMapConfig(work_side=64)
    want = t_to_np(ssim_attention_map(np_to_t(a), np_to_t(b), cfg))
    got = ssim_attention_map_np(a, b, asdict(cfg))
    assert np.abs(want - got).max() < 1e-4
    assert got[25:35, 20:40].mean() < 0.5 < got[50:, :].mean()  # it still sees the change


def test_runtime_matches_torch_pipeline(weights: Path, pair_set: Path, tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    torch_pipe = Colorizer(load_net(weights))
    rt = ColorRuntime(model)
    pair = sorted(p for p in pair_set.iterdir() if p.is_dir())[0]
    night, ref = read_gray(pair / "night.png"), read_rgb(pair / "reference.png")
    n8 = np.round(night * 255).astype(np.uint8)
    r8 = np.round(ref * 255).astype(np.uint8)
    rt.set_reference(r8, n8.shape)
    got = rt(n8)
    assert got.dtype == np.uint8 and got.shape == (*n8.shape, 3)
    want = torch_pipe(night, ref)
    assert psnr(got.astype(np.float32) / 255.0, want) > 40.0
    # and it is coloured at all (the fixture's head has a bias), not a grey copy
    assert np.abs(got[..., 0].astype(int) - got[..., 2].astype(int)).mean() > 2


def test_runtime_bad_input(weights: Path, tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    rt = ColorRuntime(model)
    with pytest.raises(CribwatchError, match="uint8"):
        rt.set_reference(np.zeros((8, 8, 3), np.float32))
    rt.set_reference(np.zeros((40, 50, 3), np.uint8))
    with pytest.raises(CribwatchError, match="does not match"):
        rt.pre(np.zeros((41, 50), np.uint8))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(CribwatchError, match="bad.onnx"):
        ColorRuntime(bad)


def test_runtime_process_needs_no_torch(weights: Path, tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    code = (
        "import sys; from cribwatch.color.runtime import bench_one; "
        f"bench_one(__import__('pathlib').Path({str(model)!r}), 60, 80, 1, frames=2, warmup=1); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"

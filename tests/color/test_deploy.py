"""Colour network deployment: ONNX export parity, quantization, golden vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from cribwatch.color.deploy import OnnxNet, export, onnx_colorizer, parity, quantize
from cribwatch.color.pipeline import Colorizer, load_net
from cribwatch.errors import CribwatchError


def test_onnx_parity_and_pipeline(weights: Path, pair_set: Path, tmp_path: Path) -> None:
    out = tmp_path / "net.onnx"
    info = export(weights, "onnx", out)
    assert info["inputs"] == ["night_l", "ref_lab", "smap"]
    assert parity(weights, out, pair_set) < 1e-4
    night = np.random.default_rng(0).uniform(0, 1, (48, 64)).astype(np.float32)
    ref = np.random.default_rng(1).uniform(0, 1, (48, 64, 3)).astype(np.float32)
    a = Colorizer(load_net(weights))(night, ref)
    b = onnx_colorizer(out)(night, ref)
    assert np.abs(a - b).max() < 1e-3  # the whole pipeline, torch vs ONNX Runtime


def test_quantize_both_schemes(weights: Path, pair_set: Path, tmp_path: Path) -> None:
    fp32 = tmp_path / "net.onnx"
    export(weights, "onnx", fp32)
    for scheme in ("naive", "robust"):
        q = tmp_path / f"net.{scheme}.onnx"
        info = quantize(fp32, pair_set, q, scheme, n_calib=4)
        ops = {n.op_type for n in onnx.load(str(q)).graph.node}
        assert {"QuantizeLinear", "QLinearConv"} & ops  # integer graph
        assert (scheme == "robust") == bool(info["kept_float"])
        net = OnnxNet(q)  # metadata survives quantization
        assert net.cfg.size == 64
        feed = {
            "night_l": np.full((1, 1, 64, 64), 0.4, np.float32),
            "ref_lab": np.full((1, 3, 64, 64), 0.1, np.float32),
            "smap": np.ones((1, 1, 64, 64), np.float32),
        }
        ref, got = OnnxNet(fp32).run(feed), net.run(feed)
        assert np.abs(ref[0] - got[0]).max() < 0.2  # close to FP32, not garbage
    with pytest.raises(CribwatchError, match="scheme"):
        quantize(fp32, pair_set, tmp_path / "x.onnx", "bogus", n_calib=2)
    assert not (tmp_path / "x.onnx").exists()


def test_not_a_colour_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(CribwatchError):
        OnnxNet(bad)

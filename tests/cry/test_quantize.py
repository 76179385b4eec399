"""Integer cry model: folding, the integer reference, .cwq files, ONNX QDQ equality."""

import numpy as np
import pytest
import torch

from cribwatch.cry.intref import IntModel, IntScorer
from cribwatch.cry.quantize import (
    FoldedNet,
    calibrate,
    export_qdq_onnx,
    fix_gap,
    fold,
    gap_spatial,
    layer_bits,
    to_int_model,
)
from cribwatch.errors import CribwatchError


def _x(n=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 98, 64)).astype(np.uint8)


def _int(model, bits):
    layers = fold(model)
    net = FoldedNet(layers, layer_bits(layers, bits))
    net.act = calibrate(FoldedNet(layers, None), _x(64, 1))
    im = to_int_model(net, bits, "ptq")
    fix_gap(im, gap_spatial(net))
    return im, net


def test_fold_matches_model(tiny_model):
    x = torch.from_numpy(_x().astype(np.float32))[:, None]
    with torch.no_grad():
        a = tiny_model(x).numpy()
        b = FoldedNet(fold(tiny_model), None)(x).numpy()
    assert np.max(np.abs(a - b)) < 1e-4


@pytest.mark.parametrize("bits", [8, 4])
def test_int_reference_tracks_fake_quant_and_float(tiny_model, bits):
    im, net = _int(tiny_model, bits)
    x = _x()
    rec = []
    z = im.forward(x, rec)
    with torch.no_grad():
        fq = net(torch.from_numpy(x.astype(np.float32))[:, None]).numpy()
        frec = []
        FoldedNet(fold(tiny_model), None)(torch.from_numpy(x.astype(np.float32))[:, None], frec)
    step = im.layers[-1].out_scale
    assert np.max(np.abs(z - fq)) <= 3 * step  # same quantization, rounding apart
    # every layer's dequantized int8 tensor follows the float network's
    for i, lay in enumerate(im.layers):
        deq = (rec[i + 1].astype(np.float64) - lay.out_zp) * lay.out_scale
        ref = frec[i].numpy().reshape(deq.shape)
        if ref.std() > 1e-6 and lay.kind != "fc":
            assert np.corrcoef(deq.ravel(), ref.ravel())[0, 1] > (0.97 if bits == 8 else 0.6), i
    assert [lay.bits for lay in im.layers if lay.kind == "conv"][0] == 8
    assert im.layers[-1].bits == 8
    if bits == 4:
        mid = [lay for lay in im.layers[1:-2] if lay.kind == "conv"]
        assert all(lay.bits == 4 and np.abs(lay.wq).max() <= 7 for lay in mid)


@pytest.mark.parametrize("bits", [8, 4])
def test_cwq_roundtrip_and_onnx_qdq_is_bit_exact(tiny_model, tmp_path, bits):
    import onnxruntime as ort

    im, _ = _int(tiny_model, bits)
    size = im.save(tmp_path / "m.cwq")
    assert size < 64 * 1024
    back = IntModel.load(tmp_path / "m.cwq")
    x = _x()
    assert np.array_equal(back.forward(x), im.forward(x))
    export_qdq_onnx(im, tmp_path / "m.onnx")
    feed = {"input": x.astype(np.float32)[:, None]}
    step = im.layers[-1].out_scale

    def run(level):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.graph_optimization_level = level
        path = str(tmp_path / "m.onnx")
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        return sess.run(None, feed)[0].reshape(-1)

    # The QDQ graph as ONNX defines it (every DequantizeLinear -> float op -> QuantizeLinear
    # evaluated as written) equals the integer reference bit for bit.
    o = run(ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    assert np.max(np.abs(o - im.forward(x))) <= 1e-6
    # With graph optimizations ORT fuses the 8-bit QDQ groups into its own integer kernels
    # (QLinearConv, QLinearGlobalAveragePool: float32 multipliers, round half to even), a
    # different requantization rule than ours (int32 multiplier, half away from zero), as any
    # NPU toolchain may have: intermediate int8 values may then differ by one step, which
    # moves the logit by a few output steps (6 on this model; 16 allowed).
    fused = run(ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    assert np.max(np.abs(fused - im.forward(x))) <= 16 * step
    assert IntScorer(back)(x).shape == (16,)


def test_corrupt_and_truncated_models_are_refused(tiny_model, tmp_path):
    im, _ = _int(tiny_model, 8)
    p = tmp_path / "m.cwq"
    im.save(p)
    data = p.read_bytes()
    (tmp_path / "t.cwq").write_bytes(data[: len(data) // 2])
    with pytest.raises(CribwatchError):
        IntModel.load(tmp_path / "t.cwq")
    (tmp_path / "junk.cwq").write_bytes(b"not a model")
    with pytest.raises(CribwatchError):
        IntModel.load(tmp_path / "junk.cwq")

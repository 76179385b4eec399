"""Golden vectors: FP32 ONNX vs PyTorch passes, a perturbed weight is caught at its layer,
INT8 vs FP32 reports per-layer errors, exit codes of the CLI."""

import json

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from cribwatch.deploy.cli import app
from cribwatch.deploy.export import export_onnx, parity
from cribwatch.deploy.golden import Tensor, compare, dump_onnx, write_golden
from cribwatch.errors import CribwatchError


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = torch.relu(self.c1(x))
        x = torch.relu(self.c2(x))
        return self.fc(x.mean(dim=(2, 3)))


@pytest.fixture()
def models(tmp_path):
    torch.manual_seed(0)
    m = Small().eval()
    a = tmp_path / "a.onnx"
    export_onnx(m, (torch.zeros(1, 1, 8, 8),), a, input_names=["input"], output_names=["out"])
    with torch.no_grad():
        m.c2.weight[1, 2, 1, 1] += 0.5
    b = tmp_path / "b.onnx"
    export_onnx(m, (torch.zeros(1, 1, 8, 8),), b, input_names=["input"], output_names=["out"])
    with torch.no_grad():
        m.c2.weight[1, 2, 1, 1] -= 0.5
    feeds = [
        {"input": np.random.default_rng(i).standard_normal((1, 1, 8, 8)).astype(np.float32)}
        for i in range(3)
    ]
    return m, a, b, feeds


def _torch_golden(m, feeds, out, model_path):
    from cribwatch.deploy.golden import sha256_file

    samples = []
    for f in feeds:
        x = torch.from_numpy(f["input"])
        with torch.no_grad():
            samples.append([Tensor("input", f["input"]), Tensor("out", m(x).numpy())])
    return write_golden(out, samples, model_path.name, sha256_file(model_path))


def test_fp32_onnx_matches_pytorch(models, tmp_path):
    m, a, _, feeds = models
    assert parity(m, a, [f["input"] for f in feeds]) < 1e-5
    _torch_golden(m, feeds, tmp_path / "gt", a)
    dump_onnx(a, feeds, tmp_path / "ga")
    res = compare(tmp_path / "gt", tmp_path / "ga", common_only=True)
    assert res["pass"], res


def test_perturbed_weight_is_named(models, tmp_path):
    _, a, b, feeds = models
    dump_onnx(a, feeds, tmp_path / "ga")
    dump_onnx(b, feeds, tmp_path / "gb")
    with pytest.raises(CribwatchError):  # different model hash
        compare(tmp_path / "ga", tmp_path / "gb")
    res = compare(tmp_path / "ga", tmp_path / "gb", check_model=False)
    assert not res["pass"]
    man = json.loads((tmp_path / "ga" / "manifest.json").read_text())
    names = [t["name"] for t in man["tensors"]]
    first = res["first_divergent"]
    # the perturbed layer's output is the first tensor that differs (weights are initializers)
    conv_outputs = [n for n in names if "Conv" in n and "output" in n]
    assert first == conv_outputs[1], (first, names)
    r = CliRunner().invoke(
        app,
        [
            "golden",
            "compare",
            "--golden",
            str(tmp_path / "ga"),
            "--actual",
            str(tmp_path / "gb"),
            "--ignore-model-hash",
            "--json",
        ],
    )
    assert r.exit_code == 1 and json.loads(r.stdout)["first_divergent"] == first
    r = CliRunner().invoke(
        app,
        ["golden", "compare", "--golden", str(tmp_path / "ga"), "--actual", str(tmp_path / "ga")],
    )
    assert r.exit_code == 0


def test_manifest_and_bad_inputs(models, tmp_path):
    _, a, _, feeds = models
    man = dump_onnx(a, feeds, tmp_path / "ga")
    assert man["model_sha256"] and len(man["samples"]) == 3
    e = man["tensors"][0]
    raw = np.fromfile(tmp_path / "ga" / "s000" / f"{e['file']}.bin", dtype="<f4").reshape(
        e["shape"]
    )
    assert np.array_equal(raw, feeds[0]["input"])
    # missing tensor -> bad input
    (tmp_path / "ga" / "s001" / f"{e['file']}.npy").unlink()
    (tmp_path / "ga" / "s001" / f"{e['file']}.bin").unlink()
    dump_onnx(a, feeds, tmp_path / "gc")
    with pytest.raises(CribwatchError):
        compare(tmp_path / "gc", tmp_path / "ga")
    # dtype mismatch -> bad input
    np.save(tmp_path / "gc" / "s000" / f"{e['file']}.npy", feeds[0]["input"].astype(np.float64))
    with pytest.raises(CribwatchError):
        compare(tmp_path / "ga", tmp_path / "gc", common_only=True)


def test_int8_vs_fp32_reports_per_layer_error(tmp_path):
    """The cry model: integer reference dump vs the float model's tensors, layer by layer."""
    from cribwatch.cry.model import CryNet
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

    torch.manual_seed(0)
    m = CryNet().eval()
    layers = fold(m)
    net = FoldedNet(layers, layer_bits(layers, 8))
    x = np.random.default_rng(0).integers(0, 256, (32, 98, 64)).astype(np.uint8)
    net.act = calibrate(FoldedNet(layers, None), x)
    im = to_int_model(net, 8, "ptq")
    fix_gap(im, gap_spatial(net))
    export_qdq_onnx(im, tmp_path / "q.onnx")
    feeds = [{"input": x[i : i + 1, None].astype(np.float32)} for i in range(2)]
    dump_onnx(tmp_path / "q.onnx", feeds, tmp_path / "gq")
    # a float "actual": every int8 tensor dequantized back to what a float model computes
    plain = FoldedNet(layers, None)
    samples = []
    for f in feeds:
        rec = []
        with torch.no_grad():
            plain(torch.from_numpy(f["input"]), rec)
        ts = [Tensor("input", f["input"])]
        for i, r in enumerate(rec):
            lay = im.layers[i]
            q = np.clip(np.rint(r.numpy() / lay.out_scale) + lay.out_zp, -128, 127).astype(np.int8)
            ts.append(Tensor(f"q{i + 1}", q.reshape(q.shape[0], -1) if r.dim() == 2 else q))
        samples.append(ts)
    write_golden(tmp_path / "gf", samples, "float", "x")
    res = compare(tmp_path / "gq", tmp_path / "gf", check_model=False, common_only=True)
    rows = {r["name"]: r for r in res["tensors"]}
    assert rows["input"]["max_abs"] == 0
    assert all(rows[f"q{i}"]["cosine"] > 0.98 for i in range(1, 12))
    assert any(rows[f"q{i}"]["max_abs"] > 0 for i in range(1, 12))  # quantization error shows

"""8-bit and 4-bit integer cry models: folding, calibration, PTQ, QAT, the numpy integer
reference, ONNX QDQ export (``cribwatch cry quantize``).

What the integer model is (as a board NPU toolchain runs it; the C runtime of issue 12 has to
reproduce it bit for bit from the same uint8 input):

- input: the uint8 0-255 model input, fed as int8 ``q - 128`` (scale 1, zero point -128);
- batch norm folded into the convolutions; every convolution has symmetric per-output-channel
  weights of ``bits`` = 8 or 4 bits, except the first convolution and the last (fully
  connected) layer, which stay at 8 bits; int32 biases of scale ``s_in * s_w``;
- activations int8 per tensor, asymmetric; ReLU6 is the clamp of the requantized output to
  [q(0), q(6)];
- global average pooling sums int32 and requantizes with multiplier ``s_in / (H W s_out)``;
- every requantization uses :func:`cribwatch.deploy.quantize.requantize` (int64 fixed point,
  rounding half away from zero);
- the output logit is int8 and is dequantized to a float only to take the sigmoid.

Activation ranges come from calibration windows of the training set (min/max after ReLU6,
percentiles for the logit). ``qat`` fine-tunes the folded float model with fake quantization
(straight-through estimator) of weights and activations before the same conversion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cribwatch.cry.dataset import load_set, set_features
from cribwatch.cry.intref import IntModel, IntScorer, QLayer
from cribwatch.cry.model import CryNet
from cribwatch.cry.train import (
    TrainConfig,
    Windows,
    augment,
    cosine_lr,
    pooled_features,
    strong_augment,
)
from cribwatch.deploy.quantize import (
    act_qparams,
    fake_quant_act,
    fake_quant_weight,
    quantize_multiplier,
    quantize_weight_per_channel,
)
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path
from cribwatch.progress import Progress, report

__all__ = [
    "IntModel",
    "IntScorer",
    "QLayer",
    "quantize_model",
    "export_qdq_onnx",
    "fold",
    "FoldedNet",
]


@dataclass
class FLayer:
    """One folded float layer: ``conv`` (+ReLU6), ``gap`` or ``fc``."""

    kind: str
    w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    b: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stride: int = 1
    pad: int = 0
    groups: int = 1


def fold(model: CryNet) -> list[FLayer]:
    """Fold every Conv+BN of the model into one float convolution (ReLU6 after each)."""
    layers: list[FLayer] = []
    for blk in model.features:
        conv, bn = blk[0], blk[1]  # type: ignore[index]
        w = conv.weight.detach().double().numpy()
        g = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().numpy()
        b = (bn.bias.detach().double() - bn.running_mean.double() * torch.from_numpy(g)).numpy()
        layers.append(
            FLayer(
                "conv", w * g[:, None, None, None], b, conv.stride[0], conv.padding[0], conv.groups
            )
        )
    layers.append(FLayer("gap"))
    layers.append(
        FLayer(
            "fc",
            model.head.weight.detach().double().numpy(),
            model.head.bias.detach().double().numpy(),
        )
    )
    return layers


class FoldedNet(nn.Module):
    """The folded float network, optionally with fake quantization (for calibration and QAT)."""

    def __init__(self, layers: list[FLayer], bits: list[int] | None = None) -> None:
        super().__init__()
        self.kinds = [lay.kind for lay in layers]
        self.meta = [(lay.stride, lay.pad, lay.groups) for lay in layers]
        self.w = nn.ParameterList([nn.Parameter(torch.from_numpy(lay.w).float()) for lay in layers])
        self.b = nn.ParameterList([nn.Parameter(torch.from_numpy(lay.b).float()) for lay in layers])
        self.bits = bits
        self.act: list[tuple[float, int]] | None = None  # (scale, zp) after each layer

    def forward(self, x: torch.Tensor, record: list[torch.Tensor] | None = None) -> torch.Tensor:
        q = self.act is not None and self.bits is not None
        for i, kind in enumerate(self.kinds):
            stride, pad, groups = self.meta[i]
            if kind == "conv":
                w = fake_quant_weight(self.w[i], self.bits[i]) if q else self.w[i]  # type: ignore[index]
                x = torch.clamp(F.conv2d(x, w, self.b[i], stride, pad, 1, groups), 0.0, 6.0)
            elif kind == "gap":
                x = x.mean(dim=(2, 3))
            else:
                w = fake_quant_weight(self.w[i], self.bits[i]) if q else self.w[i]  # type: ignore[index]
                x = F.linear(x, w, self.b[i])
            if q:
                s, zp = self.act[i]  # type: ignore[index]
                x = fake_quant_act(x, s, zp)
            if record is not None:
                record.append(x.detach())
        return x.reshape(-1)


def layer_bits(layers: list[FLayer], bits: int) -> list[int]:
    """Bits of every layer: first conv and last layer at 8, the others at ``bits``."""
    n = len(layers)
    return [
        8 if (i == 0 or i == n - 1 or lay.kind == "gap") else bits for i, lay in enumerate(layers)
    ]


def calibrate(net: FoldedNet, windows: np.ndarray, batch: int = 256) -> list[tuple[float, int]]:
    """Activation (scale, zp) of every layer from calibration windows (B, 98, 64) uint8."""
    outs: list[list[torch.Tensor]] = []
    net.eval()
    with torch.no_grad():
        for s in range(0, windows.shape[0], batch):
            rec: list[torch.Tensor] = []
            net(torch.from_numpy(windows[s : s + batch].astype(np.float32))[:, None], rec)
            outs.append(rec)
    qp = []
    for i, kind in enumerate(net.kinds):
        v = torch.cat([o[i].flatten() for o in outs]).numpy()
        if kind == "fc":
            lo, hi = np.percentile(v, 0.05), np.percentile(v, 99.95)
        else:
            lo, hi = 0.0, float(min(6.0, v.max()))
        qp.append(act_qparams(lo, hi))
    return qp


def to_int_model(net: FoldedNet, bits: int, method: str) -> IntModel:
    """Convert a calibrated FoldedNet to the integer model."""
    if net.act is None or net.bits is None:
        raise CribwatchError("calibrate the network before converting it")
    layers = []
    in_s, in_zp = 1.0, -128
    for i, kind in enumerate(net.kinds):
        stride, pad, groups = net.meta[i]
        out_s, out_zp = net.act[i]
        if kind == "gap":
            hw = 0  # filled at run time? no: the shape is fixed by the architecture
            layers.append(
                QLayer(
                    "gap",
                    np.zeros(0, np.int8),
                    np.zeros(0, np.int32),
                    np.ones(1, np.float32),
                    8,
                    1,
                    0,
                    1,
                    in_s,
                    in_zp,
                    out_s,
                    out_zp,
                    np.zeros(1, np.int64),
                    np.zeros(1, np.int64),
                    -128,
                    127,
                )
            )
            layers[-1].M, layers[-1].shift = np.array([0]), np.array([0])  # set by _fix_gap
            _ = hw
        else:
            w = net.w[i].detach().double().numpy()
            b = net.b[i].detach().double().numpy()
            wq, ws = quantize_weight_per_channel(w, net.bits[i])
            bq = np.rint(b / (in_s * ws.astype(np.float64))).astype(np.int64)
            mult = [quantize_multiplier(in_s * float(s) / out_s) for s in ws]
            M = np.array([m for m, _ in mult], np.int64)
            sh = np.array([s for _, s in mult], np.int64)
            if kind == "conv":
                qmin = out_zp
                qmax = int(min(127, out_zp + np.rint(6.0 / out_s)))
            else:
                qmin, qmax = -128, 127
            layers.append(
                QLayer(
                    kind,
                    wq,
                    bq.astype(np.int32),
                    ws,
                    net.bits[i],
                    stride,
                    pad,
                    groups,
                    in_s,
                    in_zp,
                    out_s,
                    out_zp,
                    M,
                    sh,
                    qmin,
                    qmax,
                )
            )
        in_s, in_zp = out_s, out_zp
    return IntModel(layers, bits, method)


def fix_gap(model: IntModel, spatial: int) -> None:
    """Set the pooling multiplier for an H*W of ``spatial``."""
    for lay in model.layers:
        if lay.kind == "gap":
            M, sh = quantize_multiplier(lay.in_scale / (spatial * lay.out_scale))
            lay.M, lay.shift = np.array([M], np.int64), np.array([sh], np.int64)


def gap_spatial(net: FoldedNet, frames: int = 98, mels: int = 64) -> int:
    rec: list[torch.Tensor] = []
    with torch.no_grad():
        net.act, saved = None, net.act
        net(torch.zeros(1, 1, frames, mels), rec)
        net.act = saved
    i = net.kinds.index("gap")
    shp = rec[i - 1].shape
    return int(shp[2] * shp[3])


# ------------------------------------------------------------------------------ pipeline
def calibration_windows(
    data: Path, n: int, seed: int, max_files: int = 120
) -> tuple[np.ndarray, Windows]:
    """``n`` training windows (half overlapping cries) from up to ``max_files`` files of the
    set, and the window sampler over those files (QAT draws from it)."""
    s = load_set(data)
    rng = np.random.default_rng(seed)
    if len(s.files) > max_files:
        s.files = sorted(rng.choice(s.files, max_files, replace=False).tolist())
    feats = set_features(s)
    win = Windows(feats, s.labels, s.files, 0.01)
    x, _ = win.sample(rng, n, 0.5, 0.5)
    return x, win


def quantize_model(
    model: CryNet,
    data: Path,
    bits: int,
    method: str,
    *,
    n_calib: int = 2048,
    qat_minutes: float = 5.0,
    qat_steps: int = 0,
    qat_data: list[Path] | None = None,
    distill: float = 1.0,
    seed: int = 0,
    lr: float = 2e-4,
    log: bool = False,
    progress: Progress | None = None,
) -> IntModel:
    """PTQ or QAT of a trained float model into an :class:`IntModel`.

    QAT fine-tunes with fake quantization on windows of every file of the ``qat_data`` sets
    (default: the calibration files of ``data``) with the training's strong augmentation.
    The loss is the cross-entropy on the window targets plus ``distill`` times the squared
    difference between the student's and the float model's logits: the detector runs at
    thresholds of 0.98 and above, so the integer model must keep the float model's scores
    (their tail above all), not just its decisions. ``qat_steps`` > 0 defines the run
    (cosine learning rate over the steps; the same command gives the same model on any CPU);
    otherwise ``qat_minutes`` of wall time does. ``progress(QAT steps done, steps or None)``;
    ``log`` is kept for callers and unused (library code does not print).
    """
    if bits not in (8, 4):
        raise CribwatchError("--bits must be 8 or 4")
    if method not in ("ptq", "qat"):
        raise CribwatchError("--method must be ptq or qat")
    layers = fold(model)
    net = FoldedNet(layers, layer_bits(layers, bits))
    calib, win = calibration_windows(data, n_calib, seed)
    net.act = calibrate(_float_copy(net), calib)
    if method == "qat":
        if qat_data:
            feats, labels, _ = pooled_features(list(qat_data), log=log, progress=progress)
            win = Windows(feats, labels, list(feats), 0.01)
        rng = np.random.default_rng(seed + 5)
        torch.manual_seed(seed)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        tcfg = strong_augment(TrainConfig())
        teacher = model.eval()
        t0 = time.time()
        net.train()
        step = 0
        total = qat_steps if qat_steps > 0 else None
        while (step < qat_steps) if qat_steps > 0 else (time.time() - t0 < qat_minutes * 60):
            if qat_steps > 0:
                for g in opt.param_groups:
                    g["lr"] = cosine_lr(lr, step / qat_steps)
            x, y = win.sample(rng, 128, tcfg.pos_share, tcfg.target_full_s)
            xt = torch.from_numpy(augment(x, rng, tcfg, y))[:, None]
            logit = net(xt)
            loss = F.binary_cross_entropy_with_logits(logit, torch.from_numpy(y))
            if distill > 0:
                with torch.no_grad():
                    ref = teacher(xt)
                loss = loss + distill * F.mse_loss(logit, ref)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            report(progress, step, total)
        net.eval()
        net.act = calibrate(_float_copy(net), calib)
    im = to_int_model(net, bits, method)
    fix_gap(im, gap_spatial(net))
    return im


def _float_copy(net: FoldedNet) -> FoldedNet:
    c = FoldedNet.__new__(FoldedNet)
    nn.Module.__init__(c)
    c.kinds, c.meta, c.w, c.b, c.bits, c.act = net.kinds, net.meta, net.w, net.b, net.bits, None
    return c


# -------------------------------------------------------------------------- ONNX export
class _QdqGraph:
    """The nodes and initializers of a QDQ graph, in the order they are added."""

    def __init__(self) -> None:
        from onnx import TensorProto, helper, numpy_helper  # extra: train

        self.tp, self.helper, self.numpy_helper = TensorProto, helper, numpy_helper
        self.nodes: list[object] = []
        self.inits: list[object] = []

    def const(self, name: str, arr: np.ndarray, dtype: int | None = None) -> str:
        if dtype == self.tp.INT4:
            t = self.helper.make_tensor(
                name, self.tp.INT4, list(arr.shape), arr.reshape(-1).astype(np.int8).tolist()
            )
        else:
            t = self.numpy_helper.from_array(arr, name)
        self.inits.append(t)
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self.nodes.append(self.helper.make_node(op, inputs, outputs, **attrs))


def _qdq_params(g: _QdqGraph, i: int, lay: QLayer) -> None:
    """Dequantized weights ``w{i}`` (int8 or int4, per output channel) and int32 bias ``b{i}``."""
    wdt = g.tp.INT4 if lay.bits == 4 else None
    wz = np.zeros(lay.wq.shape[0], np.int8)
    wname = g.const(f"w{i}_q", lay.wq.astype(np.int8), wdt)
    if wdt == g.tp.INT4:
        g.const(f"w{i}_zp", wz, g.tp.INT4)
    else:
        g.const(f"w{i}_zp", wz)
    g.const(f"w{i}_scale", lay.w_scale.astype(np.float32))
    g.node(
        "DequantizeLinear", [wname, f"w{i}_scale", f"w{i}_zp"], [f"w{i}"], axis=0, name=f"dqw{i}"
    )
    g.const(f"b{i}_q", lay.bq.astype(np.int32))
    g.const(f"b{i}_scale", (lay.in_scale * lay.w_scale.astype(np.float64)).astype(np.float32))
    g.const(f"b{i}_zp", np.zeros(lay.bq.shape[0], np.int32))
    g.node(
        "DequantizeLinear",
        [f"b{i}_q", f"b{i}_scale", f"b{i}_zp"],
        [f"b{i}"],
        axis=0,
        name=f"dqb{i}",
    )


def _qdq_op(g: _QdqGraph, i: int, lay: QLayer, out: str) -> None:
    """The float operator of layer ``i`` from ``dq{i}`` to ``out``: convolution + ReLU6 clip,
    fully connected, or global average pooling."""
    if lay.kind == "conv":
        k = lay.wq.shape[2]
        g.node(
            "Conv",
            [f"dq{i}", f"w{i}", f"b{i}"],
            [f"c{i}"],
            name=f"conv{i}",
            strides=[lay.stride] * 2,
            pads=[lay.pad] * 4,
            group=lay.groups,
            kernel_shape=[k, k],
        )
        g.const(f"lo{i}", np.array(0.0, np.float32))
        g.const(f"hi{i}", np.array(6.0, np.float32))
        g.node("Clip", [f"c{i}", f"lo{i}", f"hi{i}"], [out], name=f"relu6_{i}")
    elif lay.kind == "fc":
        g.node("Gemm", [f"dq{i}", f"w{i}", f"b{i}"], [out], transB=1, name=f"fc{i}")
    else:
        g.node("GlobalAveragePool", [f"dq{i}"], [f"p{i}"], name=f"gap{i}")
        g.node("Flatten", [f"p{i}"], [out], axis=1, name=f"flatten{i}")


def _qdq_layer(g: _QdqGraph, i: int, lay: QLayer, cur: str) -> str:
    """Layer ``i`` from the int8 tensor ``cur``: dequantize, operator, quantize; returns the
    name of its int8 output."""
    xs = g.const(f"x{i}_scale", np.array(lay.in_scale, np.float32))
    xz = g.const(f"x{i}_zp", np.array(lay.in_zp, np.int8))
    g.node("DequantizeLinear", [cur, xs, xz], [f"dq{i}"], name=f"dq{i}")
    if lay.kind in ("conv", "fc"):
        _qdq_params(g, i, lay)
    _qdq_op(g, i, lay, f"y{i}")
    os_ = g.const(f"o{i}_scale", np.array(lay.out_scale, np.float32))
    oz = g.const(f"o{i}_zp", np.array(lay.out_zp, np.int8))
    g.node("QuantizeLinear", [f"y{i}", os_, oz], [f"q{i + 1}"], name=f"q{i + 1}")
    return f"q{i + 1}"


def export_qdq_onnx(im: IntModel, path: Path, frames: int = 98, mels: int = 64) -> int:
    """Write the integer model as an ONNX QDQ graph (opset 21; int4 weights as INT4 tensors).

    Input ``input`` (B, 1, frames, mels) float 0-255, output ``logit`` (B, 1) float. Returns
    the file size.
    """
    import onnx  # extra: train

    g = _QdqGraph()
    g.const("in_scale", np.array(1.0, np.float32))
    g.const("in_zp", np.array(-128, np.int8))
    g.node("QuantizeLinear", ["input", "in_scale", "in_zp"], ["q0"], name="quant_input")
    cur = "q0"
    for i, lay in enumerate(im.layers):
        cur = _qdq_layer(g, i, lay, cur)
    last = len(im.layers)
    g.node(
        "DequantizeLinear",
        [cur, f"o{last - 1}_scale", f"o{last - 1}_zp"],
        ["logit"],
        name="dq_out",
    )
    helper, tp = g.helper, g.tp
    graph = helper.make_graph(
        g.nodes,
        "cry_int",
        [helper.make_tensor_value_info("input", tp.FLOAT, ["batch", 1, frames, mels])],
        [helper.make_tensor_value_info("logit", tp.FLOAT, ["batch", 1])],
        g.inits,
    )
    mp = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 21)], producer_name="cribwatch"
    )
    mp.ir_version = 10
    helper.set_model_props(mp, {"written_by": OUTPUT_MARK})
    onnx.checker.check_model(mp)
    with atomic_path(path) as tmp:
        onnx.save(mp, str(tmp))
    return path.stat().st_size

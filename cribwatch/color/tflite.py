"""TFLite (LiteRT) export of the colour network through litert-torch.

litert-torch (Google's maintained PyTorch-to-LiteRT converter, formerly ai-edge-torch) installs
beside ``torch==2.13.0`` but needs protobuf 6+, which MediaPipe 0.10.14 and ``onnx==1.17.0``
(our pins) refuse. So it lives in a separate virtual environment::

    python3.11 -m venv .venv-tflite
    .venv-tflite/bin/pip install torch==2.13.0 litert-torch kornia
    .venv-tflite/bin/pip install --no-deps -e .
    .venv-tflite/bin/python -m cribwatch.color.tflite --weights W.pt --out F.tflite

It converts the same network the ONNX export carries (``ab`` and ``gate`` at model
resolution; pre- and post-processing stay outside) and checks the LiteRT interpreter against
PyTorch on random inputs or on pairs. This module imports neither onnx nor onnxruntime.

``--precision int8`` gives a full-integer file for XNNPACK's QS8 kernels: PT2E post-training
quantization with litert-torch's quantizer (per-channel symmetric int8 weights, per-tensor int8
activations from histogram observers), calibrated on ``--calib`` (a training pair set; never a
held-out one). ``--layout nhwc`` takes and gives channel-last tensors, so the graph needs no
transposes (the shipped files). INT8 options (issue 27, docs/results/color-speed.md section 11;
none is used for the shipped file): ``--per-tensor`` (one weight scale per tensor: 40% of the
FP32 file instead of 57%), ``--free-requant`` (no int8 -> int8 requantising nodes) and
``--pool-as-conv`` (the int8 average pool as a depthwise convolution). Both write the cribwatch
metadata (network and SSIM settings, as the ONNX files carry) into a TFLite metadata entry and
drop the converter's long tensor names
(about 80 KB of a 190 KB file)::

    .venv-tflite/bin/python -m cribwatch.color.tflite --precision int8 --layout nhwc \
        --calib data/colornet/train200 --check-pairs VAL --out color_ssim_guided_slim.int8.tflite
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cribwatch.color.lab import np_to_t
from cribwatch.color.litert_net import META_NAME, LiteRTSession
from cribwatch.color.model import ColorNet, config_dict, make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import load_net
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path, guard_output, read_gray, read_rgb

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "color_ssim_guided_slim.pt"
"""The shipped default network (the slim ``ssim-guided`` one)."""
PRECISIONS = ("fp32", "int8")
LAYOUTS = ("nchw", "nhwc")


class Parts(nn.Module):
    """Export wrapper: the network's own ab and its reference gate (see ColorNet.forward_parts)."""

    def __init__(self, model: ColorNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, *inputs: Tensor) -> tuple[Tensor, ...]:
        ab, gate = self.model.forward_parts(*inputs)
        return (ab,) if gate is None else (ab, gate)


def example_inputs(model: ColorNet, seed: int = 0) -> tuple[Tensor, ...]:
    """Random inputs in the ranges the network sees (L/100, Lab/scale, map in [0, 1])."""
    g = torch.Generator().manual_seed(seed)
    s = model.cfg.size
    night = torch.rand(1, 1, s, s, generator=g)
    if not model.cfg.reference:
        return (night,)
    lab = torch.rand(1, 3, s, s, generator=g) * torch.tensor([1.0, 0.6, 0.6]).view(1, 3, 1, 1)
    return (
        night,
        lab - torch.tensor([0.0, 0.3, 0.3]).view(1, 3, 1, 1),
        torch.rand(1, 1, s, s, generator=g),
    )


def _nhwc(t: Tensor) -> Tensor:
    return t.permute(0, 2, 3, 1).contiguous()


def _single_scale(m: torch.fx.GraphModule) -> int:
    """Give every quantized tensor one scale: consumers that read a quantized node's float
    value directly (PT2E leaves such edges into ops it does not annotate, such as resize and
    concat) read its dequantized value instead. Without this the LiteRT converter propagates
    a concat's output scale back onto a tensor that already has its own (``'tfl.pad' op
    quantization parameters violate the same scale constraint``). Returns the edges rewired."""
    q_op = torch.ops.quantized_decomposed.quantize_per_tensor.default
    dq_op = torch.ops.quantized_decomposed.dequantize_per_tensor.default
    n_rewired = 0
    for node in list(m.graph.nodes):
        qs = [u for u in node.users if u.op == "call_function" and u.target == q_op]
        dqs = [u for u in qs[0].users if u.target == dq_op] if qs else []
        if not dqs:
            continue
        for user in list(node.users):
            if user.op == "call_function" and user.target != q_op:
                user.replace_input_with(node, dqs[0])
                n_rewired += 1
    m.graph.lint()
    m.recompile()
    return n_rewired


def _quantizer(pq: Any, float_head: bool) -> Any:
    """litert-torch's PT2E quantizer, leaving the graph's last convolution unannotated (float)
    when ``float_head``."""
    from torchao.quantization.pt2e.quantizer import QuantizationAnnotation  # extra: tflite

    class Quantizer(pq.PT2EQuantizer):  # type: ignore[misc, name-defined]
        def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
            model = super().annotate(model)
            if float_head:
                convs = [n for n in model.graph.nodes if n.target == torch.ops.aten.conv2d.default]
                if convs:
                    convs[-1].meta["quantization_annotation"] = QuantizationAnnotation(
                        _annotated=True
                    )
            return model

    return Quantizer()


def load_samples(inputs: Path, layout: str = "nchw") -> list[tuple[Tensor, ...]]:
    """The network inputs saved by :func:`save_pair_inputs`, one tuple per sample."""
    with np.load(inputs) as z:
        names = [n for n in ("night_l", "ref_lab", "smap") if n in z.files]
        arrays = [z[n] for n in names]
    out = []
    for i in range(len(arrays[0])):
        x = tuple(torch.from_numpy(a[i : i + 1]) for a in arrays)
        out.append(tuple(_nhwc(t) for t in x) if layout == "nhwc" else x)
    return out


def _opcode(model: Any, schema: Any, builtin: int) -> int:
    """The index of ``builtin``'s operator code in ``model``, appended when it has none."""
    for i, oc in enumerate(model.operatorCodes):
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == builtin:
            return i
    oc = schema.OperatorCodeT()
    oc.builtinCode = builtin
    oc.deprecatedBuiltinCode = min(builtin, 127)
    oc.version = 1
    model.operatorCodes.append(oc)
    return len(model.operatorCodes) - 1


def _float_io(model: Any, schema: Any) -> int:
    """Give an INT8 file float32 inputs and outputs: a QUANTIZE node after each int8 input and
    a DEQUANTIZE node before each int8 output, inside the graph (XNNPACK converts in one
    vectorised pass, cheaper than NumPy's rounding in the caller). Returns the nodes added."""

    def float_twin(t: Any) -> int:
        new = schema.TensorT()
        new.shape = t.shape
        new.shapeSignature = t.shapeSignature
        new.type = schema.TensorType.FLOAT32
        new.name = t.name
        model.buffers.append(schema.BufferT())
        new.buffer = len(model.buffers) - 1
        g.tensors.append(new)
        return len(g.tensors) - 1

    def node(code: int, i: int, o: int) -> Any:
        op = schema.OperatorT()
        op.opcodeIndex = code
        op.inputs = [i]
        op.outputs = [o]
        return op

    g = model.subgraphs[0]
    renames: dict[int, int] = {}
    added = 0
    for pos, ti in enumerate(list(g.inputs)):
        if g.tensors[ti].type == schema.TensorType.INT8:
            new = float_twin(g.tensors[ti])
            quant = _opcode(model, schema, schema.BuiltinOperator.QUANTIZE)
            g.operators.insert(0, node(quant, new, ti))
            g.inputs[pos] = renames[ti] = new
            added += 1
    for pos, ti in enumerate(list(g.outputs)):
        if g.tensors[ti].type == schema.TensorType.INT8:
            new = float_twin(g.tensors[ti])
            dequant = _opcode(model, schema, schema.BuiltinOperator.DEQUANTIZE)
            g.operators.append(node(dequant, ti, new))
            g.outputs[pos] = renames[ti] = new
            added += 1
    for ti in renames:
        g.tensors[ti].name = None
    for sig in model.signatureDefs or []:
        for io in [*(sig.inputs or []), *(sig.outputs or [])]:
            io.tensorIndex = renames.get(io.tensorIndex, io.tensorIndex)
    return added


_SAME_SCALE = ("PAD", "RESIZE_BILINEAR", "RESHAPE", "SLICE", "AVERAGE_POOL_2D", "MAX_POOL_2D")
"""Int8 ops whose output must carry their (first) input's scale and zero point."""
_FREE_OUTPUT = ("CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MUL", "QUANTIZE")
"""Int8 ops that requantize to any output scale at no extra cost."""


def _free_requantize(model: Any, schema: Any) -> int:
    """Remove the int8 -> int8 QUANTIZE nodes (requantisations before a concatenation, a
    resize or a pool): the tensor they read takes their output's scale and zero point instead,
    carried up through same-scale ops (:data:`_SAME_SCALE`) to a producer that requantizes
    freely (:data:`_FREE_OUTPUT`) and down through same-scale consumers; convolutions reading a
    changed tensor get their int32 bias rescaled (its scale is input scale x weight scale). A
    node whose change would reach a concatenation, a graph input or another fixed-scale op is
    kept. Returns the nodes removed."""
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    g = model.subgraphs[0]

    def opname(op: Any) -> str:
        oc = model.operatorCodes[op.opcodeIndex]
        return str(names[max(oc.builtinCode, oc.deprecatedBuiltinCode)])

    def qparams(t: int) -> tuple[float, int] | None:
        q = g.tensors[t].quantization
        if g.tensors[t].type != schema.TensorType.INT8 or q is None or q.scale is None:
            return None
        if len(q.scale) != 1:
            return None
        return float(q.scale[0]), int(q.zeroPoint[0])

    removed = 0
    for q_op in [op for op in g.operators if opname(op) == "QUANTIZE"]:
        t_in, t_out = q_op.inputs[0], q_op.outputs[0]
        pin, pout = qparams(t_in), qparams(t_out)
        if pin is None or pout is None or t_out in g.outputs:
            continue
        prod = {t: op for op in g.operators for t in op.outputs}
        cons: dict[int, list[Any]] = {}
        for op in g.operators:
            for t in op.inputs:
                cons.setdefault(t, []).append(op)
        changed: list[int] = []
        convs: list[tuple[Any, float]] = []
        ok = True
        stack = [t_in]
        while stack and ok:
            t = stack.pop()
            if t in changed:
                continue
            old = qparams(t)
            if old is None or t in g.inputs:
                ok = False
                break
            changed.append(t)
            p = prod.get(t)
            if p is None or (opname(p) not in _SAME_SCALE and opname(p) not in _FREE_OUTPUT):
                ok = False
            elif opname(p) in _SAME_SCALE:
                stack.append(p.inputs[0])
            for c in cons.get(t, []):
                kind = opname(c)
                if c is q_op or kind in ("ADD", "MUL", "DEQUANTIZE", "QUANTIZE", "MEAN"):
                    continue
                if kind in _SAME_SCALE and c.inputs[0] == t:
                    stack.append(c.outputs[0])
                elif kind in ("CONV_2D", "DEPTHWISE_CONV_2D") and c.inputs[0] == t:
                    convs.append((c, old[0]))
                else:
                    ok = False
        if not ok:
            continue
        for t in changed:
            q = g.tensors[t].quantization
            q.scale, q.zeroPoint = [pout[0]], [pout[1]]
            q.min = q.max = None
        for c, s_old in convs:
            if len(c.inputs) < 3 or c.inputs[2] < 0:
                continue
            bt = g.tensors[c.inputs[2]]
            b = np.frombuffer(bytes(model.buffers[bt.buffer].data), dtype="<i4")
            ratio = s_old / pout[0]
            new = schema.BufferT()
            new.data = np.frombuffer(
                np.round(b.astype(np.float64) * ratio).astype("<i4").tobytes(), dtype=np.uint8
            )
            model.buffers.append(new)
            bt.buffer = len(model.buffers) - 1
            bt.quantization.scale = [float(x) / ratio for x in bt.quantization.scale]
        for op in g.operators:
            op.inputs = [t_in if t == t_out else t for t in op.inputs]
        g.operators.remove(q_op)
        removed += 1
    return removed


def _pool_as_depthwise(model: Any, schema: Any) -> int:
    """Replace each int8 2x2 stride-2 ``AVERAGE_POOL_2D`` (the reference ab's halving, on two
    channels) by the same arithmetic as an int8 depthwise 2x2 stride-2 convolution with weights
    1/4 (int8 127 at scale 1/508) and zero bias. XNNPACK's int8 average pool of a 2-channel
    64x64 output took about 0.10 ms (0.03 ms in FP32); the convolution runs in its fast
    depthwise kernels. Returns the pools replaced."""
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    g = model.subgraphs[0]

    def const(arr: np.ndarray, ttype: int, scale: float) -> int:
        buf = schema.BufferT()
        buf.data = np.frombuffer(arr.tobytes(), dtype=np.uint8)
        model.buffers.append(buf)
        t = schema.TensorT()
        t.shape = list(arr.shape)
        t.type = ttype
        t.buffer = len(model.buffers) - 1
        q = schema.QuantizationParametersT()
        q.scale, q.zeroPoint = [scale], [0]
        t.quantization = q
        g.tensors.append(t)
        return len(g.tensors) - 1

    replaced = 0
    for op in g.operators:
        oc = model.operatorCodes[op.opcodeIndex]
        if names[max(oc.builtinCode, oc.deprecatedBuiltinCode)] != "AVERAGE_POOL_2D":
            continue
        o = op.builtinOptions
        t_in, t_out = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        q_in, q_out = t_in.quantization, t_out.quantization
        if (
            (o.filterHeight, o.filterWidth, o.strideH, o.strideW) != (2, 2, 2, 2)
            or t_in.type != schema.TensorType.INT8
            or q_in is None
            or q_out is None
            or len(q_in.scale) != 1
        ):
            continue
        channels = int(t_in.shape[-1])
        w_scale = 0.25 / 127
        w = const(np.full((1, 2, 2, channels), 127, np.int8), schema.TensorType.INT8, w_scale)
        b = const(
            np.zeros((channels,), np.int32), schema.TensorType.INT32, float(q_in.scale[0]) * w_scale
        )
        dw = schema.DepthwiseConv2DOptionsT()
        dw.padding = o.padding
        dw.strideH = dw.strideW = 2
        dw.depthMultiplier = dw.dilationHFactor = dw.dilationWFactor = 1
        dw.fusedActivationFunction = o.fusedActivationFunction
        op.opcodeIndex = _opcode(model, schema, schema.BuiltinOperator.DEPTHWISE_CONV_2D)
        op.builtinOptionsType = schema.BuiltinOptions.DepthwiseConv2DOptions
        op.builtinOptions = dw
        op.inputs = [op.inputs[0], w, b]
        replaced += 1
    return replaced


def _finish_file(
    path: Path,
    meta: dict[str, object],
    float_io: bool = False,
    free_requant: bool = False,
    pool_as_conv: bool = False,
) -> None:
    """Add the cribwatch metadata entry and drop the converter's tensor names (the inputs'
    and outputs' names stay: the signature refers to them); with ``float_io``, float32
    inputs and outputs (:func:`_float_io`); with ``free_requant``, no int8 requantising
    nodes (:func:`_free_requantize`); with ``pool_as_conv``, int8 average pools as depthwise
    convolutions (:func:`_pool_as_depthwise`)."""
    from ai_edge_litert import schema_py_generated as schema  # extra: tflite
    from ai_edge_litert.tools import flatbuffer_utils  # extra: tflite

    model = flatbuffer_utils.read_model(str(path))
    if float_io:  # first: the requantising nodes that read an int8 input then go too
        meta["float_io_nodes"] = _float_io(model, schema)
    if free_requant:
        meta["requantize_nodes_removed"] = _free_requantize(model, schema)
    if pool_as_conv:
        meta["pools_as_depthwise"] = _pool_as_depthwise(model, schema)
    for g in model.subgraphs:
        keep = set(g.inputs) | set(g.outputs)
        for i, t in enumerate(g.tensors):
            if i not in keep:
                t.name = None
    buf = schema.BufferT()
    buf.data = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    model.buffers.append(buf)
    md = schema.MetadataT()
    md.name = META_NAME.encode()
    md.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name != md.name] + [md]
    with atomic_path(path) as tmp:
        flatbuffer_utils.write_model(model, str(tmp))


def _run_tflite(sess: LiteRTSession, x: tuple[Tensor, ...]) -> list[np.ndarray]:
    """LiteRT outputs (float, ONNX layout, in the order ab, gate) of ``sess`` on ``x``
    (channel-last tensors are fed as the NCHW arrays the session expects)."""
    names = [a.name for a in sess.get_inputs()]
    feeds = {
        n: (t.permute(0, 3, 1, 2) if t.shape[-1] <= 3 and t.shape[1] > 3 else t).numpy()
        for n, t in zip(names, x, strict=True)
    }
    return sess.run(None, feeds)


def output_psnr(ref: list[np.ndarray], got: list[np.ndarray]) -> float:
    """PSNR (dB) of network outputs against reference ones: ``ab`` has a range of 2 ([-1, 1]),
    the gate 1; the mean squared error of each, relative to its range, pooled."""
    num, den = 0.0, 0
    for r, g, rng in zip(ref, got, (2.0, 1.0), strict=False):
        num += float(np.sum(((r - g) / rng) ** 2))
        den += r.size
    mse = num / max(den, 1)
    return 100.0 if mse <= 0 else float(10 * np.log10(1.0 / mse))


def export_tflite(
    weights: Path,
    out: Path,
    checks: int = 4,
    inputs: Path | None = None,
    precision: str = "fp32",
    calib: Path | None = None,
    layout: str = "nchw",
    float_head: bool = False,
    float_io: bool = True,
    per_channel: bool = True,
    free_requant: bool = False,
    pool_as_conv: bool = False,
) -> dict[str, object]:
    """Convert ``weights`` to a .tflite file and return its parity against PyTorch, on
    ``checks`` random inputs or on the network inputs saved in ``inputs`` (an ``.npz`` with
    one array per input name, first axis = sample; see :func:`save_pair_inputs`).

    ``precision='int8'`` quantizes with PT2E on ``calib`` (an ``.npz`` as ``inputs``, from a
    training pair set) and reports the INT8 file against the FP32 network: PSNR of the outputs
    (:func:`output_psnr`) besides the largest difference. ``layout='nhwc'``: channel-last
    inputs and outputs. ``float_head``: the INT8 file keeps the last convolution (the fused
    three-output head: a, b and the gate logit, whose ranges differ by an order of magnitude,
    under one per-tensor output scale) and what follows it in float, as the ONNX Runtime robust
    scheme does (on the validation pairs it gained 1.2 dB of RGB PSNR and cost speed: off by
    default). ``float_io``: an INT8 file takes and gives float32 (:func:`_float_io`).
    ``per_channel=False``: one symmetric int8 scale per weight tensor instead of one per output
    channel (smaller file: no per-channel scales and int64 zero points). ``free_requant``: no
    int8 -> int8 QUANTIZE nodes (:func:`_free_requantize`; measured: about 1% faster, 0.9-1.1
    dB lower output PSNR, so off by default). ``pool_as_conv``: the int8 average pool as a
    depthwise convolution (:func:`_pool_as_depthwise`)."""
    if precision not in PRECISIONS:
        raise CribwatchError(f"unknown precision {precision!r} (fp32 or int8)")
    if layout not in LAYOUTS:
        raise CribwatchError(f"unknown layout {layout!r} (nchw or nhwc)")
    if precision == "int8" and calib is None:
        raise CribwatchError("an INT8 export needs calibration inputs (--calib)")
    try:
        # extra: tflite (the LiteRT venv, `make tflite-venv`)
        import litert_torch  # type: ignore[import-not-found]  # extra: tflite
        from ai_edge_litert.interpreter import Interpreter  # noqa: F401  # extra: tflite
    except ImportError as exc:
        raise CribwatchError(
            "TFLite export needs litert-torch, which conflicts with this environment's "
            "protobuf pin; see `python -m cribwatch.color.tflite --help` for the separate venv"
        ) from exc
    torch.manual_seed(0)
    net = load_net(weights)
    wrapper: nn.Module = Parts(net.model).eval()
    example = example_inputs(net.model)
    if layout == "nhwc":
        n_out = 2 if net.model.cfg.reference else 1
        wrapper = litert_torch.to_channel_last_io(
            wrapper, args=list(range(len(example))), outputs=list(range(n_out))
        ).eval()
        example = tuple(_nhwc(t) for t in example)
    info: dict[str, object] = {}
    if precision == "int8":
        assert calib is not None
        from litert_torch.quantize import pt2e_quantizer as pq  # extra: tflite
        from litert_torch.quantize.quant_config import QuantConfig  # extra: tflite
        from torchao.quantization.pt2e import quantize_pt2e  # extra: tflite

        samples = load_samples(calib, layout)
        m = torch.export.export(wrapper, example).module()
        quantizer = _quantizer(pq, float_head).set_global(
            pq.get_symmetric_quantization_config(is_per_channel=per_channel)
        )
        m = quantize_pt2e.prepare_pt2e(m, quantizer)
        with torch.no_grad():
            for x in samples:
                m(*x)
        m = quantize_pt2e.convert_pt2e(m, fold_quantize=False)
        info["rewired_edges"] = _single_scale(m)
        info["float_head"] = float_head
        info["per_channel"] = per_channel
        info["calibration_samples"] = len(samples)
        edge = litert_torch.convert(m, example, quant_config=QuantConfig(pt2e_quantizer=quantizer))
    else:
        edge = litert_torch.convert(wrapper, example)
    with atomic_path(out) as tmp:
        edge.export(str(tmp))
    meta: dict[str, object] = {
        "io": "split",
        "layout": layout,
        "precision": precision,
        "network": config_dict(net.model.cfg),
        "ssim_config": asdict(net.ssim_cfg),
        "weights": weights.name,
        "written_by": OUTPUT_MARK,
    }
    is_int8 = precision == "int8"
    _finish_file(
        out,
        meta,
        float_io=float_io and is_int8,
        free_requant=free_requant and is_int8,
        pool_as_conv=pool_as_conv and is_int8,
    )
    samples_chk = (
        load_samples(inputs, layout)
        if inputs is not None
        else [
            tuple(_nhwc(t) for t in e) if layout == "nhwc" else e
            for e in (example_inputs(net.model, seed=k + 1) for k in range(checks))
        ]
    )
    worst = 0.0
    psnrs = []
    sess = LiteRTSession(out)
    for x in samples_chk:
        got = _run_tflite(sess, x)
        with torch.no_grad():
            ref = [r.numpy() for r in wrapper(*x)]
        ref = [r.transpose(0, 3, 1, 2) if layout == "nhwc" else r for r in ref]
        worst = max(worst, max(float(np.abs(r - g).max()) for r, g in zip(ref, got, strict=True)))
        psnrs.append(output_psnr(ref, got))
    return {
        "out": str(out),
        "format": "tflite",
        "precision": precision,
        "layout": layout,
        "bytes": out.stat().st_size,
        "parity_max_abs": worst,
        "psnr_vs_torch_fp32_db": float(np.mean(psnrs)),
        "psnr_vs_torch_fp32_min_db": float(np.min(psnrs)),
        "checks": len(samples_chk),
        "check_inputs": "pairs" if inputs is not None else "random",
        **info,
    }


def save_pair_inputs(weights: Path, pairs: Path, out: Path, limit: int = 8) -> Path:
    """Network inputs of the first ``limit`` pairs of a set, as an ``.npz`` for the check."""
    net = load_net(weights)
    cols: dict[str, list[np.ndarray]] = {"night_l": [], "ref_lab": [], "smap": []}
    for p in load_pair_set(pairs)[:limit]:
        n = np_to_t(read_gray(p.night))
        r = np_to_t(read_rgb(p.reference, require_color=True)) if net.model.cfg.reference else None
        with torch.no_grad():
            feeds = make_inputs(n, r, net.model.cfg.size, net.ssim_cfg)
        for k, v in zip(("night_l", "ref_lab", "smap"), feeds, strict=True):
            if v is not None:
                cols[k].append(v.numpy())
    arrays = {k: np.concatenate(v) for k, v in cols.items() if v}
    np.savez(out, **arrays)  # type: ignore[arg-type]
    return out


def run_in_venv(
    python: Path,
    weights: Path,
    out: Path,
    inputs: Path | None,
    precision: str = "fp32",
    calib: Path | None = None,
    layout: str = "nchw",
) -> dict[str, object]:
    """Run the conversion with the interpreter of the separate LiteRT environment."""
    cmd = [
        str(python),
        "-m",
        "cribwatch.color.tflite",
        "--weights",
        str(weights),
        "--out",
        str(out),
        "--precision",
        precision,
        "--layout",
        layout,
        "--force",  # the caller checked --out (cribwatch color export)
    ]
    if inputs is not None:
        cmd += ["--inputs", str(inputs)]
    if calib is not None:
        cmd += ["--calib-inputs", str(calib)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise CribwatchError(f"TFLite conversion with {python} failed: {last}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    """``python -m cribwatch.color.tflite [--weights W.pt] --out F.tflite [--precision int8
    --calib PAIRS] [--check-pairs PAIRS | --inputs X.npz] [--layout nhwc]``."""
    from cribwatch import clikit  # python -m entry point: the CLI layer

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS, help="default: the shipped")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--precision", default="fp32", help="fp32 or int8 (full integer, PT2E)")
    ap.add_argument("--layout", default="nchw", help="nchw or nhwc (channel-last inputs/outputs)")
    ap.add_argument("--calib", type=Path, default=None, help="training pair set (int8)")
    ap.add_argument("--n-calib", type=int, default=64, help="calibration pairs used")
    ap.add_argument("--calib-inputs", type=Path, default=None, help=".npz instead of --calib")
    ap.add_argument("--check-pairs", type=Path, default=None, help="pair set for the check")
    ap.add_argument("--n-check", type=int, default=48, help="check pairs used")
    ap.add_argument("--inputs", type=Path, default=None, help=".npz of network inputs to check")
    ap.add_argument(
        "--per-tensor",
        action="store_true",
        help="int8: one weight scale per tensor (default: per output channel)",
    )
    ap.add_argument(
        "--free-requant",
        action="store_true",
        help="int8: remove the int8->int8 requantising nodes (producers take their scales)",
    )
    ap.add_argument(
        "--pool-as-conv",
        action="store_true",
        help="int8: average pools as depthwise convolutions (XNNPACK's int8 pool is slow)",
    )
    ap.add_argument("--force", action="store_true", help=clikit.FORCE_HELP)
    args = ap.parse_args(argv)

    def checked() -> dict[str, object]:
        clikit.one_of("--precision", args.precision, PRECISIONS)
        clikit.one_of("--layout", args.layout, LAYOUTS)
        clikit.check_number("--n-calib", args.n_calib, low=1, high=100_000, integer=True)
        clikit.check_number("--n-check", args.n_check, low=1, high=100_000, integer=True)
        if args.precision == "int8" and args.calib is None and args.calib_inputs is None:
            raise CribwatchError("--precision int8 needs --calib (a training pair set)")
        guard_output(
            args.out,
            inputs={
                "--weights": args.weights,
                "--inputs": args.inputs,
                "--calib": args.calib,
                "--check-pairs": args.check_pairs,
            },
            force=args.force,
        )
        with tempfile.TemporaryDirectory() as tmp:
            calib = args.calib_inputs
            if args.calib is not None:
                calib = save_pair_inputs(
                    args.weights, args.calib, Path(tmp) / "calib.npz", args.n_calib
                )
            inputs = args.inputs
            if args.check_pairs is not None:
                inputs = save_pair_inputs(
                    args.weights, args.check_pairs, Path(tmp) / "check.npz", args.n_check
                )
            return export_tflite(
                args.weights,
                args.out,
                inputs=inputs,
                precision=args.precision,
                calib=calib,
                layout=args.layout,
                per_channel=not args.per_tensor,
                free_requant=args.free_requant,
                pool_as_conv=args.pool_as_conv,
            )

    sys.stdout.write(json.dumps(clikit.run(checked)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

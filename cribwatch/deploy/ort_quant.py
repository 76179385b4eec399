"""Post-training static quantization of any ONNX model with ONNX Runtime's tools.

Two schemes, so the failure and the fix can be measured side by side:

- ``naive``: what a first attempt does. UINT8 activations and UINT8 weights, one
  (asymmetric) scale per tensor, min-max calibration, every operator quantized, inputs and
  outputs included.
- ``robust``: symmetric INT8 weights with one scale per output channel (a depthwise layer's
  channels differ by orders of magnitude), UINT8 activations calibrated on real data with a
  percentile of the histogram instead of the extremes (outliers no longer waste the range), and
  the sensitive nodes (by default the first layers that read the mixed-scale inputs and the
  output head whose useful range is a small part of its float range) kept in float.

Per-node diagnosis: :func:`activation_errors` runs the float and the quantized model on the
same inputs and gives, per tensor in graph order, the signal-to-quantization-noise ratio of the
quantized activation against the float one (ONNX Runtime's ``qdq_loss_debug``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.qdq_loss_debug import (
    collect_activations,
    compute_activation_error,
    create_activation_matching,
    modify_model_output_intermediate_tensors,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path

Scheme = Literal["naive", "robust"]


@dataclass(frozen=True)
class RobustConfig:
    """Settings of the robust scheme."""

    percentile: float = 99.999
    """Histogram percentile used as the activation range (calibration)."""
    operator_format: bool = True
    """Write fused integer operators (QLinearConv ...) instead of Q/DQ pairs: fewer nodes and
    a smaller file (the slim colour network: 75.6 against 99.2 KB). On this CPU the two forms
    ran the slim network at the same speed (2.4 against 2.5 ms of CPU per frame, one
    thread); with 8-bit Resize kept, the Q/DQ form ran the default network faster (6.5
    against 7.9 ms), which ``float_ops`` now removes (docs/results/color-speed.md)."""
    float_ops: tuple[str, ...] = ("Resize",)
    """Operator types left in float (a float island between a DequantizeLinear and a
    QuantizeLinear): ONNX Runtime's 8-bit bilinear Resize took about four times as long as
    the float one on the colour network."""
    compact: bool = True
    """Rename intermediate tensors and nodes to short names (t12, n34): the file shrinks by a
    third; graph inputs and outputs keep their names."""
    keep_float: tuple[str, ...] = ()
    """Node names kept in float (first/last layers); empty = the model's own choice."""
    per_channel: bool = True
    """One weight scale per output channel."""
    extra: dict[str, object] = field(default_factory=dict)
    """Extra options passed to onnxruntime's quantize_static."""


class _Reader:
    """onnxruntime CalibrationDataReader over a list of feed dicts."""

    def __init__(self, feeds: Sequence[dict[str, np.ndarray]]) -> None:
        self._it: Iterator[dict[str, np.ndarray]] = iter(list(feeds))

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)

    def rewind(self) -> None:  # pragma: no cover - not needed for one pass
        pass

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        """qdq_loss_debug.collect_activations iterates over its reader."""
        return self._it


def quantize_model(
    model: Path,
    out: Path,
    calib: Sequence[dict[str, np.ndarray]],
    scheme: Scheme,
    robust: RobustConfig | None = None,
) -> Path:
    """Quantize ``model`` to a QDQ ONNX file ``out`` (written atomically)."""
    if not model.is_file():
        raise CribwatchError(f"{model}: model file not found")
    if not calib:
        raise CribwatchError("quantization needs at least one calibration input")
    try:
        onnx.checker.check_model(str(model))
    except Exception as exc:  # onnx raises several types
        raise CribwatchError(f"{model}: not a valid ONNX model ({exc})") from exc
    reader = _Reader(calib)
    assert isinstance(reader, CalibrationDataReader) or hasattr(reader, "get_next")
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(model), str(pre), skip_symbolic_shape=True)
        with atomic_path(out) as dst:
            if scheme == "naive":
                quantize_static(
                    str(pre),
                    str(dst),
                    reader,  # type: ignore[arg-type]
                    quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QUInt8,
                    per_channel=False,
                    calibrate_method=CalibrationMethod.MinMax,
                )
            elif scheme == "robust":
                r = robust or RobustConfig()
                src_ops = {n.op_type for n in onnx.load(str(pre)).graph.node}
                ops = sorted(src_ops - set(r.float_ops) - {"Constant", "Shape"})
                extra: dict[str, object] = {
                    "WeightSymmetric": True,
                    "ActivationSymmetric": False,
                    "CalibPercentile": r.percentile,
                    **r.extra,
                }
                quantize_static(
                    str(pre),
                    str(dst),
                    reader,  # type: ignore[arg-type]
                    quant_format=QuantFormat.QOperator if r.operator_format else QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    per_channel=r.per_channel,
                    calibrate_method=CalibrationMethod.Percentile,
                    nodes_to_exclude=list(r.keep_float),
                    op_types_to_quantize=ops,
                    extra_options=extra,
                )
            else:
                raise CribwatchError(f"unknown quantization scheme {scheme!r} (naive or robust)")
            if scheme == "robust" and (robust or RobustConfig()).compact:
                m = onnx.load(str(dst))
                compact_names(m)
                onnx.save(m, str(dst))
    return out


def compact_names(m: onnx.ModelProto) -> None:
    """Shorten every intermediate tensor and node name in place (inputs/outputs kept) and drop
    the optional intermediate shape annotations."""
    keep = {i.name for i in m.graph.input} | {o.name for o in m.graph.output}
    names: dict[str, str] = {}

    def short(x: str) -> str:
        if x == "" or x in keep:
            return x
        return names.setdefault(x, f"t{len(names)}")

    for init in m.graph.initializer:
        init.name = short(init.name)
    for i, node in enumerate(m.graph.node):
        node.name = f"n{i}"
        node.doc_string = ""
        node.input[:] = [short(x) for x in node.input]
        node.output[:] = [short(x) for x in node.output]
    # Intermediate shape annotations are optional (runtimes infer them) and cost ~3% of a
    # small model's file.
    del m.graph.value_info[:]
    onnx.checker.check_model(m)


def activation_errors(
    float_model: Path, quant_model: Path, feeds: Sequence[dict[str, np.ndarray]]
) -> list[dict[str, float | str]]:
    """Per-tensor SQNR (dB) of the quantized model's activations against the float model's."""
    with tempfile.TemporaryDirectory() as tmp:
        fa = Path(tmp) / "f.onnx"
        qa = Path(tmp) / "q.onnx"
        modify_model_output_intermediate_tensors(str(float_model), str(fa))
        modify_model_output_intermediate_tensors(str(quant_model), str(qa))
        f_act = collect_activations(str(fa), _Reader(feeds))  # type: ignore[arg-type]
        q_act = collect_activations(str(qa), _Reader(feeds))  # type: ignore[arg-type]
    matching = create_activation_matching(q_act, f_act)
    errors = compute_activation_error(matching)
    order = [n.name for n in onnx.load(str(float_model)).graph.node]
    outputs = {
        o: i for i, node in enumerate(onnx.load(str(float_model)).graph.node) for o in node.output
    }
    rows = []
    for name, err in errors.items():
        xs = err.get("xmodel_err")
        qs = err.get("qdq_err")
        rows.append(
            {
                "tensor": name,
                "sqnr_db": float(np.mean(xs)) if xs is not None else float("nan"),
                "qdq_sqnr_db": float(np.mean(qs)) if qs is not None else float("nan"),
                "order": float(outputs.get(name, len(order))),
            }
        )
    rows.sort(key=lambda r: r["order"])
    return rows

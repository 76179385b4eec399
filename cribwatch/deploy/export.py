"""ONNX export of any cribwatch PyTorch model, with a checker pass and a parity check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path

MIN_OPSET = 17


def export_onnx(
    model: object,
    example: tuple[object, ...],
    path: Path,
    *,
    input_names: list[str],
    output_names: list[str],
    opset: int = MIN_OPSET,
    dynamic_batch: bool = True,
) -> int:
    """Export ``model`` (a torch.nn.Module in eval mode) to ONNX; returns the file size.

    Uses the TorchScript-based exporter (``dynamo=False``: no onnxscript needed) and checks
    the result with ``onnx.checker``.
    """
    import onnx  # extra: train
    import torch  # extra: train

    if opset < MIN_OPSET:
        raise CribwatchError(f"opset {opset} < {MIN_OPSET}")
    axes = {n: {0: "batch"} for n in input_names + output_names} if dynamic_batch else None
    with atomic_path(path) as tmp:
        torch.onnx.export(
            model,  # type: ignore[arg-type]
            example,
            str(tmp),
            input_names=input_names,  # type: ignore[arg-type]
            output_names=output_names,
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
        onnx.checker.check_model(onnx.load(str(tmp)))
    return path.stat().st_size


def onnx_run(path: Path, feeds: dict[str, np.ndarray], threads: int = 1) -> list[np.ndarray]:
    """Run an ONNX file with ONNX Runtime (CPU)."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return [np.asarray(o) for o in sess.run(None, feeds)]


def parity(model: object, path: Path, inputs: list[np.ndarray], input_name: str = "input") -> float:
    """Largest absolute difference between PyTorch and ONNX Runtime outputs over ``inputs``."""
    import torch  # extra: train

    worst = 0.0
    for x in inputs:
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()  # type: ignore[operator]
        got = onnx_run(path, {input_name: x})[0]
        worst = max(worst, float(np.max(np.abs(ref.reshape(got.shape) - got))))
    return worst

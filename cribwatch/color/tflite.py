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
PyTorch on random inputs. This module imports neither onnx nor onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from cribwatch.color.model import ColorNet
from cribwatch.color.pipeline import load_net
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path


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


def export_tflite(weights: Path, out: Path, checks: int = 4) -> dict[str, object]:
    """Convert ``weights`` to a .tflite file and return its parity against PyTorch."""
    try:
        import litert_torch  # type: ignore[import-not-found]
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-not-found]
    except ImportError as exc:
        raise CribwatchError(
            "TFLite export needs litert-torch, which conflicts with this environment's "
            "protobuf pin; see `python -m cribwatch.color.tflite --help` for the separate venv"
        ) from exc
    net = load_net(weights)
    wrapper = Parts(net.model).eval()
    edge = litert_torch.convert(wrapper, example_inputs(net.model))
    with atomic_path(out) as tmp:
        edge.export(str(tmp))
    it = Interpreter(model_path=str(out))
    it.allocate_tensors()
    ins = sorted(it.get_input_details(), key=lambda d: d["index"])
    worst = 0.0
    for k in range(checks):
        x = example_inputs(net.model, seed=k + 1)
        for d, t in zip(ins, x, strict=True):
            it.set_tensor(d["index"], t.numpy())
        it.invoke()
        got = [it.get_tensor(d["index"]) for d in it.get_output_details()]
        with torch.no_grad():
            ref = wrapper(*x)
        for r in ref:
            match = [g for g in got if g.shape == tuple(r.shape)]
            worst = max(worst, min(float(np.abs(r.numpy() - g).max()) for g in match))
    return {
        "out": str(out),
        "format": "tflite",
        "bytes": out.stat().st_size,
        "parity_max_abs": worst,
        "checks": checks,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    try:
        print(json.dumps(export_tflite(args.weights, args.out)))
    except CribwatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

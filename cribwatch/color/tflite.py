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
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from cribwatch.color.lab import np_to_t
from cribwatch.color.model import ColorNet, make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import load_net
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, guard_output, read_gray, read_rgb


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


def export_tflite(
    weights: Path, out: Path, checks: int = 4, inputs: Path | None = None
) -> dict[str, object]:
    """Convert ``weights`` to a .tflite file and return its parity against PyTorch, on
    ``checks`` random inputs or on the network inputs saved in ``inputs`` (an ``.npz`` with
    one array per input name, first axis = sample; see :func:`save_pair_inputs`)."""
    try:
        # extra: tflite (the LiteRT venv, `make tflite-venv`)
        import litert_torch  # type: ignore[import-not-found]  # extra: tflite
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-not-found]  # extra: tflite
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
    samples: list[tuple[Tensor, ...]] = []
    if inputs is not None:
        with np.load(inputs) as z:
            names = [n for n in ("night_l", "ref_lab", "smap") if n in z.files]
            arrays = [z[n] for n in names]
        samples = [
            tuple(torch.from_numpy(a[i : i + 1]) for a in arrays) for i in range(len(arrays[0]))
        ]
    else:
        samples = [example_inputs(net.model, seed=k + 1) for k in range(checks)]
    for x in samples:
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
        "checks": len(samples),
        "check_inputs": "held-out pairs" if inputs is not None else "random",
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


def run_in_venv(python: Path, weights: Path, out: Path, inputs: Path | None) -> dict[str, object]:
    """Run the conversion with the interpreter of the separate LiteRT environment."""
    cmd = [
        str(python),
        "-m",
        "cribwatch.color.tflite",
        "--weights",
        str(weights),
        "--out",
        str(out),
        "--force",  # the caller checked --out (cribwatch color export)
    ]
    if inputs is not None:
        cmd += ["--inputs", str(inputs)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise CribwatchError(f"TFLite conversion with {python} failed: {last}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    """``python -m cribwatch.color.tflite --weights W.pt --out F.tflite [--inputs X.npz]``."""
    from cribwatch import clikit  # python -m entry point: the CLI layer

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--inputs", type=Path, default=None, help=".npz of network inputs to check")
    ap.add_argument("--force", action="store_true", help=clikit.FORCE_HELP)
    args = ap.parse_args(argv)

    def checked() -> dict[str, object]:
        guard_output(
            args.out, inputs={"--weights": args.weights, "--inputs": args.inputs}, force=args.force
        )
        return export_tflite(args.weights, args.out, inputs=args.inputs)

    sys.stdout.write(json.dumps(clikit.run(checked)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

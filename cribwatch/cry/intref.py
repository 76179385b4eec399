"""The numpy integer reference of the quantized cry model (no torch), its ``.cwq`` file format
and a scorer over it. See :mod:`cribwatch.cry.quantize` for how the model is made and
:mod:`cribwatch.deploy.quantize` for the requantization rule (int64 fixed point, rounding half
away from zero).

``.cwq`` file: a numpy ``.npz`` holding a JSON header (``format``, ``version``, ``bits``,
per-layer kind, bit width, stride, padding, groups, input/output scale and zero point, clamp
range, weight shape), per layer the weights (int8, or int4 packed two per byte, low nibble
first), int32 biases, float32 weight scales, int32 multipliers and int8 shifts, and a sha256 over
all of it that :meth:`IntModel.load` checks: a truncated or corrupt file is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cribwatch.deploy.quantize import pack_int4, requantize, unpack_int4
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path

FORMAT = "cribwatch-cry-int"
VERSION = 1


@dataclass
class QLayer:
    """One integer layer."""

    kind: str
    wq: np.ndarray  # int8 values (int4 range for 4-bit layers)
    bq: np.ndarray  # int32
    w_scale: np.ndarray
    bits: int
    stride: int
    pad: int
    groups: int
    in_scale: float
    in_zp: int
    out_scale: float
    out_zp: int
    M: np.ndarray
    shift: np.ndarray
    qmin: int
    qmax: int


@dataclass
class IntModel:
    """The integer cry model and its numpy reference inference."""

    layers: list[QLayer]
    bits: int
    method: str
    input_scale: float = 1.0
    input_zp: int = -128

    # ------------------------------------------------------------------ inference
    def forward(self, u8: np.ndarray, record: list[np.ndarray] | None = None) -> np.ndarray:
        """(B, 98, 64) uint8 -> (B,) dequantized logits; ``record`` gets every int8 tensor."""
        x = (np.asarray(u8, dtype=np.int16) - 128).astype(np.int8)[:, None]
        if record is not None:
            record.append(x)
        for lay in self.layers:
            xz = x.astype(np.float64) - lay.in_zp
            if lay.kind == "conv":
                acc = _conv_exact(xz, lay.wq.astype(np.float64), lay.stride, lay.pad, lay.groups)
                acc = np.rint(acc).astype(np.int64) + lay.bq.reshape(1, -1, 1, 1)
                x = requantize(
                    acc,
                    lay.M.reshape(1, -1, 1, 1),
                    lay.shift.reshape(1, -1, 1, 1),
                    lay.out_zp,
                    lay.qmin,
                    lay.qmax,
                )
            elif lay.kind == "gap":
                acc = np.rint(xz.sum(axis=(2, 3))).astype(np.int64)
                x = requantize(acc, lay.M, lay.shift, lay.out_zp, lay.qmin, lay.qmax)
            else:
                acc = np.rint(xz @ lay.wq.astype(np.float64).T).astype(np.int64) + lay.bq
                x = requantize(acc, lay.M, lay.shift, lay.out_zp, lay.qmin, lay.qmax)
            if record is not None:
                record.append(x)
        last = self.layers[-1]
        return ((x.astype(np.float64) - last.out_zp) * last.out_scale).reshape(-1)

    # ------------------------------------------------------------------ file format
    def save(self, path: Path) -> int:
        """Write the ``.cwq`` file (an npz: JSON header + packed weights); returns its size."""
        arrays: dict[str, np.ndarray] = {}
        header: dict[str, object] = {
            "format": FORMAT,
            "version": VERSION,
            "bits": self.bits,
            "method": self.method,
            "input_scale": self.input_scale,
            "input_zp": self.input_zp,
            "layers": [],
        }
        for i, lay in enumerate(self.layers):
            h = {
                k: getattr(lay, k)
                for k in (
                    "kind",
                    "bits",
                    "stride",
                    "pad",
                    "groups",
                    "in_scale",
                    "in_zp",
                    "out_scale",
                    "out_zp",
                    "qmin",
                    "qmax",
                )
            }
            h["w_shape"] = list(lay.wq.shape)
            header["layers"].append(h)  # type: ignore[attr-defined]
            if lay.wq.size:
                arrays[f"w{i}"] = pack_int4(lay.wq) if lay.bits == 4 else lay.wq.astype(np.int8)
            arrays[f"b{i}"] = lay.bq.astype(np.int32)
            arrays[f"s{i}"] = np.asarray(lay.w_scale, np.float32)
            arrays[f"M{i}"] = np.asarray(lay.M, np.int32)
            arrays[f"sh{i}"] = np.asarray(lay.shift, np.int8)
        blob = json.dumps(header).encode()
        arrays["header"] = np.frombuffer(blob, dtype=np.uint8)
        digest = hashlib.sha256(b"".join(arrays[k].tobytes() for k in sorted(arrays))).hexdigest()
        arrays["sha256"] = np.frombuffer(digest.encode(), dtype=np.uint8)
        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
                fh.write(b'\n{"written_by": "' + OUTPUT_MARK.encode() + b'"}\n')
        return path.stat().st_size

    @staticmethod
    def load(path: Path) -> IntModel:
        if not Path(path).is_file():
            raise CribwatchError(f"{path}: integer model not found")
        try:
            z = np.load(path, allow_pickle=False)
            arrays = {k: z[k] for k in z.files}
            header = json.loads(bytes(arrays.pop("header")).decode())
            digest = bytes(arrays.pop("sha256")).decode()
        except Exception as exc:  # noqa: BLE001 - zip, npy, json and key errors alike
            raise CribwatchError(
                f"{path}: not a cribwatch integer model ({type(exc).__name__})"
            ) from exc
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise CribwatchError(f"{path}: wrong format or version (want {FORMAT} v{VERSION})")
        arrays_h = dict(arrays)
        arrays_h["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        check = hashlib.sha256(
            b"".join(arrays_h[k].tobytes() for k in sorted(arrays_h))
        ).hexdigest()
        if check != digest:
            raise CribwatchError(f"{path}: checksum mismatch (corrupt model file)")
        layers = []
        for i, h in enumerate(header["layers"]):
            shape = tuple(h["w_shape"])
            n = int(np.prod(shape)) if shape else 0
            if n:
                w = arrays[f"w{i}"]
                wq = unpack_int4(w, n).reshape(shape) if h["bits"] == 4 else w.reshape(shape)
            else:
                wq = np.zeros(0, np.int8)
            layers.append(
                QLayer(
                    h["kind"],
                    wq,
                    arrays[f"b{i}"],
                    arrays[f"s{i}"],
                    h["bits"],
                    h["stride"],
                    h["pad"],
                    h["groups"],
                    h["in_scale"],
                    h["in_zp"],
                    h["out_scale"],
                    h["out_zp"],
                    arrays[f"M{i}"].astype(np.int64),
                    arrays[f"sh{i}"].astype(np.int64),
                    h["qmin"],
                    h["qmax"],
                )
            )
        return IntModel(
            layers, header["bits"], header["method"], header["input_scale"], header["input_zp"]
        )


def _conv_exact(x: np.ndarray, w: np.ndarray, stride: int, pad: int, groups: int) -> np.ndarray:
    """Convolution of integer-valued float64 arrays (exact: every sum < 2^53)."""
    B, C, H, W = x.shape
    cout, cin_g, kh, kw = w.shape
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = (H + 2 * pad - kh) // stride + 1
    Wo = (W + 2 * pad - kw) // stride + 1
    if groups == 1:
        if kh == 1 and kw == 1:
            xs = x[:, :, ::stride, ::stride][:, :, :Ho, :Wo].transpose(0, 2, 3, 1).reshape(-1, C)
            return (xs @ w[:, :, 0, 0].T).reshape(B, Ho, Wo, cout).transpose(0, 3, 1, 2)
        cols = np.empty((B, Ho, Wo, C, kh, kw))
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, :, i, j] = x[
                    :, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride
                ].transpose(0, 2, 3, 1)
        out = cols.reshape(B * Ho * Wo, -1) @ w.reshape(cout, -1).T
        return out.reshape(B, Ho, Wo, cout).transpose(0, 3, 1, 2)
    if groups == C == cout and cin_g == 1:
        out = np.zeros((B, C, Ho, Wo))
        for i in range(kh):
            for j in range(kw):
                out += (
                    x[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride]
                    * w[None, :, 0, i, j, None, None]
                )
        return out
    raise CribwatchError(
        "integer reference supports full, pointwise and depthwise convolutions only"
    )


class IntScorer:
    """Scorer over the numpy integer reference."""

    def __init__(self, model: IntModel, batch: int = 256) -> None:
        self.model = model
        self.batch = batch

    @staticmethod
    def load(path: Path) -> IntScorer:
        return IntScorer(IntModel.load(path))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = [self.model.forward(x[s : s + self.batch]) for s in range(0, x.shape[0], self.batch)]
        z = np.concatenate(out) if out else np.zeros(0)
        return 1.0 / (1.0 + np.exp(-z))

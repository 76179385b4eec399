"""Integer quantization primitives shared by every model.

Conventions (what a board NPU toolchain runs, and what the C runtime of issue 12 reproduces):

- weights: symmetric, per output channel, ``bits`` = 8 (int8 in [-127, 127]) or 4
  (int4 in [-7, 7]), zero point 0, ``scale = max|w| / qmax``;
- activations: 8-bit, per tensor, asymmetric int8 (``q = clamp(round(x / s) + zp, -128, 127)``);
- bias: int32 with scale ``s_in * s_w[c]``;
- requantization of an int32/int64 accumulator to the next int8 activation: the real
  multiplier ``m = s_in * s_w / s_out`` is written as ``M * 2^-(31 + shift)`` with an int32
  ``M`` in [2^30, 2^31) and an integer ``shift`` (:func:`quantize_multiplier`); then
  ``q = zp_out + round_half_away((acc * M) / 2^(31 + shift))``, computed in int64 with
  **rounding half away from zero** (:func:`rounding_shift`), and clamped. ``acc * M`` fits
  int64 for |acc| < 2^32.

The same rule serves requantized pooling (``m = s_in / (n * s_out)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

from cribwatch.errors import CribwatchError

ROUNDING = "half-away-from-zero"
"""The one rounding rule of every integer division by a power of two."""


def qrange(bits: int, signed: bool = True, narrow: bool = True) -> tuple[int, int]:
    """(qmin, qmax) of a ``bits``-bit integer; ``narrow`` drops the most negative value."""
    if bits not in (2, 3, 4, 8, 16):
        raise CribwatchError(f"unsupported bit width {bits}")
    if signed:
        hi = 2 ** (bits - 1) - 1
        return (-hi if narrow else -hi - 1), hi
    return 0, 2**bits - 1


def quantize_weight_per_channel(
    w: np.ndarray, bits: int, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel weights: returns (int8 array of values in [-qmax, qmax], scales)."""
    w = np.asarray(w, dtype=np.float64)
    qmin, qmax = qrange(bits)
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=red) if red else np.abs(w)
    scale = np.where(amax > 0, amax / qmax, 1.0)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), qmin, qmax).astype(np.int8)
    return q, scale.astype(np.float32)


def act_qparams(lo: float, hi: float, bits: int = 8) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero point) covering [min(lo, 0), max(hi, 0)]."""
    qmin, qmax = qrange(bits, narrow=False)
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-12:
        hi = lo + 1e-6
    scale = (hi - lo) / (qmax - qmin)
    zp = int(np.clip(np.rint(qmin - lo / scale), qmin, qmax))
    return float(np.float32(scale)), zp


def quantize_multiplier(m: float) -> tuple[int, int]:
    """Real multiplier ``m`` (0 < m < 2^31) -> (M int32 in [2^30, 2^31), shift) with
    ``m ~= M * 2^-(31 + shift)``."""
    if not (m > 0 and np.isfinite(m)):
        raise CribwatchError(f"requantization multiplier must be positive and finite, got {m}")
    mant, exp = np.frexp(m)  # m = mant * 2^exp, mant in [0.5, 1)
    M = int(np.round(mant * (1 << 31)))
    if M == 1 << 31:
        M //= 2
        exp += 1
    return M, int(-exp)


def rounding_shift(v: np.ndarray, s: int | np.ndarray) -> np.ndarray:
    """``round_half_away_from_zero(v / 2^s)`` for int64 ``v`` and ``s`` >= 1 (elementwise)."""
    v = np.asarray(v, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    half = np.left_shift(np.int64(1), s - 1)
    mag = np.right_shift(np.abs(v) + half, s)
    return np.where(v < 0, -mag, mag)


def requantize(
    acc: np.ndarray,
    M: np.ndarray | int,
    shift: np.ndarray | int,
    zp: int,
    qmin: int = -128,
    qmax: int = 127,
) -> np.ndarray:
    """int32 accumulators -> int8 with the rule of this module (M, shift broadcast)."""
    prod = np.asarray(acc, dtype=np.int64) * np.asarray(M, dtype=np.int64)
    out = rounding_shift(prod, 31 + np.asarray(shift, dtype=np.int64)) + zp
    return np.clip(out, qmin, qmax).astype(np.int8)


def pack_int4(q: np.ndarray) -> np.ndarray:
    """Pack int4 values (int8 array in [-8, 7]) two per byte, low nibble first (ONNX order)."""
    flat = np.asarray(q, dtype=np.int8).reshape(-1)
    if flat.size % 2:
        flat = np.concatenate([flat, np.zeros(1, np.int8)])
    lo = flat[0::2].astype(np.uint8) & 0x0F
    hi = flat[1::2].astype(np.uint8) & 0x0F
    return (lo | (hi << 4)).astype(np.uint8)


def unpack_int4(packed: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack_int4`: the first ``n`` int4 values as int8."""
    p = np.asarray(packed, dtype=np.uint8)
    lo = (p & 0x0F).astype(np.int8)
    hi = (p >> 4).astype(np.int8)
    both = np.stack([lo, hi], axis=1).reshape(-1)[:n]
    return np.where(both > 7, both - 16, both).astype(np.int8)


# ------------------------------------------------------------------ torch fake quantization
def fake_quant_weight(w: torch.Tensor, bits: int) -> torch.Tensor:
    """Per-output-channel symmetric fake quantization with a straight-through estimator."""
    import torch  # extra: train

    qmin, qmax = qrange(bits)
    amax = w.detach().abs().flatten(1).amax(dim=1).clamp_min(1e-12)
    scale = (amax / qmax).view(-1, *([1] * (w.dim() - 1)))
    q = torch.clamp(torch.round(w / scale), qmin, qmax) * scale
    return w + (q - w).detach()


def fake_quant_act(x: torch.Tensor, scale: float, zp: int, bits: int = 8) -> torch.Tensor:
    """Per-tensor asymmetric fake quantization (straight-through inside the range)."""
    import torch  # extra: train

    qmin, qmax = qrange(bits, narrow=False)
    q = torch.clamp(torch.round(x / scale) + zp, qmin, qmax)
    y = (q - zp) * scale
    return x + (y - x).detach()

"""The board's fixed-point log-mel front end (issue 27) and its numpy twin, bit for bit.

The float front end (:mod:`cribwatch.cry.features`) computes, per 25 ms frame, a Hann-windowed
512-point power spectrum, 64 mel bands and ``log(mel + eps)``, mapped to the 0-255 model input.
This module computes the same quantities in integers only, as TensorFlow Lite Micro's
``micro_frontend`` does (block normalisation of the frame, a fixed-point FFT, an integer log2
with a small table), so that the C runtime (``cribwatch/board/c/cw_frontend.c``) and this numpy
code give the **same integers** on any machine. Every table comes from :func:`fixed_tables`,
written into the model blob (version 4) by :mod:`cribwatch.cry.board_export`, so both sides
start from the same numbers.

Per frame of ``win`` int16 samples ``x`` (all arithmetic exact in int32/int64; ``>>`` is an
arithmetic shift, i.e. floor division by a power of two):

1. ``m = max |x|``; the block shift ``s`` is the largest in ``[0, s_max]`` with
   ``m << s <= 32768`` (``s_max`` for a silent frame);
2. ``v[i] = (x[i] * wq[i] + 2^(16 - s)) >> (17 - s)`` with the Q15 periodic Hann window ``wq``
   (``|v| <= 8192``), zero-padded to ``n_fft`` and packed as ``z[j] = v[2j] + i v[2j+1]``;
3. a radix-2 decimation-in-time FFT of the ``h = n_fft / 2`` complex points, every butterfly
   scaled by 1/2: ``t = (b * w + 2^14) >> 15`` per component (Q15 twiddles ``w``, taken from
   the Q30 table of the blob as ``(w30 + 2^14) >> 15``; twiddle 1 and ``-i`` exactly at the
   stages of length 2 and 4), ``a' = (a + t) >> 1``, ``b' = (a - t) >> 1``;
4. the real spectrum: ``E = (Z[k] + conj Z[h-k]) >> 1``, ``O = -i (Z[k] - conj Z[h-k]) >> 1``
   (per component), ``X[k] = (E + (W^k O + 2^14 >> 15)) >> 1``, ``P[k] = Re^2 + Im^2``;
5. ``M_b = sum_k P[k] * fq_b[k]`` with the Q15 mel filters ``fq`` (int64);
6. ``l = log2_q16(M_b + eps_q[s])`` (integer part from the highest set bit, the fraction from
   a 129-entry table of ``log2(1 + f) - f`` with linear interpolation), ``t = l - (s << 17)``
   (the block shift undone), and the model input
   ``u = clip((t * a_q + c_q + 2^31) >> 32, 0, 255)``.

``t`` is ``log2((mel + eps) * G)`` in Q16 with ``G = 2^(41 - 2 log2 n_fft) (sum w)^2`` (the
scale of steps 2-5: ``2^23 (sum w)^2`` for 512 points), so ``u`` approximates the float front
end's ``rint((log(mel + eps) - log_lo) * 255 / (log_hi - log_lo))``: on the demo sample 2.1 % of
the values differ, each by one step (:func:`agreement`). The log-mel tensor of the golden dump is
``float32((t / 65536 - log2 G) * ln 2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cribwatch.cry.features import (
    DEFAULT_FRONTEND,
    WINDOW_FRAMES,
    FrontEndConfig,
    analysis_window,
    mel_filterbank,
)

S_MAX = 15
"""Largest block shift (a frame whose largest sample is 1)."""
UNSCALED = 3
"""FFT stages computed without the 1/2 scaling (the first ones: the input is scaled down by
2^UNSCALED instead, so each late rounding falls on a value 2^UNSCALED times larger)."""
VSHIFT = 15 + UNSCALED
"""Right shift of ``x * wq << s`` to the FFT input (``|v| <= 2^(30 - VSHIFT)``)."""
LUT_BITS = 7
"""log2 of the number of segments of the log2 table (128 segments, 129 entries)."""
Q = 16
"""Fraction bits of the integer log2."""


@dataclass(frozen=True)
class FixedTables:
    """Every constant of the fixed-point front end (the blob's front-end section)."""

    n_fft: int
    win: int
    hop: int
    window_q15: np.ndarray  # int64 (win,), 0..32767
    mel_start: np.ndarray  # int64 (n_mels,)
    mel_count: np.ndarray  # int64 (n_mels,)
    mel_q15: np.ndarray  # int64 (sum(mel_count),), 0..32768
    tw_n: int  # size of the FFT the twiddle table is for (the pitch analysis' too)
    tw_re_q30: np.ndarray  # int64 (tw_n / 2,)
    tw_im_q30: np.ndarray  # int64 (tw_n / 2,)
    lut: np.ndarray  # int64 (129,)
    eps_q: np.ndarray  # int64 (S_MAX + 1,)
    a_q: int
    c_q: int
    log2g: float


def _q(x: np.ndarray, scale: float, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.floor(np.asarray(x, np.float64) * scale + 0.5), lo, hi).astype(np.int64)


@lru_cache(maxsize=4)
def fixed_tables(fe: FrontEndConfig = DEFAULT_FRONTEND, tw_n: int = 1024) -> FixedTables:
    """The tables of ``fe`` (``tw_n``: the size of the one FFT twiddle table, shared with the
    pitch analysis' 1024-point FFT)."""
    if fe.n_fft & (fe.n_fft - 1) or tw_n & (tw_n - 1) or tw_n < fe.n_fft:
        raise ValueError("n_fft and the twiddle table size must be powers of two, table >= n_fft")
    w = np.asarray(analysis_window(fe), np.float64)
    fb = np.asarray(mel_filterbank(fe), np.float64)
    starts, counts, weights = [], [], []
    for m in range(fe.n_mels):
        nz = np.nonzero(fb[:, m])[0]
        a, b = (int(nz[0]), int(nz[-1]) + 1) if nz.size else (0, 0)
        starts.append(a)
        counts.append(b - a)
        weights.append(fb[a:b, m])
    k = np.arange(tw_n // 2, dtype=np.float64)
    ang = 2.0 * np.pi * k / tw_n
    i = np.arange(2**LUT_BITS + 1, dtype=np.float64) / 2**LUT_BITS
    lut = _q(np.log2(1.0 + i) - i, 2.0**Q, 0, 2**Q - 1)
    h_bits = int(math.log2(fe.n_fft // 2))
    # v = 2^(30 - VSHIFT + s) x w, X = X_v / 2^(h_bits - UNSCALED + 1), mel q15:
    # mel = M / (G 4^s)
    g = float(np.sum(w)) ** 2 * 2.0 ** (15 + 2 * (30 - VSHIFT) - 2 * (h_bits - UNSCALED + 1))
    eps_q = np.array([int(math.floor(fe.eps * g * 4.0**s + 0.5)) for s in range(S_MAX + 1)])
    log2g = math.log2(g)
    span = fe.log_hi - fe.log_lo
    a_f = 255.0 * math.log(2.0) / span
    c_f = -a_f * log2g - 255.0 * fe.log_lo / span
    return FixedTables(
        n_fft=fe.n_fft,
        win=fe.win_length,
        hop=fe.hop_length,
        window_q15=_q(w, 32768.0, 0, 32767),
        mel_start=np.array(starts, np.int64),
        mel_count=np.array(counts, np.int64),
        mel_q15=_q(np.concatenate(weights), 32768.0, 0, 32768),
        tw_n=tw_n,
        tw_re_q30=_q(np.cos(ang), 2.0**30, -(2**30), 2**30),
        tw_im_q30=_q(-np.sin(ang), 2.0**30, -(2**30), 2**30),
        lut=lut,
        eps_q=np.maximum(eps_q.astype(np.int64), 1),
        a_q=int(math.floor(a_f * 2.0**Q + 0.5)),
        c_q=int(math.floor(c_f * 2.0**32 + 0.5)),
        log2g=log2g,
    )


def _block_shift(x: np.ndarray) -> np.ndarray:
    """(F,) block shift of (F, win) int64 frames."""
    m = np.max(np.abs(x), axis=1)
    s = np.full(m.shape, S_MAX, np.int64)
    nz = m > 0
    # largest s with m << s <= 32768: s = 15 - ceil(log2 m) (m <= 32768)
    e = np.zeros_like(m)
    e[nz] = np.ceil(np.log2(m[nz].astype(np.float64))).astype(np.int64)
    s[nz] = np.minimum(15 - e[nz], S_MAX)
    return s


def _fft_scaled(zr: np.ndarray, zi: np.ndarray, t: FixedTables) -> None:
    """In place: the scaled integer FFT of (F, h) int64 arrays (step 3)."""
    f, h = zr.shape
    bits = int(math.log2(h))
    rev = np.zeros(h, np.int64)
    for b in range(bits):
        rev |= ((np.arange(h) >> b) & 1) << (bits - 1 - b)
    zr[:] = zr[:, rev]
    zi[:] = zi[:, rev]
    w15r = (t.tw_re_q30 + (1 << 14)) >> 15
    w15i = (t.tw_im_q30 + (1 << 14)) >> 15
    length, stage = 2, 0
    while length <= h:
        stage += 1
        rnd = 1 if stage > UNSCALED else 0
        sh = 1 if stage > UNSCALED else 0
        half = length // 2
        ar = zr.reshape(f, h // length, length)
        ai = zi.reshape(f, h // length, length)
        a_r, a_i = ar[:, :, :half].copy(), ai[:, :, :half].copy()
        b_r, b_i = ar[:, :, half:].copy(), ai[:, :, half:].copy()
        if length == 2:
            tr, ti = b_r, b_i
        elif length == 4:  # twiddles 1 and -i
            tr = np.stack([b_r[:, :, 0], b_i[:, :, 1]], axis=2)
            ti = np.stack([b_i[:, :, 0], -b_r[:, :, 1]], axis=2)
        else:
            k = np.arange(half) * (t.tw_n // length)
            wr, wi = w15r[k], w15i[k]
            tr = (b_r * wr - b_i * wi + (1 << 14)) >> 15
            ti = (b_r * wi + b_i * wr + (1 << 14)) >> 15
        ar[:, :, :half] = (a_r + tr + rnd) >> sh
        ai[:, :, :half] = (a_i + ti + rnd) >> sh
        ar[:, :, half:] = (a_r - tr + rnd) >> sh
        ai[:, :, half:] = (a_i - ti + rnd) >> sh
        length *= 2


def _log2_q16(v: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Q16 log2 of int64 values >= 1 (step 6)."""
    msb = np.frexp(v.astype(np.float64))[1].astype(np.int64) - 1
    msb = np.where((v >> np.maximum(msb, 0)) == 0, msb - 1, msb)  # float rounded up to 2^k
    up = msb >= Q
    norm = np.where(up, v >> np.where(up, msb - Q, 0), v << np.where(up, 0, Q - msb))
    f = norm - (1 << Q)
    seg = f >> (Q - LUT_BITS)
    c0, c1 = lut[seg], lut[seg + 1]
    rel = ((c1 - c0) * (f - (seg << (Q - LUT_BITS)))) >> (Q - LUT_BITS)
    return (msb << Q) + f + c0 + rel


def fixed_frames(frames: np.ndarray, t: FixedTables | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(F, win) int16 frames -> model input (F, n_mels) uint8 and Q16 log2 ``t`` (F, n_mels)."""
    t = t or fixed_tables()
    x = np.asarray(frames, np.int64).reshape(-1, t.win)
    f = x.shape[0]
    n_mels = t.mel_start.shape[0]
    if f == 0:
        return np.zeros((0, n_mels), np.uint8), np.zeros((0, n_mels), np.int64)
    s = _block_shift(x)[:, None]
    v = np.zeros((f, t.n_fft), np.int64)
    v[:, : t.win] = (x * t.window_q15 + (np.int64(1) << (VSHIFT - 1 - s))) >> (VSHIFT - s)
    zr, zi = v[:, 0::2].copy(), v[:, 1::2].copy()
    _fft_scaled(zr, zi, t)
    h = t.n_fft // 2
    k = np.arange(1, h)
    ar, ai, cr, ci = zr[:, k], zi[:, k], zr[:, h - k], -zi[:, h - k]
    er, ei = (ar + cr) >> 1, (ai + ci) >> 1
    o_r, o_i = (ai - ci) >> 1, (cr - ar) >> 1
    stride = t.tw_n // t.n_fft
    w15r = (t.tw_re_q30[k * stride] + (1 << 14)) >> 15
    w15i = (t.tw_im_q30[k * stride] + (1 << 14)) >> 15
    xr = (er + ((w15r * o_r - w15i * o_i + (1 << 14)) >> 15)) >> 1
    xi = (ei + ((w15r * o_i + w15i * o_r + (1 << 14)) >> 15)) >> 1
    p = np.zeros((f, h + 1), np.int64)
    p[:, 0] = ((zr[:, 0] + zi[:, 0]) >> 1) ** 2
    p[:, h] = ((zr[:, 0] - zi[:, 0]) >> 1) ** 2
    p[:, 1:h] = xr * xr + xi * xi
    mel = np.zeros((f, n_mels), np.int64)
    off = 0
    for b in range(n_mels):
        a, n = int(t.mel_start[b]), int(t.mel_count[b])
        mel[:, b] = p[:, a : a + n] @ t.mel_q15[off : off + n]
        off += n
    lq = _log2_q16(mel + t.eps_q[s[:, 0]][:, None], t.lut) - (s << (Q + 1))
    u = (lq * t.a_q + t.c_q + (np.int64(1) << 31)) >> 32
    return np.clip(u, 0, 255).astype(np.uint8), lq


def fixed_logmel(lq: np.ndarray, t: FixedTables | None = None) -> np.ndarray:
    """The log-mel the fixed front end stands for: ``float32((lq / 2^16 - log2 G) * ln 2)``
    (the C golden dump computes the same doubles in the same order)."""
    t = t or fixed_tables()
    return ((np.asarray(lq, np.float64) / 65536.0 - t.log2g) * math.log(2.0)).astype(np.float32)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float audio (as read from 16-bit PCM, ``int16 / 32768``) back to its int16 samples."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def fixed_input(x: np.ndarray, t: FixedTables | None = None, chunk: int = 4096) -> np.ndarray:
    """(n_frames, n_mels) uint8 model input of a whole float signal (frames every ``hop``)."""
    t = t or fixed_tables()
    pcm = to_pcm16(x)
    if pcm.shape[0] < t.win:
        return np.zeros((0, t.mel_start.shape[0]), np.uint8)
    fr = np.lib.stride_tricks.sliding_window_view(pcm, t.win)[:: t.hop]
    return np.concatenate(
        [fixed_frames(fr[a : a + chunk], t)[0] for a in range(0, fr.shape[0], chunk)]
    )


def agreement(x: np.ndarray, float_input: np.ndarray) -> dict[str, float]:
    """How the fixed front end's model input of ``x`` compares with the float one's."""
    a = fixed_input(x).astype(np.int64)
    b = np.asarray(float_input, np.int64)[: a.shape[0]]
    d = np.abs(a[: b.shape[0]] - b)
    return {
        "values": float(d.size),
        "equal_share": float(np.mean(d == 0)) if d.size else 1.0,
        "max_step": float(d.max()) if d.size else 0.0,
        "mean_abs_step": float(d.mean()) if d.size else 0.0,
    }


class FixedScorer:
    """Scorer of an integer model on the fixed-point front end: takes the windows' audio
    (``inputs = "audio"``, see :data:`cribwatch.cry.stream.AUDIO_INPUTS`), computes their
    model input with :func:`fixed_frames` and runs the numpy integer reference
    (:class:`cribwatch.cry.intref.IntModel`). The board's Python twin."""

    inputs = "audio"

    def __init__(self, model: object, batch: int = 64) -> None:
        self.model = model
        self.batch = batch
        self.tables = fixed_tables()

    def window_inputs(self, audio_w: np.ndarray) -> np.ndarray:
        """(B, 16000) float audio -> (B, 98, 64) uint8 model input."""
        t = self.tables
        pcm = to_pcm16(audio_w)
        fr = np.lib.stride_tricks.sliding_window_view(pcm, t.win, axis=1)[:, :: t.hop]
        fr = fr[:, :WINDOW_FRAMES]
        b = fr.shape[0]
        u8, _ = fixed_frames(fr.reshape(-1, t.win), t)
        return u8.reshape(b, WINDOW_FRAMES, -1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(B, 16000) float audio windows -> (B,) probabilities."""
        out = []
        for a in range(0, x.shape[0], self.batch):
            u8 = self.window_inputs(x[a : a + self.batch])
            out.append(self.model.forward(u8))  # type: ignore[attr-defined]
        z = np.concatenate(out) if out else np.zeros(0)
        return 1.0 / (1.0 + np.exp(-z))

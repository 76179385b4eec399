"""``cribwatch cry export --format c``: the integer cry model as a flat binary for the C runtime.

The blob (``.cwb``) is little-endian and is read in place by ``cribwatch/board/c/cw_model.c``;
every field is validated there before use. The container (header, CRC, end mark, C array form)
is :mod:`cribwatch.board.blob`'s; this module writes the cry body. Layout (u32/i32: 4 bytes,
f64: 8 bytes)::

    "CWCRYMOD" version:u32 total_bytes:u32 crc32:u32 flags:u32 source_sha256:32 bytes
    model:    bits frames mels in_zp:i32 in_scale:f64  (preceded by n_layers after bits)
    front end: sr n_fft win hop n_mels eps log_lo log_hi:f64
               s_max unscaled vshift a_q:i32 c_q:i64 log2g:f64 window_q15:i32[win]
               (mel_start, mel_count)[n_mels] mel_q15:i32[sum(mel_count)]
               tw_n tw_re_q30:i32[tw_n/2] tw_im_q30:i32[tw_n/2] lut:i32[129]
               eps_q:i64[s_max + 1]
    detector: threshold enabled gate_dbfs f0_min f0_max harmonicity_min voiced_share_min keep
              gap min_unit_s k_on n_on m_off min_bout_s onset_shift offset_shift onset_back
              onset_low onset_back_shift sustain_low lag_lo lag_hi vlag_lo vlag_hi harm_q15
              pitch_frame pitch_hop pitch_n8 window_samples hop_samples
              pitch_window_q15:i32[pitch_n8] pitch_gain_q15:i32[lag_hi]
    layer*:   kind bits stride pad groups cin cout kh kw in_h in_w out_h out_w in_zp out_zp qmin
              qmax in_scale:f64 out_scale:f64 nb bias:i32[nb] nm M:i32[nm] shift:i32[nm]
              w_bytes weights (int8, or int4 packed two per byte, low nibble first), 0-3 pad
    "CWEND\\0\\0\\0"

``crc32`` is zlib's CRC-32 of the whole blob with the crc field read as zero. The front end is
the fixed-point one of :mod:`cribwatch.cry.fixedfront` (blob version 4; versions 1-3 carried the
float window and filterbank): its integer tables, and the one FFT twiddle table (Q30, of the
front end's 512-point FFT), are :func:`cribwatch.cry.fixedfront.fixed_tables`, so both sides
compute the same integers. The pitch filter is the integer check of
:func:`cribwatch.cry.postprocess.int_pitch_frames_q` (blob version 5; version 4 carried the float
check's Hann window and its autocorrelation as f64 and a 1024-entry twiddle table for its FFT):
its tables (:func:`cribwatch.cry.postprocess.int_pitch_tables`: the Q15 window at 8 kHz, the
Q15 lag gains, the lag range, the lags whose f0 is in range, the Q15 harmonicity threshold)
are the very integers the Python code uses; the derived integers of the post-processing chain
(rhythm history, gap) are computed here with Python's rounding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cribwatch.board.blob import END, VERSION, c_header, fix_crc, pack, write_files
from cribwatch.cry import postprocess as pp
from cribwatch.cry.api import DEFAULT_WEIGHTS
from cribwatch.cry.audio import SR
from cribwatch.cry.features import DEFAULT_FRONTEND, WINDOW_FRAMES, FrontEndConfig
from cribwatch.cry.fixedfront import S_MAX, UNSCALED, VSHIFT, fixed_tables
from cribwatch.cry.intref import IntModel
from cribwatch.deploy.golden import sha256_file
from cribwatch.deploy.quantize import pack_int4
from cribwatch.errors import CribwatchError

__all__ = ["VERSION", "ExportConfig", "export_c", "fix_crc", "model_blob", "shipped_int_model"]

KINDS = {"conv": 1, "gap": 2, "fc": 3}
FILTER_BITS = {"loudness": 1, "pitch": 2, "rhythm": 4, "smoothing": 8}


@dataclass(frozen=True)
class ExportConfig:
    """Names of the files ``export_c`` writes."""

    blob_name: str = "cry_model.cwb"
    """The flat model binary."""
    header_name: str = "cry_model_blob.h"
    """The same bytes as a C array, for firmware without a file system."""


class _W:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u32(self, *v: int) -> None:
        for x in v:
            if not 0 <= int(x) < 2**32:
                raise CribwatchError(f"field out of range for the C model format: {x}")
            self.parts.append(struct.pack("<I", int(x)))

    def i32(self, *v: int) -> None:
        for x in v:
            self.parts.append(struct.pack("<i", int(x)))

    def f64(self, *v: float) -> None:
        for x in v:
            self.parts.append(struct.pack("<d", float(x)))

    def i64(self, *v: int) -> None:
        for x in v:
            self.parts.append(struct.pack("<q", int(x)))

    def arr_i64(self, a: np.ndarray) -> None:
        self.parts.append(np.ascontiguousarray(a, dtype="<i8").tobytes())

    def arr_f64(self, a: np.ndarray) -> None:
        self.parts.append(np.ascontiguousarray(a, dtype="<f8").tobytes())

    def arr_i32(self, a: np.ndarray) -> None:
        self.parts.append(np.ascontiguousarray(a, dtype="<i4").tobytes())

    def raw(self, b: bytes) -> None:
        self.parts.append(b)

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _shapes(im: IntModel, frames: int, mels: int) -> list[tuple[int, int, int, int, int, int]]:
    """(cin, in_h, in_w, cout, out_h, out_w) of every layer."""
    c, h, w = 1, frames, mels
    out = []
    for lay in im.layers:
        if lay.kind == "conv":
            cout, _, kh, kw = lay.wq.shape
            ho = (h + 2 * lay.pad - kh) // lay.stride + 1
            wo = (w + 2 * lay.pad - kw) // lay.stride + 1
        elif lay.kind == "gap":
            cout, ho, wo = c, 1, 1
        elif lay.kind == "fc":
            cout, ho, wo = lay.wq.shape[0], 1, 1
        else:
            raise CribwatchError(f"layer kind {lay.kind!r} has no C kernel")
        out.append((c, h, w, int(cout), int(ho), int(wo)))
        c, h, w = int(cout), int(ho), int(wo)
    return out


def model_blob(
    im: IntModel,
    filters: pp.FilterConfig,
    fe: FrontEndConfig = DEFAULT_FRONTEND,
    source_sha256: str = "0" * 64,
) -> bytes:
    """The flat blob of an integer model plus the front-end and detector settings."""
    cfg = filters
    if not isinstance(cfg, pp.FilterConfig):
        raise CribwatchError(f"detector config must be a FilterConfig, not {type(cfg).__name__}")
    unknown = set(cfg.enabled) - set(FILTER_BITS)
    if unknown:
        raise CribwatchError(f"unknown post-processing filters {sorted(unknown)}")
    body = _W()
    body.u32(0)  # flags
    body.raw(bytes.fromhex(source_sha256))
    frames, mels = WINDOW_FRAMES, fe.n_mels
    body.u32(im.bits, len(im.layers), frames, mels)
    body.i32(im.input_zp)
    body.f64(im.input_scale)
    # front end
    body.u32(fe.sr, fe.n_fft, fe.win_length, fe.hop_length, fe.n_mels)
    body.f64(fe.eps, fe.log_lo, fe.log_hi)
    t = fixed_tables(fe, fe.n_fft)
    body.u32(S_MAX, UNSCALED, VSHIFT)
    body.i32(t.a_q)
    body.i64(t.c_q)
    body.f64(t.log2g)
    body.arr_i32(t.window_q15)
    for a, n in zip(t.mel_start, t.mel_count, strict=True):
        body.u32(int(a), int(n))
    body.arr_i32(t.mel_q15)
    body.u32(t.tw_n)
    body.arr_i32(t.tw_re_q30)
    body.arr_i32(t.tw_im_q30)
    body.arr_i32(t.lut)
    body.arr_i64(t.eps_q)
    # detector
    body.f64(cfg.threshold)
    body.u32(sum(FILTER_BITS[f] for f in set(cfg.enabled)))
    body.f64(cfg.gate_dbfs, cfg.f0_min_hz, cfg.f0_max_hz, cfg.harmonicity_min)
    body.f64(cfg.voiced_share_min)
    body.u32(
        int(round(cfg.rhythm_window_s / cfg.hop_s)), int(round(cfg.unit_gap_s * SR / pp.PITCH_HOP))
    )
    body.f64(cfg.min_unit_s)
    body.u32(cfg.k_on, cfg.n_on, cfg.m_off)
    body.f64(cfg.min_bout_s, cfg.onset_shift_s, cfg.offset_shift_s)
    body.u32(pp.onset_back_windows(cfg))
    body.f64(cfg.onset_low, cfg.onset_back_shift_s, pp.low_threshold(cfg))
    pt = pp.int_pitch_tables(cfg.f0_min_hz, cfg.f0_max_hz, cfg.harmonicity_min)
    body.u32(pt.lag_lo, pt.lag_hi, pt.vlag_lo, pt.vlag_hi, pt.harm_q15)
    body.u32(pp.PITCH_FRAME, pp.PITCH_HOP, pp.PITCH_N8)
    body.u32(int(pp.WINDOW_S * SR), cfg.hop_samples)
    body.arr_i32(pt.window_q15)
    body.arr_i32(pt.gain_q15)
    # layers
    for lay, (cin, ih, iw, cout, oh, ow) in zip(im.layers, _shapes(im, frames, mels), strict=True):
        kind = KINDS[lay.kind]
        if lay.kind == "conv":
            kh, kw = int(lay.wq.shape[2]), int(lay.wq.shape[3])
        elif lay.kind == "fc":
            kh = kw = 1
        else:
            kh = kw = 0
        body.u32(kind, lay.bits, lay.stride, lay.pad, lay.groups, cin, cout, kh, kw)
        body.u32(ih, iw, oh, ow)
        body.i32(lay.in_zp, lay.out_zp, lay.qmin, lay.qmax)
        body.f64(lay.in_scale, lay.out_scale)
        bias = np.asarray(lay.bq, np.int64).reshape(-1)
        M = np.asarray(lay.M, np.int64).reshape(-1)
        sh = np.asarray(lay.shift, np.int64).reshape(-1)
        body.u32(bias.size)
        body.arr_i32(bias)
        body.u32(M.size)
        body.arr_i32(M)
        body.arr_i32(sh)
        if lay.kind == "gap":
            w = b""
        elif lay.bits == 4:
            w = pack_int4(lay.wq).tobytes()
        else:
            w = np.ascontiguousarray(lay.wq, dtype=np.int8).tobytes()
        body.u32(len(w))
        body.raw(w + b"\0" * ((4 - len(w) % 4) % 4))
    body.raw(END)
    return pack(body.bytes())


def shipped_int_model(int_model: Path | None = None) -> Path:
    """``int_model``, else the shipped integer model ``cry_int8.cwq``."""
    return Path(int_model) if int_model is not None else DEFAULT_WEIGHTS.with_name("cry_int8.cwq")


def export_c(
    cwq: Path,
    out: Path,
    filters: pp.FilterConfig,
    cfg: ExportConfig = ExportConfig(),
    *,
    force: bool = False,
) -> dict[str, object]:
    """Write ``out/cry_model.cwb`` and ``out/cry_model_blob.h`` from an integer ``.cwq``.

    The folder is written whole (:func:`cribwatch.board.blob.write_files`): a kill leaves the
    old export or the new one, never a blob beside the header of another model. An existing
    ``out`` that cribwatch did not write is refused unless ``force``."""
    im = IntModel.load(cwq)
    blob = model_blob(im, filters, source_sha256=sha256_file(cwq))
    header = c_header(blob, tool="cribwatch cry export --format c").encode()
    write_files(out, {cfg.blob_name: blob, cfg.header_name: header}, force=force)
    return {
        "out": str(out / cfg.blob_name),
        "header": str(out / cfg.header_name),
        "bytes": len(blob),
        "bits": im.bits,
        "layers": len(im.layers),
        "source": str(cwq),
    }

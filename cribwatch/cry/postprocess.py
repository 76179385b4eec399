"""Noise-type post-processing: named, individually switchable filters plus hysteresis.

The detector scores 1 s windows every ``hop_s`` seconds (0.5 by default: two windows a
second; a multiple of 0.1 s up to 0.5 s). A window is *positive* when its model score
reaches ``threshold`` and every enabled filter passes it:

- ``loudness`` (low-amplitude sound): the window's RMS level must reach ``gate_dbfs``;
- ``pitch`` (speech, animals, music): pitch plausibility and harmonicity. A 40 ms frame every
  20 ms is *cry-voiced* when its normalised autocorrelation peak (harmonicity) reaches
  ``harmonicity_min`` at an f0 within [``f0_min_hz``, ``f0_max_hz``]; the window passes when at
  least ``voiced_share_min`` of its frames are cry-voiced (adult speech sits mostly below
  250 Hz, most music and household sounds are not voiced like a cry);
- ``rhythm`` (baby-related non-cry sounds): cry rhythm. Over the last ``rhythm_window_s``
  seconds, the longest run of cry-voiced frames (gaps up to ``unit_gap_s`` bridged) must last
  ``min_unit_s``: crying is expiratory units of 0.5-2.5 s, while cooing, babbling, laughing and
  short fussing are made of shorter segments;
- ``smoothing``: temporal smoothing with hysteresis: a bout starts when ``k_on`` of the last
  ``n_on`` windows are positive, stops after ``m_off`` windows in a row that are not, and is
  reported only when it lasts at least ``min_bout_s``. Without it, every positive window is a
  bout of its own (consecutive ones merged). With ``sustain_low`` > 0 the score itself has
  hysteresis: a window scoring at least ``sustain_low`` (below ``threshold``) counts as positive,
  but a bout only starts when one of its ``n_on`` start windows reaches ``threshold``. A cry
  whose score flickers around the threshold (0.99, 0.97, 1.0, 0.98) then makes one bout
  instead of isolated windows that the smoothing drops.

Onset (a second, lower score threshold, as in double-threshold sound event detection): the
model's score often reaches ``threshold`` only a second or more into a cry, while the windows
before already score well above chance. When a bout starts, the onset moves back over the
windows right before its first positive one whose score reaches ``onset_low`` (at most
``onset_lookback_s``, never into the previous bout); it is then the start of the earliest such
window plus ``onset_back_shift_s``, otherwise the first positive window's start plus
``onset_shift_s``. Only the past is looked at, so the onset is known when the bout starts (the
alert time does not change). ``onset_lookback_s`` 0 switches this off.

All thresholds live in :class:`FilterConfig`; :func:`run_chain` is the one implementation the
offline and the streaming detectors share.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import scipy.fft

from cribwatch.cards import from_mapping
from cribwatch.cry.pcm import SR
from cribwatch.errors import CribwatchError

FILTERS = ("loudness", "pitch", "rhythm", "smoothing")
"""The filter names, in chain order."""
WINDOW_S = 1.0
"""Model window (s)."""
HOP_S = 0.5
"""Default window hop (s)."""
LEVEL_BLOCK = 1600
"""Samples per level block (0.1 s): window levels are averaged from these blocks' power."""
PITCH_FRAME = 640
"""Pitch analysis frame (samples, 40 ms)."""
PITCH_HOP = 320
"""Pitch analysis hop (samples, 20 ms)."""
PITCH_ARITH = ("float", "integer")
"""The two computations of the cry-voiced check (:attr:`FilterConfig.pitch_arith`)."""


@dataclass(frozen=True)
class FilterConfig:
    """Post-processing settings (the detector config that ``cribwatch cry tune`` writes)."""

    threshold: float = 0.5
    """Model score a window must reach."""
    enabled: tuple[str, ...] = FILTERS
    """Filters switched on (names from FILTERS)."""
    gate_dbfs: float = -50.0
    """loudness: smallest window RMS level (dBFS)."""
    f0_min_hz: float = 250.0
    """pitch: lowest plausible cry f0 (Hz)."""
    f0_max_hz: float = 2200.0
    """pitch: highest plausible cry f0 (Hz)."""
    harmonicity_min: float = 0.45
    """pitch: normalised autocorrelation peak for a voiced frame."""
    voiced_share_min: float = 0.15
    """pitch: share of cry-voiced frames a window needs."""
    rhythm_window_s: float = 3.0
    """rhythm: history searched for an expiratory unit (s)."""
    min_unit_s: float = 0.4
    """rhythm: shortest expiratory unit (s)."""
    unit_gap_s: float = 0.06
    """rhythm: voicing gaps up to this long do not end a unit (s)."""
    k_on: int = 2
    """smoothing: positive windows needed among the last n_on to start."""
    n_on: int = 3
    """smoothing: windows looked at to start."""
    m_off: int = 2
    """smoothing: non-positive windows in a row that stop a bout."""
    min_bout_s: float = 1.5
    """smoothing: shortest reported bout (s, from first to last positive window end)."""
    sustain_low: float = 0.0
    """Hysteresis (0: off): a window scoring at least this, below ``threshold``, counts as
    positive toward a bout's start (with at least one of the start windows at ``threshold``)
    and keeps a bout going, as double-threshold event detection does."""
    onset_shift_s: float = 0.3
    """Event onset = start of the first positive window plus this (s)."""
    onset_lookback_s: float = 0.0
    """onset: how far before the first positive window the onset may move back (s; 0: off)."""
    onset_low: float = 0.6
    """onset: score an earlier window needs to move the onset back over it."""
    onset_back_shift_s: float = 0.5
    """onset: a moved-back onset = start of the earliest such window plus this (s)."""
    offset_shift_s: float = 0.3
    """Event offset = end of the last positive window minus this (s)."""
    confirm_score: float = 0.0
    """Fast confirmation (0: off): a window scoring at least this (and passing every enabled
    filter) starts and confirms a bout at once, so the alert comes at that window's end
    instead of after ``k_on`` windows and ``min_bout_s``; such a bout is reported even when
    shorter than ``min_bout_s``. For scorers whose high scores are trustworthy (the YAMNet
    verifier of the cascade); the board runtime does not implement it (its blob has no such
    field: keep it 0 for a board model)."""
    pitch_arith: str = "float"
    """pitch: how the cry-voiced check is computed: ``float`` (the float autocorrelation of
    :func:`pitch_frames_float`) or ``integer`` (:func:`pitch_frames_int`: integer arithmetic
    at 8 kHz, what the board runtime computes, bit for bit; docs/BOARD.md, *Integer pitch
    check*). The thresholds (f0 range, ``harmonicity_min``) mean the same in both."""
    hop_s: float = HOP_S
    """Window hop (s): a 1 s window starts every hop_s; a multiple of 0.1 s from 0.1 to 0.5.
    A smaller hop finds a cry's first positive windows sooner for proportionally more model
    work (0.2 s: five windows a second instead of two). ``k_on``, ``n_on`` and ``m_off`` count
    windows, so they mean less time at a smaller hop."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "threshold": (0.0, 1.0),
        "gate_dbfs": (-200.0, 0.0),
        "f0_min_hz": (20.0, 8000.0),
        "f0_max_hz": (20.0, 8000.0),
        "harmonicity_min": (0.0, 1.0),
        "voiced_share_min": (0.0, 1.0),
        "rhythm_window_s": (0.1, 60.0),
        "min_unit_s": (0.0, 60.0),
        "unit_gap_s": (0.0, 10.0),
        "k_on": (1, 100),
        "n_on": (1, 100),
        "m_off": (1, 10000),
        "min_bout_s": (0.0, 3600.0),
        "sustain_low": (0.0, 1.0),
        "onset_shift_s": (-10.0, 10.0),
        "onset_lookback_s": (0.0, 60.0),
        "onset_low": (0.0, 1.0),
        "onset_back_shift_s": (-10.0, 10.0),
        "offset_shift_s": (-10.0, 10.0),
        "confirm_score": (0.0, 1.0),
        "hop_s": (0.1, 0.5),
    }
    """Allowed ranges of the numeric keys (checked by :func:`load_config_mapping`)."""
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "enabled": FILTERS,
        "pitch_arith": PITCH_ARITH,
    }
    """Allowed filter names."""

    def __post_init__(self) -> None:
        def bad(key: str, rule: str) -> CribwatchError:
            return CribwatchError(
                f"detector config: {key} must be {rule}, not {getattr(self, key)!r}"
            )

        for key, lo, hi in (
            ("threshold", 0.0, 1.0),
            ("sustain_low", 0.0, 1.0),
            ("confirm_score", 0.0, 1.0),
        ):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise bad(key, "a finite number")
            if not lo <= v <= hi:
                raise bad(key, f"in [{lo:g}, {hi:g}]")
        if isinstance(self.enabled, str) or not all(n in FILTERS for n in self.enabled):
            raise bad("enabled", f"a list of filter names ({', '.join(FILTERS)})")
        for key in ("k_on", "n_on", "m_off"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(key, "an integer >= 1")
        if self.k_on > self.n_on:
            raise CribwatchError(
                f"detector config: k_on ({self.k_on}) must not exceed n_on ({self.n_on})"
            )
        if self.pitch_arith not in PITCH_ARITH:
            raise bad("pitch_arith", " or ".join(PITCH_ARITH))
        if not self.min_bout_s >= 0:
            raise bad("min_bout_s", ">= 0")
        if not self.f0_min_hz < self.f0_max_hz:
            raise CribwatchError(
                f"detector config: f0_min_hz ({self.f0_min_hz:g}) must be below f0_max_hz "
                f"({self.f0_max_hz:g})"
            )
        if not -200.0 <= self.gate_dbfs <= 0.0:
            raise bad("gate_dbfs", "in [-200, 0] dBFS")
        tenths = self.hop_s * 10
        if not (1 <= round(tenths) <= 5 and abs(tenths - round(tenths)) < 1e-6):
            raise CribwatchError(
                f"detector config: hop_s must be a multiple of 0.1 s from 0.1 to 0.5, "
                f"not {self.hop_s!r}"
            )

    @property
    def hop_samples(self) -> int:
        """Window hop in samples."""
        return int(round(self.hop_s * 10)) * LEVEL_BLOCK

    @property
    def pitch_frames_per_hop(self) -> int:
        """Pitch frames per window hop (25 at 0.5 s)."""
        return self.hop_samples // PITCH_HOP

    def with_filters(self, names: tuple[str, ...]) -> FilterConfig:
        return replace(self, enabled=tuple(names))

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, object], source: str = "detector config") -> FilterConfig:
        """A validated config from a mapping (see :func:`load_config_mapping`)."""
        return load_config_mapping(d, source)


def load_config_mapping(data: Any, source: str | os.PathLike[str]) -> FilterConfig:
    """The detector config held in ``data`` (a JSON object), validated key by key: unknown keys,
    wrong types, non-finite numbers, values out of :attr:`FilterConfig.BOUNDS`, unknown filter
    names and broken relations are refused with one error naming ``source`` and the key."""
    return from_mapping(FilterConfig, data, source)


@dataclass
class Event:
    """One detected cry bout (seconds of stream time)."""

    onset: float
    offset: float
    score: float
    emitted: float

    def to_dict(self) -> dict[str, float]:
        return {
            "onset": round(self.onset, 3),
            "offset": round(self.offset, 3),
            "score": round(self.score, 4),
            "emitted": round(self.emitted, 3),
        }


# --------------------------------------------------------------------------- signal analysis
PITCH_NFFT = 1024
"""FFT size of the autocorrelation (>= frame + largest lag, so no circular wrap)."""


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return np.hanning(PITCH_FRAME)


@lru_cache(maxsize=1)
def _hann_ac() -> np.ndarray:
    """Autocorrelation of the analysis window, normalised (the lag bias to divide out)."""
    w = _hann()
    wac = np.array([np.dot(w[: PITCH_FRAME - k], w[k:]) for k in range(PITCH_FRAME // 2)])
    return np.maximum(wac / wac[0], 1e-3)


def pitch_frames(
    x: np.ndarray, cfg: FilterConfig = FilterConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """(f0 Hz, harmonicity) of every 40 ms frame at 20 ms hops (frame i covers samples
    [i*320, i*320+640)), computed as ``cfg.pitch_arith`` says: :func:`pitch_frames_float` or
    :func:`pitch_frames_int`. :func:`cry_voiced` turns them into the cry-voiced flags."""
    if cfg.pitch_arith == "integer":
        return pitch_frames_int(x, cfg)
    return pitch_frames_float(x, cfg)


def pitch_frames_float(
    x: np.ndarray, cfg: FilterConfig = FilterConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """(f0 Hz, harmonicity) of every 40 ms frame at 20 ms hops; frame i covers
    samples [i*320, i*320+640). Normalised autocorrelation (mean removed, Hann window)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < PITCH_FRAME:
        return np.zeros(0), np.zeros(0)
    fr = np.lib.stride_tricks.sliding_window_view(x, PITCH_FRAME)[::PITCH_HOP]
    fr = ((fr - fr.mean(axis=1, keepdims=True)) * _hann()).astype(np.float32)
    spec = scipy.fft.rfft(fr, n=PITCH_NFFT, axis=1)
    ac = scipy.fft.irfft(spec.real**2 + spec.imag**2, n=PITCH_NFFT, axis=1)[:, : PITCH_FRAME // 2]
    ac = ac / np.maximum(ac[:, :1], 1e-12) / _hann_ac()
    lo = max(2, int(SR / cfg.f0_max_hz))
    hi = min(PITCH_FRAME // 2, int(SR / 120.0))
    seg = ac[:, lo:hi]
    best = seg.max(axis=1, keepdims=True)
    peak = np.zeros_like(seg, dtype=bool)
    peak[:, 1:-1] = (seg[:, 1:-1] >= seg[:, :-2]) & (seg[:, 1:-1] >= seg[:, 2:])
    first = np.argmax(peak & (seg >= 0.9 * best), axis=1)  # first near-best peak: no octave errors
    lag = first + lo
    harm = seg[np.arange(seg.shape[0]), first]
    energy = np.sum(fr.astype(np.float64) ** 2, axis=1)
    harm = np.where(energy > 1e-10, harm, 0.0)
    return SR / lag, np.clip(harm, 0.0, 1.0)


# ------------------------------------------------------------------ the integer pitch check
PITCH_DECIM = 2
"""The integer check runs at 16 kHz / 2 = 8 kHz."""
PITCH_N8 = (PITCH_FRAME - 4) // PITCH_DECIM + 1
"""Samples of a frame after the [1, 3, 3, 1] decimation (319): y[j] = x[2j] + 3 x[2j+1] +
3 x[2j+2] + x[2j+3]."""
PITCH_VMAX = 2047
"""Largest magnitude of the block-shifted, mean-free frame (11 bits plus sign), so that every
autocorrelation sum fits a signed 32-bit accumulator (319 * 2048^2 < 2^31)."""
PITCH_G_MAX = 1 << 16
"""Largest lag gain (Q15) the runtime accepts: |ac| < 2^31, so ac * g < 2^47."""


@dataclass(frozen=True)
class IntPitchTables:
    """The integers of the integer pitch check for one config (what the blob carries)."""

    window_q15: np.ndarray
    """int64 (PITCH_N8,): Hann window (the float check's 640-point one at the decimated
    sample centres 2j + 1.5), Q15."""
    lag_lo: int
    """First lag (8 kHz samples) searched: max(2, int(8000 / f0_max_hz))."""
    lag_hi: int
    """End of the lags searched: min(PITCH_N8 // 2, int(8000 / 120))."""
    gain_q15: np.ndarray
    """int64 (lag_hi,): round(2^15 / the window's own normalised autocorrelation)."""
    vlag_lo: int
    """Lags [vlag_lo, vlag_hi] have an f0 (8000 / lag) within [f0_min_hz, f0_max_hz]."""
    vlag_hi: int
    harm_q15: int
    """ceil(harmonicity_min * 2^15): a frame's Q15 harmonicity floor(r / ac0) must reach it."""


@lru_cache(maxsize=16)
def int_pitch_tables(f0_min_hz: float, f0_max_hz: float, harmonicity_min: float) -> IntPitchTables:
    """The tables of :func:`pitch_frames_int` for a config's pitch thresholds."""
    sr8 = SR // PITCH_DECIM
    t = PITCH_DECIM * np.arange(PITCH_N8, dtype=np.float64) + 1.5
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * t / (PITCH_FRAME - 1))
    wq = np.minimum(np.round(w * 32768.0), 32767).astype(np.int64)
    lo = max(2, int(sr8 / f0_max_hz))
    hi = min(PITCH_N8 // 2, int(sr8 / 120.0))
    wf = wq.astype(np.float64)
    wac = np.array([np.dot(wf[: PITCH_N8 - k], wf[k:]) for k in range(hi)])
    g = np.round(32768.0 / np.maximum(wac / wac[0], 1e-3)).astype(np.int64)
    lags = [lag for lag in range(lo, hi) if f0_min_hz <= sr8 / lag <= f0_max_hz]
    vlo, vhi = (lags[0], lags[-1]) if lags else (hi, hi - 1)
    return IntPitchTables(wq, lo, hi, g, vlo, vhi, math.ceil(harmonicity_min * 32768.0))


def _int16(x: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1) back to the int16 samples it came from (exact for PCM)."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float64) * 32768.0), -32768, 32767).astype(
        np.int64
    )


def int_pitch_frames_q(
    x16: np.ndarray, cfg: FilterConfig = FilterConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """The integer pitch check on int16 samples: (lag, Q15 harmonicity) of every frame, both
    int64. Per 640-sample frame, all integer (``cw_detect.c``'s ``pitch_core`` computes the
    same integers):

    1. decimate to 8 kHz: y[j] = x[2j] + 3 x[2j+1] + 3 x[2j+2] + x[2j+3], j < 319;
    2. remove the mean exactly: d[j] = 319 y[j] - sum(y);
    3. block shift: the smallest s >= 0 with (max|d| + h) >> s <= 2047 (h = 2^(s-1), 0 for
       s = 0), u[j] = (d[j] + h) >> s;
    4. Hann window: v[j] = (u[j] w[j] + 2^14) >> 15 (w: Q15, :class:`IntPitchTables`);
    5. autocorrelation ac[L] = sum_j v[j] v[j+L] for L = 0 and lag_lo <= L < lag_hi (each
       sum fits 32 bits);
    6. r[L] = ac[L] g[L] (64 bits; g: Q15 inverse of the window's own autocorrelation);
       best = max r; the first L (lag_lo < L < lag_hi - 1) with r[L] >= r[L-1], r[L] >=
       r[L+1] and 10 r[L] >= 9 best, else lag_lo (as the float check: the first near-best
       peak, no octave errors);
    7. harmonicity Q15 = clip(floor(r[L] / ac[0]), 0, 32768) (0 when ac[0] = 0).

    numpy computes step 5 with a float64 FFT and rounds: every |v| <= 2048, so the FFT's
    error is far below 0.5 (checked: a larger one raises)."""
    tb = int_pitch_tables(cfg.f0_min_hz, cfg.f0_max_hz, cfg.harmonicity_min)
    x = np.asarray(x16, dtype=np.int64).reshape(-1)
    if x.shape[0] < PITCH_FRAME:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    fr = np.lib.stride_tricks.sliding_window_view(x, PITCH_FRAME)[::PITCH_HOP]
    n = PITCH_N8
    y = fr[:, 0 : 2 * n : 2] + 3 * fr[:, 1 : 2 * n + 1 : 2] + 3 * fr[:, 2 : 2 * n + 2 : 2]
    y = y + fr[:, 3 : 2 * n + 3 : 2]
    d = n * y - y.sum(axis=1, keepdims=True)
    m = np.abs(d).max(axis=1)
    s = np.zeros(m.shape, np.int64)
    while True:
        h = np.where(s > 0, np.left_shift(1, np.maximum(s - 1, 0)), 0)
        over = ((m + h) >> s) > PITCH_VMAX
        if not over.any():
            break
        s += over
    h = np.where(s > 0, np.left_shift(1, np.maximum(s - 1, 0)), 0)
    u = (d + h[:, None]) >> s[:, None]
    v = (u * tb.window_q15 + (1 << 14)) >> 15
    lo, hi = tb.lag_lo, tb.lag_hi
    spec = scipy.fft.rfft(v.astype(np.float64), n=1 << int(np.ceil(np.log2(n + hi))), axis=1)
    acf = scipy.fft.irfft(spec.real**2 + spec.imag**2, axis=1)[:, :hi]
    ac = np.rint(acf)
    if ac.size and float(np.max(np.abs(acf - ac))) > 0.25:
        raise CribwatchError("integer pitch check: the FFT autocorrelation is not exact")
    ac = ac.astype(np.int64)
    ac0 = ac[:, 0]
    r = ac[:, lo:hi] * tb.gain_q15[lo:hi]
    best = r.max(axis=1, keepdims=True)
    peak = np.zeros_like(r, dtype=bool)
    peak[:, 1:-1] = (r[:, 1:-1] >= r[:, :-2]) & (r[:, 1:-1] >= r[:, 2:])
    first = np.argmax(peak & (10 * r >= 9 * best), axis=1)
    rf = r[np.arange(r.shape[0]), first]
    hq = np.where(ac0 > 0, np.floor_divide(rf, np.maximum(ac0, 1)), 0)
    return first + lo, np.clip(hq, 0, 32768)


def pitch_frames_int(
    x: np.ndarray, cfg: FilterConfig = FilterConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """(f0 Hz, harmonicity) of every frame from the integer check
    (:func:`int_pitch_frames_q`) on ``x``'s int16 samples: f0 = 8000 / lag, harmonicity the
    Q15 value / 2^15, so that :func:`cry_voiced` decides exactly as the integer comparisons
    of the runtime (lag within [vlag_lo, vlag_hi], Q15 harmonicity >= ceil(harmonicity_min
    * 2^15))."""
    lag, hq = int_pitch_frames_q(_int16(x), cfg)
    return (SR // PITCH_DECIM) / lag, hq / 32768.0


def block_powers(x: np.ndarray) -> np.ndarray:
    """Mean square of every 0.1 s block of x (LEVEL_BLOCK samples)."""
    n = x.shape[0] // LEVEL_BLOCK
    b = np.asarray(x[: n * LEVEL_BLOCK], dtype=np.float64).reshape(n, LEVEL_BLOCK)
    return np.mean(b**2, axis=1)


def window_level_db(powers: np.ndarray, k: int, cfg: FilterConfig) -> float:
    """RMS level (dBFS) of window k from the block powers of its signal."""
    per_hop = cfg.hop_samples // LEVEL_BLOCK
    p = powers[k * per_hop : k * per_hop + int(WINDOW_S * SR) // LEVEL_BLOCK]
    return float(10 * np.log10(np.mean(p) + 1e-20)) if p.size else -200.0


@dataclass
class WindowInfo:
    """What the chain needs about window k (samples [k*hop, k*hop + 16000))."""

    score: float
    level_db: float
    voiced_share: float
    voiced: np.ndarray  # cry-voiced flag per pitch frame of this window's last hop


def cry_voiced(f0: np.ndarray, harm: np.ndarray, cfg: FilterConfig) -> np.ndarray:
    return (harm >= cfg.harmonicity_min) & (f0 >= cfg.f0_min_hz) & (f0 <= cfg.f0_max_hz)


FRAMES_PER_WINDOW = (int(WINDOW_S * SR) - PITCH_FRAME) // PITCH_HOP + 1
"""Pitch frames fully inside one window (49)."""


def infos_from(
    scores: np.ndarray, powers: np.ndarray, voiced: np.ndarray, cfg: FilterConfig
) -> list[WindowInfo]:
    """The per-window chain inputs from window scores (at ``cfg.hop_s``), 0.1 s block powers
    and per-pitch-frame cry-voiced flags of one signal."""
    fph = cfg.pitch_frames_per_hop
    out = []
    for k in range(scores.shape[0]):
        a = k * fph
        vw = voiced[a : a + FRAMES_PER_WINDOW]
        tail = voiced[a + max(0, FRAMES_PER_WINDOW - fph) : a + FRAMES_PER_WINDOW]
        share = float(vw.mean()) if vw.size else 0.0
        out.append(WindowInfo(float(scores[k]), window_level_db(powers, k, cfg), share, tail))
    return out


def window_infos(x: np.ndarray, scores: np.ndarray, cfg: FilterConfig) -> list[WindowInfo]:
    """Offline: the per-window information of a whole signal (scores given per window)."""
    f0, harm = pitch_frames(x, cfg)
    return infos_from(scores, block_powers(x), cry_voiced(f0, harm, cfg), cfg)


# ------------------------------------------------------------------------------- the chain
def low_threshold(cfg: FilterConfig) -> float:
    """Score a window needs to count as positive at all: ``sustain_low`` with hysteresis on
    (below ``threshold``), else ``threshold``."""
    return min(cfg.sustain_low, cfg.threshold) if cfg.sustain_low > 0 else cfg.threshold


def onset_back_windows(cfg: FilterConfig) -> int:
    """Windows the onset may move back over (``onset_lookback_s`` in whole hops; the board
    runtime stores this number)."""
    return max(0, int(round(cfg.onset_lookback_s / cfg.hop_s)))


@dataclass
class Chain:
    """Streaming state of the filter chain; feed windows in order with :meth:`push`."""

    cfg: FilterConfig
    k: int = 0
    recent: list[bool] = field(default_factory=list)
    voiced_hist: list[np.ndarray] = field(default_factory=list)
    in_bout: bool = False
    bout_first: int = 0
    bout_last: int = 0
    bout_score: float = 0.0
    bout_emitted: float = 0.0
    bout_onset: float = 0.0
    quiet: int = 0
    score_hist: list[float] = field(default_factory=list)
    prev_last: int = -1
    strong: list[bool] = field(default_factory=list)
    bout_fast: bool = False

    def _longest_unit(self) -> float:
        v = np.concatenate(self.voiced_hist) if self.voiced_hist else np.zeros(0, bool)
        gap = int(round(self.cfg.unit_gap_s * SR / PITCH_HOP))
        best = run = holes = 0
        for flag in v:
            if flag:
                run += 1 + holes
                holes = 0
            elif run > 0 and holes < gap:
                holes += 1
            else:
                run, holes = 0, 0
            best = max(best, run)
        return best * PITCH_HOP / SR

    def positive(self, w: WindowInfo) -> tuple[bool, bool]:
        """(positive at the sustain level, positive at ``threshold``): equal without
        hysteresis."""
        on = self.cfg.enabled
        keep = int(round(self.cfg.rhythm_window_s / self.cfg.hop_s))
        self.voiced_hist.append(w.voiced)
        if len(self.voiced_hist) > keep:
            self.voiced_hist.pop(0)
        ok = w.score >= low_threshold(self.cfg)
        if ok and "loudness" in on:
            ok = w.level_db >= self.cfg.gate_dbfs
        if ok and "pitch" in on:
            ok = w.voiced_share >= self.cfg.voiced_share_min
        if ok and "rhythm" in on:
            ok = self._longest_unit() >= self.cfg.min_unit_s
        return ok, ok and w.score >= self.cfg.threshold

    def _close(self) -> Event | None:
        c = self.cfg
        self.in_bout = False
        self.prev_last = self.bout_last
        dur = (self.bout_last - self.bout_first) * c.hop_s + WINDOW_S
        if "smoothing" in c.enabled and dur < c.min_bout_s and not self.bout_fast:
            return None
        return Event(
            self.bout_onset,
            self.bout_last * c.hop_s + WINDOW_S - c.offset_shift_s,
            self.bout_score,
            self.bout_emitted,
        )

    def _onset(self, first: int) -> float:
        """Onset of a bout whose first positive window is ``first`` (see the module text)."""
        c = self.cfg
        back = onset_back_windows(c)
        j = first
        while (
            back > 0
            and j - 1 > self.prev_last
            and first - (j - 1) <= back
            and self.score_hist[len(self.score_hist) - 1 - (self.k - (j - 1))] >= c.onset_low
        ):
            j -= 1
        return j * c.hop_s + (c.onset_back_shift_s if j < first else c.onset_shift_s)

    def push(self, w: WindowInfo) -> list[Event]:
        """Feed the next window; returns the bouts that closed."""
        c = self.cfg
        smooth = "smoothing" in c.enabled
        k_on, n_on, m_off = (c.k_on, c.n_on, c.m_off) if smooth else (1, 1, 1)
        pos, strong = self.positive(w)
        self.recent.append(pos)
        self.strong.append(strong)
        if len(self.recent) > n_on:
            self.recent.pop(0)
            self.strong.pop(0)
        self.score_hist.append(w.score)
        if len(self.score_hist) > onset_back_windows(c) + n_on:
            self.score_hist.pop(0)
        t_end = self.k * c.hop_s + WINDOW_S
        out: list[Event] = []
        if not self.in_bout:
            fast = strong and 0.0 < c.confirm_score <= w.score
            if fast or (pos and sum(self.recent) >= k_on and any(self.strong)):
                first = self.k - len(self.recent) + 1 + self.recent.index(True)
                self.in_bout, self.bout_first, self.bout_last = True, first, self.k
                self.bout_onset = self._onset(first)
                self.bout_score, self.quiet = w.score, 0
                # the bout is known once it starts and, with smoothing, once it is long enough
                # (at once when one window is confident enough: confirm_score)
                need = max(0.0, c.min_bout_s - WINDOW_S) if smooth and not fast else 0.0
                self.bout_emitted = max(t_end, first * c.hop_s + WINDOW_S + need)
                self.bout_fast = fast
        else:
            if pos:
                self.bout_last, self.quiet = self.k, 0
                self.bout_score = max(self.bout_score, w.score)
            else:
                self.quiet += 1
                if self.quiet >= m_off:
                    ev = self._close()
                    if ev is not None:
                        out.append(ev)
        self.k += 1
        return out

    def flush(self) -> list[Event]:
        """End of stream: close an open bout."""
        if self.in_bout:
            ev = self._close()
            return [ev] if ev is not None else []
        return []


def run_chain(infos: list[WindowInfo], cfg: FilterConfig) -> list[Event]:
    """Offline: all events of a sequence of windows."""
    ch = Chain(cfg)
    out: list[Event] = []
    for w in infos:
        out.extend(ch.push(w))
    out.extend(ch.flush())
    return out

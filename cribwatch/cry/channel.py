"""The camera's audio channel put on every recording of a cry set after mixing: an optional
8 kHz path (low-pass, G.711 mu-law or A-law), automatic gain control, DC offset, clipping."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from cribwatch.cry.audio import SR, resample
from cribwatch.cry.synth import Range


@dataclass(frozen=True)
class ChannelConfig:
    """The camera's channel, applied to every recording after mixing."""

    narrowband_p: float = 0.5
    """Probability of the 8 kHz path (low-pass, down to 8 kHz, back up to 16 kHz)."""
    cutoff_hz: Range = (3400.0, 4000.0)
    """Low-pass cutoff of the 8 kHz path (Hz)."""
    codec_p: float = 0.5
    """Probability of G.711 companding (mu-law or A-law, 8 bits) on the 8 kHz path."""
    agc_p: float = 0.5
    """Probability of automatic gain control."""
    agc_target_dbfs: Range = (-30.0, -18.0)
    """Level the AGC pulls towards (dBFS RMS)."""
    agc_max_gain_db: Range = (6.0, 20.0)
    """Largest AGC gain (dB)."""
    agc_tau_s: Range = (0.3, 2.0)
    """AGC envelope time constant (s)."""
    dc: Range = (-0.01, 0.01)
    """DC offset (full scale)."""
    clip_p: float = 0.1
    """Probability of driving the signal into clipping."""
    clip_drive_db: Range = (1.0, 8.0)
    """How far the peak is driven past full scale when clipping (dB)."""


def g711(x: np.ndarray, law: str) -> np.ndarray:
    """8-bit G.711 companding round trip (mu-law mu=255 or A-law A=87.6) on [-1, 1] audio."""
    x = np.clip(x, -1.0, 1.0)
    a = np.abs(x)
    if law == "mu":
        y = np.log1p(255.0 * a) / np.log1p(255.0)
        y = np.round(y * 127.0) / 127.0
        out = np.expm1(y * np.log1p(255.0)) / 255.0
    else:
        A = 87.6
        lnA = 1.0 + np.log(A)
        y = np.where(a < 1 / A, A * a / lnA, (1.0 + np.log(np.maximum(A * a, 1e-12))) / lnA)
        y = np.round(y * 127.0) / 127.0
        out = np.where(y < 1 / lnA, y * lnA / A, np.exp(y * lnA - 1.0) / A)
    return (np.sign(x) * out).astype(np.float64)


def band_limit(
    x: np.ndarray, rng: np.random.Generator, cfg: ChannelConfig, codec: str
) -> np.ndarray:
    """The 8 kHz path: low-pass, 8 kHz, optional G.711, back to 16 kHz."""
    sos = butter(8, rng.uniform(*cfg.cutoff_hz), fs=SR, output="sos")
    y = sosfilt(sos, x)[::2]
    if codec != "none":
        y = g711(y, codec)
    return resample(y, 8000, SR).astype(np.float64)


def apply_channel(
    x: np.ndarray, rng: np.random.Generator, cfg: ChannelConfig = ChannelConfig()
) -> tuple[np.ndarray, dict[str, str]]:
    """Random camera channel: band, codec, AGC, DC offset, clipping. Returns (audio, info)."""
    y = np.asarray(x, dtype=np.float64)
    info = {"band": "16k", "codec": "none", "agc": "no", "clip": "no"}
    if rng.random() < cfg.narrowband_p:
        codec = "none"
        if rng.random() < cfg.codec_p:
            codec = "mu" if rng.random() < 0.5 else "a"
        y = band_limit(y, rng, cfg, codec)
        info.update(band="8k", codec=codec)
    if rng.random() < cfg.agc_p:
        tau = rng.uniform(*cfg.agc_tau_s)
        alpha = 1.0 / (tau * SR)
        env = np.sqrt(lfilter([alpha], [1.0, alpha - 1.0], y**2) + 1e-12)
        target = 10.0 ** (rng.uniform(*cfg.agc_target_dbfs) / 20.0)
        gmax = 10.0 ** (rng.uniform(*cfg.agc_max_gain_db) / 20.0)
        y = y * np.clip(target / env, 0.1, gmax)
        info["agc"] = "yes"
    y = y + rng.uniform(*cfg.dc)
    if rng.random() < cfg.clip_p:
        peak = float(np.max(np.abs(y))) + 1e-12
        y = y * (10.0 ** (rng.uniform(*cfg.clip_drive_db) / 20.0) / peak)
        info["clip"] = "yes"
    return np.clip(y, -1.0, 1.0).astype(np.float32), info

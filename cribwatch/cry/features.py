"""Log-mel front end, once in numpy (device reference) and once in torch (training twin).

Both compute, in float64, for 16 kHz audio ``x`` in [-1, 1]:

- frames of ``win_length`` = 400 samples (25 ms) every ``hop_length`` = 160 samples (10 ms),
  no centring or padding: frame ``i`` covers samples ``[i*hop, i*hop + win)``, so a stream and
  a whole file give the same frames (:func:`n_frames`);
- a periodic Hann window, zero-padded to ``n_fft`` = 512, power spectrum
  ``|rfft|^2 / (sum w)^2`` (a full-scale sine gives 0.25 in its bin);
- ``n_mels`` = 64 triangular HTK-mel filters between ``fmin`` and ``fmax`` (unnormalised
  peaks of 1, as in ``librosa.filters.mel(htk=True, norm=None)``);
- the natural log of ``mel + eps``.

:func:`to_model_input` maps log-mel to the 0-255 input range an NPU toolchain expects:
``round((logmel - log_lo) * 255 / (log_hi - log_lo))`` clipped to [0, 255], rounding half to
even. Training, the float model and the integer reference all take these integer-valued
inputs, so the board can be checked from the same uint8 input (issue 12).

References: S. S. Stevens, J. Volkmann, E. B. Newman (1937) for the mel scale, HTK book for
its formula ``2595 log10(1 + f/700)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch  # extra: train

from cribwatch.errors import CribwatchError


@dataclass(frozen=True)
class FrontEndConfig:
    """Every front-end tunable; the defaults are the shipped model's."""

    sr: int = 16000
    """Sample rate (Hz)."""
    n_fft: int = 512
    """FFT size (samples); the window is zero-padded to it."""
    win_length: int = 400
    """Analysis window (samples): 25 ms."""
    hop_length: int = 160
    """Frame hop (samples): 10 ms."""
    n_mels: int = 64
    """Mel bands."""
    fmin: float = 50.0
    """Lowest mel filter edge (Hz)."""
    fmax: float = 8000.0
    """Highest mel filter edge (Hz)."""
    eps: float = 1e-6
    """Added to mel power before the log."""
    log_lo: float = -13.815510557964274
    """Log-mel value mapped to input 0 (``log(eps)``)."""
    log_hi: float = 1.0
    """Log-mel value mapped to input 255."""


DEFAULT_FRONTEND = FrontEndConfig()

WINDOW_FRAMES = 98
"""Log-mel frames of one 1 s model window (1 + (16000 - 400) // 160)."""


def n_frames(n_samples: int, cfg: FrontEndConfig = DEFAULT_FRONTEND) -> int:
    """Frames the front end yields for ``n_samples`` samples (0 when shorter than a window)."""
    if n_samples < cfg.win_length:
        return 0
    return 1 + (n_samples - cfg.win_length) // cfg.hop_length


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(cfg: FrontEndConfig = DEFAULT_FRONTEND) -> np.ndarray:
    """(n_fft//2 + 1, n_mels) float64 triangular filters (peak 1), read-only."""
    n_bins = cfg.n_fft // 2 + 1
    freqs = np.arange(n_bins, dtype=np.float64) * cfg.sr / cfg.n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(cfg.fmin), hz_to_mel(cfg.fmax), cfg.n_mels + 2))
    fb = np.zeros((n_bins, cfg.n_mels), dtype=np.float64)
    for m in range(cfg.n_mels):
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[:, m] = np.maximum(0.0, np.minimum(up, down))
    fb.setflags(write=False)
    return fb


@lru_cache(maxsize=8)
def analysis_window(cfg: FrontEndConfig = DEFAULT_FRONTEND) -> np.ndarray:
    """Periodic Hann window of ``win_length`` samples, float64, read-only."""
    n = np.arange(cfg.win_length, dtype=np.float64)
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / cfg.win_length)
    w.setflags(write=False)
    return w


def frame_signal(x: np.ndarray, cfg: FrontEndConfig = DEFAULT_FRONTEND) -> np.ndarray:
    """(n_frames, win_length) strided view of the frames of ``x``."""
    nf = n_frames(x.shape[0], cfg)
    if nf == 0:
        return np.zeros((0, cfg.win_length), dtype=x.dtype)
    return np.lib.stride_tricks.sliding_window_view(x, cfg.win_length)[:: cfg.hop_length][:nf]


def logmel_frames(frames: np.ndarray, cfg: FrontEndConfig = DEFAULT_FRONTEND) -> np.ndarray:
    """Log-mel of already cut frames (n, win_length) -> (n, n_mels) float32."""
    w = analysis_window(cfg)
    spec = np.fft.rfft(np.asarray(frames, dtype=np.float64) * w, n=cfg.n_fft, axis=-1)
    power = (spec.real**2 + spec.imag**2) / (w.sum() ** 2)
    mel = power @ mel_filterbank(cfg)
    return np.log(mel + cfg.eps).astype(np.float32)


def logmel(
    x: np.ndarray, cfg: FrontEndConfig = DEFAULT_FRONTEND, chunk_frames: int = 4096
) -> np.ndarray:
    """Numpy reference front end: float audio (n,) -> log-mel (n_frames, n_mels) float32.

    Works in chunks of ``chunk_frames`` frames, so memory stays bounded on long files.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise CribwatchError(f"front end wants mono audio of shape (n,), got {x.shape}")
    frames = frame_signal(x, cfg)
    out = np.empty((frames.shape[0], cfg.n_mels), dtype=np.float32)
    for s in range(0, frames.shape[0], chunk_frames):
        out[s : s + chunk_frames] = logmel_frames(frames[s : s + chunk_frames], cfg)
    return out


def to_model_input(lm: np.ndarray, cfg: FrontEndConfig = DEFAULT_FRONTEND) -> np.ndarray:
    """Log-mel -> integer-valued model input in [0, 255] (uint8)."""
    scale = 255.0 / (cfg.log_hi - cfg.log_lo)
    q = np.rint((np.asarray(lm, dtype=np.float64) - cfg.log_lo) * scale)
    return np.clip(q, 0, 255).astype(np.uint8)


def logmel_torch(x: torch.Tensor, cfg: FrontEndConfig = DEFAULT_FRONTEND) -> torch.Tensor:
    """Torch twin of :func:`logmel`: (..., n) audio -> (..., n_frames, n_mels) float32.

    Differentiable, batched; computed in float64 like the numpy reference.
    """
    import torch  # extra: train

    xd = x.to(torch.float64)
    frames = xd.unfold(-1, cfg.win_length, cfg.hop_length)
    w = torch.from_numpy(np.array(analysis_window(cfg))).to(xd.device)
    spec = torch.fft.rfft(frames * w, n=cfg.n_fft, dim=-1)
    power = (spec.real**2 + spec.imag**2) / (w.sum() ** 2)
    fb = torch.from_numpy(np.array(mel_filterbank(cfg))).to(xd.device)
    return torch.log(power @ fb + cfg.eps).to(torch.float32)


def to_model_input_torch(lm: torch.Tensor, cfg: FrontEndConfig = DEFAULT_FRONTEND) -> torch.Tensor:
    """Torch twin of :func:`to_model_input` (float32 values 0..255)."""
    import torch  # extra: train

    scale = 255.0 / (cfg.log_hi - cfg.log_lo)
    q = torch.round((lm.to(torch.float64) - cfg.log_lo) * scale)
    return q.clamp(0, 255).to(torch.float32)

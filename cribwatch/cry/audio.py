"""Audio reading and writing with clear errors.

Audio in code is float32 mono in [-1, 1] at 16 kHz (:data:`SR`; the light helpers that the
streaming detector needs live in :mod:`cribwatch.cry.pcm` and are re-exported here).
Reading resamples with a polyphase filter (``scipy.signal.resample_poly``) and mixes channels
down. Every problem (missing, empty, corrupt, unsupported, wrong sample format) raises
:class:`CribwatchError` with one line naming the file.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from cribwatch.cry.pcm import SR, pcm16_to_float, to_pcm16, wav_info
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, check_audio_seconds

__all__ = [
    "SR",
    "pcm16_to_float",
    "read_audio",
    "resample",
    "to_pcm16",
    "wav_info",
    "write_wav",
]


def resample(x: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    """Polyphase resampling of a 1-D float signal from ``sr_in`` to ``sr_out`` (float32 out)."""
    if sr_in == sr_out:
        return np.asarray(x, dtype=np.float32)
    frac = Fraction(sr_out, sr_in).limit_denominator(1000)
    y = resample_poly(np.asarray(x, dtype=np.float64), frac.numerator, frac.denominator)
    return y.astype(np.float32)


def read_audio(
    path: str | os.PathLike[str], sr: int = SR, *, min_seconds: float = 0.0
) -> np.ndarray:
    """Read any file libsndfile decodes (WAV, FLAC, OGG, ...) as float32 mono at ``sr``.

    Raises CribwatchError for a missing file, an undecodable or empty one, non-finite samples,
    or one shorter than ``min_seconds``.
    """
    p = Path(path)
    if not p.exists():
        raise CribwatchError(f"{p}: file not found")
    if not p.is_file():
        raise CribwatchError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise CribwatchError(f"{p}: empty file")
    try:
        info = sf.info(str(p))
        if info.samplerate > 0:
            check_audio_seconds(p, info.frames / info.samplerate)
        data, file_sr = sf.read(str(p), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, ValueError, TypeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CribwatchError(f"{p}: not a readable audio file ({msg})") from exc
    if data.shape[0] == 0:
        raise CribwatchError(f"{p}: audio file holds no samples")
    x = data.mean(axis=1)
    if not np.all(np.isfinite(x)):
        raise CribwatchError(f"{p}: audio contains NaN or infinite samples")
    x = resample(x, int(file_sr), sr)
    if x.shape[0] < int(min_seconds * sr):
        raise CribwatchError(f"{p}: audio shorter than {min_seconds:g} s")
    return x


def write_wav(path: str | os.PathLike[str], x: np.ndarray, sr: int = SR) -> None:
    """Write float audio as 16-bit PCM mono WAV, atomically."""
    if not np.all(np.isfinite(x)):
        raise CribwatchError("audio to write contains NaN or infinite values")
    with atomic_path(path) as tmp:
        sf.write(str(tmp), to_pcm16(x), sr, subtype="PCM_16", format="WAV")

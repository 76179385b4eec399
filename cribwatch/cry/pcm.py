"""The light audio helpers of the streaming detector: the sample rate, 16-bit PCM conversion
and an audio file's header. Kept apart from :mod:`cribwatch.cry.audio` (file reading with
resampling, which loads ``scipy.signal``, about 55 MB) so the torch-free detector
(:mod:`cribwatch.cry.api`, ``python -m cribwatch.cry.lean``) stays small.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from cribwatch.errors import CribwatchError

SR = 16000
"""The sample rate of every signal in the cry pipeline (Hz)."""


def wav_info(path: str | os.PathLike[str]) -> tuple[int, int, str]:
    """(sample rate, channels, subtype) of an audio file, with the same errors as read_audio."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: file not found")
    if p.stat().st_size == 0:
        raise CribwatchError(f"{p}: empty file")
    try:
        info = sf.info(str(p))
    except (RuntimeError, sf.LibsndfileError, ValueError, TypeError) as exc:
        raise CribwatchError(f"{p}: not a readable audio file") from exc
    return int(info.samplerate), int(info.channels), str(info.subtype)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float [-1, 1] to int16: times 32768, rounded half to even, clipped."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def pcm16_to_float(b: np.ndarray) -> np.ndarray:
    """int16 samples to float32 in [-1, 1) (divide by 32768, the convention of libsndfile)."""
    return (np.asarray(b, dtype=np.float32) / 32768.0).astype(np.float32)

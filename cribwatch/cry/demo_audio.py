"""The demo report's audio player: the bundled cry sample copied beside the report as WAV
and an HTML5 ``<audio>`` element that plays it (no script, no external player)."""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from cribwatch.cry.audio import SR, read_audio
from cribwatch.cry.report import sample_path
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path


def write_sample_wav(out_dir: str | os.PathLike[str], rel: str = "audio/cry_sample.wav",
                     source: Path | None = None) -> tuple[Path, float]:  # fmt: skip
    """Write the cry sample (``source``, default the bundled one) as 16 kHz mono 16-bit WAV at
    ``out_dir/rel`` (atomically); return the path and the duration in seconds."""
    wav = Path(source) if source is not None else sample_path()
    if not wav.is_file():
        raise CribwatchError(f"cry demo: bundled sample {wav} missing")
    x = np.asarray(read_audio(wav), dtype=np.float32)
    dest = Path(out_dir) / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest) as tmp:
        sf.write(str(tmp), np.clip(x, -1.0, 1.0), SR, subtype="PCM_16", format="WAV")
    return dest, x.shape[0] / SR


def audio_player(out_dir: str | os.PathLike[str], rel: str = "audio/cry_sample.wav",
                 caption: str = "listen: the bundled cry sample",
                 source: Path | None = None) -> tuple[str, float]:  # fmt: skip
    """Write the sample (:func:`write_sample_wav`) and return ``(HTML figure with an
    <audio controls> element, duration in seconds)``."""
    _, seconds = write_sample_wav(out_dir, rel, source)
    cap = html.escape(f"{caption} ({seconds:.0f} s, 16 kHz WAV)")
    src = html.escape(rel, quote=True)
    return (
        f'<figure class="player"><audio controls preload="metadata" src="{src}">'
        f'<a href="{src}">{html.escape(rel)}</a></audio><figcaption>{cap}</figcaption></figure>',
        seconds,
    )

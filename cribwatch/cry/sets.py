"""Writing a cry set's tables: labels, noise types, cries, channels and sources (TSV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import SR, write_wav
from cribwatch.cry.channel import ChannelConfig, apply_channel
from cribwatch.cry.sources import Parts
from cribwatch.progress import Progress

NOISE_TYPES = (
    "speech",
    "animal",
    "music",
    "household",
    "fan",
    "noise",
    "tv",
    "baby_noncry",
    "quiet",
)


def write_tables(
    out: Path,
    labels: list[str],
    noise: list[str],
    cries: list[str],
    channels: list[str],
    sources: list[str] | None = None,
) -> None:
    """The set's TSV tables (each list starts with its header row)."""
    for name, rows in (
        ("labels.tsv", labels),
        ("noise_types.tsv", noise),
        ("cries.tsv", cries),
        ("channels.tsv", channels),
        ("sources.tsv", sources),
    ):
        if rows is not None:
            (out / name).write_text("\n".join(rows) + "\n")


@dataclass
class SetWriter:
    """The audio folder and the tables of a cry set being written, rows in file order."""

    audio_dir: Path
    rng: np.random.Generator
    channel: ChannelConfig
    total: int
    progress: Progress | None
    labels: list[str] = field(default_factory=lambda: ["file\tonset\toffset\tlabel"])
    noise: list[str] = field(default_factory=lambda: ["file\tonset\toffset\tnoise_type"])
    cries: list[str] = field(default_factory=lambda: ["file\tonset\toffset\tsource\tname\tebr_db"])
    channels: list[str] = field(default_factory=lambda: ["file\tband\tcodec\tagc\tclip"])
    sources: list[str] = field(default_factory=lambda: ["file\tonset\toffset\tsource"])
    done: int = 0

    def add_sources(self, file: str, parts: Parts) -> None:
        self.sources.extend(
            f"{file}\t{a / SR:.3f}\t{(a + m) / SR:.3f}\t{src}" for a, m, src in parts if m > 0
        )

    def finish(self, name: str, x: np.ndarray) -> None:
        """Pass ``x`` through the camera channel and write it as ``name``."""
        y, info = apply_channel(x, self.rng, self.channel)
        write_wav(self.audio_dir / name, y)
        self.channels.append(
            f"{name}\t{info['band']}\t{info['codec']}\t{info['agc']}\t{info['clip']}"
        )
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)

    def write_tables(self, out: Path) -> None:
        write_tables(out, self.labels, self.noise, self.cries, self.channels, self.sources)

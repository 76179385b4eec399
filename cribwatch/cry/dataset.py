"""Reading a cry set: manifest, labels, noise types, cry sources, channels, features."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import read_audio
from cribwatch.cry.features import FrontEndConfig, logmel, to_model_input
from cribwatch.errors import CribwatchError
from cribwatch.io import read_json_object, read_text
from cribwatch.progress import Progress


@dataclass
class CrySet:
    """A cry set on disk (see docs/ARCHITECTURE.md, "Cry set")."""

    root: Path
    manifest: dict[str, object]
    files: list[str]
    labels: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    noise: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)
    cries: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    channels: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)
    """Which non-cry recording lies where (sources.tsv; sets built before it have none)."""

    def audio_path(self, name: str) -> Path:
        return self.root / "audio" / name


def _rows(path: Path, header: list[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a tab-separated table whose header starts with ``header``; a
    missing file has no rows. Non-UTF-8 text and rows shorter than ``header`` are refused
    naming the file and the line."""
    if not path.is_file():
        return []
    lines = read_text(path).splitlines()
    if not lines or lines[0].split("\t")[: len(header)] != header:
        raise CribwatchError(f"{path}: header must start with {' '.join(header)}")
    names = lines[0].split("\t")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < len(header):
            raise CribwatchError(
                f"{path}: line {n}: {len(cells)} fields, {len(header)} needed ({', '.join(header)})"
            )
        out.append((n, dict(zip(names, cells, strict=False))))
    return out


def _span(path: Path, n: int, row: dict[str, str]) -> tuple[float, float]:
    """The finite (onset, offset) of a row, onset not after offset."""
    times = []
    for key in ("onset", "offset"):
        try:
            v = float(row[key])
        except ValueError:
            raise CribwatchError(f"{path}: line {n}: {key} {row[key]!r} is not a number") from None
        if not math.isfinite(v) or v < 0:
            raise CribwatchError(
                f"{path}: line {n}: {key} must be a finite time >= 0, not {row[key]!r}"
            )
        times.append(v)
    if times[0] > times[1]:
        raise CribwatchError(f"{path}: line {n}: onset {times[0]:g} is after offset {times[1]:g}")
    return times[0], times[1]


def load_set(root: Path) -> CrySet:
    """Load a cry set; labels.tsv is required, noise_types.tsv, cries.tsv, channels.tsv and
    sources.tsv are optional. Every fault is one error naming the file, the line and the
    field."""
    root = Path(root)
    if not root.is_dir():
        raise CribwatchError(f"{root}: cry set folder not found")
    man = root / "manifest.json"
    manifest = read_json_object(man) if man.exists() else {"format": "cribwatch-cry", "version": 1}
    if manifest.get("format") != "cribwatch-cry":
        raise CribwatchError(f"{man}: not a cribwatch-cry manifest")
    audio = root / "audio"
    if not audio.is_dir():
        raise CribwatchError(f"{root}: no audio/ folder (not a cry set)")
    files = sorted(p.name for p in audio.iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg"))
    if not files:
        raise CribwatchError(f"{audio}: no audio files")
    s = CrySet(root, manifest, files)
    labels = root / "labels.tsv"
    if not labels.is_file():
        raise CribwatchError(f"{root}: labels.tsv missing")
    for n, r in _rows(labels, ["file", "onset", "offset", "label"]):
        span = _span(labels, n, r)
        if r["label"] == "cry":
            s.labels.setdefault(r["file"], []).append(span)
    noise = root / "noise_types.tsv"
    for n, r in _rows(noise, ["file", "onset", "offset", "noise_type"]):
        s.noise.setdefault(r["file"], []).append((*_span(noise, n, r), r["noise_type"]))
    cries = root / "cries.tsv"
    for n, r in _rows(cries, ["file", "onset", "offset", "source"]):
        _span(cries, n, r)
        s.cries.setdefault(r["file"], []).append(r)
    for _, r in _rows(root / "channels.tsv", ["file", "band"]):
        s.channels[r["file"]] = r
    sources = root / "sources.tsv"
    for n, r in _rows(sources, ["file", "onset", "offset", "source"]):
        s.sources.setdefault(r["file"], []).append((*_span(sources, n, r), r["source"]))
    return s


def file_features(path: Path, fe: FrontEndConfig = FrontEndConfig()) -> tuple[np.ndarray, float]:
    """(uint8 model input (n_frames, n_mels), duration s) of one audio file."""
    x = read_audio(path)
    return to_model_input(logmel(x, fe), fe), x.shape[0] / fe.sr


def set_features(
    s: CrySet,
    fe: FrontEndConfig = FrontEndConfig(),
    progress: Progress | None = None,
) -> dict[str, tuple[np.ndarray, float]]:
    out = {}
    for i, f in enumerate(s.files):
        out[f] = file_features(s.audio_path(f), fe)
        if progress:
            progress(i + 1, len(s.files))
    return out

"""Reading a cry set: manifest, labels, noise types, cry sources, channels, features."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import read_audio
from cribwatch.cry.features import FrontEndConfig, logmel, to_model_input
from cribwatch.errors import CribwatchError
from cribwatch.io import read_json


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


def _rows(path: Path, header: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        r = csv.DictReader(fh, delimiter="\t")
        if r.fieldnames is None or list(r.fieldnames)[: len(header)] != header:
            raise CribwatchError(f"{path}: header must start with {' '.join(header)}")
        return list(r)


def load_set(root: Path) -> CrySet:
    """Load a cry set; labels.tsv is required, noise_types.tsv, cries.tsv, channels.tsv and
    sources.tsv are optional."""
    root = Path(root)
    man = root / "manifest.json"
    manifest = read_json(man) if man.exists() else {"format": "cribwatch-cry", "version": 1}
    if manifest.get("format") != "cribwatch-cry":
        raise CribwatchError(f"{man}: not a cribwatch-cry manifest")
    audio = root / "audio"
    if not audio.is_dir():
        raise CribwatchError(f"{root}: no audio/ folder (not a cry set)")
    files = sorted(p.name for p in audio.iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg"))
    if not files:
        raise CribwatchError(f"{audio}: no audio files")
    s = CrySet(root, manifest, files)
    if not (root / "labels.tsv").is_file():
        raise CribwatchError(f"{root}: labels.tsv missing")
    for r in _rows(root / "labels.tsv", ["file", "onset", "offset", "label"]):
        if r["label"] == "cry":
            s.labels.setdefault(r["file"], []).append((float(r["onset"]), float(r["offset"])))
    for r in _rows(root / "noise_types.tsv", ["file", "onset", "offset", "noise_type"]):
        s.noise.setdefault(r["file"], []).append(
            (float(r["onset"]), float(r["offset"]), r["noise_type"])
        )
    for r in _rows(root / "cries.tsv", ["file", "onset", "offset", "source"]):
        s.cries.setdefault(r["file"], []).append(r)
    for r in _rows(root / "channels.tsv", ["file", "band"]):
        s.channels[r["file"]] = r
    for r in _rows(root / "sources.tsv", ["file", "onset", "offset", "source"]):
        s.sources.setdefault(r["file"], []).append(
            (float(r["onset"]), float(r["offset"]), r["source"])
        )
    return s


def file_features(path: Path, fe: FrontEndConfig = FrontEndConfig()) -> tuple[np.ndarray, float]:
    """(uint8 model input (n_frames, n_mels), duration s) of one audio file."""
    x = read_audio(path)
    return to_model_input(logmel(x, fe), fe), x.shape[0] / fe.sr


def set_features(
    s: CrySet,
    fe: FrontEndConfig = FrontEndConfig(),
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, tuple[np.ndarray, float]]:
    out = {}
    for i, f in enumerate(s.files):
        out[f] = file_features(s.audio_path(f), fe)
        if progress:
            progress(i + 1, len(s.files))
    return out

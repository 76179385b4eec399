"""More non-cry sources for the YAMNet verifier: the ``negatives`` group of ``cribwatch data
fetch`` (``DEST/negatives/<family>/``: game music and tracker modules, game and desktop
effects, city ambience, since round 3 animal voices and household / human non-cry sounds
from Scratch's sound library, since round 6 human non-cry voices (Hedgewars) and farm animals
and everyday sounds (GCompris); see :mod:`cribwatch.data.fetch`).

The cry sets' own source lists (:class:`cribwatch.cry.sources.SourcePool`) do not use these
recordings, so every set built before stays byte-identical. Each recording is split by a
hash of its name (``neg:<file name>``, :func:`cribwatch.cry.sources.in_split`) into test,
val and fit: the verifier trains on fit only; val measures false alarms per source family
(:func:`family_recording`), test is left for a held-out look.

Each recording becomes a "cry-free recording": trimmed of silence, set to a level in
``LEVEL_DBFS`` over a quiet coloured-noise bed, and put through the camera channel
(:func:`cribwatch.cry.channel.apply_channel`, half of them on the 8 kHz path).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cribwatch.cry.audio import SR, read_audio
from cribwatch.cry.channel import apply_channel
from cribwatch.cry.features import FrontEndConfig, logmel, to_model_input
from cribwatch.cry.levels import set_rms_db, trim_silence
from cribwatch.cry.sources import _hash01, in_split
from cribwatch.cry.stream import Scorer, n_windows, windows_of
from cribwatch.cry.synth import colored_noise
from cribwatch.cry.yamnet import Yamnet, window_patches
from cribwatch.errors import CribwatchError
from cribwatch.progress import Progress

FAMILIES = ("music", "game-effects", "alerts", "ambience", "animals", "household", "voices")
"""Source families of ``DEST/negatives`` (``cribwatch.data.fetch.NEGATIVE_FAMILIES``)."""
LEVEL_DBFS = (-40.0, -14.0)
"""Level range of a negative recording (dBFS RMS)."""
BED_DBFS = (-65.0, -45.0)
"""Level range of the quiet noise bed under it."""
MAX_SECONDS = 90.0
"""Recordings are cut to their first this many seconds."""
EXTS = (".ogg", ".oga", ".wav", ".mp3")


def negative_files(root: Path, split: str) -> dict[str, list[Path]]:
    """``{family: recordings of split}`` of ``root`` (``DEST/negatives``)."""
    if not root.is_dir():
        raise CribwatchError(
            f"{root}: no negative sources; run 'cribwatch data fetch --only negatives' first"
        )
    out: dict[str, list[Path]] = {}
    for fam in FAMILIES:
        d = root / fam
        files = sorted(p for p in d.glob("*") if p.suffix.lower() in EXTS) if d.is_dir() else []
        out[fam] = [p for p in files if in_split(_hash01("neg:" + p.name), split)]
    return out


def render(path: Path, rng: np.random.Generator) -> np.ndarray:
    """One recording as the camera would hear it (see the module doc); float32 at 16 kHz."""
    try:
        x = read_audio(path)
    except CribwatchError:
        return np.zeros(0, np.float32)
    x = x[: int(MAX_SECONDS * SR)]
    a, b = trim_silence(x)
    x = x[a:b]
    if x.shape[0] < SR // 4:
        return np.zeros(0, np.float32)
    level = rng.uniform(*LEVEL_DBFS)
    y = set_rms_db(x, level).astype(np.float64)
    pad = SR // 2
    n = y.shape[0] + 2 * pad
    bed = colored_noise(rng, n, ("white", "pink", "brown")[int(rng.integers(3))])
    out = set_rms_db(bed, rng.uniform(*BED_DBFS)).astype(np.float64)
    out[pad : pad + y.shape[0]] += y
    ch, _ = apply_channel(out, rng)
    return ch


def family_recording(
    files: list[Path], seed: int = 0, gap_s: float = 2.0
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """All recordings of one family rendered (:func:`render`) and laid end to end with
    ``gap_s`` of quiet bed between them: ``(audio, [(start s, end s, file name)])``."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    spans: list[tuple[float, float, str]] = []
    t = 0
    gap = int(gap_s * SR)
    for f in files:
        y = render(f, rng)
        if y.shape[0] == 0:
            continue
        g = set_rms_db(colored_noise(rng, gap, "pink"), rng.uniform(*BED_DBFS))
        parts.extend([g, y])
        spans.append(((t + gap) / SR, (t + gap + y.shape[0]) / SR, f.name))
        t += gap + y.shape[0]
    if not parts:
        return np.zeros(0, np.float32), []
    return np.concatenate(parts).astype(np.float32), spans


def first_stage_scores(x: np.ndarray, first: Scorer, hop_s: float = 0.5) -> np.ndarray:
    """The board CNN's score of every detector window of a signal."""
    fe = FrontEndConfig()
    feat = to_model_input(logmel(x, fe), fe)
    w = windows_of(feat, hop_s)
    nw = min(w.shape[0], n_windows(x.shape[0], hop_s))
    if nw <= 0:
        return np.zeros(0)
    return np.asarray(first(np.ascontiguousarray(w[:nw])), dtype=np.float64)


def training_rows(
    root: Path,
    first: Scorer,
    yamnet: Yamnet,
    seed: int = 1,
    hop_s: float = 0.5,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every detector window of every fit recording (rendered, :func:`render`):
    ``(X (N, 521 + 1024): YAMNet scores * 256 (rounded) then the embedding in units of
    EMBED_SCALE (uint8 codes from the TFLite graph, float32 from the ONNX graph), first-stage
    scores (N,), family of each row)``. ``yamnet`` must be loaded with ``embedding=True``."""
    files = [(fam, f) for fam, fl in negative_files(root, "fit").items() for f in fl]
    rng = np.random.default_rng(seed)
    hop = int(round(hop_s * SR))
    xs: list[np.ndarray] = []
    cs: list[np.ndarray] = []
    fams: list[str] = []
    for i, (fam, f) in enumerate(files):
        x = render(f, rng)
        c = first_stage_scores(x, first, hop_s) if x.shape[0] >= SR else np.zeros(0)
        p = window_patches(x, hop, len(c)) if len(c) else np.zeros((0, 96, 64), np.float32)
        if len(p):
            s, e = yamnet.embed(p)
            q = np.clip(np.rint(s * 256), 0, 255).astype(np.uint8)
            xs.append(np.concatenate([q, e], axis=1))
            cs.append(c[: len(p)])
            fams += [fam] * len(p)
        if progress:
            progress(i + 1, len(files))
    if not xs:
        raise CribwatchError(f"{root}: no usable fit recordings among the negatives")
    return np.concatenate(xs), np.concatenate(cs), fams

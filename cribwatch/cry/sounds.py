"""The cry-set builders (``cribwatch cry make-set``, ``make-real-set``): sources
(:mod:`cribwatch.cry.sources`) mixed (:mod:`cribwatch.cry.mixing`), passed through the camera
channel (:mod:`cribwatch.cry.channel`) and written with their tables (:mod:`cribwatch.cry.sets`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import SR, read_audio, write_wav
from cribwatch.cry.levels import trim_silence
from cribwatch.cry.mixing import SetConfig, total_hours, write_cryfree, write_mixture
from cribwatch.cry.sets import SetWriter, write_tables
from cribwatch.cry.sources import SPLITS, RealCries, SourcePool, unlisted_cry_files
from cribwatch.cry.synth import DEFAULT_SYNTH, OUT_OF_RANGE
from cribwatch.errors import CribwatchError
from cribwatch.io import write_json
from cribwatch.progress import Progress


def build_set(
    out: Path,
    *,
    hours: float,
    seed: int,
    split: str = "train",
    cryfree_hours: float | None = None,
    data_dir: Path = Path("data"),
    synth_range: str = "in",
    cfg: SetConfig = SetConfig(),
    progress: Progress | None = None,
) -> dict[str, object]:
    """Write a cry set to ``out``; returns its manifest.

    ``hours`` of 30 s mixtures (one cry each at an EBR from ``cfg.ebr_db``), plus
    ``cryfree_hours`` (default ``hours``) of long cry-free recordings, a share of them very quiet.
    ``synth_range="out"`` draws synthesized cries from :data:`OUT_OF_RANGE`.
    """
    if split not in SPLITS:
        raise CribwatchError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    if hours < 0 or (cryfree_hours is not None and cryfree_hours < 0):
        raise CribwatchError("hours must be >= 0")
    cryfree_hours = hours if cryfree_hours is None else cryfree_hours
    synth_cfg = OUT_OF_RANGE if synth_range == "out" else DEFAULT_SYNTH
    split_seed = (
        seed * 2
        + (1 if split == "test" else 0)
        + (1000 if synth_range == "out" else 0)
        + (500_000 if split == "val" else 0)  # fit shares train's seeds, val has its own
    )
    rng = np.random.default_rng([split_seed, 12345])
    pool = SourcePool(data_dir / "debian", split, split_seed)
    real = RealCries(data_dir / "donateacry", split)
    n_mix = int(round(hours * 3600 / cfg.mixture_s))
    n_free_s = cryfree_hours * 3600
    n_quiet = int(round(n_free_s * cfg.quiet_share / cfg.cryfree_file_s))
    n_free = int(round(n_free_s * (1 - cfg.quiet_share) / cfg.cryfree_file_s))
    total = n_mix + n_free + n_quiet
    w = SetWriter(out / "audio", rng, cfg.channel, total, progress)
    w.audio_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n_mix):
        write_mixture(w, i, pool, real, cfg, synth_cfg, split_seed)
    for i in range(n_free + n_quiet):
        write_cryfree(w, i, i >= n_free, pool, cfg)
    w.write_tables(out)
    manifest: dict[str, object] = {
        "format": "cribwatch-cry",
        "version": 1,
        "seed": seed,
        "split": split,
        "hours": round(total_hours(n_mix, n_free + n_quiet, cfg), 4),
        "mixture_hours": hours,
        "cryfree_hours": cryfree_hours,
        "synth_range": synth_range,
        "files": total,
        "real_cry_recordings": len(real.files),
        "config": asdict(cfg),
        "synth": asdict(synth_cfg),
    }
    write_json(out / "manifest.json", manifest)
    return manifest


def build_real_set(
    out: Path,
    *,
    data_dir: Path = Path("data"),
    pad_s: float = 2.0,
    cryfree_file_s: float = 300.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Write a cry set of real recordings only, none of them used for training or tuning.

    - one file per unlisted Donate-a-cry recording (:func:`unlisted_cry_files`), 8 kHz
      up-sampled to 16 kHz, as recorded, with ``pad_s`` of digital silence before and after;
      the cry label spans the recording's silence-trimmed span (:func:`trim_silence`);
    - cry-free files of about ``cryfree_file_s`` seconds: the Asterisk prompts (speech) and
      music on hold (music), in a seeded order, joined with 0.5-3 s of silence.

    No synthetic sound, channel model or mixing is applied: the set measures the detector on
    real audio it has never heard. All its audio is narrowband (8 kHz sources).
    """
    rng = np.random.default_rng(seed)
    cries = unlisted_cry_files(data_dir / "donateacry")
    deb = data_dir / "debian"
    free_src = [(f, "speech") for f in sorted((deb / "asterisk-core-sounds-en-wav").rglob("*.wav"))]
    free_src += [(f, "music") for f in sorted((deb / "asterisk-moh-opsound-wav").rglob("*.wav"))]
    if not free_src:
        raise CribwatchError(f"{deb}: no Asterisk sounds; run 'cribwatch data fetch' first")
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    labels = ["file\tonset\toffset\tlabel"]
    noise_rows = ["file\tonset\toffset\tnoise_type"]
    cry_rows = ["file\tonset\toffset\tsource\tname\tebr_db"]
    chan_rows = ["file\tband\tcodec\tagc\tclip"]
    total = len(cries) + 1
    pad = np.zeros(int(pad_s * SR), np.float32)
    seconds = 0.0
    for i, f in enumerate(cries):
        name = f"real_{i:05d}.wav"
        x = read_audio(f)
        a, b = trim_silence(x)
        if b <= a:
            continue
        write_wav(audio_dir / name, np.concatenate([pad, x, pad]))
        on, off = pad_s + a / SR, pad_s + b / SR
        labels.append(f"{name}\t{on:.3f}\t{off:.3f}\tcry")
        cry_rows.append(f"{name}\t{on:.3f}\t{off:.3f}\treal\t{f.name}\tnan")
        chan_rows.append(f"{name}\t8k\tnone\tno\tno")
        seconds += x.shape[0] / SR + 2 * pad_s
        if progress:
            progress(i + 1, total)
    order = rng.permutation(len(free_src))
    k, t = 0, 0.0
    parts: list[np.ndarray] = []
    rows: list[tuple[float, float, str, str]] = []
    source_rows = ["file\tonset\toffset\tsource"]

    def flush() -> None:
        nonlocal k, parts, t, rows, seconds
        if not parts:
            return
        name = f"free_{k:05d}.wav"
        write_wav(audio_dir / name, np.concatenate(parts))
        noise_rows.extend(f"{name}\t{a:.3f}\t{b:.3f}\t{kind}" for a, b, kind, _ in rows)
        source_rows.extend(f"{name}\t{a:.3f}\t{b:.3f}\t{src}" for a, b, _, src in rows)
        chan_rows.append(f"{name}\t8k\tnone\tno\tno")
        seconds += t
        k, parts, t, rows = k + 1, [], 0.0, []

    for j in order:
        f, kind = free_src[int(j)]
        x = read_audio(f)
        gap = np.zeros(int(rng.uniform(0.5, 3.0) * SR), np.float32)
        on, off = t + gap.shape[0] / SR, t + (gap.shape[0] + x.shape[0]) / SR
        rows.append((on, off, kind, f"{f.parent.name}/{f.name}"))
        parts += [gap, x.astype(np.float32)]
        t += (gap.shape[0] + x.shape[0]) / SR
        if t >= cryfree_file_s:
            flush()
    flush()
    write_tables(out, labels, noise_rows, cry_rows, chan_rows, source_rows)
    manifest: dict[str, object] = {
        "format": "cribwatch-cry",
        "version": 1,
        "seed": seed,
        "split": "real-test",
        "hours": round(seconds / 3600, 4),
        "files": len(labels) - 1 + k,
        "real_cry_recordings": len(labels) - 1,
        "sources": "Donate-a-cry recordings not in donateacry-train.tsv (uuids unused in "
        "training); Asterisk core sounds (en) and music on hold",
    }
    write_json(out / "manifest.json", manifest)
    if progress:
        progress(total, total)
    return manifest

"""The sources of cry sets: non-cry recordings, real cries, and their split by hash.

Sources (see ``cribwatch data fetch``):

- real infant cries: the Donate-a-cry corpus (8 kHz), split by app instance (uuid);
- speech: espeak-ng in many voices and pitches (child-like pitches included), KTuberling's
  spoken words and Tux Paint's spoken stamp descriptions;
- animals: Tux Paint stamp sounds under ``animals/`` and every cat/dog sound;
- household and toy effects: the other Tux Paint stamp sounds, the freedesktop sound theme;
- music: SuperTux music;
- synthetic: fan and air-conditioner hum, white/pink/brown noise, TV (speech over music), and
  baby-related non-cry vocalisations (:func:`cribwatch.cry.synth.synth_baby_noncry`);
- test only: the Asterisk prompts (speech) and music on hold (never used for training or tuning).

Package files and espeak voices are split between train and test by a hash of their name, so
the two sets share no source recording; train divides further into fit and val
(:func:`in_split`), for tuning on sources a model never heard; synthesizer seeds differ by split.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import SR, read_audio
from cribwatch.cry.levels import rms, set_rms_db, trim_silence
from cribwatch.cry.synth import Range, colored_noise, fan_noise, synth_baby_noncry
from cribwatch.errors import CribwatchError

CRY_TRAIN_TSV = Path(__file__).with_name("donateacry-train.tsv")
ANIMAL_WORDS = ("cat", "kitten", "dog", "puppy", "wolf", "lion", "tiger")


def _hash01(name: str) -> float:
    return int(hashlib.md5(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


SPLITS = ("train", "test", "fit", "val")
"""Source splits of ``make-set``: train and test share nothing; fit and val divide train."""
TEST_SHARE = 0.2
"""Share of the source hash range that is test (app instances, recordings, voices)."""
VAL_SHARE = 0.2
"""Share of the hash range, right after the test part, that is val (inside train)."""


def in_split(h: float, split: str) -> bool:
    """Whether a source whose name hashes to ``h`` (in [0, 1)) belongs to ``split``.

    test: the first TEST_SHARE of the range; train: the rest. train divides into val (the next
    VAL_SHARE) and fit (the rest), so that a model trained on fit sets can be tuned on a val set
    of sources (babies, animals, voices, music) it never heard; a model trained on train sets
    has heard the val sources."""
    if split not in SPLITS:
        raise CribwatchError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    if split == "test":
        return h < TEST_SHARE
    if split == "train":
        return h >= TEST_SHARE
    if split == "val":
        return TEST_SHARE <= h < TEST_SHARE + VAL_SHARE
    return h >= TEST_SHARE + VAL_SHARE


def read_cry_train_list(path: Path = CRY_TRAIN_TSV) -> list[tuple[str, str]]:
    """(path, uuid) rows of the Donate-a-cry recordings allowed for training."""
    if not path.is_file():
        raise CribwatchError(f"{path}: Donate-a-cry training list not found")
    rows = []
    for line in path.read_text().splitlines()[1:]:
        if line.strip():
            p, u = line.split("\t")[:2]
            rows.append((p.strip(), u.strip()))
    return rows


def uuid_of(name: str) -> str:
    """The app-instance uuid that starts a Donate-a-cry file name."""
    stem = Path(name).name
    return "-".join(stem.split("-")[:5])


def donateacry_uuid(source: str, name: str) -> str | None:
    """The app instance (lower-case uuid) of a cries.tsv row (``source``, ``name``) when it is
    a Donate-a-cry recording (``<uuid>-<timestamp>-...``), else None."""
    if source == "real" and len(name) > 36 and name[36] == "-":
        return name[:36].lower()
    return None


def real_cry_files(donate_dir: Path, split: str) -> list[Path]:
    """Donate-a-cry recordings of ``split`` (see :func:`in_split`).

    train (fit, val): listed recordings whose uuid hashes into that part; test: the listed ones
    whose uuid hashes into the test part, plus every unlisted recording of a uuid not used in
    train.
    """
    rows = read_cry_train_list()
    listed = {p for p, _ in rows}
    hashes = {u: _hash01("uuid:" + u.lower()) for _, u in rows}
    train_uuids = {u for u, h in hashes.items() if in_split(h, "train")}
    keep = {u for u, h in hashes.items() if in_split(h, split)}
    if not donate_dir.is_dir():
        raise CribwatchError(
            f"{donate_dir}: Donate-a-cry corpus not found; run "
            "'cribwatch data fetch --only sounds --donateacry DIR' first"
        )
    out: list[Path] = []
    for p, u in rows:
        if u in keep and (donate_dir / p).is_file():
            out.append(donate_dir / p)
    if split == "test":
        for f in sorted(donate_dir.rglob("*.wav")):
            rel = f.relative_to(donate_dir).as_posix()
            if rel not in listed and uuid_of(f.name) not in train_uuids:
                out.append(f)
    if not out:
        raise CribwatchError(f"{donate_dir}: no Donate-a-cry recordings for split {split!r}")
    return sorted(out)


ESPEAK_WORDS = (
    "the baby is sleeping now and we should be quiet please come here look at this "
    "what time is it tomorrow morning dinner is ready where are my keys turn the light off "
    "hello darling good night sweet dreams I love you very much the weather is nice today "
    "can you hear me one two three four five six seven eight nine ten open the door "
    "the news tonight football game score weather forecast rain sunshine story once upon a time"
).split()


Parts = list[tuple[int, int, str]]
"""Where recordings lie in a piece of audio: (first sample, samples, source name)."""


def shift_parts(parts: Parts, start: int, limit: int) -> Parts:
    """``parts`` of a piece placed at ``start`` and cut to its first ``limit`` samples."""
    return [(start + a, min(n, limit - a), name) for a, n, name in parts if a < limit]


class SourcePool:
    """Decoded non-cry source recordings of one split, with an LRU cache. After each
    :meth:`clip` and :meth:`bed`, ``last_parts`` says which recordings the audio is made of
    (package file, espeak voice, or one synthetic draw each), so a set can list its sources."""

    def __init__(self, debian: Path, split: str, seed: int, cache_items: int = 96) -> None:
        self.split = split
        self.rng = np.random.default_rng(seed + 7919)
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_items = cache_items
        self.last_parts: Parts = []
        self._draws = 0
        self.files: dict[str, list[Path]] = {
            k: [] for k in ("speech", "animal", "music", "household")
        }

        def keep(p: Path) -> bool:
            return in_split(_hash01(p.name), split)

        tux = debian / "tuxpaint-stamps-default"
        for f in sorted(tux.rglob("*.ogg")):
            if "_desc" in f.name:
                if keep(f) and self.rng.random() < 0.15:
                    self.files["speech"].append(f)
            elif keep(f):
                animal = "animals" in f.parts or any(w in f.stem.lower() for w in ANIMAL_WORDS)
                self.files["animal" if animal else "household"].append(f)
        for f in sorted((debian / "ktuberling-data").rglob("*.ogg")):
            if keep(f):
                self.files["speech"].append(f)
        for f in sorted((debian / "sound-theme-freedesktop").rglob("*.oga")):
            if keep(f):
                self.files["household"].append(f)
        for f in sorted((debian / "supertux-data").rglob("*.ogg")):
            if "music" in f.parts and keep(f):
                self.files["music"].append(f)
        if split == "test":
            for f in sorted((debian / "asterisk-core-sounds-en-wav").rglob("*.wav")):
                self.files["speech"].append(f)
            for f in sorted((debian / "asterisk-moh-opsound-wav").rglob("*.wav")):
                self.files["music"].append(f)
        missing = [k for k, v in self.files.items() if not v]
        if missing:
            raise CribwatchError(
                f"{debian}: no {', '.join(missing)} sources; run "
                "'cribwatch data fetch --only sounds' first"
            )
        self.espeak = shutil.which("espeak-ng")
        if self.espeak is None:
            raise CribwatchError(
                "espeak-ng not found: install it (apt-get install espeak-ng) to build cry sets"
            )
        voices = self._voices()
        self.voices = [v for v in voices if in_split(_hash01("voice:" + v), split)]

    def _voices(self) -> list[str]:
        res = subprocess.run(
            [str(self.espeak), "--voices"], capture_output=True, text=True, check=False
        )
        langs = [ln.split()[1] for ln in res.stdout.splitlines()[1:] if len(ln.split()) > 1]
        return sorted(set(langs))

    def _load(self, f: Path) -> np.ndarray:
        key = str(f)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        try:
            x = read_audio(f)
        except CribwatchError:
            x = np.zeros(SR // 10, dtype=np.float32)
        if x.shape[0] > 90 * SR:
            x = x[: 90 * SR]
        self.cache[key] = x
        if len(self.cache) > self.cache_items:
            self.cache.popitem(last=False)
        return x

    def _synthetic(self, kind: str) -> str:
        """Name of one synthetic draw (each is a source of its own)."""
        self._draws += 1
        return f"synth:{kind}:{self._draws}"

    def espeak_clip(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """A sentence from espeak-ng in a random voice, variant, pitch and speed, and the
        voice's name (``espeak:VOICE+VARIANT``)."""
        voice = self.voices[int(rng.integers(len(self.voices)))]
        variant = ["", "+f1", "+f2", "+f3", "+f4", "+m1", "+m3", "+croak", "+whisper"][
            int(rng.integers(9))
        ]
        child = rng.random() < 0.3
        pitch = int(rng.integers(80, 100)) if child else int(rng.integers(20, 80))
        words = [
            ESPEAK_WORDS[int(i)] for i in rng.integers(0, len(ESPEAK_WORDS), rng.integers(3, 14))
        ]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "s.wav"
            cmd = [
                str(self.espeak),
                "-v",
                voice + variant,
                "-p",
                str(pitch),
                "-s",
                str(int(rng.integers(110, 220))),
                "-w",
                str(out),
                " ".join(words),
            ]
            subprocess.run(cmd, capture_output=True, check=False, timeout=60)
            try:
                x = read_audio(out)
            except CribwatchError:
                x = np.zeros(SR // 10, dtype=np.float32)
        return x, f"espeak:{voice}{variant}"

    def clip(self, kind: str, rng: np.random.Generator) -> np.ndarray:
        """One recording of ``kind`` (a noise type), trimmed of silence, float32 at 16 kHz."""
        if kind == "baby_noncry":
            x = synth_baby_noncry(rng)[0]
            self.last_parts = [(0, x.shape[0], self._synthetic(kind))]
            return x
        if kind == "speech" and rng.random() < 0.5:
            x, name = self.espeak_clip(rng)
        elif kind == "tv":
            return self.bed("tv", int(rng.uniform(3, 10) * SR), rng)
        elif kind in ("fan", "noise", "quiet"):
            return self.bed(kind, int(rng.uniform(2, 8) * SR), rng)
        else:
            files = self.files[kind]
            f = files[int(rng.integers(len(files)))]
            name = f"{f.parent.name}/{f.name}"
            x = self._load(f)
            if kind == "music" and x.shape[0] > 12 * SR:
                a = int(rng.integers(0, x.shape[0] - 10 * SR))
                x = x[a : a + int(rng.uniform(3, 10) * SR)]
        a, b = trim_silence(x)
        x = x[a:b]
        x = x if x.shape[0] > SR // 20 else np.zeros(SR // 10, dtype=np.float32)
        self.last_parts = [(0, x.shape[0], name)]
        return x

    def sequence(self, kind: str, n: int, rng: np.random.Generator, gap_s: Range) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        parts: Parts = []
        t = int(rng.uniform(0, gap_s[1]) * SR)
        while t < n:
            c = self.clip(kind, rng)
            parts += shift_parts(self.last_parts, t, min(c.shape[0], n - t))
            c = set_rms_db(c, rng.uniform(-6, 0)) if rms(c) > 1e-6 else c
            m = min(c.shape[0], n - t)
            out[t : t + m] += c[:m]
            t += m + int(rng.uniform(*gap_s) * SR)
        self.last_parts = parts
        return out

    def bed(self, kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """A continuous background of ``kind``, unit-ish RMS, ``n`` samples."""
        parts: Parts = []
        if kind == "noise":
            x = colored_noise(rng, n, ["white", "pink", "brown"][int(rng.integers(3))])
        elif kind == "quiet":
            x = colored_noise(rng, n, ["pink", "brown"][int(rng.integers(2))])
        elif kind == "fan":
            x = fan_noise(rng, n)
        elif kind == "music":
            x = np.zeros(0, dtype=np.float32)
            while x.shape[0] < n:
                f = self.files["music"][int(rng.integers(len(self.files["music"])))]
                y = self._load(f)
                a = int(rng.integers(0, max(1, y.shape[0] - n)))
                seg = y[a : a + n]
                track = f"{f.parent.name}/{f.name}"
                parts += shift_parts([(0, seg.shape[0], track)], x.shape[0], n - x.shape[0])
                x = np.concatenate([x, seg])
            x = x[:n]
        elif kind == "tv":
            speech = self.sequence("speech", n, rng, (0.1, 1.0))
            parts += self.last_parts
            music = self.bed("music", n, rng)
            parts += self.last_parts
            x = speech / (rms(speech) or 1) + music / (rms(music) or 1) * 10 ** (
                rng.uniform(-12, 0) / 20
            )
        elif kind in ("speech", "animal", "household", "baby_noncry"):
            gaps = {
                "speech": (0.2, 2.0),
                "animal": (1.0, 8.0),
                "household": (1.0, 8.0),
                "baby_noncry": (0.5, 5.0),
            }[kind]
            x = self.sequence(kind, n, rng, gaps)
            parts += self.last_parts
            x = x + 0.03 * colored_noise(rng, n, "pink") * (rms(x) or 1)
        else:
            raise CribwatchError(f"unknown noise type {kind!r}")
        if kind in ("noise", "quiet", "fan"):
            parts = [(0, n, self._synthetic(kind))]
        self.last_parts = parts
        r = rms(x)
        return (x / r if r > 1e-9 else x).astype(np.float32)


class RealCries:
    """Real infant cries of one split: 8 kHz clips up-sampled to 16 kHz, silence-trimmed."""

    def __init__(self, donate_dir: Path, split: str) -> None:
        self.files = real_cry_files(donate_dir, split)
        self.cache: dict[Path, np.ndarray] = {}
        self.order: list[int] = []

    def next(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """Cycle through the clips in a seeded random order."""
        if not self.order:
            self.order = list(rng.permutation(len(self.files)))
        f = self.files[int(self.order.pop())]
        if f not in self.cache:
            x = read_audio(f)  # resamples 8 kHz -> 16 kHz (polyphase), like a camera's 8 kHz path
            a, b = trim_silence(x)
            self.cache[f] = x[a:b]
        return self.cache[f], f.name


def unlisted_cry_files(donate_dir: Path) -> list[Path]:
    """Donate-a-cry recordings that are not in the training list and whose app instance (uuid)
    is not used for training: the independent real test cries."""
    rows = read_cry_train_list()
    listed = {p for p, _ in rows}
    train_uuids = {u.lower() for p, u in rows}
    if not donate_dir.is_dir():
        raise CribwatchError(f"{donate_dir}: Donate-a-cry corpus not found")
    out = [
        f
        for f in sorted(donate_dir.rglob("*.wav"))
        if f.relative_to(donate_dir).as_posix() not in listed
        and uuid_of(f.name).lower() not in train_uuids
    ]
    if not out:
        raise CribwatchError(f"{donate_dir}: no unlisted Donate-a-cry recordings")
    return out

"""Non-cry sources, real cries, the camera channel model, and the cry-set builder.

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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from cribwatch.cry.audio import SR, read_audio, resample, write_wav
from cribwatch.cry.synth import (
    DEFAULT_SYNTH,
    OUT_OF_RANGE,
    CrySynthConfig,
    colored_noise,
    fan_noise,
    reverb,
    smooth_noise,
    synth_baby_noncry,
    synth_cry,
)
from cribwatch.errors import CribwatchError
from cribwatch.io import write_json

Range = tuple[float, float]
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


@dataclass(frozen=True)
class ChannelConfig:
    """The camera's channel, applied to every recording after mixing."""

    narrowband_p: float = 0.5
    """Probability of the 8 kHz path (low-pass, down to 8 kHz, back up to 16 kHz)."""
    cutoff_hz: Range = (3400.0, 4000.0)
    """Low-pass cutoff of the 8 kHz path (Hz)."""
    codec_p: float = 0.5
    """Probability of G.711 companding (mu-law or A-law, 8 bits) on the 8 kHz path."""
    agc_p: float = 0.5
    """Probability of automatic gain control."""
    agc_target_dbfs: Range = (-30.0, -18.0)
    """Level the AGC pulls towards (dBFS RMS)."""
    agc_max_gain_db: Range = (6.0, 20.0)
    """Largest AGC gain (dB)."""
    agc_tau_s: Range = (0.3, 2.0)
    """AGC envelope time constant (s)."""
    dc: Range = (-0.01, 0.01)
    """DC offset (full scale)."""
    clip_p: float = 0.1
    """Probability of driving the signal into clipping."""
    clip_drive_db: Range = (1.0, 8.0)
    """How far the peak is driven past full scale when clipping (dB)."""


def g711(x: np.ndarray, law: str) -> np.ndarray:
    """8-bit G.711 companding round trip (mu-law mu=255 or A-law A=87.6) on [-1, 1] audio."""
    x = np.clip(x, -1.0, 1.0)
    a = np.abs(x)
    if law == "mu":
        y = np.log1p(255.0 * a) / np.log1p(255.0)
        y = np.round(y * 127.0) / 127.0
        out = np.expm1(y * np.log1p(255.0)) / 255.0
    else:
        A = 87.6
        lnA = 1.0 + np.log(A)
        y = np.where(a < 1 / A, A * a / lnA, (1.0 + np.log(np.maximum(A * a, 1e-12))) / lnA)
        y = np.round(y * 127.0) / 127.0
        out = np.where(y < 1 / lnA, y * lnA / A, np.exp(y * lnA - 1.0) / A)
    return (np.sign(x) * out).astype(np.float64)


def band_limit(
    x: np.ndarray, rng: np.random.Generator, cfg: ChannelConfig, codec: str
) -> np.ndarray:
    """The 8 kHz path: low-pass, 8 kHz, optional G.711, back to 16 kHz."""
    sos = butter(8, rng.uniform(*cfg.cutoff_hz), fs=SR, output="sos")
    y = sosfilt(sos, x)[::2]
    if codec != "none":
        y = g711(y, codec)
    return resample(y, 8000, SR).astype(np.float64)


def apply_channel(
    x: np.ndarray, rng: np.random.Generator, cfg: ChannelConfig = ChannelConfig()
) -> tuple[np.ndarray, dict[str, str]]:
    """Random camera channel: band, codec, AGC, DC offset, clipping. Returns (audio, info)."""
    y = np.asarray(x, dtype=np.float64)
    info = {"band": "16k", "codec": "none", "agc": "no", "clip": "no"}
    if rng.random() < cfg.narrowband_p:
        codec = "none"
        if rng.random() < cfg.codec_p:
            codec = "mu" if rng.random() < 0.5 else "a"
        y = band_limit(y, rng, cfg, codec)
        info.update(band="8k", codec=codec)
    if rng.random() < cfg.agc_p:
        tau = rng.uniform(*cfg.agc_tau_s)
        alpha = 1.0 / (tau * SR)
        env = np.sqrt(lfilter([alpha], [1.0, alpha - 1.0], y**2) + 1e-12)
        target = 10.0 ** (rng.uniform(*cfg.agc_target_dbfs) / 20.0)
        gmax = 10.0 ** (rng.uniform(*cfg.agc_max_gain_db) / 20.0)
        y = y * np.clip(target / env, 0.1, gmax)
        info["agc"] = "yes"
    y = y + rng.uniform(*cfg.dc)
    if rng.random() < cfg.clip_p:
        peak = float(np.max(np.abs(y))) + 1e-12
        y = y * (10.0 ** (rng.uniform(*cfg.clip_drive_db) / 20.0) / peak)
        info["clip"] = "yes"
    return np.clip(y, -1.0, 1.0).astype(np.float32), info


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20))


def set_rms_db(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x * (10.0 ** (dbfs / 20.0) / rms(x))).astype(np.float32)


def trim_silence(x: np.ndarray, rel_db: float = 35.0, floor_dbfs: float = -55.0) -> tuple[int, int]:
    """Sample span [a, b) between the first and last 25 ms frame louder than the threshold
    ``max(floor_dbfs, loudest frame - rel_db)``; pauses inside the span are kept."""
    hop = 400
    n = x.shape[0] // hop
    if n == 0:
        return 0, x.shape[0]
    fr = x[: n * hop].reshape(n, hop).astype(np.float64)
    db = 10 * np.log10(np.mean(fr**2, axis=1) + 1e-12)
    thr = max(floor_dbfs, float(db.max()) - rel_db)
    on = np.flatnonzero(db > thr)
    if on.size == 0:
        return 0, 0
    return int(on[0] * hop), int((on[-1] + 1) * hop)


# ----------------------------------------------------------------------------------- sources
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


@dataclass(frozen=True)
class RealAugConfig:
    """Ranges of the variants ``make-set --real-aug P`` makes of real cries: other babies (pitch
    and tempo), rooms and microphones. A few hundred real recordings are too few for a model to
    learn cries rather than those recordings (test cries of unseen babies scored lower)."""

    speed: Range = (0.87, 1.15)
    """Resampling factor: pitch and tempo together (f0 450 Hz becomes 390-520 Hz)."""
    eq_hz: Range = (300.0, 3000.0)
    """Centre of a random resonance boost or cut (log-uniform)."""
    eq_db: Range = (-8.0, 8.0)
    """Its gain (dB)."""
    highpass_p: float = 0.5
    """Probability of a small-microphone high-pass..."""
    highpass_hz: Range = (100.0, 400.0)
    """...with this cut-off."""
    reverb_p: float = 0.5
    """Probability of room reverberation..."""
    rt60_s: Range = (0.15, 0.6)
    wet: Range = (0.1, 0.4)
    swell_db: float = 3.0
    """Standard deviation of a slow level swell (dB, about 1 Hz)."""


def augment_real_cry(x: np.ndarray, rng: np.random.Generator, cfg: RealAugConfig) -> np.ndarray:
    """A variant of a real (16 kHz, narrowband) cry: speed, resonance, high-pass, room, swell.
    Content stays below 4 kHz, like the 8 kHz recordings it comes from."""
    r = float(rng.uniform(*cfg.speed))
    y = resample(x, int(round(100 * r)), 100).astype(np.float64)  # played r times faster
    if r > 1.0:
        y = sosfilt(butter(8, 3800.0, "lowpass", fs=SR, output="sos"), y)
    fc = float(np.exp(rng.uniform(np.log(cfg.eq_hz[0]), np.log(cfg.eq_hz[1]))))
    band = sosfilt(butter(2, [fc / 1.4, min(fc * 1.4, 3900.0)], "bandpass", fs=SR, output="sos"), y)
    y = y + (10 ** (rng.uniform(*cfg.eq_db) / 20) - 1.0) * band
    if rng.random() < cfg.highpass_p:
        y = sosfilt(butter(2, rng.uniform(*cfg.highpass_hz), "highpass", fs=SR, output="sos"), y)
    if rng.random() < cfg.reverb_p:
        y = reverb(rng, y, rng.uniform(*cfg.rt60_s), rng.uniform(*cfg.wet))
    y = y * 10 ** (cfg.swell_db * smooth_noise(rng, y.shape[0], 1.0) / 20)
    return y.astype(np.float32)


# -------------------------------------------------------------------------------- set builder
@dataclass(frozen=True)
class SetConfig:
    """How ``cribwatch cry make-set`` composes a cry set."""

    mixture_s: float = 30.0
    """Length of a mixture (s), as in DCASE 2017 Task 2."""
    ebr_db: tuple[float, ...] = (-6.0, 0.0, 6.0)
    """Event-to-background ratios (dB) of the cries in mixtures."""
    real_share: float = 0.6
    """Share of mixture cries that are real recordings (the rest synthesized)."""
    cryfree_file_s: float = 300.0
    """Length of a long cry-free recording (s)."""
    quiet_share: float = 0.1
    """Share of the cry-free hours that are very quiet recordings."""
    bed_dbfs: Range = (-45.0, -20.0)
    """Background level of mixtures and cry-free recordings (dBFS RMS)."""
    event_dbfs: Range = (-50.0, -12.0)
    """Level of non-cry events in cry-free recordings (dBFS RMS)."""
    quiet_dbfs: Range = (-75.0, -55.0)
    """Background level of very quiet recordings (dBFS RMS)."""
    event_gap_s: Range = (2.0, 25.0)
    """Gap between non-cry events laid over cry-free backgrounds (s)."""
    distractor_p: float = 0.5
    """Probability that a mixture also carries one non-cry event."""
    narrow_event_p: float = 0.4
    """Probability that a non-cry event is band-limited to 8 kHz before mixing (real cries all
    are, so that narrowband does not mean cry)."""
    channel: ChannelConfig = field(default_factory=ChannelConfig)
    """The camera channel put on every recording after mixing."""
    real_aug_p: float = 0.0
    """Probability that a real cry is replaced by a variant (:func:`augment_real_cry`); 0 keeps
    the recordings as they are (and the sets of earlier versions seed for seed)."""
    real_aug: RealAugConfig = field(default_factory=RealAugConfig)


MIX_BEDS = ("noise", "fan", "music", "tv", "speech", "household")
FREE_BEDS = ("noise", "fan", "music", "tv", "speech", "household", "animal", "baby_noncry")
EVENT_TYPES = ("speech", "animal", "music", "household", "baby_noncry", "tv")


def _maybe_narrow(x: np.ndarray, rng: np.random.Generator, cfg: SetConfig) -> np.ndarray:
    if rng.random() < cfg.narrow_event_p:
        return band_limit(x, rng, cfg.channel, "none").astype(np.float32)[: x.shape[0]]
    return x


def _write_tables(
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
class _SetWriter:
    """The audio folder and the tables of a cry set being written, rows in file order."""

    audio_dir: Path
    rng: np.random.Generator
    channel: ChannelConfig
    total: int
    progress: Callable[[int, int], None] | None
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
        _write_tables(out, self.labels, self.noise, self.cries, self.channels, self.sources)


def _mixture_cry(
    real: RealCries,
    rng: np.random.Generator,
    cfg: SetConfig,
    synth_cfg: CrySynthConfig,
    split_seed: int,
    i: int,
) -> tuple[np.ndarray, str, str]:
    """The cry of mixture ``i``: (samples, source ``real``/``synth``, source name)."""
    if rng.random() < cfg.real_share:
        cry, src_name = real.next(rng)
        if cfg.real_aug_p > 0 and rng.random() < cfg.real_aug_p:
            cry = augment_real_cry(cry, rng, cfg.real_aug)
            src_name += "+variant"
        return cry, "real", src_name
    cry, _ = synth_cry(rng, synth_cfg)
    a, b = trim_silence(cry)
    return cry[a:b], "synth", f"seed{split_seed}-{i}"


def _write_mixture(
    w: _SetWriter,
    i: int,
    pool: SourcePool,
    real: RealCries,
    cfg: SetConfig,
    synth_cfg: CrySynthConfig,
    split_seed: int,
) -> None:
    """Mixture ``i``: a noise bed, maybe a distractor event, one cry at an EBR of ``cfg``."""
    rng = w.rng
    n = int(cfg.mixture_s * SR)
    name = f"mix_{i:05d}.wav"
    bed_kind = MIX_BEDS[int(rng.integers(len(MIX_BEDS)))]
    bed = pool.bed(bed_kind, n, rng) * 10 ** (rng.uniform(*cfg.bed_dbfs) / 20)
    w.add_sources(name, pool.last_parts)
    w.noise.append(f"{name}\t0.000\t{cfg.mixture_s:.3f}\t{bed_kind}")
    if rng.random() < cfg.distractor_p:
        kind = EVENT_TYPES[int(rng.integers(len(EVENT_TYPES)))]
        ev = _maybe_narrow(pool.clip(kind, rng), rng, cfg)[: n // 2]
        ev_parts = pool.last_parts
        ev = set_rms_db(ev, 20 * np.log10(rms(bed)) + rng.uniform(-6, 6))
        t0 = int(rng.integers(0, n - ev.shape[0]))
        w.add_sources(name, shift_parts(ev_parts, t0, ev.shape[0]))
        bed[t0 : t0 + ev.shape[0]] += ev
        w.noise.append(f"{name}\t{t0 / SR:.3f}\t{(t0 + ev.shape[0]) / SR:.3f}\t{kind}")
    cry, source, src_name = _mixture_cry(real, rng, cfg, synth_cfg, split_seed, i)
    cry = cry[: int((cfg.mixture_s - 2.0) * SR)]
    t0 = int(rng.integers(int(0.5 * SR), n - cry.shape[0] - int(0.5 * SR)))
    span = slice(t0, t0 + cry.shape[0])
    ebr = float(cfg.ebr_db[int(rng.integers(len(cfg.ebr_db)))])
    cry = cry * (rms(bed[span]) * 10 ** (ebr / 20) / rms(cry))
    mix = bed.copy()
    mix[span] += cry
    on, off = t0 / SR, (t0 + cry.shape[0]) / SR
    w.labels.append(f"{name}\t{on:.3f}\t{off:.3f}\tcry")
    w.cries.append(f"{name}\t{on:.3f}\t{off:.3f}\t{source}\t{src_name}\t{ebr:g}")
    w.finish(name, mix)


def _write_cryfree(w: _SetWriter, i: int, quiet: bool, pool: SourcePool, cfg: SetConfig) -> None:
    """Cry-free recording ``i``: a bed (very quiet ones for ``quiet``) with events at gaps."""
    rng = w.rng
    nf = int(cfg.cryfree_file_s * SR)
    name = f"{'quiet' if quiet else 'free'}_{i:05d}.wav"
    bed_kind = "quiet" if quiet else FREE_BEDS[int(rng.integers(len(FREE_BEDS)))]
    lvl = rng.uniform(*(cfg.quiet_dbfs if quiet else cfg.bed_dbfs))
    x = pool.bed(bed_kind, nf, rng) * 10 ** (lvl / 20)
    w.add_sources(name, pool.last_parts)
    w.noise.append(f"{name}\t0.000\t{cfg.cryfree_file_s:.3f}\t{bed_kind}")
    t = int(rng.uniform(*cfg.event_gap_s) * SR)
    while t < nf:
        kind = EVENT_TYPES[int(rng.integers(len(EVENT_TYPES)))]
        ev = _maybe_narrow(pool.clip(kind, rng), rng, cfg)[: nf - t]
        w.add_sources(name, shift_parts(pool.last_parts, t, ev.shape[0]))
        ev_lvl = rng.uniform(lvl, lvl + 15) if quiet else rng.uniform(*cfg.event_dbfs)
        ev = set_rms_db(ev, ev_lvl)
        x[t : t + ev.shape[0]] += ev
        w.noise.append(f"{name}\t{t / SR:.3f}\t{(t + ev.shape[0]) / SR:.3f}\t{kind}")
        t += ev.shape[0] + int(rng.uniform(*cfg.event_gap_s) * SR)
    w.finish(name, x)


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
    progress: Callable[[int, int], None] | None = None,
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
    w = _SetWriter(out / "audio", rng, cfg.channel, total, progress)
    w.audio_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n_mix):
        _write_mixture(w, i, pool, real, cfg, synth_cfg, split_seed)
    for i in range(n_free + n_quiet):
        _write_cryfree(w, i, i >= n_free, pool, cfg)
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


def total_hours(n_mix: int, n_long: int, cfg: SetConfig) -> float:
    return (n_mix * cfg.mixture_s + n_long * cfg.cryfree_file_s) / 3600.0


# ------------------------------------------------------------------------ independent real set
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


def build_real_set(
    out: Path,
    *,
    data_dir: Path = Path("data"),
    pad_s: float = 2.0,
    cryfree_file_s: float = 300.0,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
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
    _write_tables(out, labels, noise_rows, cry_rows, chan_rows, source_rows)
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

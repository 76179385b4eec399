"""Composing a cry set's recordings: the set's config, variants of real cries, mixtures (a
noise bed, maybe a distractor, one cry at an event-to-background ratio) and cry-free recordings
(a bed with non-cry events at gaps)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, sosfilt

from cribwatch.cry.audio import SR, resample
from cribwatch.cry.channel import ChannelConfig, band_limit
from cribwatch.cry.levels import rms, set_rms_db, trim_silence
from cribwatch.cry.sets import SetWriter
from cribwatch.cry.sources import RealCries, SourcePool, shift_parts
from cribwatch.cry.synth import CrySynthConfig, Range, reverb, smooth_noise, synth_cry


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


def maybe_narrow(x: np.ndarray, rng: np.random.Generator, cfg: SetConfig) -> np.ndarray:
    if rng.random() < cfg.narrow_event_p:
        return band_limit(x, rng, cfg.channel, "none").astype(np.float32)[: x.shape[0]]
    return x


def mixture_cry(
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


def write_mixture(
    w: SetWriter,
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
        ev = maybe_narrow(pool.clip(kind, rng), rng, cfg)[: n // 2]
        ev_parts = pool.last_parts
        ev = set_rms_db(ev, 20 * np.log10(rms(bed)) + rng.uniform(-6, 6))
        t0 = int(rng.integers(0, n - ev.shape[0]))
        w.add_sources(name, shift_parts(ev_parts, t0, ev.shape[0]))
        bed[t0 : t0 + ev.shape[0]] += ev
        w.noise.append(f"{name}\t{t0 / SR:.3f}\t{(t0 + ev.shape[0]) / SR:.3f}\t{kind}")
    cry, source, src_name = mixture_cry(real, rng, cfg, synth_cfg, split_seed, i)
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


def write_cryfree(w: SetWriter, i: int, quiet: bool, pool: SourcePool, cfg: SetConfig) -> None:
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
        ev = maybe_narrow(pool.clip(kind, rng), rng, cfg)[: nf - t]
        w.add_sources(name, shift_parts(pool.last_parts, t, ev.shape[0]))
        ev_lvl = rng.uniform(lvl, lvl + 15) if quiet else rng.uniform(*cfg.event_dbfs)
        ev = set_rms_db(ev, ev_lvl)
        x[t : t + ev.shape[0]] += ev
        w.noise.append(f"{name}\t{t / SR:.3f}\t{(t + ev.shape[0]) / SR:.3f}\t{kind}")
        t += ev.shape[0] + int(rng.uniform(*cfg.event_gap_s) * SR)
    w.finish(name, x)


def total_hours(n_mix: int, n_long: int, cfg: SetConfig) -> float:
    return (n_mix * cfg.mixture_s + n_long * cfg.cryfree_file_s) / 3600.0

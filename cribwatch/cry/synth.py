"""Infant cry synthesizer, baby-related non-cry vocalisations and synthetic noises.

The cry model is a source-filter model driven by published infant-cry acoustics
(e.g. Zeskind & Lester; Wasz-Hockert et al. 1968; LaGasse, Neal & Lester 2005 review):

- fundamental frequency (f0) mostly 350-650 Hz (mean about 450 Hz) with a rise-fall contour
  in each expiratory unit (:attr:`CrySynthConfig.f0_hz`, :attr:`CrySynthConfig.f0_rise`);
- hyperphonated stretches with f0 jumping to 1-2 kHz (:attr:`CrySynthConfig.hyper_f0_hz`);
- expiratory units of 0.5-2.5 s separated by inhalations of 0.1-0.6 s, some with an
  inspiratory whistle (stridor);
- harmonic-rich spectrum with a spectral tilt, shaped by three vocal-tract resonances of the
  short infant tract (F1 ~ 0.7-1.4 kHz, F2 ~ 1.8-3.4 kHz, F3 ~ 3.6-5.5 kHz);
- jitter (cycle-to-cycle f0 perturbation) and shimmer (amplitude perturbation) above adult
  values, phonation breaks, noisy (dysphonated) segments, intensity swells;
- room reverberation (exponentially decaying noise impulse response, RT60 0.05-0.7 s).

Every parameter is drawn per sample from the ranges of a frozen config. :data:`OUT_OF_RANGE`
is a config whose ranges lie outside the training ranges, to measure generalisation.

Baby-related non-cry sounds (cooing, babbling, laughing, short fussing) use the same voice
model with other contours, durations and intensities. All functions take a
``numpy.random.Generator`` and return float32 audio at 16 kHz with peak <= 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import butter, fftconvolve, sosfilt

from cribwatch.cry.audio import SR

Range = tuple[float, float]


@dataclass(frozen=True)
class CrySynthConfig:
    """Ranges the cry synthesizer draws each sample's parameters from."""

    f0_hz: Range = (350.0, 650.0)
    """Base fundamental frequency of a bout (Hz)."""
    f0_rise: Range = (1.05, 1.45)
    """Peak/start ratio of the rise-fall f0 contour in each expiratory unit."""
    unit_s: Range = (0.5, 2.5)
    """Duration of one expiratory unit (s)."""
    inhale_s: Range = (0.1, 0.6)
    """Duration of the inhalation between units (s)."""
    n_units: tuple[int, int] = (2, 8)
    """Number of expiratory units in a bout (inclusive)."""
    whistle_p: float = 0.3
    """Probability that an inhalation carries an inspiratory whistle."""
    hyper_p: float = 0.25
    """Probability that a unit has a hyperphonated stretch."""
    hyper_f0_hz: Range = (1000.0, 2000.0)
    """f0 during hyperphonation (Hz)."""
    jitter: Range = (0.005, 0.03)
    """Relative f0 perturbation (std)."""
    shimmer: Range = (0.03, 0.15)
    """Relative amplitude perturbation (std)."""
    break_p: float = 0.3
    """Probability that a unit has a phonation break (short silence or octave jump)."""
    dysphonia_p: float = 0.3
    """Probability that a unit has a noisy (dysphonated) segment."""
    tilt_db_oct: Range = (-12.0, -4.0)
    """Spectral tilt of the glottal source (dB per octave)."""
    f1_hz: Range = (700.0, 1400.0)
    """First resonance (Hz)."""
    f2_hz: Range = (1800.0, 3400.0)
    """Second resonance (Hz)."""
    f3_hz: Range = (3600.0, 5500.0)
    """Third resonance (Hz)."""
    swell_db: Range = (0.0, 10.0)
    """Depth of the slow intensity swell over a unit (dB)."""
    rt60_s: Range = (0.05, 0.7)
    """Reverberation time of the room (s)."""
    wet: Range = (0.05, 0.5)
    """Reverberant share of the output."""


DEFAULT_SYNTH = CrySynthConfig()

OUT_OF_RANGE = replace(
    DEFAULT_SYNTH,
    f0_hz=(250.0, 340.0),
    f0_rise=(1.5, 1.8),
    unit_s=(2.6, 4.0),
    inhale_s=(0.6, 0.9),
    n_units=(2, 4),
    hyper_p=0.5,
    hyper_f0_hz=(2000.0, 2600.0),
    jitter=(0.03, 0.05),
    f1_hz=(500.0, 700.0),
    rt60_s=(0.7, 1.2),
    wet=(0.5, 0.7),
)
"""Synthesizer settings outside the training ranges (lower f0, longer units, stronger
hyperphonation, jitter and reverberation), for the generalisation test set."""


def _u(rng: np.random.Generator, r: Range) -> float:
    return float(rng.uniform(r[0], r[1]))


def smooth_noise(rng: np.random.Generator, n: int, rate_hz: float) -> np.ndarray:
    """Unit-variance noise varying at about ``rate_hz`` (linear interpolation of knots)."""
    k = max(2, int(n / SR * rate_hz) + 2)
    knots = rng.standard_normal(k)
    return np.interp(np.linspace(0, k - 1, n), np.arange(k), knots)


def _envelope(n: int, attack: float, release: float) -> np.ndarray:
    t = np.arange(n) / SR
    dur = n / SR
    a = np.clip(t / max(attack, 1e-3), 0, 1)
    r = np.clip((dur - t) / max(release, 1e-3), 0, 1)
    return np.minimum(a, r) ** 1.5


def voice(
    rng: np.random.Generator,
    f0: np.ndarray,
    *,
    tilt_db_oct: float,
    formants: tuple[float, float, float],
    shimmer: float,
    breath: float = 0.0,
) -> np.ndarray:
    """Harmonic voice with time-varying f0 (Hz per sample), formant envelope and shimmer."""
    n = f0.shape[0]
    phase = 2.0 * np.pi * np.cumsum(f0) / SR
    out = np.zeros(n)
    bws = (0.18, 0.12, 0.1)
    fmax = float(f0.max())
    k_max = max(1, int(7600.0 / max(fmax, 50.0)))
    for k in range(1, k_max + 1):
        fk = k * f0
        amp = k ** (tilt_db_oct / 6.02)
        env: np.ndarray | float = 0.15
        for fj, bw, g in zip(formants, bws, (1.0, 0.7, 0.4), strict=True):
            env = env + g / (1.0 + ((fk - fj) / (bw * fj)) ** 2)
        alive = fk < 7800.0
        out += amp * env * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) * alive
    out *= 1.0 + shimmer * smooth_noise(rng, n, 80.0)
    if breath > 0:
        out += breath * np.std(out) * formant_noise(rng, n, formants)
    return out


def formant_noise(rng: np.random.Generator, n: int, formants: tuple[float, ...]) -> np.ndarray:
    """Noise shaped by resonances (frequency domain), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    shape = np.full_like(f, 0.05)
    for fj in formants:
        shape += 1.0 / (1.0 + ((f - fj) / (0.2 * fj)) ** 2)
    y = np.fft.irfft(spec * shape, n)
    return y / (np.std(y) + 1e-12)


def reverb(rng: np.random.Generator, x: np.ndarray, rt60: float, wet: float) -> np.ndarray:
    """Convolve with an exponentially decaying noise impulse response and mix."""
    n_ir = max(16, int(rt60 * SR))
    t = np.arange(n_ir) / SR
    ir = rng.standard_normal(n_ir) * 10.0 ** (-3.0 * t / rt60)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    y = fftconvolve(x, ir)[: x.shape[0]]
    dry_rms = np.sqrt(np.mean(x**2)) + 1e-12
    y *= dry_rms / (np.sqrt(np.mean(y**2)) + 1e-12)
    return (1.0 - wet) * x + wet * y


def _normalise(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (peak / m) if m > 0 else x).astype(np.float32)


def synth_cry(
    rng: np.random.Generator, cfg: CrySynthConfig = DEFAULT_SYNTH
) -> tuple[np.ndarray, dict[str, float]]:
    """One cry bout. Returns (audio, parameters); the bout spans the whole returned signal."""
    base = _u(rng, cfg.f0_hz)
    tilt = _u(rng, cfg.tilt_db_oct)
    formants = (_u(rng, cfg.f1_hz), _u(rng, cfg.f2_hz), _u(rng, cfg.f3_hz))
    jit = _u(rng, cfg.jitter)
    shim = _u(rng, cfg.shimmer)
    n_units = int(rng.integers(cfg.n_units[0], cfg.n_units[1] + 1))
    parts: list[np.ndarray] = []
    for u in range(n_units):
        dur = _u(rng, cfg.unit_s)
        n = int(dur * SR)
        t = np.arange(n) / SR
        peak_pos = rng.uniform(0.25, 0.6)
        shape = np.where(
            t / dur < peak_pos,
            np.sin(0.5 * np.pi * t / (dur * peak_pos)),
            np.cos(0.5 * np.pi * (t / dur - peak_pos) / (1 - peak_pos)),
        )
        rise = _u(rng, cfg.f0_rise)
        f0_unit = base * rng.uniform(0.92, 1.08)
        f0 = f0_unit * (1.0 + (rise - 1.0) * np.clip(shape, 0, 1))
        f0 *= 1.0 + jit * smooth_noise(rng, n, 200.0)
        f0 *= 1.0 + 0.02 * np.sin(2 * np.pi * rng.uniform(4, 8) * t)
        if rng.random() < cfg.hyper_p:
            a = rng.uniform(0.1, 0.6) * n
            b = min(n, a + rng.uniform(0.15, 0.5) * SR)
            seg = slice(int(a), int(b))
            f0[seg] = _u(rng, cfg.hyper_f0_hz) * (
                1.0 + jit * smooth_noise(rng, int(b) - int(a), 200)
            )
        x = voice(rng, f0, tilt_db_oct=tilt, formants=formants, shimmer=shim, breath=0.05)
        x /= np.std(x) + 1e-12
        if rng.random() < cfg.dysphonia_p:
            a = int(rng.uniform(0.0, 0.7) * n)
            b = min(n, a + int(rng.uniform(0.1, 0.6) * SR))
            mix = rng.uniform(0.5, 1.0)
            x[a:b] = (1 - mix) * x[a:b] + mix * formant_noise(rng, b - a, formants)
        if rng.random() < cfg.break_p:
            a = int(rng.uniform(0.2, 0.8) * n)
            b = min(n, a + int(rng.uniform(0.02, 0.15) * SR))
            x[a:b] *= 0.05
        swell = 10.0 ** (-_u(rng, cfg.swell_db) / 20.0 * (1.0 - np.clip(shape, 0, 1)))
        x *= swell * _envelope(n, rng.uniform(0.03, 0.12), rng.uniform(0.05, 0.25))
        x *= 10.0 ** (rng.uniform(-4, 4) / 20.0)
        parts.append(x)
        if u < n_units - 1:
            m = int(_u(rng, cfg.inhale_s) * SR)
            gap = 0.01 * rng.standard_normal(m) * _envelope(m, 0.02, 0.02)
            if rng.random() < cfg.whistle_p:
                tw = np.arange(m) / SR
                fw = rng.uniform(900, 2500) * (1 + 0.2 * tw / max(tw[-1], 1e-3))
                gap += (
                    rng.uniform(0.05, 0.3)
                    * np.sin(2 * np.pi * np.cumsum(fw) / SR)
                    * _envelope(m, 0.03, 0.03)
                )
            parts.append(gap)
    y = np.concatenate(parts)
    y = reverb(rng, y, _u(rng, cfg.rt60_s), _u(rng, cfg.wet))
    params = {"f0_hz": base, "n_units": float(n_units), "f1_hz": formants[0], "jitter": jit}
    return _normalise(y), params


def synth_baby_noncry(rng: np.random.Generator, kind: str | None = None) -> tuple[np.ndarray, str]:
    """Cooing, babbling, laughing or short fussing with the cry voice model."""
    kinds = ("coo", "babble", "laugh", "fuss")
    kind = kind or kinds[int(rng.integers(len(kinds)))]
    formants = (rng.uniform(700, 1300), rng.uniform(1800, 3200), rng.uniform(3600, 5200))
    parts: list[np.ndarray] = []
    if kind == "coo":
        n_seg, dur_r, gap_r, f0_r, tilt = (
            int(rng.integers(1, 5)),
            (0.2, 0.8),
            (0.3, 1.5),
            (220, 400),
            -14,
        )
    elif kind == "babble":
        n_seg, dur_r, gap_r, f0_r, tilt = (
            int(rng.integers(4, 14)),
            (0.08, 0.25),
            (0.03, 0.2),
            (250, 450),
            -10,
        )
    elif kind == "laugh":
        n_seg, dur_r, gap_r, f0_r, tilt = (
            int(rng.integers(3, 10)),
            (0.06, 0.15),
            (0.08, 0.2),
            (300, 600),
            -9,
        )
    else:
        n_seg, dur_r, gap_r, f0_r, tilt = (
            int(rng.integers(1, 4)),
            (0.15, 0.45),
            (0.3, 1.0),
            (350, 550),
            -8,
        )
    base = rng.uniform(*f0_r)
    for _ in range(n_seg):
        n = int(rng.uniform(*dur_r) * SR)
        t = np.arange(n) / SR
        if kind == "coo":
            f0 = base * (1 + rng.uniform(-0.15, 0.15) * t / max(t[-1], 1e-3))
        elif kind == "babble":
            f0 = base * rng.uniform(0.9, 1.15) * (1 - 0.1 * t / max(t[-1], 1e-3))
        elif kind == "laugh":
            f0 = base * rng.uniform(0.9, 1.2) * np.ones(n)
        else:
            f0 = base * (1 + 0.15 * np.sin(np.pi * t / max(t[-1], 1e-3)))
        f0 = f0 * (1 + 0.01 * smooth_noise(rng, n, 150))
        breath = {"coo": 0.1, "babble": 0.2, "laugh": 0.8, "fuss": 0.2}[kind]
        x = voice(rng, f0, tilt_db_oct=tilt, formants=formants, shimmer=0.05, breath=breath)
        x /= np.std(x) + 1e-12
        x *= _envelope(n, 0.02, 0.04)
        if kind == "babble":
            m = int(rng.uniform(0.02, 0.06) * SR)
            burst = 0.5 * formant_noise(rng, m, (3000.0, 5000.0)) * _envelope(m, 0.005, 0.01)
            parts.append(burst)
        parts.append(x)
        parts.append(np.zeros(int(rng.uniform(*gap_r) * SR)))
    y = reverb(rng, np.concatenate(parts), rng.uniform(0.05, 0.5), rng.uniform(0.05, 0.4))
    return _normalise(y), kind


def colored_noise(rng: np.random.Generator, n: int, color: str) -> np.ndarray:
    """White, pink (1/f) or brown (1/f^2) noise of unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    f[0] = f[1]
    power = {"white": 0.0, "pink": 1.0, "brown": 2.0}[color]
    y = np.fft.irfft(spec / f ** (power / 2.0), n)
    return (y / (np.std(y) + 1e-12)).astype(np.float32)


def fan_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fan or air-conditioner: low-passed noise, mains hum harmonics and a blade-pass tone."""
    t = np.arange(n) / SR
    sos = butter(2, rng.uniform(300, 2500), fs=SR, output="sos")
    y = sosfilt(sos, rng.standard_normal(n))
    y /= np.std(y) + 1e-12
    mains = 50.0 if rng.random() < 0.5 else 60.0
    for k in (1, 2, 3, 4):
        y += rng.uniform(0, 0.5) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.3))
    blade = rng.uniform(20, 200)
    y += (
        rng.uniform(0, 0.4)
        * np.sin(2 * np.pi * blade * t)
        * (1 + 0.3 * np.sin(2 * np.pi * 0.2 * t))
    )
    y *= 1 + 0.1 * smooth_noise(rng, n, 0.5)
    return (y / (np.std(y) + 1e-12)).astype(np.float32)

"""The integer pitch check (blob version 5): C (``cw_pitch_frame``, built with ASan + UBSan)
against its numpy twin (``cribwatch.cry.postprocess.int_pitch_frames_q``), bit for bit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cribwatch.board.build import TEST_SOURCES, build_program
from cribwatch.cry.api import DEFAULT_WEIGHTS
from cribwatch.cry.board_export import model_blob
from cribwatch.cry.intref import IntModel
from cribwatch.cry.postprocess import (
    PITCH_FRAME,
    PITCH_HOP,
    PITCH_N8,
    FilterConfig,
    cry_voiced,
    int_pitch_frames_q,
    int_pitch_tables,
    pitch_frames,
)

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")

SR = 16000


def stress_audio() -> np.ndarray:
    """2.6 s of int16 audio that reaches every path: silence, a DC offset, full-scale square
    waves and noise, -32768 held, one-LSB noise, harmonic tones from 180 to 2100 Hz, a chirp."""
    rng = np.random.default_rng(27)
    t = np.arange(int(0.2 * SR)) / SR
    parts = [
        np.zeros(t.size),
        np.full(t.size, 1234.0),
        np.where(np.sin(2 * np.pi * 450 * t) >= 0, 32767.0, -32768.0),
        rng.integers(-32768, 32768, t.size).astype(float),
        np.full(t.size, -32768.0),
        rng.integers(-1, 2, t.size).astype(float),
    ]
    for f0 in (180.0, 420.0, 900.0, 2100.0):
        x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
        parts.append(12000.0 * x / np.max(np.abs(x)) + rng.normal(0, 300, t.size))
    tc = np.arange(int(0.6 * SR)) / SR
    parts.append(20000.0 * np.sin(2 * np.pi * (200 * tc + 1500 * tc**2)))
    return np.clip(np.rint(np.concatenate(parts)), -32768, 32767).astype(np.int16)


def direct_q(x16: np.ndarray, cfg: FilterConfig) -> tuple[np.ndarray, np.ndarray]:
    """The same check with the autocorrelation as explicit integer sums (no FFT)."""
    tb = int_pitch_tables(cfg.f0_min_hz, cfg.f0_max_hz, cfg.harmonicity_min)
    lags, hs = [], []
    x = x16.astype(np.int64)
    for a in range(0, x.size - PITCH_FRAME + 1, PITCH_HOP):
        f = x[a : a + PITCH_FRAME]
        y = f[0 : 2 * PITCH_N8 : 2] + 3 * f[1 : 2 * PITCH_N8 + 1 : 2]
        y = y + 3 * f[2 : 2 * PITCH_N8 + 2 : 2] + f[3 : 2 * PITCH_N8 + 3 : 2]
        d = PITCH_N8 * y - int(y.sum())
        m, s = int(np.abs(d).max()), 0
        while (m + (1 << s >> 1)) >> s > 2047:
            s += 1
        v = (((d + (1 << s >> 1)) >> s) * tb.window_q15 + (1 << 14)) >> 15
        assert int(np.abs(v).max(initial=0)) <= 2048
        ac = [int(np.dot(v[: PITCH_N8 - k], v[k:])) for k in range(tb.lag_hi)]
        assert max(abs(c) for c in ac) < 2**31
        r = [ac[k] * int(tb.gain_q15[k]) for k in range(tb.lag_lo, tb.lag_hi)]
        best, first = max(r), 0
        for i in range(1, len(r) - 1):
            if r[i] >= r[i - 1] and r[i] >= r[i + 1] and 10 * r[i] >= 9 * best:
                first = i
                break
        lags.append(first + tb.lag_lo)
        hs.append(min(max(r[first] // ac[0], 0), 32768) if ac[0] > 0 else 0)
    return np.array(lags), np.array(hs)


@pytest.fixture(scope="module")
def cw_test() -> Path:
    return build_program("sanitize", "cw_test", TEST_SOURCES)


@pytest.mark.parametrize(
    "cfg",
    [FilterConfig(), FilterConfig(f0_min_hz=300.0, f0_max_hz=1200.0, harmonicity_min=0.8)],
    ids=["card", "narrow"],
)
def test_c_integer_pitch_bit_exact(tmp_path: Path, cw_test: Path, cfg: FilterConfig) -> None:
    """Every frame's lag, Q15 harmonicity and cry-voiced flag equal in C and numpy (and the
    numpy FFT autocorrelation equal to explicit integer sums)."""
    x = stress_audio()
    blob, pcm = tmp_path / "m.cwb", tmp_path / "x.pcm"
    blob.write_bytes(model_blob(IntModel.load(DEFAULT_WEIGHTS.with_name("cry_int8.cwq")), cfg))
    x.astype("<i2").tofile(pcm)
    out = subprocess.run([str(cw_test), "pitch", str(blob), str(pcm)], capture_output=True)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    c = np.array([[int(v) for v in line.split()] for line in out.stdout.decode().splitlines()])
    lag, hq = int_pitch_frames_q(x, cfg)
    icfg = FilterConfig(**{**cfg.to_dict(), "pitch_arith": "integer"})  # type: ignore[arg-type]
    voiced = cry_voiced(*pitch_frames(x / 32768.0, icfg), icfg)
    assert c.shape == (lag.size, 3)
    assert np.array_equal(c[:, 0], lag) and np.array_equal(c[:, 1], hq)
    assert np.array_equal(c[:, 2].astype(bool), voiced)
    dl, dh = direct_q(x, cfg)
    assert np.array_equal(dl, lag) and np.array_equal(dh, hq)
    assert 0 < voiced.sum() < voiced.size  # both outcomes occur


def test_integer_check_is_a_config_choice() -> None:
    """``pitch_arith`` selects the computation; the float check stays the default."""
    x = stress_audio() / 32768.0
    f_default = pitch_frames(x)
    f_float = pitch_frames(x, FilterConfig(pitch_arith="float"))
    f_int = pitch_frames(x, FilterConfig(pitch_arith="integer"))
    assert all(np.array_equal(a, b) for a, b in zip(f_default, f_float, strict=True))
    assert f_int[0].shape == f_float[0].shape
    assert FilterConfig.from_dict({"pitch_arith": "integer"}).pitch_arith == "integer"
    with pytest.raises(Exception, match="pitch_arith"):
        FilterConfig.from_dict({"pitch_arith": "fixed"})

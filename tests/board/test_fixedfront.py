"""The board's fixed-point front end: its tables, its closeness to the float front end, and C
against the numpy twin bit for bit (host, and mipsel where the cross tools are)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from cribwatch.board.build import have_cross
from cribwatch.cry.api import DEFAULT_WEIGHTS
from cribwatch.cry.audio import SR, read_audio, write_wav
from cribwatch.cry.board import DEMO_AUDIO, CheckConfig, check
from cribwatch.cry.features import WINDOW_FRAMES, logmel, to_model_input
from cribwatch.cry.fixedfront import (
    S_MAX,
    FixedScorer,
    agreement,
    fixed_frames,
    fixed_input,
    fixed_logmel,
    fixed_tables,
    to_pcm16,
)
from cribwatch.cry.intref import IntModel

INT8 = DEFAULT_WEIGHTS.with_name("cry_int8.cwq")


def _extreme() -> np.ndarray:
    """5 s of what stresses the integer ranges: silence, full-scale noise and square waves,
    -32768 held, a near-full-scale tone, one-LSB noise."""
    rng = np.random.default_rng(1)
    n = SR // 2
    parts = [
        np.zeros(n),
        rng.uniform(-1, 1, n),
        np.full(n, -1.0),
        np.full(n, 32767 / 32768),
        np.sign(rng.normal(size=n)),
        np.sin(2 * np.pi * 440 * np.arange(n) / SR) * 0.999,
        rng.integers(-1, 2, n) / 32768.0,
        rng.normal(0, 1e-4, n),
        rng.normal(0, 0.3, n),
        np.sin(2 * np.pi * 7900 * np.arange(n) / SR),
    ]
    return np.clip(np.concatenate(parts), -1.0, 32767 / 32768).astype(np.float32)


def test_tables_in_the_ranges_the_c_loader_accepts() -> None:
    t = fixed_tables()
    assert t.window_q15.min() >= 0 and t.window_q15.max() <= 32767
    assert t.mel_q15.min() >= 0 and t.mel_q15.max() <= 32768
    assert np.abs(t.tw_re_q30).max() <= 2**30 and np.abs(t.tw_im_q30).max() <= 2**30
    assert t.lut.shape == (129,) and t.lut.min() >= 0 and t.lut.max() < 2**16
    assert t.eps_q.shape == (S_MAX + 1,) and t.eps_q.min() >= 1 and t.eps_q.max() <= 2**62
    assert 0 < t.a_q < 2**24 and abs(t.c_q) < 2**60
    assert t.tw_n == 1024 and t.n_fft == 512


def test_close_to_the_float_front_end_on_the_demo() -> None:
    x = read_audio(DEMO_AUDIO)
    a = agreement(x, to_model_input(logmel(x)))
    assert a["max_step"] <= 1.0
    assert a["equal_share"] >= 0.97


def test_extreme_audio_stays_in_range_and_near_float() -> None:
    x = _extreme()
    u8 = fixed_input(x)
    ref = to_model_input(logmel(x))
    assert u8.shape == ref.shape
    # silence maps to the eps floor, as in the float front end
    assert int(u8[:30].max()) == int(ref[:30].max()) == 0
    assert np.abs(u8.astype(int) - ref.astype(int)).max() <= 2


def test_scorer_windows_equal_whole_signal_frames() -> None:
    """FixedScorer computes each window's frames from its own audio; the C runtime computes
    every frame once in the stream: the same frames (window k starts at frame k * 50)."""
    x = read_audio(DEMO_AUDIO)[: 3 * SR]
    whole = fixed_input(x)
    win = np.lib.stride_tricks.sliding_window_view(x, SR)[:: SR // 2]
    got = FixedScorer(IntModel.load(INT8)).window_inputs(np.ascontiguousarray(win))
    for k in range(got.shape[0]):
        assert np.array_equal(got[k], whole[50 * k : 50 * k + WINDOW_FRAMES])


def test_logmel_is_the_log_of_the_integer_value() -> None:
    t = fixed_tables()
    fr = np.lib.stride_tricks.sliding_window_view(to_pcm16(read_audio(DEMO_AUDIO)), 400)[::160]
    u8, lq = fixed_frames(fr[:200], t)
    lm = fixed_logmel(lq, t).astype(np.float64)
    approx = np.clip(np.rint((lm - np.log(1e-6)) * 255 / (1.0 - np.log(1e-6))), 0, 255)
    assert np.abs(approx - u8).max() <= 1


@pytest.fixture(scope="module")
def extreme_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("fx") / "extreme.wav"
    write_wav(p, _extreme())
    return p


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")
def test_c_front_end_bit_exact_on_extreme_audio(extreme_wav: Path) -> None:
    res = check("host", INT8, extreme_wav, cfg=CheckConfig(windows=9, continuous_cry_s=0))
    rows = {r["name"]: r for r in res["tensors"]}  # type: ignore[union-attr]
    assert rows["logmel"]["max_abs"] == 0.0 and rows["input"]["max_abs"] == 0.0
    assert res["pass"] and res["end_to_end_bit_exact"], res["first_divergent"]
    assert res["windows"]["equal"]  # type: ignore[index]


@pytest.mark.skipif(not have_cross(), reason="no mipsel cross tools")
def test_mipsel_front_end_bit_exact_on_extreme_audio(extreme_wav: Path) -> None:
    res = check("mipsel", INT8, extreme_wav, cfg=CheckConfig(windows=3, continuous_cry_s=0))
    assert res["pass"] and res["end_to_end_bit_exact"], res["first_divergent"]

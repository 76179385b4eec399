"""Each filter of the chain on a crafted signal, with a scorer that always says 'cry'."""

from dataclasses import replace

import numpy as np

from cribwatch.cry.audio import SR
from cribwatch.cry.postprocess import FILTERS, FilterConfig, WindowInfo, pitch_frames, run_chain
from cribwatch.cry.stream import detect_offline

from .conftest import ConstScorer, harmonic

ALL = FilterConfig()
NONE = FilterConfig(enabled=())


def only(*names):
    return ALL.with_filters(tuple(names))


def cry_like(seconds=8.0, level=0.3):
    """450 Hz harmonic units of 1.2 s with 0.3 s pauses."""
    unit = harmonic(450, 1.2, level)
    gap = np.zeros(int(0.3 * SR), np.float32)
    parts = []
    while sum(p.shape[0] for p in parts) < seconds * SR:
        parts += [unit, gap]
    return np.concatenate(parts)[: int(seconds * SR)]


def test_pitch_tracker_finds_f0():
    for f0 in (300.0, 450.0, 900.0, 1500.0):
        f, h = pitch_frames(harmonic(f0, 1.0))
        assert abs(np.median(f) - f0) / f0 < 0.05
        assert np.median(h) > 0.9


def test_cry_like_signal_passes_every_filter():
    ev = detect_offline(cry_like(), ConstScorer(), ALL)
    assert len(ev) == 1 and ev[0].onset < 1.0 and ev[0].offset > 7.0


def test_loudness_gate_stops_low_amplitude_sound():
    quiet = cry_like(level=0.001)  # about -63 dBFS
    assert detect_offline(quiet, ConstScorer(), only("smoothing"))
    assert not detect_offline(quiet, ConstScorer(), only("loudness", "smoothing"))


def test_pitch_check_stops_low_pitched_and_unvoiced_sound():
    adult = harmonic(140, 6.0)  # adult speech-like pitch
    rng = np.random.default_rng(0)
    noise = (0.3 * rng.standard_normal(6 * SR)).astype(np.float32)
    for x in (adult, noise):
        assert detect_offline(x, ConstScorer(), only("smoothing"))
        assert not detect_offline(x, ConstScorer(), only("pitch", "smoothing"))


def test_rhythm_check_stops_babble_like_short_segments():
    syl = harmonic(450, 0.15)
    gap = np.zeros(int(0.15 * SR), np.float32)
    babble = np.tile(np.concatenate([syl, gap]), 20)
    assert detect_offline(babble, ConstScorer(), only("pitch", "smoothing"))
    assert not detect_offline(babble, ConstScorer(), only("pitch", "rhythm", "smoothing"))
    assert detect_offline(cry_like(), ConstScorer(), only("pitch", "rhythm", "smoothing"))


def _windows(pattern):
    return [WindowInfo(0.9 if p else 0.1, -20.0, 0.5, np.ones(25, bool)) for p in pattern]


def test_smoothing_needs_k_of_n_and_a_minimum_bout():
    isolated = [1, 0, 0, 0] * 10
    assert len(run_chain(_windows(isolated), only())) == 10
    assert not run_chain(_windows(isolated), only("smoothing"))
    pair = [0, 0, 1, 1, 0, 0, 0, 0]
    assert len(run_chain(_windows(pair), only("smoothing"))) == 1  # 2 windows = 1.5 s
    assert not run_chain(_windows(pair), replace(only("smoothing"), min_bout_s=2.0))
    # hysteresis: a one-window dip inside a long bout does not split it, m_off in a row do
    dip = [1] * 8 + [0] + [1] * 8 + [0] * 4
    assert len(run_chain(_windows(dip), only("smoothing"))) == 1
    assert len(run_chain(_windows(dip), replace(only("smoothing"), m_off=1))) == 2
    ev = run_chain(_windows(dip), only("smoothing"))[0]
    assert ev.onset == 0.3 and ev.offset == 16 * 0.5 + 1.0 - 0.3
    assert ev.emitted == 1.5  # known after the second positive window


def test_threshold_and_filter_names():
    assert not detect_offline(cry_like(), ConstScorer(0.2), ALL)
    assert set(FILTERS) == {"loudness", "pitch", "rhythm", "smoothing"}
    assert FilterConfig.from_dict(ALL.to_dict()) == ALL


def _scored(scores):
    return [WindowInfo(s, -20.0, 0.5, np.ones(25, bool)) for s in scores]


def test_onset_lookback_moves_back_over_windows_above_the_low_threshold():
    base = replace(only("smoothing"), threshold=0.9, onset_shift_s=0.1)
    back = replace(base, onset_lookback_s=1.5, onset_low=0.6, onset_back_shift_s=0.4)
    # windows 3 and 4 score between the two thresholds, 5.. reach the detection threshold
    scores = [0.1, 0.1, 0.5, 0.7, 0.8] + [0.95] * 6 + [0.1] * 8
    (e0,) = run_chain(_scored(scores), base)
    (e1,) = run_chain(_scored(scores), back)
    assert e0.onset == 5 * 0.5 + 0.1
    assert e1.onset == 3 * 0.5 + 0.4  # window 2 (0.5) is below onset_low
    assert (e1.offset, e1.emitted) == (e0.offset, e0.emitted)  # nothing else changes
    # at most onset_lookback_s back
    (e2,) = run_chain(_scored([0.7] * 5 + [0.95] * 6 + [0.1] * 8), back)
    assert e2.onset == 2 * 0.5 + 0.4
    # never into the previous bout
    two = [0.95] * 4 + [0.7] * 2 + [0.95] * 4 + [0.1] * 4
    (a, b) = run_chain(_scored(two), replace(back, m_off=1, onset_lookback_s=3.0))
    assert b.onset == 4 * 0.5 + 0.4 and a.offset < b.onset  # stops after window 3, a's last
    # off by default: the FilterConfig default keeps the first-positive-window onset
    assert FilterConfig().onset_lookback_s == 0.0
    assert run_chain(_scored(scores), replace(back, onset_lookback_s=0.0))[0].onset == e0.onset


def test_sustain_low_joins_a_flickering_cry_but_needs_one_window_at_the_threshold():
    """Hysteresis of the score: windows between sustain_low and the threshold count toward a
    bout's start and keep it going, once one start window reaches the threshold."""
    base = replace(only("smoothing"), threshold=0.99, onset_shift_s=0.1)
    hyst = replace(base, sustain_low=0.9)
    flicker = [0.1, 0.95, 0.995, 0.97, 0.93, 0.998, 0.96, 0.95] + [0.1] * 8
    assert not run_chain(_scored(flicker), base)  # two strong windows, never 2 of 3 at 0.99
    (e,) = run_chain(_scored(flicker), hyst)
    assert e.onset == 1 * 0.5 + 0.1  # the first window at sustain_low starts the bout
    assert e.offset == 7 * 0.5 + 1.0 - 0.3  # the last window at sustain_low ends it
    assert e.emitted == 2 * 0.5 + 1.0  # known once the strong window completes the start
    # windows at sustain_low alone never start a bout
    assert not run_chain(_scored([0.1] + [0.98] * 10 + [0.1] * 8), hyst)
    # off (0) or at/above the threshold: the plain chain
    for off in (0.0, 0.99, 1.0):
        c = replace(hyst, sustain_low=off)
        assert run_chain(_scored(flicker), c) == run_chain(_scored(flicker), base)
    import pytest

    from cribwatch.errors import CribwatchError

    with pytest.raises(CribwatchError):
        FilterConfig(sustain_low=1.5)


def test_integer_models_take_their_float_models_card(tmp_path, monkeypatch):
    """An integer model shipped beside the float model (no card of its own) gets that card's
    detector, with its own tuned threshold where the card has one; not FilterConfig()."""
    import json

    from cribwatch.cry.api import load_filter_config

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # no user config
    det = replace(FilterConfig(threshold=0.97), m_off=5, onset_lookback_s=3.0).to_dict()
    card = {
        "format": "cribwatch-card",
        "version": 1,
        "capability": "cry",
        "model": "test cry model",
        "weights": "m.pt",
        "architecture": {},
        "training": {},
        "licences": {"test": "Apache-2.0"},
        "detector": det,
        "integer_models": {"m_int8.cwq": "cmd", "m_int4.cwq": "cmd"},
        "integer_detectors": {
            "m_int4.cwq": {"threshold": 0.995},
            "m_int8qat.cwq": {"threshold": 0.99, "detector": {**det, "hop_s": 0.2, "k_on": 3}},
        },
    }
    (tmp_path / "m.json").write_text(json.dumps(card))
    want = FilterConfig.from_dict(det)
    assert load_filter_config(None, tmp_path / "m.pt") == want
    assert load_filter_config(None, tmp_path / "m_int8.cwq") == want
    assert load_filter_config(None, tmp_path / "m_int8.onnx") == want
    assert load_filter_config(None, tmp_path / "m_int4.cwq") == replace(want, threshold=0.995)
    # a detector of its own (e.g. another hop for a board's instruction budget) wins
    card["integer_models"]["m_int8qat.cwq"] = "cmd"  # type: ignore[index]
    (tmp_path / "m.json").write_text(json.dumps(card))
    own = load_filter_config(None, tmp_path / "m_int8qat.cwq")
    assert own == replace(want, hop_s=0.2, k_on=3, threshold=0.99)
    assert load_filter_config(None, tmp_path / "other.cwq") == FilterConfig()  # not listed
    (tmp_path / "broken.json").write_text("{")  # an unreadable JSON beside it is skipped
    assert load_filter_config(None, tmp_path / "m_int8.cwq") == want

"""The covered-face measurement (issue 25, third round): its face rule is the detector's, and
the scoring is ``rollover eval``'s."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cribwatch.rollover.absence import face_alert_times, score_covered
from cribwatch.rollover.events import EventConfig, Tracker


def _tracker_alerts(
    t: np.ndarray, nf: np.ndarray, body: np.ndarray, ev: EventConfig
) -> list[float]:
    tr = Tracker(ev)
    out = []
    for ti, n, b in zip(t.tolist(), nf.tolist(), body.tolist(), strict=True):
        for e in tr.update(ti, np.array([1.0, 0.0, 0.0]), 0.0, True, n, b):
            if e.event == "face_not_visible":
                out.append(e.time)
    return out


def test_face_rule_matches_the_tracker() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(0, 120, 1 / 15)
    # runs of face / no face of random lengths, body mostly in view
    nf = np.repeat(rng.integers(0, 3, 80) * rng.integers(0, 2, 80), len(t) // 80 + 1)[: len(t)]
    body = rng.random(len(t)) > 0.05
    for ev in (EventConfig(), replace(EventConfig(), face_reset_s=2.5, min_face=2)):
        assert face_alert_times(t, nf, body, ev) == _tracker_alerts(t, nf, body, ev)


def test_flickering_face_needs_a_longer_reset() -> None:
    t = np.arange(0, 30, 1 / 15)
    # covered from 5 s to 25 s, a face keypoint for 1.2 s every 4 s
    nf = np.ones(len(t), int)
    cov = (t >= 5) & (t < 25)
    nf[cov] = 0
    nf[cov & ((t - 5) % 4.0 >= 2.8)] = 1
    body = np.ones(len(t), bool)
    assert face_alert_times(t, nf, body, replace(EventConfig(), face_reset_s=0.7)) == []
    alerts = face_alert_times(t, nf, body, replace(EventConfig(), face_reset_s=2.5))
    assert len(alerts) == 1 and 5 <= alerts[0] <= 25
    assert face_alert_times(t, nf, body) == alerts  # the default is the longer reset


def test_scoring_leaves_out_only_episodes_cut_by_the_end() -> None:
    eps = [(10.0, 20.0), (50.0, 55.0), (599.7, 599.9)]
    n, found, false, short = score_covered([14.0, 30.0], eps, end_s=599.9, min_s=4.0)
    assert (n, found, false, short) == (2, 1, 1, 1)
    assert score_covered([14.0, 30.0], eps, end_s=599.9) == (3, 1, 1, 0)


def test_face_reset_by_fraction_ignores_brief_whole_face_misses_not_blankets() -> None:
    from dataclasses import replace as _replace

    import pytest

    from cribwatch import cards
    from cribwatch.errors import CribwatchError
    from cribwatch.rollover.absence import face_alert_times
    from cribwatch.rollover.events import EventConfig, Tracker

    fps = 15
    t = np.arange(60 * fps) / fps
    body = np.ones(len(t), dtype=bool)
    # a face missed as a whole for 0.4 s every 2.4 s (a heatmap model), no covering
    flicker = np.where((np.arange(len(t)) % 36) < 6, 0, 3)
    # a covered face (20 s) showing phantom face keypoints for 1.5 s every 4 s
    covered = np.full(len(t), 3)
    seg = slice(20 * fps, 40 * fps)
    covered[seg] = np.where((np.arange(20 * fps) % 60) < 23, 1, 0)
    unbroken = EventConfig()
    frac = _replace(EventConfig(), face_reset_s=4.0, face_reset_frac=0.75)
    assert face_alert_times(t, flicker, body, unbroken)  # the unbroken rule alerts
    assert not face_alert_times(t, flicker, body, frac)
    alerts = face_alert_times(t, covered, body, frac)
    assert alerts and 20.0 <= alerts[0] <= 26.0
    # the tracker decides the same
    tr = Tracker(frac)
    got = [e.time for i in range(len(t))
           for e in tr.update(float(t[i]), np.array([0.9, 0.05, 0.05]), 0.0, True,
                              int(covered[i]), True)
           if e.event == "face_not_visible"]  # fmt: skip
    assert got == alerts
    with pytest.raises(CribwatchError, match="face_reset_frac"):
        cards.from_mapping(EventConfig, {"face_reset_frac": 1.5}, "x")


def _face_tracks(fps: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """60 s, body in view: (t, a face there with a whole-face drop-out of 0.5 s every 3 s,
    a face covered from 20 s to 30 s with a 1 s phantom face every 3.5 s, body)."""
    t = np.arange(60 * fps) / fps
    i = np.arange(len(t))
    dropout = np.where((i % (3 * fps)) < fps // 2, 0, 3)
    covered = np.full(len(t), 3)
    seg = slice(20 * fps, 30 * fps)
    covered[seg] = np.where((np.arange(10 * fps) % int(3.5 * fps)) >= int(2.5 * fps), 1, 0)
    return t, dropout, covered, np.ones(len(t), dtype=bool)


MISS_FRAC = replace(EventConfig(), face_miss_frac=0.6)


def test_face_missing_in_m_of_n_ignores_drop_outs_not_blankets() -> None:
    from cribwatch import cards
    from cribwatch.errors import CribwatchError

    t, dropout, covered, body = _face_tracks()
    assert face_alert_times(t, dropout, body)  # the unbroken 2.5 s reset alerts on drop-outs
    assert face_alert_times(t, dropout, body, MISS_FRAC) == []
    alerts = face_alert_times(t, covered, body, MISS_FRAC)
    assert len(alerts) == 1 and 20.0 <= alerts[0] <= 30.0
    assert _tracker_alerts(t, covered, body, MISS_FRAC) == alerts
    assert _tracker_alerts(t, dropout, body, MISS_FRAC) == []
    try:
        cards.from_mapping(EventConfig, {"face_miss_frac": 1.5}, "x")
    except CribwatchError as e:
        assert "face_miss_frac" in str(e)
    else:
        raise AssertionError("face_miss_frac 1.5 accepted")


def test_face_miss_frac_matches_the_tracker_on_random_runs() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(0, 120, 1 / 15)
    nf = np.repeat(rng.integers(0, 3, 80) * rng.integers(0, 2, 80), len(t) // 80 + 1)[: len(t)]
    body = rng.random(len(t)) > 0.05
    for m in (0.5, 0.8):
        ev = replace(EventConfig(), face_miss_frac=m, face_hold_s=5.0)
        assert face_alert_times(t, nf, body, ev) == _tracker_alerts(t, nf, body, ev)

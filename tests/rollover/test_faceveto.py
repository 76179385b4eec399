"""The learned face veto (issue 25, seventh round): features, calibration, application."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch import cards
from cribwatch.errors import CribwatchError
from cribwatch.rollover import faceveto as fv
from cribwatch.rollover.events import PRONE, SUPINE, frame_probabilities
from cribwatch.rollover.posture import PostureConfig, features


def _frame(face: bool) -> np.ndarray:
    """A supine body seen from above (left shoulder on the image's right), face optional."""
    k = np.zeros((17, 3), dtype=np.float32)
    pts = {5: (360, 200), 6: (280, 200), 11: (345, 300), 12: (295, 300),
           0: (320, 140), 1: (335, 130), 2: (305, 130), 3: (350, 135), 4: (290, 135)}  # fmt: skip
    for i, (x, y) in pts.items():
        k[i] = (x, y, 0.9)
    if not face:
        k[:5, 2] = 0.1
    return k


def _always(not_prone: bool) -> fv.FaceVeto:
    n = fv.N_VETO_FEATURES
    b = 20.0 if not_prone else -20.0
    return fv.FaceVeto(
        w=np.zeros(n), b=np.array([b]), mean=np.zeros(n), std=np.ones(n),
        calib=np.array([1.0, 0.0]),
    )  # fmt: skip


def test_face_veto_bounds_in_from_mapping() -> None:
    assert cards.from_mapping(PostureConfig, {"face_veto": 0.6}, "x").face_veto == 0.6
    with pytest.raises(CribwatchError, match="face_veto"):
        cards.from_mapping(PostureConfig, {"face_veto": 1.5}, "x")
    assert PostureConfig().face_veto == 0.0  # off by default


def test_veto_features_judge_only_frames_with_a_face() -> None:
    kp = np.stack([_frame(True), _frame(False)])
    x, judged = fv.veto_features(kp)
    assert x.shape == (2, fv.N_VETO_FEATURES) and x.dtype == np.float32
    assert judged.tolist() == [True, False]
    assert not x[1].any() and np.isfinite(x).all()
    names = list(fv.FEATURE_NAMES)
    assert x[0, names.index("eye_order")] == 1.0  # eyes in the shoulders' order
    assert x[0, names.index("shoulder_w")] > 0  # supine's order


def test_apply_moves_prone_to_supine_only_where_the_veto_says_so() -> None:
    kp = np.stack([_frame(True), _frame(False)])
    feat = features(kp)
    p = np.array([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    np.testing.assert_array_equal(fv.apply(p, kp, feat, 0.0, veto=_always(True)), p)
    out = fv.apply(p, kp, feat, 0.5, veto=_always(True))
    np.testing.assert_allclose(out[0], [0.9, 0.1, 0.0])
    np.testing.assert_allclose(out[1], p[1])  # no face: not judged
    np.testing.assert_allclose(fv.apply(p, kp, feat, 0.5, veto=_always(False)), p)
    side = np.array([[0.1, 0.3, 0.6], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(fv.apply(side, kp, feat, 0.5, veto=_always(True))[0], [0.1, 0.9, 0])


def test_frame_probabilities_apply_the_veto_when_on() -> None:
    kp = np.stack([_frame(True)] * 3)
    _, p0 = frame_probabilities(kp, PostureConfig(), "learned", veto=_always(True))
    _, p1 = frame_probabilities(kp, PostureConfig(face_veto=0.5), "learned", veto=_always(True))
    assert (p1[:, PRONE] == 0).all()
    np.testing.assert_allclose(p1[:, SUPINE], p0[:, SUPINE] + p0[:, PRONE], atol=1e-12)


def test_fit_and_calibration_recover_a_separable_cue(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, fv.N_VETO_FEATURES))
    y = (x[:, 5] + 0.3 * rng.normal(size=2000) > 0).astype(float)
    v = fv.fit_logistic(x, y)
    v.calib = fv.fit_platt(v.logit(x), y)
    pr = v.prob(x)
    assert ((pr > 0.5) == (y > 0)).mean() > 0.9
    # calibrated: the mean probability matches the rate
    assert abs(pr.mean() - y.mean()) < 0.03
    v.save(tmp_path / "veto.npz")
    w = fv.load(tmp_path / "veto.npz")
    np.testing.assert_allclose(w.prob(x), pr, rtol=1e-4, atol=1e-5)


def test_load_refuses_bad_weights(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, w=np.zeros(3), b=np.zeros(1))
    with pytest.raises(CribwatchError, match="not valid face veto weights"):
        fv.load(bad)
    with pytest.raises(CribwatchError, match="not found"):
        fv.load(tmp_path / "none.npz")
    nan = _always(True)
    nan.std = np.full(fv.N_VETO_FEATURES, np.nan)
    nan.save(tmp_path / "nan.npz")
    with pytest.raises(CribwatchError, match="not finite"):
        fv.load(tmp_path / "nan.npz")


def test_entry_mode_holds_back_an_entry_but_does_not_split_a_prone_episode() -> None:
    from cribwatch.rollover.events import EventConfig, Tracker

    supine, prone = np.array([0.9, 0.05, 0.05]), np.array([0.05, 0.05, 0.9])

    def run(vetoes: list[bool]) -> list[str]:
        tr = Tracker(EventConfig())
        names = []
        for i, v in enumerate([False] * 30 + vetoes):  # 2 s supine first
            p = supine if i < 30 else prone
            names += [e.event for e in tr.update(i / 15, p, 0.0, True, 3, True, veto=v)]
        return names

    assert "to_prone" not in run([True] * 60)  # every prone frame vetoed: never enters prone
    out = run([False] * 45 + [True] * 60)  # in prone first, then vetoed frames
    assert out.count("to_prone") == 2  # the event and its alert, once
    assert "to_supine" not in out and "to_side" not in out


def test_the_shipped_veto_loads_with_its_card() -> None:
    assert fv.WEIGHTS.is_file() and fv.WEIGHTS.stat().st_size < 5_000_000
    card = cards.read_card(cards.card_path(fv.WEIGHTS), "rollover")
    assert card["weights"] == fv.WEIGHTS.name and card["licences"]
    v = fv.load()
    assert v.calib[0] > 0  # calibration keeps the order of the log-odds
    x, judged = fv.veto_features(np.stack([_frame(True)]))
    p = v.prob(x[judged])
    assert p.shape == (1,) and 0.0 <= float(p[0]) <= 1.0


def test_windowed_veto_needs_most_recent_prone_frames_vetoed() -> None:
    from dataclasses import replace

    from cribwatch.rollover.events import EventConfig, Tracker

    supine, prone = np.array([0.9, 0.05, 0.05]), np.array([0.05, 0.05, 0.9])
    cfg = replace(EventConfig(), veto_window_s=1.0, veto_frac=0.6)

    def run(every: int) -> list[str]:  # every n-th prone frame marked by the veto
        tr = Tracker(cfg)
        names = []
        for i in range(30 + 60):
            p = supine if i < 30 else prone
            v = i >= 30 and (i - 30) % every == 0
            names += [e.event for e in tr.update(i / 15, p, 0.0, True, 3, True, veto=v)]
        return names

    assert "to_prone" not in run(1)  # every prone-called frame vetoed: held back
    assert "to_prone" in run(3)  # a third vetoed: below 0.6, the roll goes through
    with pytest.raises(CribwatchError, match="veto_frac"):
        cards.from_mapping(EventConfig, {"veto_frac": 0.0}, "x")

"""Posture rules on constructed keypoints for each posture."""

from __future__ import annotations

import numpy as np
import pytest

from cribwatch.rollover.posture import PostureConfig, classify, features

POSTURES = ["supine", "prone", "side_left", "side_right"]


@pytest.mark.parametrize("posture", POSTURES)
@pytest.mark.parametrize("deg", [0, 37, 90, 180, 270])
def test_each_posture_any_camera_roll(posture: str, deg: float, pose, rotate, lo) -> None:
    labels, conf = classify(rotate(pose(posture), deg))
    assert labels == [posture]
    assert 0.5 < conf[0] <= 1.0


def test_prone_with_face_visible_to_one_side_is_prone(pose, rotate, lo) -> None:
    kp = pose("prone")
    kp[[2, 4], 2] = 0.9  # one eye and one ear visible: breathing to the side
    assert classify(kp)[0] == ["prone"]


def test_face_not_visible_alone_does_not_mean_prone(pose, rotate, lo) -> None:
    kp = pose("supine")
    kp[:5, 2] = lo  # blanket over the face
    assert classify(kp)[0] == ["supine"]


def test_full_face_rules_out_prone(pose, rotate, lo) -> None:
    """A left/right swap of the body labels with the whole face visible is not prone."""
    kp = pose("supine")
    swapped = kp.copy()
    swapped[[5, 6, 11, 12]] = kp[[6, 5, 12, 11]]
    assert classify(swapped)[0] != ["prone"]


def test_mirrored_camera_flips_supine_and_prone(pose, rotate, lo) -> None:
    cfg = PostureConfig(mirrored=True)
    assert classify(pose("prone"), cfg)[0] == ["supine"]
    assert classify(pose("supine"), PostureConfig(mirrored=True, full_face_c=-9.0))[0] == ["prone"]


def test_unknown_without_torso(pose, rotate, lo) -> None:
    kp = pose("supine")
    kp[[5, 6, 11, 12], 2] = lo
    labels, conf = classify(kp)
    assert labels == ["unknown"] and conf[0] == 0.0
    assert classify(np.zeros((17, 3)))[0] == ["unknown"]


def test_hips_hidden_by_blanket_uses_head(pose, rotate, lo) -> None:
    kp = pose("supine")
    kp[[11, 12, 13, 14, 15, 16], 2] = lo
    assert classify(kp)[0] == ["supine"]
    kp = pose("prone")
    kp[[11, 12, 13, 14, 15, 16], 2] = lo
    assert classify(kp)[0] == ["prone"]


def test_roll_estimate_shrinks_on_the_side(pose, rotate, lo) -> None:
    f = features(np.stack([pose(p) for p in POSTURES]))
    c = dict(zip(POSTURES, f.c.tolist(), strict=True))
    assert c["supine"] > 0.8 and c["prone"] < -0.8
    assert abs(c["side_left"]) < 0.45 and abs(c["side_right"]) < 0.45
    assert f.d[2] > 0 > f.d[3]


def test_batch_equals_single(pose, rotate, lo) -> None:
    kps = np.stack([rotate(pose(p), d) for p in POSTURES for d in (0, 120)])
    batch = classify(kps)[0]
    single = [classify(k)[0][0] for k in kps]
    assert batch == single

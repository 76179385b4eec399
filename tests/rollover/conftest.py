"""Fixtures: hand-built COCO-17 keypoints of an infant seen from above (independent of synth.py).

Tests use ``pose``, ``rotate`` and ``lo`` as fixtures (the suite runs with
``--import-mode=importlib``, so helper modules cannot be imported by name).
"""

from __future__ import annotations

import numpy as np
import pytest

HI, LO = 0.9, 0.05


def make_pose(posture: str) -> np.ndarray:
    """(17, 3) keypoints, head towards the image top, torso 100 px long.

    Supine looks like a frontal photo (the infant's left on the image right); prone is its
    left/right mirror with the face turned to one side; on the side the lower shoulder and hip
    are hidden and the face points the way the infant rolled.
    """
    kp = np.zeros((17, 3), dtype=np.float64)
    kp[:, 2] = HI

    def put(i: int, x: float, y: float, s: float = HI) -> None:
        kp[i] = [x, y, s]

    if posture == "supine":
        put(0, 200, 110)
        put(1, 210, 100), put(2, 190, 100), put(3, 222, 105), put(4, 178, 105)
        put(5, 240, 150), put(6, 160, 150)
        put(11, 225, 250), put(12, 175, 250)
    elif posture == "prone":
        # face turned to the infant's right: right ear and right eye up, nose and left eye down
        put(0, 185, 115, LO)
        put(1, 190, 100, LO), put(2, 180, 102), put(3, 215, 105, LO), put(4, 176, 108)
        put(5, 160, 150), put(6, 240, 150)
        put(11, 175, 250), put(12, 225, 250)
    elif posture in ("side_left", "side_right"):
        s = 1.0 if posture == "side_left" else -1.0
        # lying on one side: that side's joints hidden, the face turned that way (+x for left)
        hidden = (1, 3, 5, 7, 11) if posture == "side_left" else (2, 4, 6, 8, 12)
        put(0, 200 + 25 * s, 112)
        put(1, 200 + 18 * s, 100), put(2, 200 + 18 * s, 100)
        put(3, 200, 105), put(4, 200, 105)
        put(5, 200 + 4 * s, 150), put(6, 200 - 4 * s, 150)
        put(11, 200 + 3 * s, 250), put(12, 200 - 3 * s, 250)
        for i in hidden:
            kp[i, 2] = LO
    else:
        raise ValueError(posture)
    # arms and legs (not used by the rules, present for realism)
    put(7, kp[5, 0] + 20, 190), put(8, kp[6, 0] - 20, 190)
    put(9, kp[5, 0] + 25, 225), put(10, kp[6, 0] - 25, 225)
    put(13, kp[11, 0] + 15, 300), put(14, kp[12, 0] - 15, 300)
    put(15, kp[11, 0] + 15, 345), put(16, kp[12, 0] - 15, 345)
    if posture == "side_left":
        kp[[7, 9, 13, 15], 2] = LO
    if posture == "side_right":
        kp[[8, 10, 14, 16], 2] = LO
    return kp


def rotate_kp(kp: np.ndarray, deg: float, centre: tuple[float, float] = (200, 200)) -> np.ndarray:
    """Rotate keypoints in the image plane (any camera roll)."""
    a = np.deg2rad(deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out = kp.copy()
    out[:, :2] = (kp[:, :2] - centre) @ r.T + centre
    return out


@pytest.fixture
def pose():  # type: ignore[no-untyped-def]
    """The :func:`make_pose` builder."""
    return make_pose


@pytest.fixture
def rotate():  # type: ignore[no-untyped-def]
    """The :func:`rotate_kp` helper."""
    return rotate_kp


@pytest.fixture
def lo() -> float:
    """Score of a hidden keypoint."""
    return LO

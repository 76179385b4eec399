"""COCO-17 mapping, keypoint-sequence format and its error paths, the MediaPipe backend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.pose import (
    COCO17,
    COCO_FLIP,
    MEDIAPIPE_TO_COCO,
    Sequence,
    mediapipe_to_coco,
    open_frames,
    read_sequence,
    write_sequence,
)

# MediaPipe Pose landmark names (its documented order), for the mapping check.
MP_NAMES = [
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
]  # fmt: skip


def test_mapping_names_match() -> None:
    assert len(MP_NAMES) == 33
    for coco_name, mp_index in zip(COCO17, MEDIAPIPE_TO_COCO, strict=True):
        assert MP_NAMES[mp_index] == coco_name


def test_mediapipe_against_its_own_enum() -> None:
    mp_pose = pytest.importorskip("mediapipe.python.solutions.pose")
    for coco_name, mp_index in zip(COCO17, MEDIAPIPE_TO_COCO, strict=True):
        assert mp_pose.PoseLandmark[coco_name.upper()].value == mp_index


def test_flip_pairs_are_involution() -> None:
    for i, j in enumerate(COCO_FLIP):
        assert COCO_FLIP[j] == i
        if i:
            a, b = COCO17[i], COCO17[j]
            assert a.replace("left", "X").replace("right", "left").replace("X", "right") == b


def test_mediapipe_to_coco_scales_and_clips() -> None:
    lm = np.zeros((33, 3))
    lm[:, 0] = np.arange(33) / 33
    lm[:, 1] = 0.5
    lm[:, 2] = 1.2  # visibility out of range gets clipped
    lm[23] = [0.25, 0.75, 0.4]  # left hip
    kp = mediapipe_to_coco(lm, 640, 480)
    assert kp.shape == (17, 3) and kp.dtype == np.float32
    assert kp[11, 0] == pytest.approx(160.0) and kp[11, 1] == pytest.approx(360.0)
    assert kp[11, 2] == pytest.approx(0.4)
    assert kp[0, 2] == pytest.approx(1.0)
    assert kp[5, 0] == pytest.approx(11 / 33 * 640, rel=1e-5)
    with pytest.raises(CribwatchError):
        mediapipe_to_coco(np.zeros((17, 3)), 640, 480)


def _seq(n: int = 5) -> Sequence:
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 1, (n, 17, 3)).astype(np.float32)
    kp[..., :2] *= 300
    return Sequence(
        fps=15.0, width=320, height=240, t=np.arange(n) / 15.0, kp=kp,
        posture=["supine", "prone", None, "side_left", "unknown"][:n],
        covered=np.array([False, True, False, False, False][:n]),
    )  # fmt: skip


def test_sequence_round_trip(tmp_path: Path) -> None:
    seq = _seq()
    p = tmp_path / "s.jsonl"
    write_sequence(p, seq)
    lines = p.read_text().splitlines()
    head = json.loads(lines[0])
    assert head == {
        "format": "cribwatch-keypoints", "version": 1, "fps": 15.0, "width": 320,
        "height": 240, "layout": "coco17",
    }  # fmt: skip
    assert set(json.loads(lines[1])) == {"frame", "t", "kp", "posture"}
    back = read_sequence(p)
    assert back.n == 5 and back.width == 320
    np.testing.assert_allclose(back.kp, seq.kp, atol=0.01)
    assert back.posture == seq.posture
    assert back.covered is not None and back.covered.tolist() == seq.covered.tolist()


@pytest.mark.parametrize(
    ("bad", "lineno", "what"),
    [
        ('{"frame": 0, "t": 0.0, "kp": [[1, 2, 0.5]]}', 3, "17"),
        ("not json", 3, "not valid JSON"),
        ('{"frame": 0, "t": "x", "kp": KP}', 3, "'t'"),
        ('{"frame": 0, "t": 0.0, "kp": KP, "posture": "upside_down"}', 3, "posture"),
        ('{"frame": 0, "t": 0.0, "kp": BADKP}', 3, "numbers"),
        ("[1, 2]", 3, "object"),
    ],
)
def test_malformed_line_names_line(tmp_path: Path, bad: str, lineno: int, what: str) -> None:
    p = tmp_path / "s.jsonl"
    write_sequence(p, _seq(1))
    kp = json.dumps([[1.0, 2.0, 0.5]] * 17)
    badkp = json.dumps([[1.0, 2.0, 0.5]] * 16 + [[1.0, None, 0.5]])
    with open(p, "a") as fh:
        fh.write(bad.replace("BADKP", badkp).replace("KP", kp) + "\n")
    with pytest.raises(CribwatchError) as err:
        read_sequence(p)
    msg = str(err.value)
    assert f"line {lineno}" in msg and str(p) in msg and what in msg
    assert "\n" not in msg


def test_bad_header_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    p.write_text('{"format": "something-else", "version": 1}\n')
    with pytest.raises(CribwatchError, match="line 1"):
        read_sequence(p)
    p.write_text("")
    with pytest.raises(CribwatchError, match="empty"):
        read_sequence(p)
    with pytest.raises(CribwatchError, match="not found"):
        read_sequence(tmp_path / "missing.jsonl")


def test_time_going_backwards(tmp_path: Path) -> None:
    seq = _seq(3)
    seq.t = np.array([0.0, 0.2, 0.1])
    p = tmp_path / "b.jsonl"
    write_sequence(p, seq)
    with pytest.raises(CribwatchError, match="line 4"):
        read_sequence(p)


def test_unreadable_video(tmp_path: Path) -> None:
    p = tmp_path / "clip.mp4"
    p.write_bytes(b"this is not a video" * 20)
    with pytest.raises(CribwatchError) as err:
        rate, n, frames = open_frames(p)
        list(frames)
    assert str(p) in str(err.value) and "video" in str(err.value)


def test_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CribwatchError, match="no image files"):
        open_frames(tmp_path)


def test_folder_with_broken_image(tmp_path: Path) -> None:
    (tmp_path / "000.png").write_bytes(b"broken")
    rate, n, frames = open_frames(tmp_path)
    assert n == 1 and rate == 15.0
    with pytest.raises(CribwatchError, match="000.png"):
        list(frames)


def test_mediapipe_on_astronaut() -> None:
    """The real estimator on a real photo shipped with scikit-image."""
    pytest.importorskip("mediapipe")
    from skimage import data as skdata

    from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig

    img = skdata.astronaut()
    backend = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
    try:
        kp = backend.process(img)
        grey = backend.process(np.repeat(img.mean(axis=2, keepdims=True), 3, 2).astype(np.uint8))
    finally:
        backend.close()
    assert kp.shape == (17, 3)
    rel = kp[:, 2] >= 0.5
    # face and shoulders are in the photo (she is shown from the waist up)
    assert rel[[0, 1, 2, 5, 6]].all()
    # frontal photo: her left shoulder is on the image's right, her nose above the shoulders
    assert kp[5, 0] > kp[6, 0]
    assert kp[0, 1] < min(kp[5, 1], kp[6, 1])
    # the face is in the upper-middle part of the 512x512 photo
    assert 150 < kp[0, 0] < 300 and 50 < kp[0, 1] < 200
    assert np.linalg.norm(grey[0, :2] - kp[0, :2]) < 15

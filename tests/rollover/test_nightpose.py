"""Pose at night and at any orientation: the shipped MoveNet, the night wrapper, presence,
mirroring, and the nobody-in-view alert."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.api import RolloverDetector
from cribwatch.rollover.events import EventConfig
from cribwatch.rollover.posture import classify

pytest.importorskip("ai_edge_litert")
skdata = pytest.importorskip("skimage.data")

from cribwatch.rollover.movenet import (  # noqa: E402
    MOVENET_SHA256,
    MOVENET_WEIGHTS,
    MoveNetBackend,
    calibrate,
    file_sha256,
    movenet_card,
)
from cribwatch.rollover.nightpose import (  # noqa: E402
    NightConfig,
    NightPose,
    make_backend,
    person_present,
    preprocess_ir,
)
from cribwatch.sim.night import simulate_night  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def movenet() -> MoveNetBackend:
    return MoveNetBackend()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(skdata.astronaut())


def _night(rgb: np.ndarray, seed: int = 3) -> np.ndarray:
    night, _ = simulate_night(rgb.astype(np.float32) / 255.0, seed)
    g = (np.clip(night, 0, 1) * 255).round().astype(np.uint8)
    return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))


def test_shipped_model_is_the_published_one() -> None:
    card = movenet_card()
    assert file_sha256(MOVENET_WEIGHTS) == MOVENET_SHA256
    assert card["sha256"][MOVENET_WEIGHTS.name] == MOVENET_SHA256
    assert "Apache-2.0" in card["licences"]["model"] and "COCO" in " ".join(card["licences"])
    assert "google-coral/test_data" in card["source"]["repository"]


def test_movenet_matches_the_reference_keypoints(movenet: MoveNetBackend) -> None:
    """google-coral/test_data's reference CSV (squat.bmp stretched to 192x192)."""
    from PIL import Image

    img = np.asarray(Image.open(DATA / "squat_192.png").convert("RGB"))
    ref = np.loadtxt(DATA / "movenet_lightning_ptq_reference_squat.csv", delimiter=",", skiprows=1)
    kp = movenet.process(img)
    x = (kp[:, 0] + 0.5) / 192.0
    y = (kp[:, 1] + 0.5) / 192.0
    # positions within 4% of the square (the reference came from another runtime build)
    assert np.abs(x - ref[:, 4]).max() < 0.04 and np.abs(y - ref[:, 5]).max() < 0.04
    # scores are calibrated (monotone) versions of the raw ones
    assert np.all(np.diff(calibrate(np.linspace(0, 1, 11))) > 0)


def test_grey_night_frame_of_a_photo_finds_the_person(astronaut: np.ndarray) -> None:
    colour = NightPose(config=NightConfig(orientation=False))
    night = NightPose()
    try:
        ref = colour.process(astronaut)
        kp = night.process(_night(astronaut))
    finally:
        colour.close()
        night.close()
    assert person_present(kp)
    face = [0, 1, 2, 5, 6]  # nose, eyes, shoulders: in the photo
    assert (kp[face, 2] >= 0.5).all()
    torso = np.linalg.norm(ref[5, :2] - ref[6, :2]) / 0.8
    assert (np.linalg.norm(kp[face, :2] - ref[face, :2], axis=1) < 0.25 * torso).all()


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotation_handled(astronaut: np.ndarray, k: int) -> None:
    """A person lying at 90/180/270 degrees: found, keypoints where they are in the frame."""
    be = NightPose()
    try:
        up = be.process(_night(astronaut, 5))
        rot = be.process(np.ascontiguousarray(np.rot90(_night(astronaut, 5), k)))
    finally:
        be.close()
    assert person_present(rot)
    # rotate the upright keypoints the same way (np.rot90 turns counter-clockwise)
    w = astronaut.shape[1]
    xy = up[:, :2].astype(np.float64)
    for _ in range(k):
        xy = np.stack([xy[:, 1], (w - 1) - xy[:, 0]], axis=1)
    torso = np.linalg.norm(up[5, :2] - up[6, :2]) / 0.8
    ok = (rot[:13, 2] >= 0.5) & (up[:13, 2] >= 0.5)
    assert ok.sum() >= 6
    assert (np.linalg.norm(rot[:13, :2][ok] - xy[:13][ok], axis=1) < 0.25 * torso).all()


@pytest.mark.parametrize("name", ["grass", "brick", "chelsea"])
def test_no_person_on_an_empty_frame(name: str) -> None:
    img = getattr(skdata, name)()
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    be = make_backend(static=True)
    try:
        kp = be.process(_night(np.ascontiguousarray(img[:, :, :3]), 1))
    finally:
        be.close()
    assert not person_present(kp) and float(kp[:, 2].max()) == 0.0


def test_mirror_gives_the_same_posture(astronaut: np.ndarray, movenet: MoveNetBackend) -> None:
    """Real pose models name left and right from the way the person faces: the mirror of a
    frontal photo is still frontal (supine seen from above), never prone."""
    be = NightPose(config=NightConfig(orientation=False))
    try:
        kp = be.process(astronaut)
        kp_m = be.process(np.ascontiguousarray(astronaut[:, ::-1]))
    finally:
        be.close()
    # the model's left shoulder is on the image's right in both
    assert kp[5, 0] > kp[6, 0] and kp_m[5, 0] > kp_m[6, 0]
    labels, _ = classify(np.stack([kp, kp_m]))
    assert labels[0] == labels[1] == "supine"
    with RolloverDetector() as det:
        a = det.run(np.arange(30) / 15.0, np.repeat(kp[None], 30, 0)).postures[-1]
        b = det.run(np.arange(30) / 15.0, np.repeat(kp_m[None], 30, 0)).postures[-1]
    assert a == b == "supine"


def test_preprocess_leaves_colour_alone(astronaut: np.ndarray) -> None:
    assert np.array_equal(preprocess_ir(astronaut), astronaut)
    g = preprocess_ir(_night(astronaut))
    assert g.shape == astronaut.shape and np.array_equal(g[..., 0], g[..., 2])


def test_unknown_backend_is_named() -> None:
    with pytest.raises(CribwatchError, match="movenet-night"):
        make_backend("openpose")


def _stream(kp: np.ndarray, absent: list[tuple[float, float]], seconds: float = 60.0):  # type: ignore[no-untyped-def]
    t = np.arange(0.0, seconds, 1 / 15)
    k = np.repeat(kp[None], len(t), 0).copy()
    for a, b in absent:
        k[(t >= a) & (t < b)] = 0.0
    return t, k


def test_nobody_in_view_alert_is_debounced(pose) -> None:  # type: ignore[no-untyped-def]
    kp = pose("supine")
    cfg = EventConfig()
    # short drop-outs of the estimator: no alert
    t, k = _stream(kp, [(5.0, 7.0), (10.0, 10.0 + cfg.nobody_hold_s - 1.0), (30.0, 33.0)])
    det = RolloverDetector(events=cfg)
    assert not [e for e in det.run(t, k).events if e.event == "nobody_in_view"]
    # the infant taken out of the crib: one alert after nobody_hold_s, re-armed after return
    t, k = _stream(kp, [(5.0, 25.0), (35.0, 50.0)])
    got = [e.time for e in det.run(t, k).events if e.event == "nobody_in_view"]
    assert len(got) == 2
    assert got[0] == pytest.approx(5.0 + cfg.nobody_hold_s, abs=0.1)
    # the same frame by frame
    det2 = RolloverDetector(events=cfg)
    stream = [e.time for ti, ki in zip(t, k, strict=True) for e in det2.update(ti, ki)
              if e.event == "nobody_in_view"]  # fmt: skip
    assert stream == pytest.approx(got)


def test_antialias_keeps_the_keypoints_in_frame_pixels(astronaut: np.ndarray) -> None:
    # the area-averaged copy is a different frame: its keypoints must come back in the
    # frame's pixels, where the plain warp puts them
    plain = NightPose(config=NightConfig(orientation=False))
    shrunk = NightPose(config=NightConfig(orientation=False, antialias=True))
    big = np.ascontiguousarray(np.kron(astronaut, np.ones((2, 2, 1), np.uint8)))  # 1024 px
    try:
        a, b = plain.process(big), shrunk.process(big)
    finally:
        plain.close()
        shrunk.close()
    assert person_present(a) and person_present(b)
    both = (a[:13, 2] >= 0.5) & (b[:13, 2] >= 0.5)
    torso = np.linalg.norm(a[5, :2] - a[6, :2]) / 0.8
    assert both.sum() >= 6
    assert np.median(np.linalg.norm(a[:13][both, :2] - b[:13][both, :2], axis=1)) < 0.1 * torso


class _Blind:
    name = "blind"

    def process(self, rgb: np.ndarray) -> np.ndarray:
        return np.zeros((17, 3), np.float32)

    def close(self) -> None:
        pass


def test_temporal_filter_averages_a_still_scene_and_restarts_where_it_moves() -> None:
    pose = NightPose(_Blind(), NightConfig(tracking=True, temporal=0.7, temporal_motion=24.0))
    rng = np.random.default_rng(0)
    scene = np.full((60, 80), 100.0)
    out = np.zeros((60, 80))
    for _ in range(12):
        frame = np.clip(scene + rng.normal(0, 6, scene.shape), 0, 255).astype(np.uint8)
        out = pose._temporal(np.repeat(frame[:, :, None], 3, axis=2))[..., 0].astype(float)
    assert out.std() < 0.6 * 6  # the noise of a still scene is averaged
    moved = scene.copy()
    moved[:, :40] = 200.0  # half the scene changes: those pixels restart from the frame
    frame = np.clip(moved, 0, 255).astype(np.uint8)
    out = pose._temporal(np.repeat(frame[:, :, None], 3, axis=2))[..., 0].astype(float)
    assert np.abs(out[:, :40] - 200).max() <= 1 and np.abs(out[:, 40:] - 100).mean() < 3
    colour = np.zeros((60, 80, 3), np.uint8)
    colour[..., 0] = 200  # a colour frame passes unchanged and forgets the average
    assert (pose._temporal(colour) == colour).all() and pose._avg is None
    pose.reset()


@pytest.mark.parametrize(
    ("field", "value"),
    [("temporal", 2.0), ("blur_sigma", -1.0), ("bilateral", float("nan")), ("crop", "round")],
)
def test_night_config_refuses_a_bad_setting(field: str, value: object) -> None:
    with pytest.raises(CribwatchError, match=f"NightConfig.*{field}|{field}.*NightConfig"):
        NightConfig(**{field: value})  # type: ignore[arg-type]

"""The night pose measurement: geometry helpers, the found rule, the selection rule, a tiny run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch.errors import CribwatchError

pytest.importorskip("ai_edge_litert")
pytest.importorskip("skimage.data")

from cribwatch.rollover.nightmeasure import (  # noqa: E402
    NightMeasureConfig,
    Photo,
    choose,
    consensus,
    found,
    markdown,
    measure_night,
    unrotate,
)


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_unrotate_undoes_rot90(k: int) -> None:
    img = np.zeros((30, 50), np.uint8)
    img[7, 11] = 1
    y, x = np.argwhere(np.rot90(img, k))[0]
    assert unrotate(np.array([[x, y]], float), k, 50, 30).tolist() == [[11.0, 7.0]]


def _kp(score: float = 0.9) -> np.ndarray:
    kp = np.zeros((17, 3))
    kp[:, 0] = 100 + 5 * np.arange(17)
    kp[:, 1] = 50 + 10 * np.arange(17)
    kp[5, :2], kp[6, :2], kp[11, :2], kp[12, :2] = (140, 100), (100, 100), (135, 200), (105, 200)
    kp[:, 2] = score
    return kp


def test_consensus_and_found() -> None:
    a = _kp()
    b = a.copy()
    b[0, :2] += 80  # the two models disagree on the nose: not labelled
    ref = consensus(a, b, 0.25)
    assert ref[0, 2] == 0 and ref[1:, 2].all()
    photo = Photo("p", np.zeros((300, 300, 3), np.uint8), ref, 100.0)
    assert found(a, photo, 0, (0.0, 0.0), 0.25)
    weak = a.copy()
    weak[:, 2] = 0.4
    assert not found(weak, photo, 0, (0.0, 0.0), 0.25)
    far = a.copy()
    far[:, :2] += 40  # 0.4 torso lengths away
    assert not found(far, photo, 0, (0.0, 0.0), 0.25)


def _result(name: str, tune: float, fp: float, ms: float) -> dict[str, object]:
    return {
        "method": name, "tracking": False, "tuning": {"rate": tune},
        "false_presence_tuning": {"rate": fp}, "cpu_ms_per_frame": ms,
    }  # fmt: skip


def test_selection_rule() -> None:
    rs = [
        _result("a", 0.9, 0.05, 1.0),  # finds most, but too many false presences
        _result("b", 0.8, 0.0, 50.0),
        _result("c", 0.8, 0.01, 20.0),  # tie with b: cheaper wins
        _result("d", 0.5, 0.0, 1.0),
    ]
    assert choose(rs) == "c"
    with pytest.raises(CribwatchError, match="false-presence"):
        choose(rs[:1])


def test_a_small_run(tmp_path: Path) -> None:
    """scikit-image's photos only (no google-coral or Debian files here): listed as missing."""
    pytest.importorskip("mediapipe")
    cfg = NightMeasureConfig(seeds=1)
    res = measure_night(tmp_path, tmp_path / "m.json", methods=("movenet+pre+rot",), config=cfg)
    assert res["photos"]["tuning"] == ["skimage:astronaut"]
    assert "coral:squat.bmp" in res["missing"]
    (r,) = res["results"]
    assert r["tuning"]["n"] == 4 and r["tuning"]["k"] >= 3
    assert r["false_presence_tuning"]["n"] == 32 and r["false_presence_tuning"]["k"] == 0
    assert res["chosen"] == "movenet+pre+rot"
    assert "movenet+pre+rot" in markdown(res)
    assert (tmp_path / "m.json").is_file()


def test_turning_clip_maps_the_photo() -> None:
    from cribwatch.rollover.nightmeasure import turning_clip

    photo = np.zeros((100, 100, 3), np.uint8)
    photo[10:20, 45:55] = 255  # a bright square at the top middle
    clip, mats = turning_clip(photo, 3, night=False)
    assert len(clip) == 3 and clip[0].shape == (480, 640, 3)
    for fr, m in zip(clip, mats, strict=True):
        # the square's centre (photo resized to 400 px: x 200, y 60) lands on a bright pixel
        x, y = np.array([199.5, 59.5]) @ m[:, :2].T + m[:, 2]
        assert fr[int(round(y)), int(round(x)), 0] > 200
    # after 180 degrees it is at the bottom
    assert mats[-1][1, 2] > mats[0][1, 2]


def test_empty_clips_count_runs(tmp_path: Path) -> None:
    from cribwatch.rollover.nightmeasure import measure_empty_clips

    res = measure_empty_clips(tmp_path, names=("skimage:grass", "coral:absent.bmp"), clip=3)
    assert res["frames"]["n"] == 12 and res["frames"]["k"] == 0  # absent files are skipped
    assert res["clips_with_a_person_for_reset"]["n"] == 4


def test_mmpose_photos_load_from_the_data_root(tmp_path: Path) -> None:
    from PIL import Image

    from cribwatch.rollover.nightmeasure import PEOPLE_MMPOSE, load_image

    assert len(PEOPLE_MMPOSE) == 15 and all(n.startswith("mmpose:") for n in PEOPLE_MMPOSE)
    assert load_image(PEOPLE_MMPOSE[0], tmp_path) is None  # not on this machine: left out
    (tmp_path / "mmpose-people").mkdir()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(tmp_path / "mmpose-people" / "x.png")
    img = load_image("mmpose:x.png", tmp_path)
    assert img is not None and img.shape == (30, 40, 3) and img.dtype == np.uint8


def test_video_clips_keep_one_camera_and_draw_new_noise() -> None:
    from cribwatch.rollover.nightmeasure import night_frame

    rgb = np.full((40, 40, 3), 128, np.uint8)
    rgb[10:30, 10:30] = 220
    a = night_frame(rgb, 1, 0, camera_seed=7).astype(float)
    b = night_frame(rgb, 2, 0, camera_seed=7).astype(float)
    c = night_frame(rgb, 1, 0, camera_seed=8).astype(float)
    assert not np.array_equal(a, b)  # new sensor noise per frame
    # one camera: the same exposure (mean level) within the noise; another camera differs
    assert abs(a.mean() - b.mean()) < 2.0 and abs(a.mean() - c.mean()) > 2.0
    assert np.array_equal(night_frame(rgb, 1, 0, camera_seed=7), a.astype(np.uint8))


def test_ninth_round_lists() -> None:
    from cribwatch.rollover.nightmeasure import (
        EMPTY_R9,
        EMPTY_TUNING9,
        PEOPLE_R9,
        PEOPLE_TUNING9,
    )

    assert not set(PEOPLE_R9) & set(PEOPLE_TUNING9) and not set(EMPTY_R9) & set(EMPTY_TUNING9)
    assert len(PEOPLE_R9) == 34 and len(EMPTY_R9) == 16
    assert "mmpose-animal:horse10_0244.png" not in EMPTY_R9  # a person leads that horse

"""The MediaPipe night measurement: coordinate mapping back from rotated/mirrored frames, the
noise-model fit, and its failure path (no backend needed)."""

from __future__ import annotations

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.measure import _unrotate, fit_noise, measure, torso_length
from cribwatch.rollover.pose import COCO17, COCO_FLIP
from cribwatch.rollover.synth import MEASURED_ERR, MEASURED_MISS, NoiseModel


@pytest.mark.parametrize("k", [0, 1, 2, 3])
@pytest.mark.parametrize("mirror", [False, True])
def test_unrotate_inverts_rot90_and_mirror(k: int, mirror: bool) -> None:
    h, w = 7, 11
    img = np.zeros((h, w), dtype=int)
    pts = [(2, 1), (9, 5), (0, 6), (10, 0)]
    for i, (x, y) in enumerate(pts, start=1):
        img[y, x] = i
    out = img[:, ::-1] if mirror else img
    out = np.rot90(out, k)
    found = np.array([np.argwhere(out == i)[0][::-1] for i in range(1, len(pts) + 1)], float)
    back = _unrotate(found, k, mirror, w, h)
    np.testing.assert_allclose(back, np.array(pts, float))


def test_fit_noise_pairs_floors_and_matches_the_generator_shape() -> None:
    per = []
    for j, name in enumerate(COCO17):
        per.append(
            {"keypoint": name, "n": 10, "miss_rate": 0.9, "miss_if_found": 0.1 * (j % 2),
             "err_median": 0.01 * j, "err_p90": 0.02 * j}
        )  # fmt: skip
    fit = fit_noise({"per_keypoint": per, "person_found": 0.25, "lr_swap_rate": 0.0})
    assert len(fit["miss"]) == len(fit["err"]) == 17
    # left/right partners get the same value (mean of the pair), floors applied
    assert fit["miss"][5] == fit["miss"][6] == pytest.approx(0.05)
    assert fit["miss"][0] == pytest.approx(0.02)  # nose: 0.0 floored
    assert fit["err"][11] == fit["err"][12] == pytest.approx(0.115)
    assert fit["dropout_single_image"] == pytest.approx(0.75)
    assert fit["swap"] == pytest.approx(0.005)
    # the generator's defaults have the shape of such a fit: 17 values, left/right partners
    # equal, misses floored (the values themselves: docs/results/rollover.md, `measure-pose`)
    assert len(MEASURED_MISS) == len(MEASURED_ERR) == 17
    for j, f in enumerate(COCO_FLIP):
        assert MEASURED_MISS[j] == MEASURED_MISS[f] and MEASURED_ERR[j] == MEASURED_ERR[f]
    assert min(MEASURED_MISS) >= 0.02 and NoiseModel().miss == MEASURED_MISS


def test_torso_length_and_no_person() -> None:
    kp = np.zeros((17, 3), np.float32)
    kp[[5, 6, 11, 12], 2] = 1.0
    kp[5, :2], kp[6, :2], kp[11, :2], kp[12, :2] = (10, 0), (0, 0), (10, 20), (0, 20)
    assert torso_length(kp, 0.5) == pytest.approx(20.0)
    kp[[11, 12], 2] = 0.0
    assert torso_length(kp, 0.5) == pytest.approx(10.0 / 0.8)

    class Blind:
        def process(self, rgb: np.ndarray) -> np.ndarray:
            return np.zeros((17, 3), np.float32)

        def close(self) -> None:
            pass

    photo = ("blank", np.zeros((40, 30, 3), np.float32))
    with pytest.raises(CribwatchError, match="no usable photo"):
        measure(Blind(), [photo])

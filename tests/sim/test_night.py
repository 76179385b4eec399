import numpy as np
from skimage import data

from cribwatch.sim.night import OOD_RANGES, NightRanges, params_in_ranges, simulate_night


def test_ranges_and_look() -> None:
    rgb = data.chelsea()[::2, ::2].astype(np.float32) / 255.0
    day_grey = rgb.mean(axis=2)
    for seed in range(8):
        night, p = simulate_night(rgb, seed)
        assert night.dtype == np.float32 and night.shape == rgb.shape[:2]
        assert float(night.min()) >= 0.0 and float(night.max()) <= 1.0
        assert params_in_ranges(p, NightRanges())
        assert abs(p.w_r + p.w_g + p.w_b - 1.0) < 1e-9
        assert night.mean() < day_grey.mean()  # darker
        assert night.std() < day_grey.std()  # flatter


def test_deterministic_and_seed_dependent() -> None:
    rgb = data.coffee()[::4, ::4].astype(np.float32) / 255.0
    a, _ = simulate_night(rgb, 7)
    b, _ = simulate_night(rgb, 7)
    c, _ = simulate_night(rgb, 8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_ood_ranges_are_outside_training() -> None:
    rgb = data.coffee()[::4, ::4].astype(np.float32) / 255.0
    _, p = simulate_night(rgb, 1, OOD_RANGES)
    assert params_in_ranges(p, OOD_RANGES)
    assert not params_in_ranges(p, NightRanges())
    assert OOD_RANGES.photons[1] < NightRanges().photons[0]  # stronger shot noise

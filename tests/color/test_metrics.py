import numpy as np
import pytest

from cribwatch.color.metrics import colorfulness, de00_map, delta_cf, score_pair
from cribwatch.errors import CribwatchError


def test_colorfulness_known_values() -> None:
    grey = np.full((8, 8, 3), 0.4, np.float32)
    assert colorfulness(grey) == pytest.approx(0.0, abs=1e-9)
    red = np.zeros((8, 8, 3), np.float32)
    red[..., 0] = 1.0
    # rg = 255, yb = 127.5, no spread: 0.3 * sqrt(255^2 + 127.5^2)
    assert colorfulness(red) == pytest.approx(0.3 * np.hypot(255.0, 127.5), rel=1e-9)
    half = np.zeros((2, 1, 3), np.float32)
    half[0, 0] = (1.0, 0.0, 0.0)  # one red, one black pixel
    # rg = [255, 0] -> mean 127.5, std 127.5; yb = [127.5, 0] -> mean 63.75, std 63.75
    expect = np.hypot(127.5, 63.75) + 0.3 * np.hypot(127.5, 63.75)
    assert colorfulness(half) == pytest.approx(expect, rel=1e-9)


def test_delta_cf_is_per_image_absolute() -> None:
    red = np.zeros((4, 4, 3), np.float32)
    red[..., 0] = 1.0
    grey = np.full((4, 4, 3), 0.5, np.float32)
    assert delta_cf(grey, red) == pytest.approx(colorfulness(red))
    assert delta_cf(red, grey) == pytest.approx(colorfulness(red))


def test_de00_ignores_lightness() -> None:
    rng = np.random.default_rng(0)
    gt = rng.uniform(0.2, 0.8, (16, 16, 3)).astype(np.float32)
    darker = gt * 0.6
    assert de00_map(gt, gt).max() == pytest.approx(0.0, abs=1e-6)
    # same chroma direction, other lightness: raw error is large, lightness-matched small
    assert de00_map(darker, gt, gt_lightness=False).mean() > 3 * de00_map(darker, gt).mean()


def test_score_pair_regions() -> None:
    gt = np.zeros((16, 16, 3), np.float32) + [0.8, 0.2, 0.2]
    pred = gt.copy()
    pred[:8] = [0.2, 0.2, 0.8]
    changed = np.zeros((16, 16), bool)
    changed[:8] = True
    s = score_pair(pred, gt, changed)
    assert s.de00_static == pytest.approx(0.0, abs=1e-6)
    assert s.de00_changed > 20
    assert s.de00 == pytest.approx(s.de00_changed / 2, rel=1e-6)
    nan = pred.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(CribwatchError):
        score_pair(nan, gt, changed)

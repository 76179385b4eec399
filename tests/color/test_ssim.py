import numpy as np
import pytest
import torch
from skimage import color, data
from skimage.metrics import structural_similarity

from cribwatch.color.ssim import ssim_map
from cribwatch.errors import CribwatchError


def _skimage_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, full = structural_similarity(
        a,
        b,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1.0,
        full=True,
    )
    return full


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_equals_skimage_away_from_border(name: str) -> None:
    a = color.rgb2gray(getattr(data, name)())
    rng = np.random.default_rng(1)
    b = np.clip(a * 0.7 + 0.1 + 0.05 * rng.standard_normal(a.shape), 0, 1)
    b[40:120, 60:200] = np.rot90(a)[:80, :140]  # a structural change
    ref = _skimage_map(a, b)
    ours = ssim_map(
        torch.tensor(a, dtype=torch.float32)[None, None],
        torch.tensor(b, dtype=torch.float32)[None, None],
    )[0, 0].numpy()
    assert ours.shape == ref.shape
    r = 11 // 2
    assert np.abs(ours - ref)[r:-r, r:-r].max() < 1e-4


def test_batched_and_differentiable() -> None:
    x = torch.rand(3, 1, 40, 50, requires_grad=True)
    y = torch.rand(3, 1, 40, 50)
    s = ssim_map(x, y)
    assert s.shape == (3, 1, 40, 50)
    single = ssim_map(x[1:2], y[1:2])
    assert torch.allclose(s[1:2], single, atol=1e-6)
    s.mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_identical_images_give_one() -> None:
    x = torch.rand(1, 1, 32, 32)
    assert torch.allclose(ssim_map(x, x), torch.ones(1, 1, 32, 32), atol=1e-5)


def test_bad_shapes() -> None:
    with pytest.raises(CribwatchError):
        ssim_map(torch.rand(1, 1, 20, 20), torch.rand(1, 1, 20, 21))
    with pytest.raises(CribwatchError):
        ssim_map(torch.rand(20, 20), torch.rand(20, 20))
    with pytest.raises(CribwatchError):
        ssim_map(torch.rand(1, 1, 20, 20), torch.rand(1, 1, 20, 20), window=4)

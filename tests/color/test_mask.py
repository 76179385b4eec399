import numpy as np
import torch
from skimage import color, data

from cribwatch.color.mask import SSIMMapConfig, changed_mask, normalise, ssim_attention_map
from cribwatch.sim.night import simulate_night


def _scene() -> np.ndarray:
    return data.astronaut()[::2, ::2].astype(np.float32) / 255.0


def test_synthetic_change_is_found_and_static_kept() -> None:
    rgb = _scene()
    changed = rgb.copy()
    h, w = rgb.shape[:2]
    region = np.zeros((h, w), bool)
    region[60:140, 80:170] = True
    changed[region] = np.rot90(rgb, 2)[region]  # other structure inside the box
    night, _ = simulate_night(changed, seed=5)
    ref_gray = torch.tensor(color.rgb2gray(rgb), dtype=torch.float32)[None, None]
    smap = ssim_attention_map(torch.tensor(night)[None, None], ref_gray)
    assert smap.shape == (1, 1, h, w)
    assert float(smap.min()) >= 0.0 and float(smap.max()) <= 1.0
    mask = changed_mask(smap)[0, 0].numpy()
    inner = np.zeros_like(region)
    inner[70:130, 90:160] = True
    outer = ~np.pad(region, 0)
    outer[40:160, 60:190] = False  # margin around the change
    assert mask[inner].mean() > 0.8  # the change is found
    assert mask[outer].mean() < 0.25  # most of the static scene is kept
    assert smap[0, 0].numpy()[inner].mean() < smap[0, 0].numpy()[outer].mean() - 0.3


def test_pipeline_is_differentiable() -> None:
    night = torch.rand(2, 1, 64, 80, requires_grad=True)
    ref = torch.rand(2, 1, 64, 80, requires_grad=True)
    s = ssim_attention_map(night, ref, SSIMMapConfig(work_side=None))
    s.sum().backward()
    assert night.grad is not None and night.grad.abs().sum() > 0
    assert ref.grad is not None and ref.grad.abs().sum() > 0


def test_reference_of_other_size_is_resized() -> None:
    night = torch.rand(1, 1, 60, 80)
    ref = torch.rand(1, 1, 120, 160)
    assert ssim_attention_map(night, ref).shape == (1, 1, 60, 80)


def test_normalisation_removes_gain_and_offset() -> None:
    x = torch.rand(1, 1, 64, 64)
    for norm in ("global", "local"):
        cfg = SSIMMapConfig(norm=norm)  # type: ignore[arg-type]
        a, b = normalise(x, cfg), normalise(0.3 * x + 0.05, cfg)
        assert torch.allclose(a, b, atol=2e-2)

"""Change evidence (cribwatch.color.evidence): the NIR fit, the maps, the logistic classifier."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from cribwatch.color.evidence import (
    FEATURES,
    Logistic,
    change_probability,
    design,
    evidence_maps,
    evidence_stack,
    fit_logistic,
    nir_fit,
)
from cribwatch.errors import CribwatchError
from cribwatch.sim.night import NightParams, render_night

S = 64


def _scene(seed: int) -> np.ndarray:
    """Blocks of random colours, slightly blurred."""
    rng = np.random.default_rng(seed)
    img = np.kron(rng.random((8, 8, 3)), np.ones((S // 8, S // 8, 1)))
    return np.clip(gaussian_filter(img, (1, 1, 0)), 0, 1).astype(np.float32)


PARAMS = NightParams(
    w_r=0.6, w_g=0.25, w_b=0.15, bleach=0.3, vignette=0.4, centre_x=0.5, centre_y=0.5,
    exposure=0.4, contrast=0.8, black=0.03, gamma=1.0, photons=400.0, read_noise=0.006,
    blur=0.5, jpeg_quality=None,
)  # fmt: skip


def _recoloured(ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference with a square swapped R <-> B (same maximum: the NIR changes, the
    structure stays) and the square's mask."""
    tgt = ref.copy()
    mask = np.zeros((S, S), bool)
    mask[16:40, 20:44] = True
    tgt[mask] = tgt[mask][:, ::-1]
    return tgt, mask


def test_nir_fit_predicts_an_unchanged_night_frame() -> None:
    ref = _scene(0)
    night = render_night(ref, replace(PARAMS, photons=4000.0), np.random.default_rng(1))
    fit = nir_fit(night, ref)
    assert fit.residual.shape == fit.prediction.shape == night.shape
    # the prediction explains most of the night frame's variance
    assert np.var(fit.residual) < 0.1 * np.var(night)
    assert np.allclose(fit.residual, night - fit.prediction, atol=1e-5)


def test_nir_fit_refuses_bad_shapes() -> None:
    with pytest.raises(CribwatchError, match="nir_fit"):
        nir_fit(np.zeros((8, 8)), np.zeros((8, 9, 3)))
    with pytest.raises(CribwatchError, match="trim"):
        nir_fit(np.zeros((8, 8)), np.zeros((8, 8, 3)), trim=0.0)


def test_residual_marks_a_recoloured_region_the_ssim_map_misses() -> None:
    ref = _scene(2)
    tgt, mask = _recoloured(ref)
    night = render_night(tgt, PARAMS, np.random.default_rng(3))
    maps = evidence_maps(night, ref, np.ones((S, S), np.float32))
    assert set(maps) == set(FEATURES)
    for name in ("resid", "envelope"):
        inner = maps[name][20:36, 24:40].mean()
        outer = maps[name][~np.pad(np.ones((32, 32), bool), 16)].mean()  # 16 px frame border
        assert inner > 2 * outer, name
    assert (maps["ssim"] == 0).all()


def test_logistic_separates_changed_pixels() -> None:
    stacks, masks = [], []
    for seed in range(3):
        ref = _scene(10 + seed)
        tgt, mask = _recoloured(ref)
        night = render_night(tgt, PARAMS, np.random.default_rng(seed))
        stacks.append(evidence_stack(night, ref, np.ones((S, S), np.float32)))
        masks.append(mask)
    model = fit_logistic(stacks, masks, samples=5000)
    p = change_probability(stacks[0], model)
    assert p.shape == (S, S) and p.dtype == np.float32
    assert 0 < p.min() and p.max() < 1
    assert p[masks[0]].mean() > p[~masks[0]].mean() + 0.2


def test_logit_equals_the_standardised_design() -> None:
    """The folded logit is the logistic over the standardised design matrix."""
    rng = np.random.default_rng(7)
    stack = rng.random((len(FEATURES), 16, 16)).astype(np.float32) * 3
    k = 2 * len(FEATURES)
    model = Logistic(
        tuple(rng.random(k)), tuple(0.5 + rng.random(k)), tuple(rng.normal(size=k)), 0.3
    )
    x = (design(stack) - np.asarray(model.mean)) / np.asarray(model.scale)
    want = (x @ np.asarray(model.coef) + model.intercept).reshape(16, 16)
    assert np.allclose(model.logit(stack), want, atol=1e-4)


def test_resize_aa_is_the_torch_resize() -> None:
    """The NumPy resize the runtime feeds the evidence equals torch's antialiased bilinear."""
    import torch

    from cribwatch.color.evidence import resize_aa
    from cribwatch.color.lab import resize

    rng = np.random.default_rng(3)
    for h, w in ((48, 64), (30, 20), (16, 16)):
        x = rng.random((h, w, 3)).astype(np.float32)
        want = resize(torch.from_numpy(x).permute(2, 0, 1)[None], (16, 16))[0]
        assert np.allclose(resize_aa(x, (16, 16)), want.permute(1, 2, 0).numpy(), atol=1e-5)
        assert np.allclose(resize_aa(x[..., 0], (16, 16)), want[0].numpy(), atol=1e-5)


def test_load_logistic(tmp_path: Path) -> None:
    """A classifier saved as JSON loads back; bad files are refused naming the file."""
    import json
    from dataclasses import asdict

    from cribwatch.color.evidence import load_logistic

    k = 2 * len(FEATURES)
    model = Logistic((0.1,) * k, (2.0,) * k, (0.5,) * k, -1.0)
    good = tmp_path / "ev.json"
    good.write_text(json.dumps({**asdict(model), "written_by": "x"}))
    assert load_logistic(good) == model
    for bad in (
        {**asdict(model), "coef": [1.0] * (k - 1)},
        {**asdict(model), "scale": [0.0] * k},
        {**asdict(model), "intercept": True},
        {"mean": [0.0] * k},
    ):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(CribwatchError, match="bad.json"):
            load_logistic(path)

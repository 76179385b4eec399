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


def _night_of(ref: np.ndarray, seed: int, **kw: float) -> np.ndarray:
    tgt, _ = _recoloured(ref)
    return render_night(tgt, replace(PARAMS, **kw), np.random.default_rng(seed))


def test_reference_path_is_nir_fit() -> None:
    """The evidence's fit with the reference settings (stride 2, 6 rounds; the default, as the
    shipped classifier was fitted) is :func:`nir_fit` exactly, and the cheap fit (stride 4, 8
    rounds) stays close to it on a generated pair: the change probability of a classifier
    fitted on the reference path moves by < 0.05 on average and it separates the changed
    square as well (docs/results/color.md: ROC AUC 0.835 against 0.834 on validation pairs)."""
    from cribwatch.color.evidence import FIT_ROUNDS, FIT_STRIDE, EvidenceReference, _blur

    ref = _scene(4)
    night = _night_of(ref, 5)
    nb, rb = _blur(night.astype(np.float32), 0.7), _blur(ref, 0.7)
    slow = nir_fit(nb, rb)
    prep = EvidenceReference(ref, stride=2)
    assert np.allclose(prep.predict(prep.fit(nb, rounds=6)), slow.prediction, atol=1e-6)
    assert (FIT_STRIDE, FIT_ROUNDS) == (2, 6)
    ones = np.ones((S, S), np.float32)
    stacks, masks = [], []
    for seed in range(3):
        r = _scene(20 + seed)
        tgt, mask = _recoloured(r)
        stacks.append(
            evidence_stack(render_night(tgt, PARAMS, np.random.default_rng(seed)), r, ones, 2, 6)
        )
        masks.append(mask)
    model = fit_logistic(stacks, masks, samples=5000)
    _, mask = _recoloured(ref)
    p_slow = change_probability(evidence_stack(night, ref, ones, 2, 6), model)
    assert np.array_equal(p_slow, change_probability(evidence_stack(night, ref, ones), model))
    p_fast = change_probability(evidence_stack(night, ref, ones, 4, 8), model)
    assert np.abs(p_fast - p_slow).mean() < 0.05  # 0.041 measured (64x64: a 16x16 fit grid)
    sep_slow = p_slow[mask].mean() - p_slow[~mask].mean()
    assert p_fast[mask].mean() - p_fast[~mask].mean() > sep_slow - 0.02


def test_stream_state_equals_no_cache() -> None:
    """:class:`EvidenceState` with the reference unchanged: refitting every frame gives
    :func:`evidence_stack` exactly; refitting every 4th frame (or on drift) gives it exactly
    on the frames it refits (the same frame repeated: every time, one fit per 4 frames), and
    in between differs from it less than the fresh evidence of two noise draws differs."""
    from cribwatch.color.evidence import EvidenceState

    ref = _scene(6)
    ones = np.ones((S, S), np.float32)
    nights = [_night_of(ref, seed) for seed in range(5)]
    every = EvidenceState(refit_every=1)
    for night in nights:
        assert np.array_equal(every.stack(night, ref, ones), evidence_stack(night, ref, ones))
    assert every.refits == len(nights)
    same = EvidenceState(refit_every=4)
    want = evidence_stack(nights[0], ref, ones)
    for _ in range(6):
        assert np.array_equal(same.stack(nights[0], ref, ones), want)
    assert same.refits == 2
    cached = EvidenceState(refit_every=4)
    w0 = evidence_stack(nights[0], ref, ones)
    for night in nights:
        before = cached.refits
        got, want = cached.stack(night, ref, ones), evidence_stack(night, ref, ones)
        if cached.refits > before:  # refitted on this frame: exactly the uncached stack
            assert np.array_equal(got, want)
        else:  # an earlier frame's fit: no further from the fresh fit than frames differ
            assert np.abs(got - want).mean() < np.abs(want - w0).mean()
    assert 2 <= cached.refits < len(nights)


def test_stream_state_refreshes() -> None:
    """A new reference (another array, or the same array changed in place) drops the cache;
    a changed exposure refits at once."""
    from cribwatch.color.evidence import EvidenceState

    ones = np.ones((S, S), np.float32)
    ref, other = _scene(7), _scene(8)
    state = EvidenceState(refit_every=100)
    state.stack(_night_of(ref, 0), ref, ones)
    night = _night_of(other, 1)
    assert np.array_equal(state.stack(night, other, ones), evidence_stack(night, other, ones))
    assert state.refits == 2
    other[:8] = 1.0 - other[:8]  # changed in place
    assert np.array_equal(state.stack(night, other, ones), evidence_stack(night, other, ones))
    assert state.refits == 3
    bright = _night_of(other, 2, exposure=0.8)
    assert np.array_equal(state.stack(bright, other, ones), evidence_stack(bright, other, ones))
    assert state.refits == 4
    with pytest.raises(CribwatchError, match="refit_every"):
        EvidenceState(refit_every=0)


def test_reference_half_equals_the_plain_maps() -> None:
    """The reference's precomputed half gives the census and NCC maps exactly."""
    from cribwatch.color.evidence import EvidenceReference, census_distance, local_ncc

    ref = _scene(9)
    night = _night_of(ref, 3)
    prep = EvidenceReference(ref)
    assert np.array_equal(prep.census(night), census_distance(night, prep.gray))
    assert np.array_equal(prep.ncc(night), local_ncc(night, prep.gray))

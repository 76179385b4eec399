"""Held-out generator family d (issue 25, fifth round): an oblique camera whatever the ranges,
back views at the measured rates, and c now a fit family."""

from __future__ import annotations

import numpy as np

from cribwatch.rollover.synth import (
    BACK_EYE_SWAP_MEASURED,
    BACK_FACE_MEASURED,
    BACK_FRONTAL_MEASURED,
    FIT_FAMILIES,
    HELDOUT_FAMILIES,
    HELDOUT_RANGES,
    OBLIQUE_RANGES,
    SynthConfig,
    family_config,
    generate,
)


def test_family_d_is_held_out_and_c_is_fit() -> None:
    # sixth round: d had its one held-out run and is a fit family; e is held out
    assert HELDOUT_FAMILIES == ("g",) and "c" in FIT_FAMILIES and "d" in FIT_FAMILIES


def test_family_d_settings() -> None:
    d = family_config("d", SynthConfig(scene=HELDOUT_RANGES))
    assert d.scene == OBLIQUE_RANGES and d.scene.tilt_deg[0] >= 10.0
    assert (d.back_frontal, d.back_face, d.back_eye_swap) == (
        BACK_FRONTAL_MEASURED, BACK_FACE_MEASURED, BACK_EYE_SWAP_MEASURED,
    )  # fmt: skip
    assert d.noise.dropout > SynthConfig().noise.dropout


def test_family_d_is_reproducible_and_differs_from_c() -> None:
    base = SynthConfig(seq_s=20.0)
    a, ea = generate(5, family_config("d", base))
    b, eb = generate(5, family_config("d", base))
    np.testing.assert_array_equal(a.kp, b.kp)
    assert ea == eb
    c, _ = generate(5, family_config("c", base))
    assert not np.array_equal(a.kp, c.kp)

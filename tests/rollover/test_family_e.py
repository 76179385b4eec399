"""Held-out generator family e and fit family o (issue 25, sixth round)."""

from __future__ import annotations

import numpy as np

from cribwatch.rollover.synth import (
    FIT_FAMILIES,
    HELDOUT_FAMILIES,
    HELDOUT_RANGES,
    WALL_RANGES,
    WIDE_RANGES,
    SynthConfig,
    family_config,
    generate,
)


def test_family_e_was_held_out_and_o_is_fit() -> None:
    # e had its one held-out run in the sixth round; f is held out from the seventh
    assert HELDOUT_FAMILIES == ("g",)
    assert {"d", "o", "e"} <= set(FIT_FAMILIES)


def test_family_e_and_o_cameras_ignore_ranges() -> None:
    e = family_config("e", SynthConfig(scene=HELDOUT_RANGES))
    o = family_config("o", SynthConfig(scene=HELDOUT_RANGES))
    assert e.scene == WALL_RANGES and e.scene.tilt_deg == (30.0, 60.0)
    assert o.scene == WIDE_RANGES and o.scene.tilt_deg == (0.0, 50.0) and o.randomise
    assert e.noise.dropout > family_config("d").noise.dropout


def test_family_e_is_reproducible_and_differs_from_d() -> None:
    base = SynthConfig(seq_s=20.0)
    a, ea = generate(6, family_config("e", base))
    b, eb = generate(6, family_config("e", base))
    np.testing.assert_array_equal(a.kp, b.kp)
    assert ea == eb
    d, _ = generate(6, family_config("d", base))
    assert not np.array_equal(a.kp, d.kp)

"""Held-out generator family g (issue 25, eighth round): a clip-on fisheye camera, whole-face
misses in runs of about 1 s, phantom faces through a face-covering blanket."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cribwatch.rollover.synth import (
    CLIP_RANGES,
    FACE_IDX,
    FIT_FAMILIES,
    HELDOUT_FAMILIES,
    HELDOUT_RANGES,
    SynthConfig,
    family_config,
    generate,
)


def test_family_g_is_held_out_and_ignores_ranges() -> None:
    assert HELDOUT_FAMILIES == ("g",) and "g" not in FIT_FAMILIES
    g = family_config("g", SynthConfig(scene=HELDOUT_RANGES))
    assert g.scene == CLIP_RANGES and g.cover_phantom > 0 and g.noise.face_miss_s > 0


def test_family_g_shows_phantom_faces_under_the_blanket() -> None:
    cfg = replace(family_config("g", SynthConfig(seq_s=120.0)), cover_per_hour=120.0)
    seq, _ = generate(5, cfg)
    assert seq.covered is not None and seq.covered.any()
    face = (seq.kp[:, list(FACE_IDX), 2] >= 0.5).any(axis=1)
    cov = seq.covered
    # phantom faces through the blanket in part of the covered frames, not in most
    assert 0.1 < face[cov].mean() < 0.7
    a, _ = generate(5, cfg)
    np.testing.assert_array_equal(a.kp, seq.kp)

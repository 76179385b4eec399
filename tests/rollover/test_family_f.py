"""Held-out generator family f (issue 25, seventh round): a shelf camera, a heatmap model's
scores, a face on the visible back of the skull, blankets to the chest."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cribwatch.rollover.synth import (
    FACE_IDX,
    FIT_FAMILIES,
    HELDOUT_FAMILIES,
    HELDOUT_RANGES,
    SHELF_RANGES,
    SynthConfig,
    family_config,
    generate,
)


def test_family_f_is_held_out_and_ignores_ranges() -> None:
    assert HELDOUT_FAMILIES == ("g",) and "f" in FIT_FAMILIES
    f = family_config("f", SynthConfig(scene=HELDOUT_RANGES))
    assert f.scene == SHELF_RANGES and f.scene.tilt_deg == (45.0, 75.0)
    assert f.back_face_surface and f.p_blanket_chest > 0 and f.noise.face_joint_miss > 0
    assert f.noise.score_hi[0] < 0.5  # some seen keypoints score below the threshold


def test_family_f_is_reproducible_and_differs_from_e() -> None:
    base = SynthConfig(seq_s=20.0)
    a, ea = generate(6, family_config("f", base))
    b, eb = generate(6, family_config("f", base))
    np.testing.assert_array_equal(a.kp, b.kp)
    assert ea == eb
    e, _ = generate(6, family_config("e", base))
    assert not np.array_equal(a.kp, e.kp)


def test_face_on_the_back_of_the_skull_moves_only_face_keypoints() -> None:
    cfg = replace(family_config("f", SynthConfig(seq_s=120.0)), p_blanket_chest=0.0)
    on, _ = generate(3, cfg)
    off, _ = generate(3, replace(cfg, back_face_surface=False))
    face = list(FACE_IDX)
    body = [k for k in range(17) if k not in face]
    np.testing.assert_array_equal(on.kp[:, body], off.kp[:, body])
    np.testing.assert_array_equal(on.kp[:, :, 2], off.kp[:, :, 2])  # the same scores
    moved = np.abs(on.kp[:, face, :2] - off.kp[:, face, :2]).max(axis=(1, 2)) > 1e-3
    supine = np.array([p == "supine" for p in on.posture])
    assert moved.any() and not moved[supine].any()  # only where the back is to the camera


def test_new_generator_knobs_have_bounds() -> None:
    from cribwatch import cards
    from cribwatch.errors import CribwatchError
    from cribwatch.rollover.synth import NoiseModel

    assert cards.from_mapping(NoiseModel, {"face_joint_miss": 0.1}, "x").face_joint_miss == 0.1
    with pytest.raises(CribwatchError, match="face_joint_miss"):
        cards.from_mapping(NoiseModel, {"face_joint_miss": 1.5}, "x")
    with pytest.raises(CribwatchError, match="p_blanket_chest"):
        cards.from_mapping(SynthConfig, {"p_blanket_chest": -0.1}, "x")


def test_chest_blanket_hides_the_shoulders_and_whole_face_misses_come_together() -> None:
    base = replace(family_config("f", SynthConfig(seq_s=60.0)), back_face=0.0, back_frontal=0.0)
    plain = replace(base, p_blanket_chest=0.0, noise=replace(base.noise, face_joint_miss=0.0))
    chest = replace(plain, p_blanket_chest=1.0, blanket_chest_shoulders=(0.3, 0.3))
    a, _ = generate(8, plain)
    b, _ = generate(8, chest)
    rel_a = (a.kp[:, [5, 6], 2] >= 0.5).mean()
    rel_b = (b.kp[:, [5, 6], 2] >= 0.5).mean()
    assert rel_b < rel_a - 0.3  # shoulders mostly hidden under the blanket
    joint = replace(plain, noise=replace(plain.noise, face_joint_miss=0.5))
    c, _ = generate(8, joint)
    none_a = (a.kp[:, list(FACE_IDX), 2].max(axis=1) < 0.5).mean()
    none_c = (c.kp[:, list(FACE_IDX), 2].max(axis=1) < 0.5).mean()
    assert none_c > none_a + 0.3  # the whole face missed at once in about half the frames

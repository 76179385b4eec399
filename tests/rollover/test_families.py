"""Generator families (issue 25): family a is the original generator, b and c behave as
other infants and other pose models do (proportions, back views named as frontal, faces on
the back of the head)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.learned import make_set_command
from cribwatch.rollover.synth import (
    FAMILIES,
    FIT_FAMILIES,
    HELDOUT_FAMILIES,
    SynthConfig,
    family_config,
    generate,
)


def test_family_a_is_the_original_generator() -> None:
    a, ea = generate(4, SynthConfig(seq_s=30.0))
    b, eb = generate(4, family_config("a", SynthConfig(seq_s=30.0)))
    np.testing.assert_array_equal(a.kp, b.kp)
    assert ea == eb


def test_families_differ_and_are_split() -> None:
    base = SynthConfig(seq_s=30.0)
    kps = [generate(4, family_config(f, base))[0].kp for f in FAMILIES]
    assert not np.array_equal(kps[0], kps[1]) and not np.array_equal(kps[1], kps[2])
    assert set(FIT_FAMILIES).isdisjoint(HELDOUT_FAMILIES)
    assert set(FIT_FAMILIES) | set(HELDOUT_FAMILIES) == set(FAMILIES)
    with pytest.raises(CribwatchError, match="family"):
        family_config("z")


def _prone_order(back_frontal: float) -> float:
    """Fraction of prone frames whose shoulders come in the frontal (supine) order."""
    cfg = replace(
        family_config("a", SynthConfig(seq_s=240.0)), back_frontal=back_frontal, family="t"
    )
    cfg = replace(cfg, noise=replace(cfg.noise, swap=0.0, dropout=0.0))
    seq, _ = generate(3, cfg)
    prone = np.array([p == "prone" for p in seq.posture])
    kp = seq.kp[prone]
    ok = (kp[:, 5, 2] > 0) & (kp[:, 6, 2] > 0) & (kp[:, 11, 2] > 0) & (kp[:, 12, 2] > 0)
    kp = kp[ok]
    up = (kp[:, 5, :2] + kp[:, 6, :2]) / 2 - (kp[:, 11, :2] + kp[:, 12, :2]) / 2
    n = np.stack([-up[:, 1], up[:, 0]], 1)
    sw = ((kp[:, 5, :2] - kp[:, 6, :2]) * n).sum(1)
    return float((sw > 0).mean())


def test_back_frontal_names_back_views_as_frontal() -> None:
    assert _prone_order(0.0) < 0.2
    assert _prone_order(0.9) > 0.6


def test_make_set_command_names_the_family() -> None:
    man = {"hours": 1, "seed": 3, "config": {"family": "b"}}
    assert "--family b" in make_set_command("d", man)
    assert "--family" not in make_set_command("d", {"hours": 1, "seed": 3, "config": {}})


def test_family_r_draws_back_view_behaviour_per_sequence() -> None:
    from cribwatch.rollover.synth import randomised

    cfg = family_config("r", SynthConfig(seq_s=20.0))
    draws = [randomised(cfg, s) for s in range(40)]
    bf = np.array([d.back_frontal for d in draws])
    face = np.array([d.back_face for d in draws])
    assert bf.min() < 0.15 and bf.max() > 0.85 and face.min() < 0.15 and face.max() > 0.85
    assert randomised(cfg, 3) == randomised(cfg, 3)
    a, _ = generate(7, cfg)
    b, _ = generate(7, cfg)
    np.testing.assert_array_equal(a.kp, b.kp)

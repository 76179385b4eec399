"""The fill plan of a warp (color/align.py ``fill_plan``, ``apply_fill_plan``: the hole's
indices once per warp, the edge-strip rule) and the reference bank's refusal reasons."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cribwatch.color.align import (
    EDGE_PX,
    Alignment,
    apply_fill,
    apply_fill_plan,
    fill_plan,
    guided_fill_map,
)
from cribwatch.color.api import Colorizer
from cribwatch.color.bank import ReferenceBank
from cribwatch.color.pairs import PairConfig, generate_pair
from cribwatch.errors import CribwatchError

CFG = replace(PairConfig(height=120, width=160), p_shift=0.0)


def _pair(scene_dir: Path, seed: int, warp: str = "camera") -> dict[str, np.ndarray]:
    scenes = sorted(scene_dir.iterdir())
    imgs, _ = generate_pair(scenes, [], seed, 0, CFG, "train", warp)  # type: ignore[arg-type]
    return imgs  # type: ignore[no-any-return]


def _turned(h: int, w: int) -> Alignment:
    """A warp turned by 4 degrees and shifted: a wedge-shaped uncovered border."""
    t = np.deg2rad(4.0)
    m = np.array([[np.cos(t), -np.sin(t), 6.0], [np.sin(t), np.cos(t), -4.0], [0, 0, 1]])
    return Alignment(m, 0.9, 0.9, (h, w), (h, w))


def test_the_plan_equals_apply_fill_exactly_and_works_in_place(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    rgb = np.ascontiguousarray(imgs["target"], np.float32)
    cov = _turned(*rgb.shape[:2]).covered()
    assert 0 < (~cov).sum() < cov.size
    ab = guided_fill_map(rgb, cov, imgs["night"])
    want = apply_fill(rgb, cov, ab)
    plan = fill_plan(cov)  # edge_px=0: every uncovered pixel
    assert plan.needed and plan.edge_px == 0 and np.array_equal(plan.covered, cov)
    assert np.array_equal(plan.fill_map(rgb, imgs["night"]), ab)
    frame = rgb.copy()
    got = apply_fill_plan(frame, plan, ab)
    assert got is frame and np.array_equal(got, want)  # in place, the same numbers
    # a read-only or non-contiguous frame is filled on a copy, never written
    ro = rgb.copy()
    ro.flags.writeable = False
    assert np.array_equal(apply_fill_plan(ro, plan, ab), want)
    wide = np.zeros((rgb.shape[0], rgb.shape[1], 4), np.float32)
    wide[..., :3] = rgb
    assert np.array_equal(apply_fill_plan(wide[..., :3], plan, ab), want)
    assert np.array_equal(wide[..., :3], rgb)
    # the plan of an Alignment is that of its coverage
    assert np.array_equal(fill_plan(_turned(*rgb.shape[:2])).hole, plan.hole)
    with pytest.raises(CribwatchError, match="differ in size"):
        apply_fill_plan(rgb[:-1], plan, ab)
    with pytest.raises(CribwatchError, match="edge_px"):
        fill_plan(cov, edge_px=-1)


def test_the_edge_strip_rule() -> None:
    h, w = 40, 50
    cov = np.ones((h, w), bool)
    cov[:, :1] = False  # a 1-px strip on the left
    cov[-2:, :] = False  # a 2-px strip at the bottom
    cov[:, -3:] = False  # a 3-px strip on the right: filled whole
    plan = fill_plan(cov, edge_px=2)
    hole = ~plan.covered
    assert not hole[:, :1][:-2].any() and not hole[-2:, :-3].any()
    assert hole[:, -3:].all() and hole.sum() == 3 * h
    assert np.array_equal(plan.hole, np.flatnonzero(hole))
    # a sub-pixel shift's one-pixel border: nothing left to fill with the rule, all without
    sub = Alignment(np.array([[1, 0, 0.6], [0, 1, -0.6], [0, 0, 1]]), 0.9, 0.99, (h, w), (h, w))
    assert not sub.covered().all()
    assert not fill_plan(sub, EDGE_PX).needed and fill_plan(sub).needed
    # the tip of a turned warp's wedge goes, its wide part stays whole
    turned = _turned(h, w).covered()
    wedge = ~fill_plan(turned, 2).covered
    assert wedge.sum() < (~turned).sum() and (wedge <= ~turned).all() and wedge.any()
    # nothing covered, or everything: nothing to fill
    assert not fill_plan(np.zeros((h, w), bool), 2).needed
    assert not fill_plan(np.ones((h, w), bool), 2).needed


def test_colorizer_uses_the_rule_and_fills_the_same_as_before(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    col = Colorizer(imgs["reference"], align=True, edge_px=0)
    out = col.colorize(imgs["night"])
    assert col.alignment is not None and col.fill_plan is not None
    assert col.fill_plan.edge_px == 0 and np.array_equal(
        col.fill_plan.covered, col.alignment.covered()
    )
    # the previous Colorizer: the whole uncovered area filled by apply_fill
    raw = Colorizer(col.alignment.warp(imgs["reference"])).colorize(imgs["night"])
    cov = col.alignment.covered()
    ab = guided_fill_map(raw, cov, imgs["night"])
    assert np.array_equal(out, apply_fill(raw, cov, ab))
    default = Colorizer(imgs["reference"], align=True)
    assert default.edge_px == EDGE_PX
    default.colorize(imgs["night"])
    assert default.fill_plan is None or default.fill_plan.edge_px == EDGE_PX
    with pytest.raises(CribwatchError, match="edge_px"):
        Colorizer(imgs["reference"], edge_px=-1)


def test_the_bank_says_why_each_reference_was_refused(scene_dir: Path) -> None:
    right = _pair(scene_dir, 0)
    other = _pair(scene_dir, 1)["reference"]
    bank = ReferenceBank(per_view=3)
    bank.add(other, view="a")
    assert bank.best(right["night"]) is None
    assert [r.index for r in bank.last_refusals] == [0]
    assert bank.last_refusals[0].reason and not bank.last_refusals[0].alignment.ok
    why = bank.refusal_reason()
    assert why.startswith("the reference does not match the night view (") and "\n" not in why
    bank.add(_pair(scene_dir, 2)["reference"], view="a")
    assert bank.refusal_reason() == why  # the last call's, until the next
    assert bank.best(right["night"]) is None
    assert len(bank.last_refusals) == 2
    assert bank.refusal_reason().startswith("none of 2 references match the night view")
    # strict Colorizer with the bank: the refusal names why
    with pytest.raises(CribwatchError, match=r"no reference in the bank matches .*\("):
        Colorizer(other, bank=bank).colorize(right["night"])
    bank.add(right["reference"], view="a")
    choice = bank.best(right["night"])
    assert choice is not None and choice.index == 2
    assert [r.index for r in bank.last_refusals] == [0, 1] and bank.refusal_reason() == ""


def test_the_plan_keeps_its_own_coverage() -> None:
    cov = np.ones((8, 9), bool)
    cov[:, :4] = False
    plan = fill_plan(cov)
    assert cov.flags.writeable and not plan.covered.flags.writeable
    cov[:] = True  # the caller's array changes; the plan does not
    assert plan.needed and plan.hole.size == 32

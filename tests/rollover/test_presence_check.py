"""The presence check's verification runs and the rule that chose them (issue 25)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cribwatch.rollover.nightmeasure import PRESENCE_GRID, choose_presence_check


def _f(
    present: bool, drift: float, flip: float, zoom_n: int, found: bool = False
) -> dict[str, Any]:
    return {"present": present, "drift": drift, "flip_n": 10, "flip": flip, "zoom_n": zoom_n,
            "zoom": 0.02, "found": found}  # fmt: skip


def test_rule_takes_the_method_rule_when_a_candidate_reaches_the_limit() -> None:
    feats = {
        "people": [_f(True, 0.01, 0.02, 12, True)] * 10,
        "side": [_f(True, 0.01, 0.02, 12)] * 5,
        "empty": [_f(True, 0.045, 0.02, 12)] * 10 + [_f(False, 1, 1, 0)] * 200,
    }
    r = choose_presence_check(feats)
    assert r["how"] == "method rule"
    assert r["chosen"]["false"] == 0 and r["chosen"]["found"] == 10
    assert r["shipped"]["false"] == 10 and r["chosen"]["runs"] == 0
    assert r["chosen"]["check"]["consistency"] < 0.045


def test_rule_falls_back_to_the_fewest_false_keeping_the_photos() -> None:
    feats = {
        "people": [_f(True, 0.01, 0.02, 12, True)] * 10,
        "side": [_f(True, 0.01, 0.02, 12)] * 5,
        "empty": [_f(True, 0.01, 0.02, 12)] * 10 + [_f(True, 0.01, 0.2, 12)] * 10,
    }
    r = choose_presence_check(feats)
    assert r["how"].startswith("fallback")
    assert r["chosen"]["found"] == 10 and r["chosen"]["false"] == 10
    assert r["chosen"]["check"]["verify_flip_drift"] < 1.0
    assert r["candidates"] == int(np.prod([len(v) for v in PRESENCE_GRID.values()]))


def test_verification_keeps_a_person() -> None:
    pytest.importorskip("ai_edge_litert")
    skdata = pytest.importorskip("skimage.data")
    from cribwatch.rollover.nightpose import NightPose, person_present

    be = NightPose()
    try:
        kp = be.process(np.ascontiguousarray(skdata.astronaut()))
        assert person_present(kp)
        assert set(be.last_verify) == {"flip", "flip_n", "zoom", "zoom_n"}
        assert be.last_verify["flip"] <= be.config.verify_flip_drift
    finally:
        be.close()

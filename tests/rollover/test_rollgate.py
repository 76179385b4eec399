"""The roll gate (issue 25): a whole-body left/right label swap of a supine infant with no face
in view does not raise ``to_prone``; a roll through the side does."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from cribwatch.rollover.events import EventConfig, RollGate, run
from cribwatch.rollover.pose import COCO_FLIP

FPS = 15.0


def _body(theta: float) -> np.ndarray:
    """(17, 3) keypoints of a body lying along the image's y axis, rolled by ``theta``
    (0 supine, pi prone) about its long axis, seen from straight above; no face in view."""
    kp = np.zeros((17, 3))
    c = math.cos(theta)
    for k, (x, y) in {5: (55, -80), 6: (-55, -80), 11: (35, 80), 12: (-35, 80)}.items():
        kp[k] = (320 + x * c, 240 + y, 0.9)  # supine order (sw > 0)
    lower = (5, 11) if math.sin(theta) > 0 else (6, 12)
    if abs(math.sin(theta)) > 0.8:  # on the side the lower shoulder and hip are hidden
        kp[list(lower), 2] = 0.1
    return kp


def _night(thetas: list[float], swap: tuple[float, float] | None = None) -> tuple[np.ndarray, ...]:
    t = np.arange(len(thetas)) / FPS
    kp = np.stack([_body(a) for a in thetas])
    if swap is not None:
        on = (t >= swap[0]) & (t < swap[1])
        kp[on] = kp[on][:, list(COCO_FLIP)]
    return t, kp


def _alerts(t: np.ndarray, kp: np.ndarray, cfg: EventConfig) -> list[float]:
    det = run(t, kp, event_cfg=cfg, method="rules")
    return [e.time for e in det.events if e.event == "to_prone" and e.kind == "alert"]


GATED = replace(EventConfig(), roll_gate=True)


def test_a_whole_body_label_swap_without_a_face_does_not_alert() -> None:
    t, kp = _night([0.0] * int(20 * FPS), swap=(8.0, 12.0))
    assert _alerts(t, kp, EventConfig())  # without the gate the swap reads as prone
    assert _alerts(t, kp, GATED) == []


def test_a_roll_through_the_side_alerts() -> None:
    roll = list(np.pi * 0.5 * (1 - np.cos(np.linspace(0, np.pi, int(2 * FPS)))))
    thetas = [0.0] * int(8 * FPS) + roll + [math.pi] * int(10 * FPS)
    t, kp = _night(thetas)
    got = _alerts(t, kp, GATED)
    assert len(got) == 1 and 8.0 < got[0] < 8.0 + 2.0 + 3.0


def test_a_long_prone_hold_alerts_even_without_evidence_of_a_roll() -> None:
    t, kp = _night([0.0] * int(5 * FPS) + [math.pi] * int(15 * FPS), swap=None)
    # prone from a jump only: held back, then raised after gate_hold_s of prone
    got = _alerts(t, kp, GATED)
    assert len(got) == 1 and got[0] >= 5.0 + GATED.gate_hold_s


def test_the_gate_follows_passages_and_ignores_jumps() -> None:
    g = RollGate(GATED)
    for i in range(10):
        g.update(i / FPS, 0.8)
    assert not g.open()
    g.update(10 / FPS, -0.8)  # a jump: labels swapped, shoulders did not move
    assert not g.open()
    g.update(11 / FPS, 0.8)
    g.update(12 / FPS, 0.1)  # narrow: on the side
    g.update(13 / FPS, -0.8)
    assert g.open()


def test_drop_outs_count_as_a_passage_only_when_asked() -> None:
    for dropouts, want in ((False, False), (True, True)):
        g = RollGate(replace(GATED, gate_dropouts=dropouts))
        for i in range(10):
            g.update(i / FPS, 0.8)
        for i in range(10, 16):  # the pose model found nobody
            g.update(i / FPS, math.nan, seen=False)
        g.update(16 / FPS, -0.8)
        assert g.open() is want


def test_a_recent_passage_opens_the_gate_whatever_order_follows() -> None:
    cfg = replace(GATED, gate_passage_s=3.0)
    g = RollGate(cfg)
    for i in range(10):
        g.update(i / FPS, 0.8)
    g.update(10 / FPS, 0.1)  # side
    g.update(11 / FPS, 0.8)  # back in supine's order (a back view named as frontal, or a bounce)
    assert g.open()
    for i in range(12, 12 + int(4 * FPS)):
        g.update(i / FPS, 0.8)
    assert not g.open()

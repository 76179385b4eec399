"""Temporal logic: smoothing, hysteresis, roll-over events and debounced alerts.

Per frame the tracker takes the posture probabilities of :mod:`cribwatch.rollover.posture`
(supine, side, prone), smooths them with an exponential moving average (time constant
``smooth_s``; frames with too few keypoints are skipped, not averaged in, and a gap counts
as one step of at most ``max_step_s``) and runs a state
machine with hysteresis: it moves from state A to B only when the smoothed ``p[B] >=
enter_prob`` and ``p[A] <= exit_prob`` have held for ``dwell_s`` seconds (``prone_dwell_s`` into
prone). Each move is an
**event** (``to_supine``, ``to_side``, ``to_prone``) stamped at the moment it is confirmed.

**Alerts**, each debounced to one per episode:

* ``to_prone``: on entering prone; re-armed only after ``rearm_s`` seconds supine (or
  ``rearm_side_s`` on the side), so a prone <-> side flicker cannot raise a storm. With
  ``roll_gate`` the alert also needs evidence that the body rolled (:class:`RollGate`): a
  whole-body left/right label swap of a supine infant (the pose model names the sides the
  other way round for a while) turns the shoulders' order at once, where a roll passes
  through the side, where the order cannot be seen. Without that evidence the alert waits
  (at most ``gate_hold_s`` of prone).
* ``prone_too_long``: once per prone episode, when it has lasted ``prone_limit_s`` (timed
  from when the smoothed prone probability rose past ``rise_prob``; the episode lasts until
  ``to_prone`` is re-armed, and the alert fires only while the state is prone).
* ``face_not_visible``: the body is in view (two or more torso keypoints) but no face
  keypoint has been reliable for ``face_hold_s`` seconds (possible covering); re-armed after
  ``face_rearm_s`` seconds with a visible face.
* ``nobody_in_view``: no person in view (fewer than ``presence_min`` reliable keypoints: the
  pose backend found nobody) for ``nobody_hold_s`` seconds; re-armed after ``nobody_rearm_s``
  seconds with a person in view. Short drop-outs of the estimator do not raise it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.rollover import faceveto
from cribwatch.rollover.learned import LearnedPosture, to_state_probs
from cribwatch.rollover.learned import load as load_learned
from cribwatch.rollover.posture import (
    STATES,
    Features,
    PostureConfig,
    features,
    label,
    probabilities,
)

SUPINE, SIDE, PRONE = 0, 1, 2


@dataclass(frozen=True)
class EventConfig:
    """Smoothing, hysteresis and alert timing."""

    smooth_s: float = 0.6
    """Time constant of the exponential smoothing of the posture probabilities."""
    side_smooth_s: float = 1.0
    """Time constant of the smoothing of the side direction."""
    enter_prob: float = 0.6
    """Smoothed probability a new state needs."""
    exit_prob: float = 0.4
    """Smoothed probability the current state must fall to before it can be left."""
    dwell_s: float = 0.6
    """How long the new state must hold before the move is confirmed."""
    prone_dwell_s: float = 1.0
    """The same for a move into prone (the ``to_prone`` alert): longer trades latency for
    fewer false alarms."""
    rearm_s: float = 5.0
    """Seconds supine before another ``to_prone`` alert can fire."""
    rearm_side_s: float = 20.0
    """Seconds on the side (not supine) that also re-arm ``to_prone``."""
    prone_limit_s: float = 30.0
    """A prone episode this long raises ``prone_too_long``."""
    rise_prob: float = 0.3
    """A prone episode is timed from when the smoothed prone probability last rose past this."""
    face_hold_s: float = 4.0
    """Seconds without a visible face (body in view) before ``face_not_visible``."""
    face_rearm_s: float = 2.0
    """Seconds with a visible face before ``face_not_visible`` can fire again."""
    face_reset_s: float = 2.5
    """A face must stay visible this long to end a face-missing stretch (brief false
    detections of a covered face, runs of 1-2 s of a face keypoint under a blanket, do not
    restart the count; chosen on generated quiet nights, docs/results/rollover-night.md)."""
    min_face: int = 1
    """Reliable face keypoints that count as a visible face."""
    face_reset_frac: float = 0.0
    """With > 0: a face-missing stretch ends when a face was seen in at least this fraction
    of the frames (with the body or a face in view) of the last ``face_reset_s`` seconds,
    not only after an unbroken ``face_reset_s`` of face (a pose model that misses the whole
    face for half a second every few seconds never shows it unbroken; phantom face
    keypoints under a blanket come in runs of 1-2 s, a small fraction of a longer window).
    0: the unbroken rule."""
    face_miss_frac: float = 0.0
    """With > 0 (hysteresis on the alert side): ``face_not_visible`` fires when the face was
    missing in at least this fraction of the frames with the body in view (or a face) of the
    last ``face_hold_s`` seconds (with that much history, the face missing in this frame),
    rather than after an unbroken ``face_hold_s`` without a face (a model that misses the
    whole face for half a second every few seconds leaves most of such a window with a face;
    phantom faces through a blanket leave most of it without). The reset settings then only
    matter for re-arming. 0: the unbroken rule."""
    max_step_s: float = 0.1
    """Largest time step the smoothing takes (a gap without usable frames counts as this)."""
    nobody_hold_s: float = 10.0
    """Seconds with nobody in view before ``nobody_in_view``."""
    nobody_rearm_s: float = 3.0
    """Seconds with a person in view before ``nobody_in_view`` can fire again."""
    nobody_reset_s: float = 0.5
    """A person must stay in view this long to end a stretch of nobody (a few frames of a
    person found in an empty crib do not restart the count)."""
    presence_min: int = 2
    """Reliable keypoints (of 17) that make a frame count as a person in view."""
    roll_gate: bool = False
    """``to_prone`` needs the body to have rolled over (:class:`RollGate`), not only its
    left/right labels to have swapped."""
    gate_width: float = 0.25
    """Signed shoulder width (torso lengths) the shoulders' order needs to count as seen."""
    gate_gap_s: float = 0.2
    """A stretch at least this long without a seen order is a passage through the side."""
    gate_narrow: float = 0.0
    """With > 0: a passage also needs the shoulders narrower than this fraction of their
    recent width next to it (a roll narrows them; a missed keypoint does not)."""
    gate_bounce_s: float = 1.5
    """For this long after a passage the order may still jump and the jump counts (a back
    view named as frontal just after the roll, then named right)."""
    gate_bounce_any: bool = False
    """Any jump within ``gate_bounce_s`` of a passage counts (off: only a jump to prone's
    order after a passage that came back to supine's)."""
    gate_bounce_prone: float = 0.0
    """With > 0: that jump counts only if the frames since the passage were already prone by
    the classifier (mean prone probability at least this): a back view named as frontal
    still looks prone to it; a supine body whose labels then swap does not."""
    gate_dropouts: bool = False
    """Frames without the body in view count towards a passage (off: a drop-out of the pose
    model is no evidence of a roll)."""
    gate_passage_s: float = 0.0
    """With > 0: a passage through the side this recent opens the gate whatever order follows
    it (a model that names a prone back as frontal for long shows supine's order after a real
    roll)."""
    gate_swap_only: bool = False
    """Hold back only while a swap is in effect (the shoulders seen in prone's order, the body
    rolled to supine's); off: whenever the body has not rolled to prone's order. A model that
    names a prone back as frontal shows supine's order there: its prone call comes from other
    cues, which this does not veto."""
    gate_hold_s: float = 6.0
    """A prone state held this long raises the alert without evidence of a roll."""
    veto_window_s: float = 0.0
    """With > 0 (and the face veto in entry mode, ``PostureConfig.face_veto_entry``): outside
    the prone state, a frame's prone probability is moved away when, among the frames of the
    last ``veto_window_s`` seconds that the classifier calls prone (prone >= 0.5), at least
    ``veto_frac`` were marked by the veto (at least 3 such frames); 0: each marked frame on its
    own."""
    veto_frac: float = 0.5
    """Fraction of the recent prone-called frames the veto must have marked (``veto_window_s``)."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "veto_window_s": (0.0, 10.0), "veto_frac": (0.05, 1.0), "face_reset_frac": (0.0, 1.0),
        "face_miss_frac": (0.0, 1.0),
    }  # fmt: skip


@dataclass
class Event:
    """One event or alert."""

    time: float
    event: str
    confidence: float
    kind: str = "event"
    """``event`` (posture change) or ``alert``."""

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON keys: time, event, confidence, kind."""
        return {
            "time": round(self.time, 3),
            "event": self.event,
            "confidence": round(self.confidence, 3),
            "kind": self.kind,
        }


@dataclass
class RollGate:
    """Whether the body rolled over, tracked from the order of its shoulders.

    Feed every frame's signed shoulder width ``sw`` (:class:`cribwatch.rollover.posture.Features`;
    NaN where both shoulders are not reliable). The order is *seen* where ``|sw| >=
    gate_width``: + as a supine body shows it, - as a prone one. ``side`` holds the order of
    the body as rolled: it takes the seen order after a **passage** (shoulders seen narrower
    than ``gate_width``, or no order seen for ``gate_gap_s``; with ``gate_narrow`` also the
    shoulders narrowing next to it) and ignores a **jump** (the order reversed from one seen
    frame to the next: the pose model swapped left and right; the shoulders did not move),
    except within ``gate_bounce_s`` after a passage (``gate_bounce_any``; otherwise only a
    jump to - after a passage that came back to +). ``open()``: the body may be prone.
    """

    config: EventConfig = field(default_factory=EventConfig)
    side: int = 0
    last_sign: int = 0
    last_t: float = -math.inf
    passage_end: float = -math.inf
    narrow_seen: bool = False
    bounced: bool = False
    bounce_p: float = 0.0
    bounce_n: int = 0
    prev_t: float = -math.inf
    w_fast: float = math.nan
    w_slow: float = math.nan

    def update(self, t: float, sw: float, seen: bool = True, p_prone: float = math.nan) -> None:
        """One frame at time ``t`` with signed shoulder width ``sw`` (NaN: not measured);
        ``seen``: the body was in view (without ``gate_dropouts`` a frame where it was not
        adds nothing to a passage); ``p_prone``: the frame's prone probability (for
        ``gate_bounce_prone``)."""
        cfg = self.config
        if math.isfinite(p_prone):
            self.bounce_p += p_prone
            self.bounce_n += 1
        if not seen and not cfg.gate_dropouts and math.isfinite(self.prev_t):
            self.last_t += t - self.prev_t
        self.prev_t = t
        if not math.isfinite(sw):
            return
        if abs(sw) < cfg.gate_width:
            self.narrow_seen = True
            return
        s = 1 if sw > 0 else -1
        w = abs(sw)
        if self.last_sign == 0:
            self.side = s
        elif self.narrow_seen or t - self.last_t >= cfg.gate_gap_s - 1e-9:
            narrow = cfg.gate_narrow <= 0 or (
                math.isfinite(self.w_slow) and min(self.w_fast, w) < cfg.gate_narrow * self.w_slow
            )
            if narrow:
                self.passage_end = t
                self.bounced = s > 0 and self.last_sign > 0
                self.bounce_p, self.bounce_n = 0.0, 0
                self.side = s
        elif s != self.last_sign and t - self.passage_end <= cfg.gate_bounce_s:
            prone_like = cfg.gate_bounce_prone <= 0 or (
                self.bounce_n > 0 and self.bounce_p / self.bounce_n >= cfg.gate_bounce_prone
            )
            if (cfg.gate_bounce_any or (s < 0 and self.bounced)) and prone_like:
                self.side = s
        self.narrow_seen = False
        dt = min(max(t - self.last_t, 0.0), 1.0)
        if math.isfinite(self.w_fast):
            self.w_fast += (1.0 - math.exp(-dt / 0.2)) * (w - self.w_fast)
            self.w_slow += (1.0 - math.exp(-dt / 10.0)) * (w - self.w_slow)
        else:
            self.w_fast = self.w_slow = w
        self.last_sign, self.last_t = s, t

    def open(self) -> bool:
        """The rolled order is prone's, or not known yet (with ``gate_swap_only``: unless the
        rolled order is supine's while the seen order is prone's, a swap in effect)."""
        if self.config.gate_swap_only:
            return not (self.side > 0 and self.last_sign < 0)
        recent = self.last_t - self.passage_end <= self.config.gate_passage_s
        return self.side <= 0 or recent


def face_seen_enough(
    hist: deque[tuple[float, bool]], t: float, face: bool, cfg: EventConfig
) -> bool:
    """``EventConfig.face_reset_frac``: add this frame to ``hist`` (frames with the body or a
    face in view) and say whether a face was seen in at least that fraction of the frames of
    the last ``face_reset_s`` seconds (with that much history, and a face in this frame)."""
    hist.append((t, face))
    while hist and hist[0][0] < t - cfg.face_reset_s:
        hist.popleft()
    if not face or t - hist[0][0] < 0.9 * cfg.face_reset_s:
        return False
    return sum(f for _, f in hist) >= cfg.face_reset_frac * len(hist)


def face_missing_enough(
    hist: deque[tuple[float, bool]], t: float, face: bool, cfg: EventConfig
) -> bool:
    """``EventConfig.face_miss_frac``: add this frame to ``hist`` (frames with the body or a
    face in view) and say whether the face was missing in at least that fraction of the frames
    of the last ``face_hold_s`` seconds (with that much history, the face missing now)."""
    hist.append((t, face))
    while hist and hist[0][0] < t - cfg.face_hold_s:
        hist.popleft()
    if face or t - hist[0][0] < 0.95 * cfg.face_hold_s:
        return False
    return sum(not f for _, f in hist) >= cfg.face_miss_frac * len(hist)


@dataclass
class Tracker:
    """Streaming posture tracker: feed frames in time order with :meth:`update`."""

    config: EventConfig = field(default_factory=EventConfig)
    p: np.ndarray | None = None
    side_d: float = 0.0
    state: int = -1
    cand: int = -1
    cand_since: float = 0.0
    last_t: float = -math.inf
    last_valid_t: float = -math.inf
    prone_armed: bool = True
    out_of_prone_since: float = 0.0
    supine_since: float = 0.0
    rise_since: float = math.inf
    prone_start: float = 0.0
    prone_long_fired: bool = False
    face_missing_since: float | None = None
    face_seen_since: float | None = 0.0
    face_armed: bool = True
    nobody_since: float | None = None
    seen_since: float | None = None
    nobody_armed: bool = True
    gate: RollGate | None = None
    prone_pending: bool = False
    pending_since: float = 0.0
    pending_start: float = 0.0
    recent: deque[tuple[float, bool]] = field(default_factory=deque)
    face_hist: deque[tuple[float, bool]] = field(default_factory=deque)
    face_miss_hist: deque[tuple[float, bool]] = field(default_factory=deque)

    def update(
        self, t: float, probs: np.ndarray, d: float, valid: bool, n_face: int, body_in_view: bool,
        present: bool = True, sw: float = math.nan, veto: bool = False,
    ) -> list[Event]:  # fmt: skip
        """Advance to time ``t`` with one frame's features; returns new events and alerts.

        ``present``: whether a person is in view (``nobody_in_view``); callers that do not
        know leave it True. ``sw``: the signed shoulder width (for ``roll_gate``; NaN: not
        measured). ``veto``: the face veto marked this frame (``PostureConfig.face_veto_entry``):
        outside the prone state its prone probability moves to supine (or the side).
        """
        cfg = self.config
        out: list[Event] = []
        if cfg.veto_window_s > 0 and valid:
            if float(probs[PRONE]) >= 0.5:
                self.recent.append((t, veto))
            while self.recent and self.recent[0][0] < t - cfg.veto_window_s:
                self.recent.popleft()
            n = len(self.recent)
            veto = n >= 3 and sum(v for _, v in self.recent) >= cfg.veto_frac * n
        if veto and valid and self.state != PRONE:
            one = np.asarray(probs, dtype=np.float64)[None]
            probs = faceveto.move_prone(one, np.ones(1, dtype=bool))[0]
        if cfg.roll_gate:
            if self.gate is None:
                self.gate = RollGate(cfg)
            self.gate.update(t, sw, valid, float(probs[PRONE]) if valid else math.nan)
        if valid:
            if self.p is None:
                self.p = np.asarray(probs, dtype=np.float64).copy()
                self.side_d = float(d)
            else:
                dt = min(max(t - self.last_valid_t, 0.0), cfg.max_step_s)
                a = 1.0 - math.exp(-dt / cfg.smooth_s)
                self.p = self.p + a * (probs - self.p)
                b = 1.0 - math.exp(-dt / cfg.side_smooth_s)
                self.side_d += b * (float(d) - self.side_d)
            self.last_valid_t = t
            self._step_state(t, out)
        self._step_pending(t, out)
        self._step_alerts(t, n_face, body_in_view, out)
        self._step_presence(t, present, out)
        self.last_t = t
        return out

    def _step_presence(self, t: float, present: bool, out: list[Event]) -> None:
        cfg = self.config
        if present:
            if self.seen_since is None:
                self.seen_since = t
            if t - self.seen_since >= cfg.nobody_reset_s:
                self.nobody_since = None
            if t - self.seen_since >= cfg.nobody_rearm_s:
                self.nobody_armed = True
            return
        self.seen_since = None
        if self.nobody_since is None:
            self.nobody_since = t
        if self.nobody_armed and t - self.nobody_since >= cfg.nobody_hold_s:
            self.nobody_armed = False
            out.append(Event(t, "nobody_in_view", 1.0, "alert"))

    def _gate_open(self) -> bool:
        return self.gate is None or self.gate.open()

    def _step_pending(self, t: float, out: list[Event]) -> None:
        """A ``to_prone`` alert held back by the roll gate fires once the gate opens (or the
        prone state has lasted ``gate_hold_s``); it lapses when the state leaves prone."""
        if not self.prone_pending:
            return
        if self.state != PRONE or not self.prone_armed:
            self.prone_pending = False
            return
        if self._gate_open() or t - self.pending_since >= self.config.gate_hold_s:
            self.prone_pending = False
            conf = float(self.p[PRONE]) if self.p is not None else 0.0
            out.append(Event(t, "to_prone", conf, "alert"))
            self.prone_armed = False
            self.prone_start = self.pending_start
            self.prone_long_fired = False

    def _step_state(self, t: float, out: list[Event]) -> None:
        cfg = self.config
        assert self.p is not None
        best = int(np.argmax(self.p))
        if self.p[PRONE] < cfg.rise_prob:
            self.rise_since = math.inf
        elif self.rise_since == math.inf:
            self.rise_since = t
        if self.state < 0:
            if self.p[best] >= cfg.enter_prob:
                self.state = best
                if best == PRONE:
                    self.prone_start = t
                    self.prone_armed = False
            return
        if best == self.state:
            self.cand = -1
            return
        ok = self.p[best] >= cfg.enter_prob and self.p[self.state] <= cfg.exit_prob
        if not ok:
            self.cand = -1
            return
        if self.cand != best:
            self.cand = best
            self.cand_since = t
        dwell = cfg.prone_dwell_s if best == PRONE else cfg.dwell_s
        if t - self.cand_since + 1e-9 < dwell:
            return
        prev = self.state
        self.state = best
        self.cand = -1
        conf = float(self.p[best])
        out.append(Event(t, f"to_{STATES[best]}", conf))
        if best == PRONE:
            if self.prone_armed and not self._gate_open():
                self.prone_pending = True
                self.pending_since = t
                self.pending_start = min(self.cand_since, self.rise_since)
            elif self.prone_armed:
                out.append(Event(t, "to_prone", conf, "alert"))
                self.prone_armed = False
                self.prone_start = min(self.cand_since, self.rise_since)
                self.prone_long_fired = False
        elif prev == PRONE:
            self.out_of_prone_since = t
        if best == SUPINE:
            self.supine_since = t

    def _step_alerts(self, t: float, n_face: int, body_in_view: bool, out: list[Event]) -> None:
        cfg = self.config
        if self.state == SUPINE and not self.prone_armed:
            if t - max(self.out_of_prone_since, self.supine_since) >= cfg.rearm_s:
                self.prone_armed = True
        if self.state == SIDE and not self.prone_armed:
            if t - self.out_of_prone_since >= cfg.rearm_side_s:
                self.prone_armed = True
        if (
            not self.prone_armed
            and self.state == PRONE
            and not self.prone_long_fired
            and t - self.prone_start >= cfg.prone_limit_s
        ):
            self.prone_long_fired = True
            conf = float(self.p[PRONE]) if self.p is not None else 0.0
            out.append(Event(t, "prone_too_long", conf, "alert"))
        face = n_face >= cfg.min_face
        if cfg.face_reset_frac > 0 and (face or body_in_view):
            if face_seen_enough(self.face_hist, t, face, cfg):
                self.face_missing_since = None
        if face:
            if self.face_seen_since is None:
                self.face_seen_since = t
            if cfg.face_reset_frac <= 0 and t - self.face_seen_since >= cfg.face_reset_s:
                self.face_missing_since = None
            if not self.face_armed and t - self.face_seen_since >= cfg.face_rearm_s:
                self.face_armed = True
        if cfg.face_miss_frac > 0:
            if face or body_in_view:
                hit = face_missing_enough(self.face_miss_hist, t, face, cfg)
                if not face:
                    self.face_seen_since = None
                if hit and body_in_view and self.face_armed:
                    self.face_armed = False
                    out.append(Event(t, "face_not_visible", 1.0, "alert"))
        elif not face and body_in_view:
            self.face_seen_since = None
            if self.face_missing_since is None:
                self.face_missing_since = t
            if self.face_armed and t - self.face_missing_since >= cfg.face_hold_s:
                self.face_armed = False
                out.append(Event(t, "face_not_visible", 1.0, "alert"))

    def posture(self) -> str:
        """Current smoothed posture label (``unknown`` before the first confident frame)."""
        if self.state < 0:
            return "unknown"
        return label(self.state, self.side_d)


@dataclass
class Detection:
    """Result of running the tracker over a whole sequence."""

    postures: list[str]
    """Smoothed per-frame posture."""
    raw: list[str]
    """Unsmoothed per-frame posture of the rules."""
    events: list[Event]


METHODS: tuple[str, ...] = ("both", "learned", "rules")
"""Posture classifiers: ``both`` (the shipped default of the detector), ``learned``, ``rules``."""


def frame_probabilities(
    kp: np.ndarray,
    posture_cfg: PostureConfig | None = None,
    method: str = "rules",
    model: LearnedPosture | None = None,
    veto: faceveto.FaceVeto | None = None,
) -> tuple[Features, np.ndarray]:
    """Per-frame features and (N, 3) supine/side/prone probabilities of (N, 17, 3) keypoints.

    ``method``: ``rules`` (geometry), ``learned`` (the small MLP, ``model`` or the shipped
    numpy twin) or ``both`` (the MLP, with a face veto: both eyes in view rule prone out,
    which guards against left/right swaps of the estimator that the MLP saw too rarely in
    training). With ``posture_cfg.face_veto`` > 0 the learned face veto (``veto`` or the
    shipped weights, :mod:`cribwatch.rollover.faceveto`) is applied to the MLP's
    probabilities. Frames are independent: a stream can call this one frame at a time.
    """
    pcfg = posture_cfg or PostureConfig()
    feat = features(kp, pcfg)
    if method == "rules":
        return feat, probabilities(feat, pcfg)
    if method not in ("learned", "both"):
        raise CribwatchError(f"unknown posture method {method!r} (rules, learned or both)")
    p, d = to_state_probs((model or load_learned()).predict(kp, pcfg))
    if method == "both":
        # the face rule vetoes prone: both eyes in view cannot be prone (a prone infant
        # turns its face to one side, so the lower eye is against the mattress)
        k = np.asarray(kp)
        k = k[None] if k.ndim == 2 else k
        full_face = (k[:, [1, 2], 2] >= pcfg.score_thr).all(axis=1)
        if pcfg.face_order:  # a face on the back of a head does not count
            full_face = feat.full_face
        p[full_face, SIDE] += p[full_face, PRONE]
        p[full_face, PRONE] = 0.0
    if pcfg.face_veto > 0:
        v = faceveto.veto_mask(kp, feat, pcfg.face_veto, pcfg, veto or faceveto.load_default())
        if pcfg.face_veto_entry:
            feat.veto = v
        else:
            p = faceveto.move_prone(p, v)
    p[~feat.valid] = np.nan
    feat.d = d
    return feat, p


def run(
    t: np.ndarray,
    kp: np.ndarray,
    posture_cfg: PostureConfig | None = None,
    event_cfg: EventConfig | None = None,
    method: str = "rules",
    model: LearnedPosture | None = None,
) -> Detection:
    """Run the posture classifier and the tracker over (N, 17, 3) keypoints with times ``t``.

    ``method`` and ``model``: see :func:`frame_probabilities`.
    """
    feat, p = frame_probabilities(kp, posture_cfg, method, model)
    return run_features(t, feat, p, event_cfg)


def run_features(
    t: np.ndarray, feat: Features, p: np.ndarray, event_cfg: EventConfig | None = None
) -> Detection:
    """The tracker over precomputed features and probabilities."""
    tr = Tracker(event_cfg or EventConfig())
    postures: list[str] = []
    raw: list[str] = []
    events: list[Event] = []
    valid = feat.valid.tolist()
    d = feat.d.tolist()
    nf = feat.n_face.tolist()
    biv = feat.body_in_view.tolist()
    pres = (feat.n_reliable >= (event_cfg or EventConfig()).presence_min).tolist()
    sw = feat.sw.tolist() if len(feat.sw) == len(feat.valid) else [math.nan] * len(valid)
    vt = feat.veto.tolist() if len(feat.veto) == len(feat.valid) else [False] * len(valid)
    tl = np.asarray(t, dtype=np.float64).tolist()
    best = np.argmax(np.nan_to_num(p, nan=-1.0), axis=1).tolist()
    for i in range(len(tl)):
        events.extend(tr.update(tl[i], p[i], d[i], valid[i], nf[i], biv[i], pres[i], sw[i], vt[i]))
        postures.append(tr.posture())
        raw.append(label(best[i], d[i]) if valid[i] else "unknown")
    return Detection(postures=postures, raw=raw, events=events)


def config_dict(cfg: EventConfig) -> dict[str, Any]:
    """Config as a JSON-ready dict."""
    return asdict(cfg)

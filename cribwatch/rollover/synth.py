"""Synthetic infant keypoint sequences with ground-truth posture, roll-overs and covering.

No infant pose data set can be downloaded here, so this module renders one:

* **Body**: an articulated infant skeleton in metres (large head, short limbs: torso 0.20,
  shoulders 0.17 wide, upper arm 0.09, thigh 0.11, head radius 0.065) in a body frame
  (x to the infant's left, y to the head, z out of the chest). It lies on the mattress with a
  random yaw and a **roll** angle about its long axis: 0 supine, +90 deg on its left side,
  +-180 deg prone. The head turns about the body axis relative to the torso; arms and legs
  move slowly, with bursts of kicking.
* **Script**: holds, full rolls supine -> side -> prone and back over ``roll_s`` seconds, partial
  rolls that stop on the side and fall back, side holds, head turns, a parent's arm passing
  through, a blanket over the legs or (marked ``covered``) over the face. A prone infant turns
  its face to one side to breathe (``prone_head_turn_deg``).
* **Camera**: a pinhole at ``distance_m`` from the body, tilted by ``tilt_deg`` from vertical
  (ceiling to cot rail), any image roll, field of view ``fov_deg``, 640x480.
* **Detector model** (:class:`NoiseModel`): per-keypoint miss rate and position error (a
  fraction of the torso length, temporally correlated), whole-frame drop-outs, and left/right
  swaps, fitted to the measured behaviour of MediaPipe on night-simulated, rotated photos
  (``cribwatch rollover measure-pose``); self-occluded joints (the lower shoulder on the side,
  the face when prone) get low scores.

Ground truth per frame: ``posture`` from the roll angle (``|roll| < 45`` supine, ``< 135`` side
by sign, else prone) and ``covered``; events are the changes of the coarse posture.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy.signal import lfilter

from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_dir, atomic_open, write_json
from cribwatch.progress import Progress, report
from cribwatch.rollover.pose import COCO_FLIP, Sequence, write_sequence

Range = tuple[float, float]

# Fitted to `cribwatch rollover measure-pose` (MediaPipe 0.10.14, night simulator, rotations
# 0/90/180/270 and mirroring); see docs/results/rollover.md. Order: COCO-17.
MEASURED_MISS: tuple[float, ...] = (
    0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.276, 0.276,
    0.429, 0.429, 0.02, 0.02, 0.191, 0.191, 0.357, 0.357,
)  # fmt: skip
MEASURED_ERR: tuple[float, ...] = (
    0.02, 0.021, 0.021, 0.029, 0.029, 0.126, 0.126, 0.132, 0.132,
    0.083, 0.083, 0.385, 0.385, 1.26, 1.26, 1.831, 1.831,
)  # fmt: skip


@dataclass(frozen=True)
class NoiseModel:
    """How the pose estimator errs (defaults fitted to the MediaPipe measurement)."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "face_joint_miss": (0.0, 0.9), "face_miss_s": (0.0, 10.0),
    }  # fmt: skip

    miss: tuple[float, ...] = MEASURED_MISS
    """Per-keypoint probability that a visible keypoint is missed (score below 0.5)."""
    err: tuple[float, ...] = MEASURED_ERR
    """Per-keypoint median position error of found keypoints, fraction of torso length."""
    dropout: float = 0.05
    """Fraction of frames where the whole person is missed (all scores 0). Not fitted: the
    measured single-image rate (0.82 at night) is an upper bound for tracking mode."""
    swap: float = 0.005
    """Fraction of frames with the left/right labels of the whole body swapped."""
    noise_corr: float = 0.85
    """Frame-to-frame correlation of the position error (tracking mode is smooth)."""
    episode_s: float = 0.7
    """Mean length of a miss, drop-out or swap episode (errors come in runs)."""
    score_hi: Range = (0.6, 0.99)
    """Score range of a found, visible keypoint."""
    score_lo: Range = (0.0, 0.45)
    """Score range of a missed or occluded keypoint."""
    phantom: float = 0.03
    """Fraction of frames in which a hidden keypoint is reported anyway with a found-like
    score (assumed, not measured: the photos show no self-occluded joints)."""
    miss_offset: float = 0.5
    """Position error of a missed keypoint, fraction of torso length."""
    face_joint_miss: float = 0.0
    """Fraction of frames (episodes) in which the whole face is missed at once (all five face
    keypoints scored low together: a model that scores the face as one part, a hand or a
    sleeve over it, a dim frame); 0 draws nothing."""
    face_miss_s: float = 0.0
    """Mean length of those whole-face misses (0: ``episode_s``)."""


@dataclass(frozen=True)
class SceneRanges:
    """Camera and body ranges (training defaults; the held-out set uses wider ones)."""

    distance_m: Range = (0.7, 1.3)
    """Camera to body distance."""
    tilt_deg: Range = (0.0, 30.0)
    """Camera tilt from straight down (0: ceiling, larger: cot rail)."""
    fov_deg: Range = (70.0, 100.0)
    """Horizontal field of view."""
    offset_m: Range = (0.0, 0.15)
    """How far the body lies from the point the camera looks at."""
    scale: Range = (0.9, 1.1)
    """Body size factor (infant age)."""


FACE_IDX = (0, 1, 2, 3, 4)
BACK_FRONTAL_MEASURED = 0.14
"""Fraction of frames in which MoveNet names left and right as for a frontal view on people
seen from behind (opencv-doc ``vtest.avi``; docs/results/rollover-night.md)."""
BACK_FACE_MEASURED = 0.9
"""Fraction of frames of people seen from behind in which MoveNet reports the nose and an eye
(or both eyes) with score >= 0.5 (same measurement)."""
BACK_EYE_SWAP_MEASURED = 0.07
"""Fraction of those back-of-head faces whose eyes come in the other order than the shoulders
(93% in the shoulders' order, 320/344 frames of vtest.avi; same measurement)."""

OBLIQUE_RANGES = SceneRanges(
    distance_m=(0.5, 1.6), tilt_deg=(10.0, 50.0), fov_deg=(60.0, 130.0), offset_m=(0.0, 0.3),
    scale=(0.75, 1.3),
)  # fmt: skip
"""Camera ranges of family d: a camera on the cot rail or a wall looking down at an angle
(tilt 10-50 degrees), close and wide-angle or far; infants from newborn to 12 months."""

WIDE_RANGES = SceneRanges(
    distance_m=(0.5, 1.6), tilt_deg=(0.0, 50.0), fov_deg=(60.0, 130.0), offset_m=(0.0, 0.3),
    scale=(0.75, 1.3),
)  # fmt: skip
"""Camera ranges of fit family o (issue 25, sixth round): the randomised family r with cameras
from the ceiling to an oblique cot rail (tilt 0-50 degrees)."""

WALL_RANGES = SceneRanges(
    distance_m=(1.2, 2.4), tilt_deg=(30.0, 60.0), fov_deg=(50.0, 95.0), offset_m=(0.0, 0.35),
    scale=(0.75, 1.3),
)  # fmt: skip
"""Camera ranges of held-out family e: a camera on the wall at the cot's foot or side, 1.2-2.4 m
from the infant, looking down at 30-60 degrees with a narrower lens (the infant is small in
the image)."""

SHELF_RANGES = SceneRanges(
    distance_m=(0.6, 1.5), tilt_deg=(45.0, 75.0), fov_deg=(90.0, 140.0), offset_m=(0.0, 0.3),
    scale=(0.7, 1.25),
)  # fmt: skip
"""Camera ranges of held-out family f (issue 25, seventh round): a monitor on a shelf or a
chest of drawers beside the cot, low and close (0.6-1.5 m), looking across the mattress at
45-75 degrees from vertical, with a wide-angle lens (90-140 degrees)."""

CLIP_RANGES = SceneRanges(
    distance_m=(0.35, 0.8), tilt_deg=(15.0, 40.0), fov_deg=(110.0, 160.0), offset_m=(0.05, 0.35),
    scale=(0.8, 1.3),
)  # fmt: skip
"""Camera ranges of held-out family g (issue 25, eighth round): a monitor clipped to the cot's
head rail on a short arm, very close (0.35-0.8 m) with a fisheye lens (110-160 degrees),
looking down at 15-40 degrees, the infant off the image centre."""

HELDOUT_RANGES = SceneRanges(
    distance_m=(0.5, 1.8), tilt_deg=(0.0, 45.0), fov_deg=(60.0, 120.0), offset_m=(0.0, 0.25),
    scale=(0.8, 1.25),
)  # fmt: skip
"""Held-out camera ranges, beyond the training ranges."""


@dataclass(frozen=True)
class SynthConfig:
    """Sequence generator settings."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "p_blanket_chest": (0.0, 1.0), "cover_phantom": (0.0, 0.9), "cover_phantom_s": (0.0, 10.0),
    }  # fmt: skip

    fps: float = 15.0
    """Frame rate."""
    width: int = 640
    """Image width in pixels."""
    height: int = 480
    """Image height in pixels."""
    seq_s: float = 600.0
    """Length of one sequence file."""
    quiet: bool = False
    """Quiet night: no roll to prone (sleep, kicks, head turns, partial rolls, arm passes)."""
    supine_hold_s: Range = (5.0, 16.0)
    """Time spent supine between actions."""
    prone_hold_s: Range = (4.0, 45.0)
    """Time spent prone before rolling back."""
    side_hold_s: Range = (2.0, 10.0)
    """Time spent in a side hold."""
    roll_s: Range = (1.0, 4.0)
    """Duration of a full roll supine -> prone (or back)."""
    partial_deg: Range = (55.0, 110.0)
    """Peak roll angle of a partial roll that falls back."""
    rest_jitter_deg: float = 12.0
    """Slow wobble of the roll angle while resting."""
    prone_head_turn_deg: Range = (65.0, 95.0)
    """Head turn of a prone infant (face to one side to breathe)."""
    supine_head_turn_deg: float = 60.0
    """Largest head turn while supine."""
    p_partial: float = 0.25
    """Probability that an action is a partial roll that falls back."""
    p_side_hold: float = 0.1
    """Probability that an action is a roll onto the side that stays there a while."""
    kick_rate_per_min: float = 3.0
    """Kicking bursts per minute."""
    arm_pass_per_hour: float = 12.0
    """A parent's arm passing over the infant, per hour."""
    cover_per_hour: float = 6.0
    """Episodes with the face covered (blanket), per hour."""
    cover_s: Range = (6.0, 20.0)
    """Length of a face-covered episode."""
    p_blanket_legs: float = 0.5
    """Probability that a sequence has a blanket over the legs."""
    blanket_hips: Range = (0.3, 1.0)
    """Visibility factor of the hips under that blanket (drawn per sequence; lower: the
    blanket reaches the waist)."""
    torso_hidden: float = 0.5
    """A shoulder or hip is hidden once its outward side faces this far below horizontal
    (-cos of its angle to the vertical; 0.5: 30 degrees past horizontal)."""
    face_hidden: float = 0.25
    """The same for face keypoints (eyes, nose, ears)."""
    scene: SceneRanges = field(default_factory=SceneRanges)
    """Camera and body ranges."""
    noise: NoiseModel = field(default_factory=NoiseModel)
    """Pose-estimator error model."""
    shoulder_w: Range = (1.0, 1.0)
    """Shoulder width factor (per sequence) against the base skeleton's 0.17 m."""
    hip_w: Range = (1.0, 1.0)
    """Hip width factor against the base 0.10 m."""
    head_size: Range = (1.0, 1.0)
    """Head size (and neck offset) factor: a newborn's head is large against its torso."""
    limb: Range = (1.0, 1.0)
    """Arm and leg length factor (older infants: longer limbs)."""
    back_frontal: float = 0.0
    """Fraction of the frames with the back towards the camera (roll past 90 degrees) in which
    the pose model names left and right as for a frontal view (episodes of ``episode_s``):
    a model that does not recognise a back view swaps the geometric order of a prone body."""
    back_face: float = 0.0
    """Fraction of the frames with the back towards the camera in which the model reports the
    hidden face keypoints anyway, with found-like scores, where the head is (real models put a
    face on the back of a head: measured on people seen from behind)."""
    back_eye_swap: float = 0.0
    """Fraction of the face-on-the-back-of-the-head frames whose eye and ear labels come in
    the other order (episodes): a real model may give such a face either order."""
    back_face_surface: bool = False
    """The face on the back of the head (``back_face``) is put on the visible back of the
    skull (the hidden face keypoints mirrored through the head's coronal plane, left and right
    kept: eyes in the shoulders' order as for a back view), not where the hidden face is."""
    p_blanket_chest: float = 0.0
    """Probability that a sequence has a blanket pulled up to the chest (legs, hips and elbows
    mostly hidden, shoulders partly: :attr:`blanket_chest_shoulders`); 0 draws nothing."""
    blanket_chest_shoulders: Range = (0.3, 0.9)
    cover_phantom: float = 0.0
    """Fraction of face-covered frames (episodes of ``cover_phantom_s``) in which the pose
    model reports a phantom face through the blanket (the nose, each other face keypoint
    with probability 0.4, found-like scores 0.5-0.8, where the face is); 0 draws nothing."""
    cover_phantom_s: float = 1.0
    """Mean length of those phantom-face runs."""
    """Visibility factor of the shoulders under that blanket (drawn per sequence)."""
    randomise: bool = False
    """Domain randomisation (family ``r``): each sequence draws its own back-view behaviour
    (``back_frontal``, ``back_face``, ``back_eye_swap`` uniform on 0..1), visibility
    thresholds, head turns and detector error model from wide ranges
    (:func:`randomised`), with a random stream of its own."""
    family: str = "a"
    """Name of the generator family (:data:`FAMILIES`) these settings come from."""


MOVENET_LIKE = NoiseModel(
    miss=tuple(0.7 * m for m in MEASURED_MISS),
    err=tuple(0.6 * e for e in MEASURED_ERR),
    score_hi=(0.5, 0.9),
    score_lo=(0.0, 0.49),
    phantom=0.05,
    swap=0.002,
)
"""Detector family b: fewer misses and smaller position errors than MediaPipe, lower and
coarser scores (the int8 MoveNet's calibrated scores sit just above 0.5), more phantoms."""

ROUGH = NoiseModel(
    miss=tuple(min(0.6, 1.3 * m) for m in MEASURED_MISS),
    err=MEASURED_ERR,
    dropout=0.05,
    swap=0.01,
    phantom=0.05,
    score_hi=(0.55, 0.95),
)
"""Detector family c: more misses, more swaps and phantoms than the fitted model."""

MOVENET_NIGHT = NoiseModel(
    miss=tuple(min(0.6, 1.1 * m) for m in MEASURED_MISS),
    err=tuple(0.8 * e for e in MEASURED_ERR),
    dropout=0.08,
    swap=0.008,
    noise_corr=0.9,
    episode_s=1.0,
    score_hi=(0.5, 0.88),
    score_lo=(0.0, 0.49),
    phantom=0.04,
)
"""Detector family d: the night MoveNet's calibrated scores (found keypoints just above 0.5),
more whole-frame drop-outs (its presence check blanks a doubtful frame), whole-body swaps,
longer error episodes (a tracked crop keeps its mistakes)."""

LOW_LIGHT = NoiseModel(
    miss=tuple(min(0.6, 1.4 * m) for m in MEASURED_MISS),
    err=MEASURED_ERR,
    dropout=0.15,
    swap=0.006,
    noise_corr=0.9,
    episode_s=1.5,
    score_hi=(0.5, 0.8),
    score_lo=(0.0, 0.49),
    phantom=0.06,
)
"""Detector family e: a dim room seen from afar (low found scores, 1.4x the misses, 15%
whole-frame drop-outs in long episodes of 1.5 s, more phantoms)."""

HEATMAP_LIKE = NoiseModel(
    miss=tuple(0.8 * m for m in MEASURED_MISS),
    err=tuple(0.7 * e for e in MEASURED_ERR),
    dropout=0.07,
    swap=0.004,
    noise_corr=0.8,
    episode_s=0.5,
    score_hi=(0.42, 0.92),
    score_lo=(0.0, 0.45),
    phantom=0.035,
    face_joint_miss=0.08,
)
"""Detector family f: a heatmap model's score model (a visible keypoint's score spreads from
0.42 to 0.92, so some seen keypoints fall below 0.5, where the other families keep every found
keypoint above it), the whole face missed at once in 8% of frames, short error episodes
(0.5 s), fewer misses and smaller position errors than the fitted MediaPipe model."""

FISHEYE_EDGE = NoiseModel(
    miss=tuple(min(1.15 * m, 0.9) for m in MEASURED_MISS),
    err=tuple(1.3 * e for e in MEASURED_ERR),
    dropout=0.04,
    swap=0.008,
    noise_corr=0.88,
    episode_s=0.9,
    score_hi=(0.55, 0.95),
    score_lo=(0.0, 0.42),
    phantom=0.04,
    face_joint_miss=0.12,
    face_miss_s=1.1,
)
"""Detector family g: a close fisheye view (1.3x the position errors, 1.15x the misses),
found scores 0.55-0.95, the whole face missed at once in 12% of frames in longer runs
(mean 1.1 s, against f's 0.5 s at 8%)."""

FAMILIES: dict[str, dict[str, Any]] = {
    "a": {},
    "r": {
        "shoulder_w": (0.75, 1.25), "hip_w": (0.8, 1.25), "head_size": (0.8, 1.3),
        "limb": (0.75, 1.3), "randomise": True,
    },
    "b": {
        "shoulder_w": (0.8, 0.95), "hip_w": (0.85, 1.0), "head_size": (1.05, 1.25),
        "limb": (0.8, 0.95), "face_hidden": 0.4, "torso_hidden": 0.35,
        "prone_head_turn_deg": (45.0, 95.0), "back_frontal": 0.5, "back_face": 0.3,
        "noise": MOVENET_LIKE,
    },
    "c": {
        "shoulder_w": (1.0, 1.2), "hip_w": (1.0, 1.2), "head_size": (0.85, 1.0),
        "limb": (1.05, 1.25), "face_hidden": 0.1, "torso_hidden": 0.6,
        "prone_head_turn_deg": (50.0, 100.0), "supine_head_turn_deg": 80.0,
        "back_frontal": BACK_FRONTAL_MEASURED, "back_face": BACK_FACE_MEASURED, "noise": ROUGH,
    },
    "d": {
        "shoulder_w": (0.9, 1.1), "hip_w": (0.9, 1.15), "head_size": (0.95, 1.15),
        "limb": (0.9, 1.1), "face_hidden": 0.2, "torso_hidden": 0.45,
        "prone_head_turn_deg": (55.0, 100.0), "supine_head_turn_deg": 70.0,
        "p_blanket_legs": 0.7, "blanket_hips": (0.15, 0.8), "arm_pass_per_hour": 20.0,
        "back_frontal": BACK_FRONTAL_MEASURED, "back_face": BACK_FACE_MEASURED,
        "back_eye_swap": BACK_EYE_SWAP_MEASURED, "noise": MOVENET_NIGHT, "scene": OBLIQUE_RANGES,
    },
    "o": {
        "shoulder_w": (0.75, 1.25), "hip_w": (0.8, 1.25), "head_size": (0.8, 1.3),
        "limb": (0.75, 1.3), "randomise": True, "scene": WIDE_RANGES,
    },
    "e": {
        "shoulder_w": (0.8, 1.15), "hip_w": (0.85, 1.2), "head_size": (0.9, 1.3),
        "limb": (0.8, 1.2), "face_hidden": 0.3, "torso_hidden": 0.4,
        "prone_head_turn_deg": (45.0, 100.0), "supine_head_turn_deg": 75.0,
        "p_blanket_legs": 0.6, "blanket_hips": (0.2, 0.9), "arm_pass_per_hour": 15.0,
        "cover_per_hour": 8.0, "back_frontal": 0.3, "back_face": 0.6, "back_eye_swap": 0.2,
        "noise": LOW_LIGHT, "scene": WALL_RANGES,
    },
    "f": {
        "shoulder_w": (0.85, 1.15), "hip_w": (1.0, 1.35), "head_size": (0.85, 1.2),
        "limb": (0.85, 1.2), "face_hidden": 0.15, "torso_hidden": 0.5,
        "prone_head_turn_deg": (40.0, 95.0), "supine_head_turn_deg": 90.0,
        "p_blanket_legs": 0.4, "blanket_hips": (0.3, 1.0), "p_blanket_chest": 0.3,
        "arm_pass_per_hour": 10.0, "cover_per_hour": 6.0, "back_frontal": 0.2,
        "back_face": 0.8, "back_eye_swap": 0.1, "back_face_surface": True,
        "noise": HEATMAP_LIKE, "scene": SHELF_RANGES,
    },
    "g": {
        "shoulder_w": (0.9, 1.2), "hip_w": (0.9, 1.15), "head_size": (0.9, 1.2),
        "limb": (0.9, 1.15), "face_hidden": 0.2, "torso_hidden": 0.45,
        "prone_head_turn_deg": (50.0, 90.0), "supine_head_turn_deg": 65.0,
        "p_blanket_legs": 0.5, "blanket_hips": (0.2, 0.9), "p_blanket_chest": 0.2,
        "blanket_chest_shoulders": (0.4, 1.0), "arm_pass_per_hour": 14.0,
        "cover_per_hour": 7.0, "cover_phantom": 0.35, "cover_phantom_s": 1.3,
        "back_frontal": 0.25, "back_face": 0.5, "back_eye_swap": 0.15,
        "noise": FISHEYE_EDGE, "scene": CLIP_RANGES,
    },
}  # fmt: skip
"""Generator families (fields of :class:`SynthConfig`): **a** the original (MediaPipe-fitted
errors, one infant build); **b** newborn build (narrow shoulders, large head, short limbs),
faces and torsos seen longer from above, MoveNet-like scores, half the back views named as
frontal, a face on the back of the head in 30% of them; **c** 9-12 months (broad
shoulders, longer limbs), faces hidden sooner, torsos later, wider head turns, a rough
detector, back views named as frontal and faces on the back of the head at the rates
measured on real people seen from behind (:data:`BACK_FRONTAL_MEASURED`,
:data:`BACK_FACE_MEASURED`). Families a and b were the first fit families (training and
tuning), c the first held-out one. **r** (fit, domain randomisation): every sequence draws
its own back-view behaviour over the whole range 0..1, builds over a wide range, visibility
thresholds, head turns and a detector error model between the fitted ones
(:func:`randomised`). **d** (held out in issue 25's fifth round, where it had its one run:
docs/results/rollover.md; c had its one held-out run in the fourth and is now a fit
family):
4-8 months, a camera on the cot rail or a wall looking down at 10-50 degrees
(:data:`OBLIQUE_RANGES`, whatever ``--ranges`` says), the night MoveNet's scores, drop-outs
and swaps (:data:`MOVENET_NIGHT`), a blanket up to the waist in 70% of sequences, more
parent's hands, and back views as measured (named as frontal, a face on the back of the head,
that face's eyes in the other order: :data:`BACK_EYE_SWAP_MEASURED`). d is a fit family
from the sixth round. **o** (fit, sixth round): family r with cameras tilted 0-50 degrees
(:data:`WIDE_RANGES`, whatever ``--ranges`` says). **e** (held out in the sixth round,
committed before any result on it): newborn to 12 months, a wall camera at the cot's foot or
side (:data:`WALL_RANGES`: 1.2-2.4 m, tilt 30-60 degrees, narrower lens), a dim room's
detector (:data:`LOW_LIGHT`: low scores, more misses, 15% drop-outs), faces hidden past 0.3,
torsos past 0.4, a blanket in 60% of sequences, face covers 8 per hour, back views named as
frontal in 30% of frames, a face on the back of the head in 60%, its eyes swapped in 20%; e is
a fit family from the seventh round. **f** (held out in the seventh round, committed before
anything was tuned or run on it): a monitor on a shelf beside the cot (:data:`SHELF_RANGES`:
0.6-1.5 m, tilt 45-75 degrees, wide-angle lens 90-140 degrees), infants with broad nappy hips
(hips 1.0-1.35x), heads 0.85-1.2x; a heatmap model's scores (:data:`HEATMAP_LIKE`: seen
keypoints scored 0.42-0.92, the whole face missed at once in 8% of frames); supine head
turns up to 90 degrees (the infant looks fully aside); a blanket up to the chest in 30% of
sequences (shoulders 0.3-0.9x visible) besides one over the legs in 40%; back views named as
frontal in 20% of frames and a face on the back of the head in 80%, put on the visible back
of the skull (``back_face_surface``), its eyes swapped in 10%; f is a fit family from the
eighth round. **g** (held out in the eighth round, committed before anything was tuned or run
on it): a monitor clipped to the cot's head rail (:data:`CLIP_RANGES`: 0.35-0.8 m, fisheye
110-160 degrees, tilt 15-40 degrees), a close fisheye detector (:data:`FISHEYE_EDGE`: the
whole face missed at once in 12% of frames in runs of about 1.1 s), phantom faces through a
face-covering blanket in 35% of covered frames in runs of about 1.3 s (``cover_phantom``),
face covers 7 per hour, a blanket up to the chest in 20% of sequences, back views named as
frontal in 25% of frames, a face on the back of the head in 50%, its eyes swapped in 15%."""
FIT_FAMILIES: tuple[str, ...] = ("a", "b", "r", "c", "d", "o", "e", "f")
HELDOUT_FAMILIES: tuple[str, ...] = ("g",)


def family_config(family: str, base: SynthConfig | None = None) -> SynthConfig:
    """``base`` (default settings) with a family's fields (:data:`FAMILIES`)."""
    if family not in FAMILIES:
        raise CribwatchError(f"unknown generator family {family!r} (one of {', '.join(FAMILIES)})")
    return replace(base or SynthConfig(), family=family, **FAMILIES[family])


def randomised(cfg: SynthConfig, seed: int) -> SynthConfig:
    """One sequence's settings of the domain-randomised family (``cfg.randomise``).

    Drawn from a random stream of its own (``seed`` and 25), so the other families' sequences
    are unchanged: back-view behaviour (``back_frontal``, ``back_face``, ``back_eye_swap``)
    uniform on 0..1; ``face_hidden`` 0-0.45, ``torso_hidden`` 0.3-0.65; prone head turn from
    40-65 up to 90-100 degrees, supine up to 50-85; detector: misses 0.5-1.4x and position
    errors 0.5-1.2x the fitted MediaPipe model, found scores from 0.5-0.6 up to 0.85-0.99,
    swaps 0-1%, phantoms 2-8%.
    """
    r = np.random.default_rng([int(seed) % (2**32), 25])
    m, e = float(r.uniform(0.5, 1.4)), float(r.uniform(0.5, 1.2))
    noise = replace(
        cfg.noise,
        miss=tuple(min(0.6, m * x) for x in MEASURED_MISS),
        err=tuple(e * x for x in MEASURED_ERR),
        score_hi=(float(r.uniform(0.5, 0.6)), float(r.uniform(0.85, 0.99))),
        swap=float(r.uniform(0.0, 0.01)),
        phantom=float(r.uniform(0.02, 0.08)),
    )
    return replace(
        cfg,
        back_frontal=float(r.uniform(0.0, 1.0)),
        back_face=float(r.uniform(0.0, 1.0)),
        back_eye_swap=float(r.uniform(0.0, 1.0)),
        face_hidden=float(r.uniform(0.0, 0.45)),
        torso_hidden=float(r.uniform(0.3, 0.65)),
        prone_head_turn_deg=(float(r.uniform(40.0, 65.0)), float(r.uniform(90.0, 100.0))),
        supine_head_turn_deg=float(r.uniform(50.0, 85.0)),
        noise=noise,
    )


# ---------------------------------------------------------------------------- script


@dataclass
class Script:
    """Per-frame driving signals of one sequence (all (N,) arrays)."""

    roll: np.ndarray
    """Roll angle in radians (0 supine, +pi/2 left side, +-pi prone)."""
    head: np.ndarray
    """Head turn relative to the torso, radians (+: towards the infant's left)."""
    covered: np.ndarray
    """Face covered."""
    arm: np.ndarray
    """A parent's arm is in the frame."""
    kick: np.ndarray
    """Kicking intensity 0-1."""


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _u(rng: np.random.Generator, r: Range) -> float:
    return float(rng.uniform(r[0], r[1]))


def make_script(n: int, cfg: SynthConfig, rng: np.random.Generator) -> Script:
    """Draw the roll/head/covering script of ``n`` frames."""
    fps = cfg.fps
    roll = np.zeros(n)
    head_target = np.zeros(n)
    i = 0
    cur = 0.0  # current rest roll angle
    while i < n:
        prone = abs(cur) > 0.9 * np.pi
        side = not prone and abs(cur) > np.pi / 4
        if prone:
            hold = _u(rng, cfg.prone_hold_s)
        elif side:
            hold = _u(rng, cfg.side_hold_s)
        else:
            hold = _u(rng, cfg.supine_hold_s)
        h = int(hold * fps)
        roll[i : i + h] = cur
        if prone:
            turn = math.radians(_u(rng, cfg.prone_head_turn_deg)) * rng.choice([-1.0, 1.0])
            head_target[i : i + h] = turn
        else:
            # a few head turns during the hold
            seg = i
            while seg < i + h:
                ln = int(_u(rng, (2.0, 8.0)) * fps)
                head_target[seg : seg + ln] = math.radians(
                    rng.uniform(-cfg.supine_head_turn_deg, cfg.supine_head_turn_deg)
                )
                seg += ln
        i += h
        if i >= n:
            break
        dur = _u(rng, cfg.roll_s)
        m = max(int(dur * fps), 2)
        x = _smoothstep(np.linspace(0.0, 1.0, m))
        a = rng.random()
        if side:
            # from a side hold: back to supine, or on to prone
            if cfg.quiet or a < 0.5:
                target = 0.0
            else:
                target = np.pi * np.sign(cur)
            m = max(m // 2, 2)
            path = cur + (target - cur) * _smoothstep(np.linspace(0.0, 1.0, m))
            roll[i : i + m] = path[: n - i]
            cur = target
            i += m
            continue
        if prone:
            sgn = np.sign(cur)
            # roll back through either side (continuing the turn or reversing it)
            target = 0.0 if rng.random() < 0.7 else sgn * 2 * np.pi
            path = cur + (target - cur) * x
            roll[i : i + m] = path[: n - i]
            cur = 0.0
            # unwrap to (-pi, pi]
            roll[i : i + m] = np.angle(np.exp(1j * roll[i : i + m]))
            i += m
            continue
        sgn = rng.choice([-1.0, 1.0])
        if cfg.quiet or a < cfg.p_partial:
            peak = math.radians(_u(rng, cfg.partial_deg)) * sgn
            if cfg.quiet and a > 1 - cfg.p_side_hold:
                target = math.radians(_u(rng, (70.0, 105.0))) * sgn
                mm = max(m // 2, 2)
                roll[i : i + mm] = (target * _smoothstep(np.linspace(0, 1, mm)))[: n - i]
                cur = target
                i += mm
                continue
            up = peak * _smoothstep(np.linspace(0.0, 1.0, m))
            down = peak * (1 - _smoothstep(np.linspace(0.0, 1.0, m)))
            path = np.concatenate([up, np.full(int(_u(rng, (0.3, 2.0)) * fps), peak), down])
            roll[i : i + len(path)] = path[: n - i]
            i += len(path)
            cur = 0.0
            continue
        if a < cfg.p_partial + cfg.p_side_hold:
            target = math.radians(_u(rng, (70.0, 105.0))) * sgn
            mm = max(m // 2, 2)
            roll[i : i + mm] = (target * _smoothstep(np.linspace(0, 1, mm)))[: n - i]
            cur = target
            i += mm
            continue
        target = np.pi * sgn
        roll[i : i + m] = (target * x)[: n - i]
        cur = target
        i += m
    # wobble while resting
    wob = _ou(n, 1.0 / fps, 3.0, math.radians(cfg.rest_jitter_deg) / 2, rng)
    roll = roll + wob
    roll = np.angle(np.exp(1j * roll))
    # head follows its target smoothly
    head = _lowpass(head_target, 0.6 * fps)
    head = head + _ou(n, 1.0 / fps, 2.0, math.radians(5.0), rng)

    covered = _episodes(n, fps, cfg.cover_per_hour, cfg.cover_s, rng)
    arm = _episodes(n, fps, cfg.arm_pass_per_hour, (1.0, 3.0), rng)
    kicks = _episodes(n, fps, cfg.kick_rate_per_min * 60.0, (1.0, 5.0), rng).astype(float)
    kick = _lowpass(kicks, 0.3 * fps)
    return Script(roll=roll, head=head, covered=covered, arm=arm, kick=kick)


def _ou(n: int, dt: float, tau: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Ornstein-Uhlenbeck process (stationary std ``sigma``, time constant ``tau``)."""
    a = math.exp(-dt / tau)
    e = rng.normal(0.0, sigma * math.sqrt(1 - a * a), n)
    x = lfilter([1.0], [1.0, -a], e)
    return np.asarray(x)


def _lowpass(x: np.ndarray, frames: float) -> np.ndarray:
    """First-order low-pass, forward only, time constant in frames."""
    a = math.exp(-1.0 / max(frames, 1e-6))
    y = lfilter([1 - a], [1.0, -a], x - x[0]) + x[0]
    return np.asarray(y)


def _episodes(
    n: int, fps: float, per_hour: float, dur: Range, rng: np.random.Generator
) -> np.ndarray:
    """Boolean (n,) mask of Poisson-placed episodes."""
    out = np.zeros(n, dtype=bool)
    k = rng.poisson(per_hour * n / fps / 3600.0)
    for _ in range(k):
        s = int(rng.integers(0, n))
        out[s : s + int(_u(rng, dur) * fps)] = True
    return out


# ---------------------------------------------------------------------------- body


def _rot_y(a: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotation of the body frame about its long axis y by angle a (roll)."""
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    # x' = c x + s z ; z' = -s x + c z  (left side goes down for a > 0)
    return np.stack(
        [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2
    )


def body_points(
    script: Script, rng: np.random.Generator, scale: float,
    prop: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """3-D keypoints in the mattress frame before yaw: (N, 17, 3) positions and (N, 17) facing.

    Facing is the dot product of each keypoint's outward direction with the vertical (how much
    it faces the camera above), NaN for limb joints with no preferred direction. ``prop``:
    shoulder width, hip width, head size and limb length factors.
    """
    n = len(script.roll)
    f_sh, f_hip, f_head, f_limb = prop
    fps_scale = 1.0
    del fps_scale

    # limb angles: slow random drift + kicks
    def drift(sig_deg: float, tau_frames: float) -> np.ndarray:
        return _ou(n, 1.0, tau_frames, math.radians(sig_deg), rng)

    kick_phase = np.cumsum(np.full(n, 2 * np.pi * 1.5 / 15.0))
    kick = script.kick * np.sin(kick_phase)
    pts = np.zeros((n, 17, 3))
    normal = np.full((n, 17, 3), np.nan)
    # torso (body frame: x left, y head, z front)
    pts[:, 5] = [0.085 * f_sh, 0.10, 0.0]
    pts[:, 6] = [-0.085 * f_sh, 0.10, 0.0]
    pts[:, 11] = [0.05 * f_hip, -0.10, 0.0]
    pts[:, 12] = [-0.05 * f_hip, -0.10, 0.0]
    # shoulders and hips show from the front and the back: only their lateral side matters
    normal[:, 5] = [1.0, 0.0, 0.0]
    normal[:, 6] = [-1.0, 0.0, 0.0]
    normal[:, 11] = [1.0, 0.0, 0.0]
    normal[:, 12] = [-1.0, 0.0, 0.0]
    # head: turn about y by head angle (positive turns the face to the infant's left)
    hc = np.array([0.0, 0.10 + 0.09 * f_head, 0.02])
    face_local = {
        0: ([0.0, 0.01, 0.065], [0.0, 0.1, 1.0]),
        1: ([0.025, 0.025, 0.055], [0.35, 0.1, 0.93]),
        2: ([-0.025, 0.025, 0.055], [-0.35, 0.1, 0.93]),
        3: ([0.062, 0.0, 0.0], [1.0, 0.0, 0.1]),
        4: ([-0.062, 0.0, 0.0], [-1.0, 0.0, 0.1]),
    }
    # head turn rotates the face about y: front (z) towards +x for positive turn
    rh = _rot_y(-script.head)
    for k, (p, nv) in face_local.items():
        pts[:, k] = hc + np.einsum("nij,j->ni", rh, np.array(p) * f_head)
        normal[:, k] = np.einsum("nij,j->ni", rh, np.array(nv))
    # arms: upper arm abducted (angle from the -y axis in the body plane), forearm bent
    for side, (sh, el, wr) in ((1.0, (5, 7, 9)), (-1.0, (6, 8, 10))):
        abd = math.radians(rng.uniform(60, 120)) + drift(20.0, 40.0)
        bend = math.radians(rng.uniform(30, 100)) + drift(20.0, 30.0) + 0.4 * kick
        lift = drift(15.0, 40.0) + math.radians(10)
        d1 = np.stack([side * np.sin(abd), -np.cos(abd), np.sin(lift)], -1)
        d1 /= np.linalg.norm(d1, axis=1, keepdims=True)
        a2 = abd + bend
        d2 = np.stack([side * np.sin(a2), -np.cos(a2), 0.3 * np.sin(lift)], -1)
        d2 /= np.linalg.norm(d2, axis=1, keepdims=True)
        pts[:, el] = pts[:, sh] + 0.09 * f_limb * d1
        pts[:, wr] = pts[:, el] + 0.08 * f_limb * d2
    # legs: frog posture, kicks flex the hips and knees
    for side, (hp, kn, an) in ((1.0, (11, 13, 15)), (-1.0, (12, 14, 16))):
        abd = math.radians(rng.uniform(10, 45)) + drift(10.0, 60.0)
        flex = math.radians(rng.uniform(10, 60)) + drift(15.0, 40.0) + 0.8 * kick
        kb = math.radians(rng.uniform(20, 80)) + drift(15.0, 40.0) + 0.8 * np.abs(kick)
        d1 = np.stack([side * np.sin(abd) * np.cos(flex), -np.cos(abd) * np.cos(flex),
                       np.sin(flex)], -1)  # fmt: skip
        d2 = np.stack([side * np.sin(abd) * np.cos(flex - kb), -np.cos(abd) * np.cos(flex - kb),
                       np.sin(flex - kb)], -1)  # fmt: skip
        pts[:, kn] = pts[:, hp] + 0.11 * f_limb * d1
        pts[:, an] = pts[:, kn] + 0.10 * f_limb * d2
    pts *= scale
    # roll the whole body about its long axis, then lift it onto the mattress
    r = _rot_y(script.roll)
    pts = np.einsum("nij,nkj->nki", r, pts)
    normal = np.einsum("nij,nkj->nki", r, normal)
    pts[:, :, 2] += 0.06 * scale
    nn = np.linalg.norm(normal, axis=2)
    facing = normal[:, :, 2] / np.where(nn > 0, nn, 1.0)
    return pts, facing


# ---------------------------------------------------------------------------- camera


def _camera(
    rng: np.random.Generator, ranges: SceneRanges, width: int
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Camera centre, rotation rows (right, down, forward), focal length, look-at point."""
    dist = _u(rng, ranges.distance_m)
    tilt = math.radians(_u(rng, ranges.tilt_deg))
    az = rng.uniform(0, 2 * np.pi)
    v = np.array([math.sin(tilt) * math.cos(az), math.sin(tilt) * math.sin(az), math.cos(tilt)])
    off_r = _u(rng, ranges.offset_m)
    off_a = rng.uniform(0, 2 * np.pi)
    look = np.array([off_r * math.cos(off_a), off_r * math.sin(off_a), 0.0])
    centre = look + dist * v
    f = -v
    rho = rng.uniform(0, 2 * np.pi)
    ref = np.array([math.cos(rho), math.sin(rho), 0.0])
    right = np.cross(f, ref)
    if np.linalg.norm(right) < 1e-6:
        right = np.cross(f, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right)
    down = np.cross(f, right)
    fov = math.radians(_u(rng, ranges.fov_deg))
    focal = (width / 2) / math.tan(fov / 2)
    return centre, np.stack([right, down, f]), focal, look


def project(
    pts: np.ndarray, centre: np.ndarray, rot: np.ndarray, focal: float, width: int, height: int
) -> np.ndarray:
    """Pinhole projection of (..., 3) world points to (..., 2) pixels."""
    cam = (pts - centre) @ rot.T
    z = np.maximum(cam[..., 2], 1e-3)
    return np.stack([focal * cam[..., 0] / z + width / 2, focal * cam[..., 1] / z + height / 2], -1)


# ---------------------------------------------------------------------------- labels


def posture_labels(roll: np.ndarray) -> list[str]:
    """Ground-truth posture per frame from the roll angle."""
    a = np.abs(roll)
    out = []
    for r, ab in zip(roll.tolist(), a.tolist(), strict=True):
        if ab < np.pi / 4:
            out.append("supine")
        elif ab < 3 * np.pi / 4:
            out.append("side_left" if r > 0 else "side_right")
        else:
            out.append("prone")
    return out


def coarse(p: str) -> str:
    """``side_left``/``side_right`` -> ``side``."""
    return "side" if p.startswith("side") else p


def label_events(t: np.ndarray, labels: list[str]) -> list[tuple[float, str]]:
    """Events (time, ``to_*``) at each change of the coarse posture."""
    ev = []
    prev = coarse(labels[0]) if labels else ""
    for i in range(1, len(labels)):
        c = coarse(labels[i])
        if c != prev and c != "unknown":
            ev.append((float(t[i]), f"to_{c}"))
        prev = c
    return ev


# ---------------------------------------------------------------------------- sequence


def _episode_mask(n: int, rate: float, mean_frames: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) mask that is on for a fraction ``rate`` of frames in runs of ~``mean_frames``."""
    if rate <= 0:
        return np.zeros(n, dtype=bool)
    rate = min(rate, 0.9)
    p_off = 1.0 / max(mean_frames, 1.0)
    p_on = p_off * rate / (1 - rate)
    flips = rng.random(n)
    out = np.zeros(n, dtype=bool)
    state = rng.random() < rate
    for i in range(n):
        if state:
            state = flips[i] >= p_off
        else:
            state = flips[i] < p_on
        out[i] = state
    return out


def generate(seed: int, cfg: SynthConfig | None = None) -> tuple[Sequence, list[tuple[float, str]]]:
    """One synthetic sequence and its ground-truth events."""
    cfg = cfg or SynthConfig()
    if cfg.randomise:
        cfg = randomised(cfg, seed)
    rng = np.random.default_rng(seed)
    n = int(round(cfg.seq_s * cfg.fps))
    t = np.arange(n) / cfg.fps
    script = make_script(n, cfg, rng)
    scale = _u(rng, cfg.scene.scale)
    prop = (1.0, 1.0, 1.0, 1.0)
    if cfg.family != "a":  # family "a" draws nothing more (its sets stay as they were)
        prop = (_u(rng, cfg.shoulder_w), _u(rng, cfg.hip_w), _u(rng, cfg.head_size),
                _u(rng, cfg.limb))  # fmt: skip
    pts, facing = body_points(script, rng, scale, prop)
    yaw = rng.uniform(0, 2 * np.pi)
    cy, sy = math.cos(yaw), math.sin(yaw)
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    world = pts @ rz.T
    centre, rot, focal, _ = _camera(rng, cfg.scene, cfg.width)
    xy = project(world, centre, rot, focal, cfg.width, cfg.height)
    # torso length in pixels per frame (shoulder mid to hip mid, supine reference)
    ref = project(
        np.array([[0.0, 0.10 * scale, 0.06 * scale], [0.0, -0.10 * scale, 0.06 * scale]]) @ rz.T,
        centre, rot, focal, cfg.width, cfg.height,
    )  # fmt: skip
    torso_px = float(np.linalg.norm(ref[0] - ref[1]))

    nm = cfg.noise
    # self-occlusion: facing away from the camera lowers the score
    off = np.where(np.isin(np.arange(17), [5, 6, 11, 12]), cfg.torso_hidden, cfg.face_hidden)
    vis = 1.0 / (1.0 + np.exp(-(np.nan_to_num(facing, nan=1.0) + off[None, :]) / 0.1))
    # blanket over the legs
    if rng.random() < cfg.p_blanket_legs:
        vis[:, [13, 14, 15, 16]] *= 0.1
        vis[:, [11, 12]] *= rng.uniform(cfg.blanket_hips[0], cfg.blanket_hips[1])
    if cfg.p_blanket_chest > 0 and rng.random() < cfg.p_blanket_chest:  # up to the chest
        vis[:, [13, 14, 15, 16, 11, 12]] *= 0.1
        vis[:, [7, 8]] *= 0.5
        vis[:, [5, 6]] *= _u(rng, cfg.blanket_chest_shoulders)
    vis[script.covered[:, None] & np.isin(np.arange(17), [0, 1, 2, 3, 4])[None, :]] *= 0.05
    score = rng.uniform(nm.score_hi[0], nm.score_hi[1], (n, 17))
    score = np.where(vis > 0.5, score * (0.75 + 0.25 * vis), vis * nm.score_lo[1])
    mean_frames = nm.episode_s * cfg.fps
    miss = np.stack([_episode_mask(n, nm.miss[k], mean_frames, rng) for k in range(17)], axis=1)
    score = np.where(miss, rng.uniform(nm.score_lo[0], nm.score_lo[1], (n, 17)), score)
    if nm.face_joint_miss > 0:  # the whole face missed at once
        fm_frames = nm.face_miss_s * cfg.fps if nm.face_miss_s > 0 else mean_frames
        fm = _episode_mask(n, nm.face_joint_miss, fm_frames, rng)
        low = rng.uniform(nm.score_lo[0], nm.score_lo[1], (n, len(FACE_IDX)))
        score[:, list(FACE_IDX)] = np.where(fm[:, None], low, score[:, list(FACE_IDX)])
    phantom = np.stack([_episode_mask(n, nm.phantom, mean_frames, rng) for k in range(17)], axis=1)
    score = np.where(phantom & (vis <= 0.5), rng.uniform(0.5, 0.8, (n, 17)), score)
    if cfg.cover_phantom > 0:  # a phantom face through the blanket
        cp_frames = cfg.cover_phantom_s * cfg.fps
        cp = script.covered & _episode_mask(n, cfg.cover_phantom, cp_frames, rng)
        pick = rng.random((n, len(FACE_IDX))) < 0.4
        pick[:, 0] = True
        on_c = cp[:, None] & pick
        face = list(FACE_IDX)
        score[:, face] = np.where(on_c, rng.uniform(0.5, 0.8, (n, len(FACE_IDX))), score[:, face])
    if cfg.back_face > 0:  # a face on the back of the head
        back = (np.abs(script.roll) > np.pi / 2) & _episode_mask(n, cfg.back_face, mean_frames, rng)
        on = back[:, None] & (vis <= 0.5) & np.isin(np.arange(17), FACE_IDX)[None, :]
        on &= ~script.covered[:, None]
        score = np.where(on, rng.uniform(0.5, 0.85, (n, 17)), score)
        if cfg.back_face_surface:  # on the visible back of the skull, left and right kept
            hc = (world[:, 3] + world[:, 4]) / 2
            fwd = world[:, 0] - hc
            fwd /= np.maximum(np.linalg.norm(fwd, axis=1, keepdims=True), 1e-9)
            for k in FACE_IDX:
                dk = ((world[:, k] - hc) * fwd).sum(axis=1, keepdims=True)
                mir = project(world[:, k] - 2 * dk * fwd, centre, rot, focal, cfg.width, cfg.height)
                xy[on[:, k], k] = mir[on[:, k]]
        if cfg.back_eye_swap > 0:  # that face's eyes and ears in the other order
            ex = back & _episode_mask(n, cfg.back_eye_swap, mean_frames, rng)
            for ka, kb in ((1, 2), (3, 4)):
                xy[ex, ka], xy[ex, kb] = xy[ex, kb].copy(), xy[ex, ka].copy()
                score[ex, ka], score[ex, kb] = score[ex, kb].copy(), score[ex, ka].copy()
    # correlated position noise, Rayleigh-scaled so the median error matches nm.err
    sig = np.asarray(nm.err) / math.sqrt(2 * math.log(2)) * torso_px
    a = nm.noise_corr
    e = rng.normal(0.0, 1.0, (n, 17, 2)) * math.sqrt(1 - a * a)
    e = lfilter([1.0], [1.0, -a], e, axis=0)
    xy = xy + e * sig[None, :, None]
    xy = xy + miss[:, :, None] * rng.normal(0, nm.miss_offset * torso_px, (n, 17, 2))
    # left/right swaps of the whole body
    swap = _episode_mask(n, nm.swap, mean_frames, rng)
    if cfg.back_frontal > 0:  # the model names a back view's sides as for a frontal view
        back = np.abs(script.roll) > np.pi / 2
        swap ^= back & _episode_mask(n, cfg.back_frontal, mean_frames, rng)
    flip = list(COCO_FLIP)
    xy[swap] = xy[swap][:, flip]
    score[swap] = score[swap][:, flip]
    # a parent's arm: a line sweeping across, grabbing some keypoints
    if script.arm.any():
        _arm_pass(xy, score, script.arm, rng, cfg)
    drop = _episode_mask(n, nm.dropout, mean_frames, rng)
    kp = np.concatenate([xy, score[:, :, None]], axis=2).astype(np.float32)
    kp[drop] = 0.0
    labels = posture_labels(script.roll)
    seq = Sequence(
        fps=cfg.fps, width=cfg.width, height=cfg.height, t=t, kp=kp, posture=list(labels),
        covered=script.covered.copy(),
    )  # fmt: skip
    return seq, label_events(t, labels)


def _arm_pass(
    xy: np.ndarray, score: np.ndarray, arm: np.ndarray, rng: np.random.Generator, cfg: SynthConfig
) -> None:
    """Replace keypoints by points on a parent's arm sweeping across during ``arm`` frames."""
    idx = np.flatnonzero(arm)
    starts = idx[np.r_[True, np.diff(idx) > 1]]
    for s in starts.tolist():
        e = s
        while e < len(arm) and arm[e]:
            e += 1
        m = e - s
        ang = rng.uniform(0, 2 * np.pi)
        dirv = np.array([math.cos(ang), math.sin(ang)])
        normv = np.array([-dirv[1], dirv[0]])
        ctr = xy[s, [5, 6, 11, 12]].mean(axis=0)
        sweep = np.linspace(-1.0, 1.0, m)[:, None] * 300.0 * normv[None, :] + ctr
        grabbed = rng.choice(17, size=int(rng.integers(2, 8)), replace=False)
        for j, g in enumerate(grabbed.tolist()):
            along = (j - 3) * 25.0
            xy[s:e, g] = sweep + along * dirv
            score[s:e, g] = rng.uniform(0.5, 0.9, m)
        # the arm hides what it passes over
        dist = np.abs(((xy[s:e] - sweep[:, None, :]) * normv).sum(-1))
        score[s:e] = np.where(dist < 40.0, score[s:e] * 0.3, score[s:e])


# ---------------------------------------------------------------------------- set


MIN_SET_SECONDS = 1.0
"""Shortest set ``make_set`` writes."""


def make_set(
    out: str | os.PathLike[str],
    hours: float,
    seed: int,
    cfg: SynthConfig | None = None,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Write ``out/*.jsonl``, ``out/events.tsv``, ``out/covered.tsv`` and ``out/manifest.json``.

    ``covered.tsv`` (``file onset offset``) lists the face-covered episodes. The set is built
    in a temporary folder and swapped in whole (:func:`cribwatch.io.atomic_dir`): a kill
    leaves the old set or the new one, and a re-run replaces its own earlier set entirely
    (no stale sequences). An existing ``out`` that cribwatch did not write is refused unless
    ``force``.
    """
    cfg = cfg or SynthConfig()
    if not math.isfinite(hours) or hours * 3600.0 < MIN_SET_SECONDS:
        raise CribwatchError(
            f"hours must be a finite number of at least {MIN_SET_SECONDS / 3600.0:.6g} "
            f"({MIN_SET_SECONDS:g} s), got {hours}"
        )
    n_seq = max(1, int(math.ceil(hours * 3600.0 / cfg.seq_s - 1e-9)))
    seq_s = hours * 3600.0 / n_seq
    c = replace(cfg, seq_s=seq_s)
    with atomic_dir(out, force=force) as d:
        return _write_set(d, hours, seed, c, n_seq, progress)


def make_set_from_options(
    out: str | os.PathLike[str],
    hours: float,
    seed: int,
    *,
    quiet: bool = False,
    ranges: str = "train",
    dropout: float | None = None,
    family: str = "a",
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """:func:`make_set` with the ``make-set`` verb's options (``ranges``: train or heldout;
    ``family``: the generator family, :data:`FAMILIES`)."""
    if ranges not in ("train", "heldout"):
        raise CribwatchError(f"ranges must be train or heldout, got {ranges!r}")
    cfg = family_config(
        family,
        SynthConfig(quiet=quiet, scene=HELDOUT_RANGES if ranges == "heldout" else SceneRanges()),
    )
    if dropout is not None:
        if not math.isfinite(dropout) or not 0.0 <= dropout <= 1.0:
            raise CribwatchError(f"dropout must be a rate between 0 and 1, got {dropout}")
        cfg = replace(cfg, noise=replace(cfg.noise, dropout=dropout))
    return make_set(out, hours, seed, cfg, progress, force=force)


def _write_set(
    d: Path, hours: float, seed: int, c: SynthConfig, n_seq: int, progress: Progress | None
) -> dict[str, Any]:
    rows: list[tuple[str, float, str]] = []
    cov_rows: list[tuple[str, float, float]] = []
    seq_rng = np.random.SeedSequence(seed)
    child = seq_rng.generate_state(n_seq)
    n_prone = 0
    for k in range(n_seq):
        name = f"seq{k:04d}.jsonl"
        seq, ev = generate(int(child[k]), c)
        write_sequence(d / name, seq)
        rows.extend((name, tt, e) for tt, e in ev)
        n_prone += sum(1 for _, e in ev if e == "to_prone")
        assert seq.covered is not None
        cv = seq.covered.astype(np.int8)
        on = np.flatnonzero(np.diff(np.r_[0, cv]) == 1)
        off = np.flatnonzero(np.diff(np.r_[cv, 0]) == -1)
        cov_rows.extend(
            (name, float(seq.t[a]), float(seq.t[b])) for a, b in zip(on, off, strict=True)
        )
        report(progress, k + 1, n_seq)
    with atomic_open(d / "events.tsv", "w") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "time", "event"])
        for name, tt, e in rows:
            w.writerow([name, f"{tt:.3f}", e])
    with atomic_open(d / "covered.tsv", "w") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "onset", "offset"])
        for name, a, b in cov_rows:
            w.writerow([name, f"{a:.3f}", f"{b:.3f}"])
    manifest = {
        "format": "cribwatch-rollover-set",
        "version": 1,
        "written_by": OUTPUT_MARK,
        "seed": seed,
        "hours": hours,
        "files": n_seq,
        "to_prone": n_prone,
        "events": len(rows),
        "covered_episodes": len(cov_rows),
        "config": json.loads(json.dumps(asdict(c))),
    }
    write_json(d / "manifest.json", manifest)
    return manifest

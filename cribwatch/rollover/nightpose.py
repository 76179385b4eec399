"""Pose on infrared night frames, at any orientation: pre-processing, orientation, tracking.

:class:`NightPose` wraps a pose backend (:class:`~cribwatch.rollover.movenet.MoveNetBackend`
by default, or MediaPipe) and is itself a backend (``process(rgb) -> (17, 3)``):

* **IR pre-processing** (:func:`preprocess_ir`, grey frames only): a 3x3 median against
  sensor noise, CLAHE local contrast (the IR LEDs light the centre and leave the rest dark),
  a gamma that lifts the shadows, and the grey replicated to the three channels the model
  expects. Colour frames pass unchanged.
* **Orientation**: an infant lies at any angle, while pose models are trained on upright
  people. Without a track, the frame is tried at 0/90/180/270 degrees and the run with the
  most reliable face/arm/hip keypoints (ties: their mean score) is kept.
* **Tracking** (``tracking=True``, video): the next frame is cropped around the last
  keypoints (grown by ``roi_margin``) and turned so that the last torso axis points up: one
  model run per frame while the track holds; the search above runs again when it is lost.
* **Refinement** (MoveNet): runs on crops around the first run's keypoints, as MoveNet's own
  demo does, since the model sees a whole frame in only 192x192 pixels; the last two crops
  must agree (``consistency``) for a person to be present.

**Presence**: at least ``min_keypoints`` (6) of the 13 face, arm and hip keypoints with
score >= ``score_thr`` (0.5) (:func:`person_present`, what the detector's ``nobody_in_view``
alert counts on keypoints) and, inside the wrapper, keypoints that stay put between two
crops (``consistency``), and, for a person found without a track, two verification runs
(the mirrored crop and a zoomed-out crop must give the person back: ``verify_*``). Frames
where nobody is present come back with all scores 0, as MediaPipe's do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

import cv2
import numpy as np

from cribwatch.cards import check_fields
from cribwatch.errors import CribwatchError
from cribwatch.rollover.denoise import Denoiser, shrink
from cribwatch.rollover.movenet import (
    INPUT_SIDE,
    PERSON_SIDE,
    MoveNetBackend,
    PersonDetector,
    as_rgb,
    unwarp_points,
    warp,
)
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig, PoseBackend

UPPER13: tuple[int, ...] = tuple(range(13))
"""COCO-17 indices of the 13 face, arm and hip keypoints (nose .. right hip)."""
L_SH, R_SH, L_HIP, R_HIP = 5, 6, 11, 12
FACE = (0, 1, 2, 3, 4)
LR_SWAP: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
"""COCO-17 order with left and right exchanged."""

BACKENDS: tuple[str, ...] = ("movenet-night", "movenet", "mediapipe-night", "mediapipe")
"""Backend names :func:`make_backend` knows; the first is the default."""
DEFAULT_BACKEND = BACKENDS[0]
"""The chosen backend (by measurement: docs/results/rollover-night.md)."""


@dataclass(frozen=True)
class NightConfig:
    """Settings of the night wrapper (defaults: the chosen ones)."""

    preprocess: bool = True
    """IR pre-processing on grey frames."""
    orientation: bool = True
    """Try 0/90/180/270 degrees when there is no track (else upright only)."""
    tracking: bool = False
    """Video: crop and turn upright from the last frame's keypoints."""
    keep_size: float = 0.0
    """Tracking: the crop is at least this fraction of the last present frame's crop."""
    up_smooth: float = 0.0
    """Tracking: weight of the previous frame's up direction in the next (0: none)."""
    track_hold: int = 0
    """Tracking: frames without a person during which the last track is still tried (and the
    whole frame searched) before it is dropped."""
    research: bool = False
    """Tracking: search the whole frame again when the track holds on fewer reliable
    keypoints than the most it has had, and keep the better result. Off: no gain on the
    tuning photos (96% either way) for 70% more CPU (docs/results/rollover-night.md)."""
    refine: bool = True
    """Runs on crops around the first run's keypoints (backends with ``infer``)."""
    consistency: float = 0.05
    """Presence also needs the keypoints to stay put between two successive crops: median
    move of the 13 at most this fraction of the crop's side (0: no check, one crop only).
    A person's keypoints settle; those the model hallucinates on fur, feathers or a cup wander."""
    verify_flip_min: int = 0
    """Verification of a newly found person (every frame without a track): reliable
    face/arm/hip keypoints needed on the mirrored crop (0: no mirror run). A person's
    keypoints come back on the mirror image (left/right swapped or not); many that the model
    hallucinates on an animal do not."""
    verify_flip_drift: float = 0.06
    """... and their median distance to the frame's keypoints (crop sides) at most this
    (labels matched as given or left/right swapped, the nearer)."""
    verify_zoom: float = 1.4
    """Side of the zoomed-out verification crop against the frame's crop."""
    verify_zoom_min: int = 6
    """Reliable face/arm/hip keypoints needed on the zoomed-out crop (0: with
    ``verify_zoom_drift`` >= 1, no zoom run). Chosen with ``verify_flip_drift`` on tuning
    frames (docs/results/rollover-night.md, "Presence check, second round")."""
    verify_zoom_drift: float = 1.0
    """... and their median distance to the frame's keypoints (crop sides) at most this."""
    verify_person: float = 0.0
    """Verification of a newly found person by an appearance vote: the person-detection
    model's (:class:`~cribwatch.rollover.movenet.PersonDetector`) mean person score over
    upright crops around the keypoints (:data:`PERSON_CROPS` of the crop's side) must be at
    least this (0: no vote, the default). The tuning rule chose 0.36, but on the held-out
    photos it cost a third of the persons found (docs/results/rollover-night.md, "Presence
    check, third round"), so it is off."""
    score_thr: float = 0.5
    """A keypoint with score at least this is reliable."""
    min_keypoints: int = 6
    """Reliable face/arm/hip keypoints (of 13) that make a person present."""
    grey_tol: float = 3.0
    """Mean absolute difference between colour channels below which a frame is grey (IR)."""
    median: int = 3
    """Median filter size against sensor noise (odd; 1: none)."""
    blur_sigma: float = 0.0
    """Gaussian blur (sigma, pixels) after the median, before CLAHE (0: none): averages the
    shot noise of a dark IR frame."""
    bilateral: float = 0.0
    """Edge-keeping bilateral filter after the median, before CLAHE: its sigma in grey levels
    (0: none; 7-pixel neighbourhood, spatial sigma 5)."""
    clahe_clip: float = 2.0
    """CLAHE clip limit."""
    clahe_tiles: int = 4
    """CLAHE tiles per side."""
    gamma: float = 0.8
    """Gamma applied after CLAHE (< 1 lifts the shadows)."""
    orientations: int = 4
    """Directions tried by the search: 4 (every 90 degrees) or 8 (every 45)."""
    crop_thr: float = 0.2
    """Keypoints with at least this score bound the crops (0: ``score_thr``); lower keeps
    the weakly seen limbs inside, so successive crops do not shrink onto the face."""
    crop: str = "box"
    """How crops around keypoints are sized: ``box`` or ``movenet`` (see ``NightPose._box``)."""
    roi_margin: float = 0.35
    """The tracked crop: the keypoints' box grown by this fraction of its side on each side."""
    min_roi: float = 0.25
    """The tracked crop's side is at least this fraction of the frame's longer side."""
    square_side: int = 320
    """Side of the square a wrapped backend without ``infer`` (MediaPipe) sees."""
    temporal: float = 0.0
    """Tracking (video), grey frames: temporal noise reduction, as a camera's 3D noise filter
    does: a running average of the frames, this weight on the past (0: off), reset per pixel
    where the frame moved (``temporal_motion``). Averages the sensor noise of a still scene."""
    temporal_motion: float = 24.0
    """Grey levels of difference from the running average above which a pixel is taken as
    moved and restarts from the new frame."""
    denoise: str = ""
    """Grey frames: a learned noise filter (:mod:`cribwatch.rollover.denoise`) before the
    pre-processing: the path of its ONNX file (with its card), ``""`` none (the default: the
    filters measured find fewer people, docs/results/rollover-night.md)."""
    antialias: bool = False
    """Before a model run that shrinks the frame (MoveNet sees 192x192 pixels), shrink it by
    pixel-area averaging (``cv2.INTER_AREA``) to that scale first, so that the bilinear warp
    does not alias the sensor noise into the model's input."""

    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"crop": ("box", "movenet")}
    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "score_thr": (0.0, 1.0),
        "min_keypoints": (1, 13),
        "grey_tol": (0.0, 255.0),
        "median": (1, 15),
        "clahe_clip": (0.1, 40.0),
        "blur_sigma": (0.0, 10.0),
        "bilateral": (0.0, 255.0),
        "clahe_tiles": (1, 64),
        "gamma": (0.1, 5.0),
        "roi_margin": (0.0, 2.0),
        "orientations": (4, 8),
        "track_hold": (0, 1000),
        "up_smooth": (0.0, 0.99),
        "keep_size": (0.0, 2.0),
        "crop_thr": (0.0, 1.0),
        "consistency": (0.0, 1.0),
        "min_roi": (0.01, 1.0),
        "verify_flip_min": (0, 13),
        "verify_flip_drift": (0.0, 1.0),
        "verify_zoom": (1.0, 4.0),
        "verify_zoom_min": (0, 13),
        "verify_zoom_drift": (0.0, 1.0),
        "verify_person": (0.0, 1.0),
        "square_side": (32, 2048),
        "temporal": (0.0, 0.95),
        "temporal_motion": (0.0, 255.0),
    }

    def __post_init__(self) -> None:
        check_fields(self)  # the rules of cribwatch.cards.from_mapping, for a config built in code


PERSON_CROPS: tuple[float, ...] = (0.6, 0.7, 0.8)
"""Sides of the person detector's upright crops, against the side of the keypoints' crop
(tight crops: on the tuning frames the wider ones scored animals as high as people)."""


def reliable_count(kp: np.ndarray, score_thr: float = 0.5) -> int:
    """How many of the 13 face, arm and hip keypoints have score >= ``score_thr``."""
    return int((np.asarray(kp)[list(UPPER13), 2] >= score_thr).sum())


def person_present(kp: np.ndarray, score_thr: float = 0.5, min_keypoints: int = 6) -> bool:
    """A person is in view: ``min_keypoints`` of the 13 face/arm/hip keypoints are reliable."""
    return reliable_count(kp, score_thr) >= min_keypoints


def presence(kp: np.ndarray, score_thr: float = 0.5, min_keypoints: int = 6) -> np.ndarray:
    """:func:`person_present` over (N, 17, 3) keypoints: (N,) bool."""
    k = np.asarray(kp)
    k = k[None] if k.ndim == 2 else k
    return (k[:, list(UPPER13), 2] >= score_thr).sum(axis=1) >= min_keypoints


def is_grey(rgb: np.ndarray, tol: float = 3.0) -> bool:
    """The frame's colour channels are (nearly) equal: an IR night frame."""
    small = rgb[::8, ::8].astype(np.int16)
    diff = (
        np.abs(small[..., 0] - small[..., 1]).mean() + np.abs(small[..., 1] - small[..., 2]).mean()
    )
    return float(diff) / 2.0 <= tol


def preprocess_ir(rgb: np.ndarray, cfg: NightConfig | None = None) -> np.ndarray:
    """Grey IR frame -> denoised, locally contrast-stretched, gamma-lifted grey RGB (uint8).

    Colour frames come back unchanged.
    """
    c = cfg or NightConfig()
    frame = as_rgb(rgb)
    if not is_grey(frame, c.grey_tol):
        return frame
    g = np.ascontiguousarray(frame[..., 1])
    if c.median > 1:
        g = cv2.medianBlur(g, int(c.median) | 1)
    if c.blur_sigma > 0:
        g = cv2.GaussianBlur(g, (0, 0), c.blur_sigma)
    if c.bilateral > 0:
        g = cv2.bilateralFilter(g, 7, c.bilateral, 5)
    clahe = cv2.createCLAHE(clipLimit=c.clahe_clip, tileGridSize=(c.clahe_tiles, c.clahe_tiles))
    g = clahe.apply(g)
    if c.gamma != 1.0:
        lut = (np.linspace(0.0, 1.0, 256) ** c.gamma * 255.0).round().astype(np.uint8)
        g = cv2.LUT(g, lut)
    return as_rgb(g)


def crop_matrix(cx: float, cy: float, size: float, up: np.ndarray, side: int) -> np.ndarray:
    """2x3 affine: the ``size``-pixel square centred on (cx, cy) -> a ``side`` square, turned
    so that the unit direction ``up`` (frame pixels, y down) points up in the square."""
    ux, uy = float(up[0]), float(up[1])
    s = side / max(size, 1e-6)
    rot = np.array([[-uy, ux], [-ux, -uy]]) * s
    t = np.array([side / 2.0 - 0.5, side / 2.0 - 0.5]) - rot @ np.array([cx, cy])
    return np.hstack([rot, t[:, None]])


UPS: tuple[tuple[float, float], ...] = ((0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0))
"""Directions of the body axis tried without a track (0, 90, 180, 270 degrees)."""
_D = math.sqrt(0.5)
UPS8: tuple[tuple[float, float], ...] = UPS + ((_D, -_D), (_D, _D), (-_D, _D), (-_D, -_D))
"""The same with the four diagonals (``orientations=8``)."""


@dataclass
class _Pose:
    kp: np.ndarray
    up: np.ndarray
    drift: float
    """Median move of the 13 face/arm/hip keypoints between the last two crops (crop sides)."""


def _quality(kp: np.ndarray, thr: float) -> tuple[int, float]:
    s = kp[list(UPPER13), 2]
    return int((s >= thr).sum()), float(s.mean())


class NightPose:
    """A pose backend for IR night frames at any orientation (see the module docstring).

    Args:
        base: the wrapped backend (default: the shipped MoveNet); closed by :meth:`close`.
        config: the wrapper's settings.
    """

    def __init__(
        self, base: PoseBackend | None = None, config: NightConfig | None = None,
        person: PersonDetector | None = None,
    ) -> None:  # fmt: skip
        self.config = config or NightConfig()
        self.base: PoseBackend = base if base is not None else MoveNetBackend()
        self.person = person
        """The appearance vote's model (loaded on first use when ``verify_person`` > 0)."""
        self._infer = getattr(self.base, "infer", None)
        self._side = INPUT_SIDE if self._infer is not None else self.config.square_side
        flags = [
            "pre" if self.config.preprocess else "",
            "rot" if self.config.orientation else "",
            "track" if self.config.tracking else "",
        ]
        self.name = f"{self.base.name}+night({','.join(f for f in flags if f) or 'plain'})"
        self._last: np.ndarray | None = None
        self._up = np.array(UPS[0])
        self._track_count = 0
        self._lost = 0
        self._size = 0.0
        self.runs = 0
        """Model runs so far (cost accounting)."""
        self.last_drift = 0.0
        """Consistency (drift) of the last frame's keypoints."""
        self.last_up = np.array(UPS[0])
        """The body axis the last frame was turned by (frame pixels, y down)."""
        self.last_verify: dict[str, float] = {}
        """The last frame's verification runs (:meth:`verify_runs`; empty when none ran)."""
        self.last_raw = np.zeros((17, 3), np.float32)
        """The last frame's keypoints before the presence check zeroed them (diagnostics)."""
        self._denoiser: Denoiser | None = None
        if self.config.denoise:
            self._denoiser = Denoiser(self.config.denoise)
        self._avg: np.ndarray | None = None
        """The running average of the grey frames (``temporal``)."""
        self._aa: dict[float, np.ndarray] = {}
        """This frame's area-averaged copies by scale (``antialias``)."""

    # ---------------------------------------------------------------- one model run

    def _shrunk(self, frame: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``frame`` area-averaged to the scale of ``m`` (frame -> square), and the 3x3 matrix
        from the shrunk frame's pixels to the frame's; None when ``m`` does not shrink."""
        scale = math.sqrt(abs(float(np.linalg.det(m[:, :2]))))
        if scale >= 0.9:
            return None
        key = round(scale, 2)
        if key not in self._aa:
            self._aa[key] = shrink(frame, key)
        small = self._aa[key]
        fx, fy = small.shape[1] / frame.shape[1], small.shape[0] / frame.shape[0]
        # pixel centres: x_frame = (x_small + 0.5) / fx - 0.5
        a = np.array([[1.0 / fx, 0.0, 0.5 / fx - 0.5], [0.0, 1.0 / fy, 0.5 / fy - 0.5], [0, 0, 1]])
        return small, a

    def _run(self, frame: np.ndarray, m: np.ndarray) -> np.ndarray:
        self.runs += 1
        shrunk = self._shrunk(frame, m) if self.config.antialias else None
        if shrunk is None:
            return self._run_on(frame, m)
        small, a = shrunk
        kp = self._run_on(small, (np.vstack([m, [0.0, 0.0, 1.0]]) @ a)[:2])
        kp[:, :2] = kp[:, :2] @ a[:2, :2].T + a[:2, 2]
        return kp

    def _run_on(self, frame: np.ndarray, m: np.ndarray) -> np.ndarray:
        if self._infer is not None:
            out: np.ndarray = self._infer(frame, m)
            return out
        sq = warp(frame, m, self._side)
        kp = np.asarray(self.base.process(sq), dtype=np.float64).copy()
        kp[:, :2] = unwarp_points(kp[:, :2], m)
        return kp

    def _box(self, kp: np.ndarray, w: int, h: int) -> tuple[float, float, float]:
        """Centre and side of the crop around the reliable keypoints (all if too few).

        ``crop="box"``: their bounding box grown by ``roi_margin`` per side. ``crop="movenet"``
        (MoveNet's own demo): centred on the hips (else the box), half-side the larger of 1.9x
        the torso keypoints' and 1.2x all keypoints' largest offset from the centre.
        """
        c = self.config
        rel = kp[:, 2] >= (c.crop_thr if c.crop_thr > 0 else c.score_thr)
        pts = kp[rel, :2] if rel.sum() >= 3 else kp[:, :2]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        if c.crop == "movenet":
            if rel[L_HIP] and rel[R_HIP]:
                cx, cy = (kp[L_HIP, :2] + kp[R_HIP, :2]) / 2.0
            else:
                cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
            torso = [j for j in (L_SH, R_SH, L_HIP, R_HIP) if rel[j]]
            t_range = float(np.abs(kp[torso, :2] - [cx, cy]).max()) if torso else 0.0
            b_range = float(np.abs(pts - [cx, cy]).max())
            size = 2.0 * max(1.9 * t_range, 1.2 * b_range)
        else:
            cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
            size = max(x1 - x0, y1 - y0) * (1.0 + 2.0 * c.roi_margin)
        size = max(size, c.min_roi * max(w, h))
        return float(cx), float(cy), float(size)

    def _crop_run(
        self, frame: np.ndarray, kp: np.ndarray, up: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """A run on the crop around ``kp``, turned by ``up``; also the crop's side."""
        h, w = frame.shape[:2]
        cx, cy, size = self._box(kp, w, h)
        return self._run(frame, crop_matrix(cx, cy, size, up, self._side)), size

    def _settle(self, frame: np.ndarray, kp: np.ndarray, up: np.ndarray) -> _Pose:
        """Refine ``kp`` by crops around it; the last two runs give the consistency."""
        c = self.config
        if not c.refine or self._infer is None:
            return _Pose(kp, up, 0.0)
        if reliable_count(kp, c.score_thr) < 3:  # no box to crop to: nobody here
            return _Pose(kp, up, math.inf if c.consistency > 0 else 0.0)
        kp2, _ = self._crop_run(frame, kp, up)
        if c.consistency <= 0:
            better = _quality(kp2, c.score_thr) >= _quality(kp, c.score_thr)
            return _Pose(kp2 if better else kp, up, 0.0)
        kp3, size = self._crop_run(frame, kp2, up)
        d = np.linalg.norm(kp3[list(UPPER13), :2] - kp2[list(UPPER13), :2], axis=1) / size
        better = _quality(kp3, c.score_thr) >= _quality(kp2, c.score_thr)
        return _Pose(kp3 if better else kp2, up, float(np.median(d)))

    def _present(self, pose: _Pose) -> bool:
        c = self.config
        if not person_present(pose.kp, c.score_thr, c.min_keypoints):
            return False
        return c.consistency <= 0 or pose.drift <= c.consistency

    def verify_runs(self, frame: np.ndarray, kp: np.ndarray, up: np.ndarray) -> dict[str, float]:
        """The verification runs around ``kp`` (turned by ``up``): the mirrored crop and the
        zoomed-out crop, each as reliable face/arm/hip keypoints and median distance to ``kp``
        (crop sides). Runs only what the configuration checks."""
        c = self.config
        h, w = frame.shape[:2]
        cx, cy, size = self._box(kp, w, h)
        m = crop_matrix(cx, cy, size, up, self._side)
        u = list(UPPER13)
        out: dict[str, float] = {}

        def dist(a: np.ndarray) -> float:
            return float(np.median(np.linalg.norm(a[u, :2] - kp[u, :2], axis=1)) / size)

        if c.verify_flip_min > 0 or c.verify_flip_drift < 1.0:
            flip = np.array([[-1.0, 0.0, self._side - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            kf = self._run(frame, (flip @ np.vstack([m, [0.0, 0.0, 1.0]]))[:2])
            out["flip_n"] = float(reliable_count(kf, c.score_thr))
            out["flip"] = min(dist(kf), dist(kf[list(LR_SWAP)]))
        if c.verify_zoom_min > 0 or c.verify_zoom_drift < 1.0:
            kz = self._run(frame, crop_matrix(cx, cy, size * c.verify_zoom, up, self._side))
            out["zoom_n"] = float(reliable_count(kz, c.score_thr))
            out["zoom"] = dist(kz)
        return out

    def person_score(self, frame: np.ndarray, kp: np.ndarray, up: np.ndarray) -> float:
        """The appearance vote: the person-detection model's mean score over upright crops
        (:data:`PERSON_CROPS`) around ``kp`` (turned by ``up``)."""
        if self.person is None:
            self.person = PersonDetector()
        h, w = frame.shape[:2]
        cx, cy, size = self._box(kp, w, h)
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        scores = [
            self.person.score_crop(grey, crop_matrix(cx, cy, size * z, up, PERSON_SIDE))
            for z in PERSON_CROPS
        ]
        return float(np.mean(scores))

    def _verified(self, frame: np.ndarray, pose: _Pose) -> bool:
        c = self.config
        if c.verify_person > 0:
            score = self.person_score(frame, pose.kp, pose.up)
            self.last_verify = {"person": score}
            if score < c.verify_person:
                return False
        r = self.verify_runs(frame, pose.kp, pose.up)
        self.last_verify = {**self.last_verify, **r}
        if "flip" in r and (r["flip_n"] < c.verify_flip_min or r["flip"] > c.verify_flip_drift):
            return False
        return not (
            "zoom" in r and (r["zoom_n"] < c.verify_zoom_min or r["zoom"] > c.verify_zoom_drift)
        )

    def _search(self, frame: np.ndarray) -> _Pose:
        """Whole frame at each orientation; the best settled run."""
        c = self.config
        h, w = frame.shape[:2]
        best: tuple[tuple[bool, int, float], _Pose] | None = None
        for up in (UPS8 if c.orientations == 8 else UPS) if c.orientation else UPS[:1]:
            u = np.array(up)
            m = crop_matrix((w - 1) / 2.0, (h - 1) / 2.0, max(w, h), u, self._side)
            pose = self._settle(frame, self._run(frame, m), u)
            q = (self._present(pose), *_quality(pose.kp, c.score_thr))
            if best is None or q > best[0]:
                best = (q, pose)
        assert best is not None
        return best[1]

    def _track(self, frame: np.ndarray, last: np.ndarray) -> _Pose:
        """The crop around the last keypoints, turned upright by the last torso axis."""
        c = self.config
        up = torso_up(last, c.score_thr)
        if up is None:
            up = self._up
        elif c.up_smooth > 0:  # the axis of noisy keypoints jitters: smooth it over frames
            v = c.up_smooth * self._up + (1.0 - c.up_smooth) * up
            n = float(np.hypot(v[0], v[1]))
            up = v / n if n > 1e-6 else up
        h, w = frame.shape[:2]
        cx, cy, size = self._box(last, w, h)
        size = max(size, c.keep_size * self._size)  # keypoints lost to noise do not shrink it
        kp = self._run(frame, crop_matrix(cx, cy, size, up, self._side))
        return self._settle(frame, kp, up) if c.consistency > 0 else _Pose(kp, up, 0.0)

    # ---------------------------------------------------------------- the backend interface

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB (or grey) -> (17, 3) float32 keypoints; scores 0 when nobody
        is present."""
        c = self.config
        frame = as_rgb(rgb)
        if c.tracking and c.temporal > 0:
            frame = self._temporal(frame)
        if self._denoiser is not None and is_grey(frame, c.grey_tol):
            frame = as_rgb(self._denoiser(np.ascontiguousarray(frame[..., 1])))
        frame = preprocess_ir(frame, c) if c.preprocess else frame
        self._aa = {}
        pose: _Pose | None = None
        if c.tracking and self._last is not None:
            pose = self._track(frame, self._last)
            if not self._present(pose):
                pose = None
            elif c.research and reliable_count(pose.kp, c.score_thr) < self._track_count:
                # the track holds on fewer keypoints than it started with: search again and
                # keep the better of the two
                found = self._search(frame)
                if (self._present(found), *_quality(found.kp, c.score_thr)) > (
                    True, *_quality(pose.kp, c.score_thr),
                ):  # fmt: skip
                    pose = found
        else:
            self._track_count = 0
        searched = pose is None
        if pose is None:
            pose = self._search(frame)
        present = self._present(pose)
        self.last_verify = {}
        self.last_up = pose.up
        if present and searched:  # a person found without a track: verify it
            present = self._verified(frame, pose)
        self.last_drift = pose.drift
        if c.tracking:
            if present:
                self._last = pose.kp.copy()
                self._up = pose.up
                self._lost = 0
                self._size = self._box(pose.kp, *frame.shape[1::-1])[2]
            else:  # keep the last track for a few frames: a noisy frame does not end it
                self._lost += 1
                if self._lost > c.track_hold:
                    self._last = None
                    self._up = pose.up
            n = reliable_count(pose.kp, c.score_thr) if present else 0
            self._track_count = max(self._track_count, n) if present else 0
        out = pose.kp.astype(np.float32)
        self.last_raw = out.copy()
        if not present:
            out[:, 2] = 0.0
        return out

    def _temporal(self, frame: np.ndarray) -> np.ndarray:
        """The running average of grey frames (``temporal``); colour frames pass and restart it."""
        c = self.config
        if not is_grey(frame, c.grey_tol):
            self._avg = None
            return frame
        g = frame[..., 1].astype(np.float32)
        if self._avg is None or self._avg.shape != g.shape:
            self._avg = g
        else:
            mixed = c.temporal * self._avg + (1.0 - c.temporal) * g
            self._avg = np.where(np.abs(g - self._avg) > c.temporal_motion, g, mixed)
        return as_rgb(np.clip(self._avg + 0.5, 0, 255).astype(np.uint8))

    def reset(self) -> None:
        """Forget the track (and the running average of ``temporal``)."""
        self._avg = None
        self._last = None
        self._track_count = 0
        self._lost = 0
        self._up = np.array(UPS[0])

    def close(self) -> None:
        """Close the wrapped backend (and the appearance vote's model)."""
        self.base.close()
        if self.person is not None:
            self.person.close()


def torso_up(kp: np.ndarray, thr: float = 0.5) -> np.ndarray | None:
    """Unit direction hip midpoint -> shoulder midpoint (or shoulders -> head), or None."""
    rel = kp[:, 2] >= thr

    def mid(a: int, b: int) -> np.ndarray | None:
        pts = [kp[j, :2] for j in (a, b) if rel[j]]
        return np.mean(pts, axis=0) if pts else None

    sh, hip = mid(L_SH, R_SH), mid(L_HIP, R_HIP)
    face = [kp[j, :2] for j in FACE if rel[j]]
    head = np.mean(face, axis=0) if face else None
    if sh is not None and hip is not None:
        v = sh - hip
    elif sh is not None and head is not None:
        v = head - sh
    else:
        return None
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-6 and math.isfinite(n) else None


def make_backend(
    name: str = DEFAULT_BACKEND, *, static: bool = False, config: NightConfig | None = None
) -> PoseBackend:
    """A pose backend by name (:data:`BACKENDS`); ``static``: photos (no tracking).

    ``movenet-night`` (default): MoveNet + IR pre-processing + orientation (+ tracking unless
    ``static``); ``movenet``: MoveNet alone on the letterboxed frame; ``mediapipe-night``:
    MediaPipe inside the same wrapper; ``mediapipe``: MediaPipe as before (extra
    ``rollover``).
    """
    if name == "mediapipe":
        return MediaPipeBackend(MediaPipeConfig(static_image_mode=static))
    if name == "movenet":
        return MoveNetBackend()
    cfg = replace(config or NightConfig(), tracking=not static)
    if name == "movenet-night":
        return NightPose(MoveNetBackend(), cfg)
    if name == "mediapipe-night":
        return NightPose(MediaPipeBackend(MediaPipeConfig(static_image_mode=True)), cfg)
    raise CribwatchError(f"unknown pose backend {name!r} (known: {', '.join(BACKENDS)})")


def check_backend(name: str) -> None:
    """Raise a CribwatchError naming the known backends unless ``name`` is one."""
    if name not in BACKENDS:
        raise CribwatchError(f"unknown pose backend {name!r} (known: {', '.join(BACKENDS)})")

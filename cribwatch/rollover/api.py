"""The roll-over detector's front desk: keypoints (or frames) in, alerts out as they are decided.

>>> from cribwatch.rollover.api import RolloverDetector
>>> det = RolloverDetector()                     # shipped posture model (numpy) and config
>>> for t, kp in stream:                         # kp: (17, 3) COCO-17 [x, y, score] in pixels
...     for alert in det.update(t, kp):          # posture events and alerts, when decided
...         print(alert.time, alert.kind, alert.event)

With a pose estimator the detector takes frames (default ``movenet-night``: the shipped
MoveNet int8 through LiteRT with IR pre-processing, orientation search and tracking, extra
``rollover``; see :mod:`cribwatch.rollover.nightpose`):

>>> with RolloverDetector.with_pose() as det:
...     alerts = det.update_frame(t, rgb_uint8)

A mirrored or rotated camera needs no setting: pose models name left and right from the way
the person faces, not from the image, and the posture rules hold under any rotation.

The path keypoints -> posture -> events runs on numpy alone (no torch, no MediaPipe): the
learned posture classifier is the numpy twin of ``rollover_posture.pt``
(:func:`cribwatch.rollover.learned.export_numpy`). Alerts (``kind == "alert"``): ``to_prone``
(a roll to prone, on the frame that confirms it), ``prone_too_long`` and ``face_not_visible``
(a possibly covered face) and ``nobody_in_view`` (the pose backend has found nobody for
``EventConfig.nobody_hold_s``); posture changes come as ``kind == "event"`` (``to_supine``,
``to_side``, ``to_prone``). Rules and timing: :mod:`cribwatch.rollover.events`.

:func:`detect` and :func:`extract_keypoints` are what the ``cribwatch rollover detect`` and
``keypoints`` verbs call.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from cribwatch import cards
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_open
from cribwatch.progress import Progress
from cribwatch.rollover.events import (
    METHODS,
    Detection,
    Event,
    EventConfig,
    Tracker,
    frame_probabilities,
    run_features,
)
from cribwatch.rollover.learned import NUMPY_WEIGHTS, WEIGHTS, LearnedPosture
from cribwatch.rollover.learned import load as load_learned
from cribwatch.rollover.nightpose import BACKENDS, DEFAULT_BACKEND, check_backend, make_backend
from cribwatch.rollover.pose import (
    PoseBackend,
    Sequence,
    looks_like_sequence,
    open_frames,
    read_sequence,
    run_backend,
    write_lines,
)
from cribwatch.rollover.posture import PostureConfig

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "METHODS",
    "NUMPY_WEIGHTS",
    "WEIGHTS",
    "Detection",
    "Event",
    "EventConfig",
    "PostureConfig",
    "RolloverDetector",
    "detect",
    "extract_keypoints",
    "model_card",
]

DEFAULT_METHOD = "both"
"""The shipped posture classifier: the learned MLP with the face veto on prone."""


def model_card(weights: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The card of the posture model (default: the shipped one), read through the card schema."""
    w = Path(weights) if weights is not None else WEIGHTS
    return cards.read_card(cards.card_path(w), "rollover")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise CribwatchError(f"unknown posture method {method!r} (one of {', '.join(METHODS)})")


class RolloverDetector:
    """Streaming roll-over detector: feed frames in time order, get alerts when decided.

    Args:
        method: posture classifier: ``both`` (default: the learned MLP with the face veto),
            ``learned`` or ``rules`` (geometry only).
        posture: posture-rule settings (defaults: the shipped ones; a mirrored camera needs
            none: real pose models give the same left/right order on an image and its mirror).
        events: smoothing, hysteresis and alert timing (defaults: the shipped ones).
        model: the learned classifier, or a path to its weights (``.npz`` with numpy, ``.pt``
            with torch); default the shipped numpy twin. Unused with ``rules``.
        backend: a pose estimator for :meth:`update_frame` (see :meth:`with_pose`).
    """

    def __init__(
        self,
        *,
        method: str = DEFAULT_METHOD,
        posture: PostureConfig | None = None,
        events: EventConfig | None = None,
        model: LearnedPosture | str | os.PathLike[str] | None = None,
        backend: PoseBackend | None = None,
    ) -> None:
        _check_method(method)
        self.method = method
        self.posture_config = posture or PostureConfig()
        self.event_config = events or EventConfig()
        if method == "rules":
            self.model: LearnedPosture | None = None
        elif isinstance(model, LearnedPosture):
            self.model = model
        else:
            self.model = load_learned(model)
        self.backend = backend
        self._tracker = Tracker(self.event_config)
        self._last_t = -math.inf

    @classmethod
    def with_pose(
        cls, backend: str = DEFAULT_BACKEND, *, static: bool = False, **kwargs: Any
    ) -> RolloverDetector:
        """A detector with a pose estimator by name (:data:`BACKENDS`; default
        ``movenet-night``, tracking unless ``static``; extra ``rollover``)."""
        return cls(backend=make_backend(backend, static=static), **kwargs)

    # ------------------------------------------------------------------ streaming

    def update(self, t: float, kp: np.ndarray) -> list[Event]:
        """One frame's keypoints at time ``t`` (seconds, non-decreasing) -> new events/alerts.

        ``kp``: (17, 3) COCO-17 ``[x, y, score]`` in pixels (score 0: not found).
        """
        t = float(t)
        if not math.isfinite(t):
            raise CribwatchError(f"frame time must be a finite number, not {t!r}")
        if t < self._last_t:
            raise CribwatchError(f"frame time goes backwards ({t} < {self._last_t})")
        k = np.asarray(kp, dtype=np.float64)
        if k.shape != (17, 3):
            raise CribwatchError(f"keypoints must have shape (17, 3), got {k.shape}")
        if not np.all(np.isfinite(k)):
            raise CribwatchError("keypoints must be finite numbers")
        feat, p = frame_probabilities(k[None], self.posture_config, self.method, self.model)
        self._last_t = t
        return self._tracker.update(
            t, p[0], float(feat.d[0]), bool(feat.valid[0]), int(feat.n_face[0]),
            bool(feat.body_in_view[0]),
            int(feat.n_reliable[0]) >= self.event_config.presence_min, float(feat.sw[0]),
            bool(feat.veto[0]) if len(feat.veto) else False,
        )  # fmt: skip

    def update_frame(self, t: float, rgb: np.ndarray) -> list[Event]:
        """One video frame ((H, W, 3) uint8 RGB) at time ``t`` -> new events and alerts."""
        if self.backend is None:
            raise CribwatchError(
                "this detector has no pose backend: build it with RolloverDetector.with_pose()"
            )
        return self.update(t, self.backend.process(rgb))

    @property
    def posture(self) -> str:
        """Current smoothed posture (``unknown`` before the first confident frame)."""
        return self._tracker.posture()

    def reset(self) -> None:
        """Forget the stream (a new night, another camera)."""
        self._tracker = Tracker(self.event_config)
        self._last_t = -math.inf

    # ------------------------------------------------------------------ whole sequences

    def run(self, t: np.ndarray, kp: np.ndarray) -> Detection:
        """Events, alerts and per-frame postures of a whole sequence ((N,) times, (N, 17, 3)).

        The same decisions as :meth:`update` frame by frame; the stream state is untouched.
        """
        feat, p = frame_probabilities(kp, self.posture_config, self.method, self.model)
        return run_features(t, feat, p, self.event_config)

    def run_sequence(self, seq: Sequence) -> Detection:
        """:meth:`run` over a keypoint sequence."""
        return self.run(seq.t, seq.kp)

    def close(self) -> None:
        """Release the pose backend, if any."""
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    def __enter__(self) -> RolloverDetector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ---------------------------------------------------------------------- what the verbs call


def extract_keypoints(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    fps: float | None = None,
    static: bool = False,
    max_frames: int = 0,
    backend: PoseBackend | str | None = None,
    progress: Progress | None = None,
) -> Sequence:
    """Run the pose estimator over a video or a folder of frames; write ``out`` (``.jsonl``).

    The first frame is read before the estimator starts, so a bad input fails fast and
    quietly. ``fps``: the video's own (folders: 15) when ``None``; ``max_frames`` 0: all.
    ``backend``: a backend, or a name of :data:`BACKENDS` (built here and closed at the end;
    default ``movenet-night``, extra ``rollover``).
    """
    if isinstance(backend, str):
        check_backend(backend)
    if max_frames < 0:
        raise CribwatchError(f"max_frames must be >= 0, not {max_frames}")
    rate, total, frames = open_frames(source, fps)
    if max_frames > 0:
        frames = itertools.islice(frames, max_frames)
        total = min(total, max_frames) if total else max_frames
    first = next(frames, None)
    if first is None:
        raise CribwatchError(f"{source}: no frames")
    frames = itertools.chain([first], frames)
    with contextlib.ExitStack() as stack:
        # the output file is opened (as a temporary beside it) before the estimator runs, so an
        # unwritable --out fails at once; it replaces --out only when every frame is done
        fh = stack.enter_context(atomic_open(out)) if out is not None else None
        if backend is None or isinstance(backend, str):
            backend = make_backend(backend or DEFAULT_BACKEND, static=static)
            stack.callback(backend.close)
        seq = run_backend(backend, frames, rate, progress, total or None)
        if fh is not None:
            write_lines(fh, seq)
    return seq


def detect(
    source: str | os.PathLike[str],
    *,
    method: str = DEFAULT_METHOD,
    prone_limit_s: float | None = None,
    backend: str = DEFAULT_BACKEND,
    progress: Progress | None = None,
) -> Detection:
    """Events and alerts of a keypoint sequence (``.jsonl``) or a video (pose estimator first).

    There is no mirroring option: a mirrored camera gives the same left/right order with a
    real pose model (the old ``mirrored`` flag swapped supine and prone on such a camera).
    """
    check_backend(backend)
    _check_method(method)
    events = EventConfig()
    if prone_limit_s is not None:
        if not math.isfinite(prone_limit_s) or prone_limit_s <= 0:
            raise CribwatchError(
                f"prone_limit_s must be a finite positive number, not {prone_limit_s!r}"
            )
        events = replace(events, prone_limit_s=prone_limit_s)
    detector = RolloverDetector(method=method, events=events)
    if looks_like_sequence(source):
        seq = read_sequence(source)
    else:
        seq = extract_keypoints(source, backend=backend, progress=progress)
    return detector.run_sequence(seq)

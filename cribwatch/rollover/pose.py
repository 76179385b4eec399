"""Pose backends (frame in, COCO-17 keypoints out) and the keypoint-sequence format.

A backend is any object with ``process(rgb_uint8) -> (17, 3) float32 array`` of
``[x, y, score]`` rows in pixels, in COCO-17 order (:data:`COCO17`), with score 0 for a keypoint
that was not found. :class:`MediaPipeBackend` wraps MediaPipe Pose (legacy ``solutions.pose``
API, ``model_complexity=1``, the model that ships inside the wheel) and maps its 33 landmarks
to COCO-17 with :data:`MEDIAPIPE_TO_COCO`, keeping MediaPipe's *visibility* as the score.

Keypoint sequences (``.jsonl``): line 1 is a header
``{"format": "cribwatch-keypoints", "version": 1, "fps", "width", "height", "layout": "coco17"}``,
then one object per frame ``{"frame": i, "t": seconds, "kp": [[x, y, score] x 17]}`` with
optional ground truth (``"posture"``, ``"covered"``). Any tool's keypoints can be evaluated by
writing this format.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import av
import numpy as np
from PIL import Image, UnidentifiedImageError

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_open, check_pixels
from cribwatch.progress import Progress, report

COCO17: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
"""COCO-17 keypoint names, in layout order."""

MEDIAPIPE_TO_COCO: tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
"""For each COCO-17 keypoint, the index of the MediaPipe Pose landmark (of 33) it comes from."""

COCO_FLIP: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
"""COCO-17 index of each keypoint's left/right partner (the nose is its own)."""

SKELETON: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10),
    (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)  # fmt: skip
"""Bones to draw, as pairs of COCO-17 indices."""

FORMAT = "cribwatch-keypoints"
VERSION = 1
POSTURES: tuple[str, ...] = ("supine", "side_left", "side_right", "prone", "unknown")
"""Per-frame posture labels."""


def mediapipe_to_coco(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Map MediaPipe's 33 normalised landmarks to COCO-17 pixel keypoints.

    Args:
        landmarks: (33, 3) array of ``[x, y, visibility]`` with x, y normalised to [0, 1].
        width, height: frame size in pixels.

    Returns:
        (17, 3) float32 ``[x_px, y_px, visibility]`` in COCO-17 order.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape != (33, 3):
        raise CribwatchError(f"MediaPipe landmarks must have shape (33, 3), got {lm.shape}")
    out = lm[list(MEDIAPIPE_TO_COCO)].copy()
    out[:, 0] *= width
    out[:, 1] *= height
    out[:, 2] = np.clip(out[:, 2], 0.0, 1.0)
    return out.astype(np.float32)


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send the process's stderr (file descriptor 2) to /dev/null for a while.

    MediaPipe and TFLite write log lines from C++ straight to the descriptor, past Python's
    ``sys.stderr``; a bad input must end with exactly one ``error:`` line, so the backend's
    construction and first inference run inside this.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no descriptor 2 (an embedded interpreter): nothing to do
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


class PoseBackend(Protocol):
    """Frame in, COCO-17 keypoints with scores out."""

    name: str

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB frame -> (17, 3) float32 ``[x, y, score]`` (score 0: missing)."""
        ...

    def close(self) -> None:
        """Release the estimator."""
        ...


@dataclass(frozen=True)
class MediaPipeConfig:
    """Settings of the MediaPipe Pose backend."""

    static_image_mode: bool = False
    """True: detect in every frame (photos); False: tracking mode for video (faster)."""
    model_complexity: int = 1
    """Model size; 1 is the model bundled in the wheel (0 and 2 download and fail offline)."""
    min_detection_confidence: float = 0.5
    """Person-detector threshold."""
    min_tracking_confidence: float = 0.5
    """Landmark-tracking threshold below which the detector runs again (tracking mode)."""
    smooth_landmarks: bool = True
    """MediaPipe's own temporal landmark filter (tracking mode only)."""


class MediaPipeBackend:
    """MediaPipe Pose (33 landmarks) mapped to COCO-17; visibility is the score."""

    name = "mediapipe-pose-0.10.14-c1"

    def __init__(self, config: MediaPipeConfig | None = None) -> None:
        self.config = config or MediaPipeConfig()
        if self.config.model_complexity != 1:
            raise CribwatchError(
                "MediaPipe model_complexity must be 1 (the only model bundled in the wheel)"
            )
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with native_stderr_silenced():
            try:
                from mediapipe.python.solutions import pose as mp_pose  # extra: rollover
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise CribwatchError(
                    "mediapipe is not installed: pip install --no-deps mediapipe==0.10.14 "
                    f"(see the Makefile) ({exc})"
                ) from exc
            c = self.config
            self._pose = mp_pose.Pose(
                static_image_mode=c.static_image_mode,
                model_complexity=c.model_complexity,
                smooth_landmarks=c.smooth_landmarks,
                min_detection_confidence=c.min_detection_confidence,
                min_tracking_confidence=c.min_tracking_confidence,
            )
        self._warm = False

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (17, 3) COCO-17 keypoints; all zeros when nobody is found."""
        frame = np.ascontiguousarray(rgb)
        if frame.ndim == 2:
            frame = np.ascontiguousarray(np.repeat(frame[:, :, None], 3, axis=2))
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise CribwatchError(
                f"pose input must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}"
            )
        h, w = frame.shape[:2]
        if self._warm:
            res = self._pose.process(frame)
        else:  # TFLite and MediaPipe log to the process's stderr on the first inference
            with native_stderr_silenced():
                res = self._pose.process(frame)
            self._warm = True
        if res.pose_landmarks is None:
            return np.zeros((17, 3), dtype=np.float32)
        lm = np.array([[p.x, p.y, p.visibility] for p in res.pose_landmarks.landmark])
        return mediapipe_to_coco(lm, w, h)

    def close(self) -> None:
        """Release MediaPipe's graph."""
        self._pose.close()


def make_backend(name: str = "mediapipe", *, static: bool = False) -> PoseBackend:
    """Backend by name (only ``mediapipe`` is built in)."""
    if name == "mediapipe":
        return MediaPipeBackend(MediaPipeConfig(static_image_mode=static))
    raise CribwatchError(f"unknown pose backend {name!r} (known: mediapipe)")


# --------------------------------------------------------------------------------------------
# Keypoint sequences


@dataclass
class Sequence:
    """A keypoint sequence in memory: ``kp`` is (N, 17, 3) float32 in pixels."""

    fps: float
    width: int
    height: int
    t: np.ndarray
    kp: np.ndarray
    posture: list[str | None] = field(default_factory=list)
    covered: np.ndarray | None = None
    path: str = ""

    @property
    def n(self) -> int:
        """Number of frames."""
        return int(self.kp.shape[0])

    @property
    def has_posture(self) -> bool:
        """Whether any frame carries ground-truth posture."""
        return any(p is not None for p in self.posture)


def header(fps: float, width: int, height: int) -> dict[str, Any]:
    """The jsonl header object."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "fps": fps,
        "width": int(width),
        "height": int(height),
        "layout": "coco17",
    }


def frame_record(i: int, t: float, kp: np.ndarray, **extra: Any) -> dict[str, Any]:
    """One frame's jsonl object (coordinates rounded to 0.01 px, scores to 0.001)."""
    rows = [[round(float(x), 2), round(float(y), 2), round(float(s), 3)] for x, y, s in kp]
    rec: dict[str, Any] = {"frame": int(i), "t": round(float(t), 4), "kp": rows}
    rec.update({k: v for k, v in extra.items() if v is not None})
    return rec


def write_lines(fh: IO[str], seq: Sequence) -> None:
    """Write a sequence as jsonl lines to an open text file."""
    fh.write(json.dumps(header(seq.fps, seq.width, seq.height)) + "\n")
    for i in range(seq.n):
        extra: dict[str, Any] = {}
        if seq.posture and seq.posture[i] is not None:
            extra["posture"] = seq.posture[i]
        if seq.covered is not None and bool(seq.covered[i]):
            extra["covered"] = True
        fh.write(json.dumps(frame_record(i, seq.t[i], seq.kp[i], **extra)) + "\n")


def write_sequence(path: str | os.PathLike[str], seq: Sequence) -> None:
    """Write a sequence as jsonl, atomically."""
    with atomic_open(path, "w") as fh:
        write_lines(fh, seq)


MAX_COORD = 1e6
"""Largest keypoint coordinate (pixels, either sign) a sequence file may hold."""
MAX_SIDE = 100_000
"""Largest frame width or height a sequence header may declare."""


def _finite(v: Any) -> float | None:
    """``v`` as a finite float; None for a non-number, a bool, NaN, infinity or a huge int."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    try:
        f = float(v)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _show(v: Any) -> str:
    """A short repr of a value for an error line."""
    r = repr(v) if not isinstance(v, int) or abs(v) < 10**30 else "a huge integer"
    return r if len(r) <= 40 else r[:37] + "..."


def _bad(path: Path, line: int, what: str) -> CribwatchError:
    return CribwatchError(f"{path}: line {line}: {what}")


def read_sequence(path: str | os.PathLike[str]) -> Sequence:
    """Read a keypoint sequence; any malformed line raises CribwatchError naming its number."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: file not found")
    ts: list[float] = []
    kps: list[list[list[float]]] = []
    postures: list[str | None] = []
    covered: list[bool] = []
    lines: list[int] = []
    hdr: dict[str, Any] | None = None
    try:
        fh = open(p, encoding="utf-8")
    except OSError as exc:
        raise CribwatchError(f"{p}: cannot open ({exc.strerror})") from exc
    with fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise _bad(p, lineno, f"not valid JSON ({exc.msg})") from exc
                except (ValueError, RecursionError) as exc:  # a number of over 4300 digits
                    raise _bad(p, lineno, f"not valid JSON ({exc})") from exc
                if not isinstance(obj, dict):
                    raise _bad(p, lineno, "expected a JSON object")
                if hdr is None:
                    if obj.get("format") != FORMAT:
                        raise _bad(p, lineno, f"header must have format {FORMAT!r}")
                    if obj.get("version") != VERSION:
                        raise _bad(p, lineno, f"unsupported version {obj.get('version')!r}")
                    if obj.get("layout", "coco17") != "coco17":
                        raise _bad(p, lineno, f"unsupported layout {obj.get('layout')!r}")
                    for key in ("fps", "width", "height"):
                        v = _finite(obj.get(key))
                        if v is None or v <= 0:
                            raise _bad(
                                p, lineno,
                                f"header field {key!r} must be a finite positive number, "
                                f"not {_show(obj.get(key))}",
                            )  # fmt: skip
                    if obj["width"] > MAX_SIDE or obj["height"] > MAX_SIDE:
                        raise _bad(p, lineno, f"header width and height must be at most {MAX_SIDE}")
                    hdr = obj
                    continue
                kp = obj.get("kp")
                if not isinstance(kp, list) or len(kp) != 17:
                    raise _bad(p, lineno, "'kp' must be a list of 17 [x, y, score] triples")
                for row in kp:
                    if (
                        not isinstance(row, list)
                        or len(row) != 3
                        or not all(
                            isinstance(v, int | float) and not isinstance(v, bool) for v in row
                        )
                    ):
                        raise _bad(p, lineno, "'kp' entries must be [x, y, score] numbers")
                t = obj.get("t")
                if not isinstance(t, int | float) or isinstance(t, bool):
                    raise _bad(p, lineno, "'t' must be a number (seconds)")
                if _finite(t) is None:
                    raise _bad(p, lineno, f"'t' must be a finite number (seconds), not {_show(t)}")
                if ts and t < ts[-1]:
                    raise _bad(p, lineno, f"time goes backwards ({t} < {ts[-1]})")
                post = obj.get("posture")
                if post is not None and post not in POSTURES:
                    raise _bad(p, lineno, f"unknown posture {post!r}")
                ts.append(float(t))
                kps.append(kp)
                lines.append(lineno)
                postures.append(post)
                covered.append(bool(obj.get("covered", False)))
        except UnicodeDecodeError as exc:
            raise CribwatchError(f"{p}: not a text file ({exc.reason})") from exc
    if hdr is None:
        raise CribwatchError(f"{p}: empty file (no header line)")
    try:
        kp64 = np.asarray(kps, dtype=np.float64).reshape(-1, 17, 3)
    except OverflowError as exc:  # an integer beyond float range: find its line
        for ln, k in zip(lines, kps, strict=True):
            if any(_finite(v) is None for row in k for v in row):
                what = f"keypoint values must be finite numbers within +-{MAX_COORD:g}"
                raise _bad(p, ln, what) from exc
        raise
    bad = ~np.isfinite(kp64) | (np.abs(kp64) > MAX_COORD)
    if bad.any():
        i = int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
        raise _bad(
            p, lines[i],
            f"keypoint values must be finite numbers within +-{MAX_COORD:g} (pixels)",
        )  # fmt: skip
    kp_arr = kp64.astype(np.float32)
    return Sequence(
        fps=float(hdr["fps"]),
        width=int(hdr["width"]),
        height=int(hdr["height"]),
        t=np.asarray(ts, dtype=np.float64),
        kp=kp_arr,
        posture=postures,
        covered=np.asarray(covered, dtype=bool),
        path=str(p),
    )


# --------------------------------------------------------------------------------------------
# Frame sources

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
TEXT_DEMUXERS = ("tty",)
"""FFmpeg demuxers that render text files as video (refused: a text file is not a video)."""


def looks_like_sequence(path: str | os.PathLike[str]) -> bool:
    """True for a ``.jsonl`` file or a file whose first non-blank byte is ``{`` (JSON lines)."""
    p = Path(path)
    if p.suffix == ".jsonl":
        return True
    if not p.is_file():
        return False
    try:
        with open(p, "rb") as fh:
            head = fh.read(256).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def _video_frames(path: Path) -> tuple[float, int, Iterator[np.ndarray]]:
    try:
        container = av.open(str(path))
        stream = container.streams.video[0]
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise CribwatchError(f"{path}: not a readable video ({exc})") from exc
    if container.format.name in TEXT_DEMUXERS:
        container.close()
        raise CribwatchError(f"{path}: not a readable video (a text file)")
    try:
        check_pixels(path, int(stream.width or 0), int(stream.height or 0))
    except CribwatchError:
        container.close()
        raise
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 15.0
    total = int(stream.frames or 0)

    def gen() -> Iterator[np.ndarray]:
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise CribwatchError(f"{path}: video decoding failed ({exc})") from exc
        finally:
            container.close()

    return fps, total, gen()


def _read_frame(path: Path) -> np.ndarray:
    """One frame file as uint8 RGB; the pixel cap is checked from the header first."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                check_pixels(path, *img.size)
                return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except Image.DecompressionBombError as exc:
        check_pixels(path, *_header_size(path))  # names the size and the cap
        raise CribwatchError(f"{path}: image too large to decode ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CribwatchError(f"{path}: not a readable image ({exc})") from exc


def _header_size(path: Path) -> tuple[int, int]:
    """Width and height from an image header that PIL refuses to open (a decompression bomb)."""
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # only the header is read: nothing is decoded here
    try:
        with Image.open(path) as img:
            return int(img.size[0]), int(img.size[1])
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _folder_frames(path: Path) -> tuple[int, Iterator[np.ndarray]]:
    files = sorted(f for f in path.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CribwatchError(f"{path}: no image files ({', '.join(IMAGE_SUFFIXES)})")

    def gen() -> Iterator[np.ndarray]:
        size: tuple[int, int] | None = None
        for f in files:
            frame = _read_frame(f)
            h, w = frame.shape[:2]
            if size is None:
                size = (w, h)
            elif (w, h) != size:
                raise CribwatchError(
                    f"{f}: frame of {w}x{h} pixels where the folder's frames are "
                    f"{size[0]}x{size[1]} ({files[0].name})"
                )
            yield frame

    return len(files), gen()


def open_frames(
    source: str | os.PathLike[str], fps: float | None = None
) -> tuple[float, int, Iterator[np.ndarray]]:
    """Frames of a video file or a folder of images: ``(fps, n_frames or 0, iterator)``.

    A folder's frames must all have one size (the error names the first file that differs).
    """
    p = Path(source)
    if not p.exists():
        raise CribwatchError(f"{p}: file not found")
    if fps is not None and (not math.isfinite(fps) or fps <= 0):
        raise CribwatchError(f"frame rate must be a finite positive number, not {fps!r}")
    if p.is_dir():
        n, it = _folder_frames(p)
        return (fps or 15.0), n, it
    vfps, n, it = _video_frames(p)
    return (fps or vfps), n, it


def run_backend(
    backend: PoseBackend,
    frames: Iterable[np.ndarray],
    fps: float,
    progress: Progress | None = None,
    total: int | None = None,
) -> Sequence:
    """Run a backend over frames; returns the keypoint sequence (``progress(done, total)``)."""
    kps: list[np.ndarray] = []
    size = (0, 0)
    for frame in frames:
        if not kps:
            size = (int(frame.shape[1]), int(frame.shape[0]))
        elif (int(frame.shape[1]), int(frame.shape[0])) != size:
            raise CribwatchError(
                f"frame {len(kps)} has size {frame.shape[1]}x{frame.shape[0]}, "
                f"expected {size[0]}x{size[1]}"
            )
        kps.append(backend.process(frame))
        report(progress, len(kps), total)
    if not kps:
        raise CribwatchError("no frames to process")
    kp = np.stack(kps).astype(np.float32)
    t = np.arange(len(kps), dtype=np.float64) / fps
    return Sequence(fps=fps, width=size[0], height=size[1], t=t, kp=kp)

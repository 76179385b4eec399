"""MoveNet SinglePose Lightning (int8, LiteRT): a pose backend that ships with the package.

The model (``weights/rollover_movenet_lightning_ptq.tflite``, 2.9 MB) is Google's MoveNet
SinglePose Lightning, post-training quantised, as published in the public repository
google-coral/test_data (Apache-2.0); its card (``rollover_movenet_lightning_ptq.json``) names
the source, the licences and the sha256. The runtime never downloads anything.

Input: one (192, 192, 3) uint8 RGB square; output: 17 COCO keypoints ``[y, x, score]``
normalised to the square. :class:`MoveNetBackend` letterboxes any frame into the square
(aspect kept, black bars), runs LiteRT (``ai_edge_litert``, extra ``rollover``) and maps the
keypoints back to frame pixels; :meth:`MoveNetBackend.infer_square` runs one prepared square
(the night wrapper in :mod:`cribwatch.rollover.nightpose` warps its own crops and rotations).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cribwatch import cards
from cribwatch.errors import CribwatchError
from cribwatch.rollover.pose import native_stderr_silenced

MOVENET_WEIGHTS = (
    Path(__file__).resolve().parent.parent / "weights" / ("rollover_movenet_lightning_ptq.tflite")
)
"""The shipped MoveNet SinglePose Lightning int8 model."""
MOVENET_SHA256 = "cd7cc22fa946e5d146a7b98d496853e1923e22828d3972d579973f27f91bb105"
"""sha256 of the shipped model file (as in google-coral/test_data)."""
INPUT_SIDE = 192
"""MoveNet Lightning's input square."""


SCORE_KNEE = 0.36
"""Raw MoveNet score that maps to 0.5, the score threshold the rest of cribwatch uses (see
:func:`calibrate`; chosen on the tuning photos, docs/results/rollover-night.md)."""


def calibrate(raw: np.ndarray, knee: float = SCORE_KNEE) -> np.ndarray:
    """Piecewise-linear, monotone score map: 0 -> 0, ``knee`` -> 0.5, 1 -> 1.

    The int8 model's scores are coarse and lower than MediaPipe's visibility for the same
    correct keypoint; the map puts its reliability threshold where cribwatch's (0.5) is.
    """
    r = np.clip(np.asarray(raw, dtype=np.float64), 0.0, 1.0)
    return np.where(r < knee, 0.5 * r / knee, 0.5 + 0.5 * (r - knee) / (1.0 - knee))


def movenet_card() -> dict[str, Any]:
    """The card of the shipped MoveNet model (licences, source, sha256)."""
    return cards.read_card(cards.card_path(MOVENET_WEIGHTS), "rollover")


def letterbox_matrix(w: int, h: int, side: int = INPUT_SIDE) -> np.ndarray:
    """The 2x3 affine (frame pixels -> square) that fits a w x h frame into a ``side`` square
    (aspect kept, centred, black bars)."""
    s = side / max(h, w)
    return np.array(
        [[s, 0.0, (side - w * s) / 2.0], [0.0, s, (side - h * s) / 2.0]], dtype=np.float64
    )


def warp(rgb: np.ndarray, m: np.ndarray, side: int) -> np.ndarray:
    """The ``side`` square that the affine ``m`` (frame -> square) maps the frame into."""
    # pixel-centre convention: cv2 maps integer pixel positions; keypoints use the same
    return cv2.warpAffine(
        rgb, m.astype(np.float64), (side, side), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
    )  # fmt: skip


def unwarp_points(xy: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Points of the square (N, 2) mapped back into the frame through the inverse of ``m``."""
    inv = cv2.invertAffineTransform(m.astype(np.float64))
    pts = np.asarray(xy, dtype=np.float64)
    return pts @ inv[:, :2].T + inv[:, 2]


def _open_interpreter(
    path: Path,
    what: str,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    threads: int = 1,
    content: Callable[[bytes], bytes] | None = None,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A LiteRT interpreter over ``path`` (or over ``content(path bytes)``: a patched model),
    allocated, with its one input and one output checked against the shapes of ``what``.
    Errors name the file."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        from ai_edge_litert.interpreter import Interpreter  # extra: rollover
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CribwatchError(
            f"ai-edge-litert is not installed: pip install ai-edge-litert==2.3.0 ({exc})"
        ) from exc
    with native_stderr_silenced():  # LiteRT logs its delegate on stderr
        try:
            if content is None:
                it = Interpreter(model_path=str(path), num_threads=threads)
            else:
                it = Interpreter(model_content=content(path.read_bytes()), num_threads=threads)
            it.allocate_tensors()
        except (ValueError, RuntimeError, IndexError) as exc:
            raise CribwatchError(f"{path}: not a readable TFLite model ({exc})") from exc
    inp = it.get_input_details()[0]
    out = it.get_output_details()[0]
    if tuple(inp["shape"]) != in_shape or tuple(out["shape"]) != out_shape:
        raise CribwatchError(f"{path}: not a {what} (input {inp['shape']}, output {out['shape']})")
    return it, inp, out


class MoveNetBackend:
    """MoveNet SinglePose Lightning int8 through LiteRT: COCO-17 keypoints with scores.

    Args:
        weights: the ``.tflite`` model (default: the shipped one).
        threads: LiteRT CPU threads (1 keeps a 2-core camera box free for the rest).
    """

    name = "movenet-lightning-int8"

    def __init__(
        self,
        weights: str | os.PathLike[str] | None = None,
        threads: int = 1,
        score_knee: float = SCORE_KNEE,
    ) -> None:
        if not 0.0 < score_knee < 1.0:
            raise CribwatchError(f"score_knee must be between 0 and 1, not {score_knee}")
        self.score_knee = score_knee
        path = Path(weights) if weights is not None else MOVENET_WEIGHTS
        if not path.is_file():
            raise CribwatchError(f"{path}: pose model not found")
        if threads < 1:
            raise CribwatchError(f"threads must be at least 1, not {threads}")
        self._it, inp, out = _open_interpreter(
            path,
            "MoveNet SinglePose Lightning model",
            (1, INPUT_SIDE, INPUT_SIDE, 3),
            (1, 1, 17, 3),
            threads=threads,
        )
        self._in = int(inp["index"])
        self._out = int(out["index"])
        self._in_dtype = inp["dtype"]
        self.path = path

    def infer_square(self, square: np.ndarray) -> np.ndarray:
        """One (192, 192, 3) uint8 RGB square -> (17, 3) ``[x, y, score]`` in square pixels."""
        x = np.ascontiguousarray(square, dtype=self._in_dtype)[None]
        self._it.set_tensor(self._in, x)
        self._it.invoke()
        yxs = np.array(self._it.get_tensor(self._out)[0, 0], dtype=np.float64)
        # normalised [0, 1] over the square; pixel centres: 0 -> -0.5, 1 -> side - 0.5
        out = np.empty((17, 3), dtype=np.float64)
        out[:, 0] = yxs[:, 1] * INPUT_SIDE - 0.5
        out[:, 1] = yxs[:, 0] * INPUT_SIDE - 0.5
        out[:, 2] = calibrate(yxs[:, 2], self.score_knee)
        return out

    def infer(self, rgb: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Keypoints of the frame region that the affine ``m`` (frame -> square) selects,
        in frame pixels."""
        kp = self.infer_square(warp(rgb, m, INPUT_SIDE))
        kp[:, :2] = unwarp_points(kp[:, :2], m)
        return kp

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB (or (H, W) grey) -> (17, 3) float32 COCO-17 keypoints."""
        frame = as_rgb(rgb)
        return self.infer(frame, letterbox_matrix(frame.shape[1], frame.shape[0])).astype(
            np.float32
        )

    def close(self) -> None:
        """Release the interpreter."""
        self._it = None  # type: ignore[assignment]


def as_rgb(rgb: np.ndarray) -> np.ndarray:
    """A uint8 (H, W, 3) frame; a (H, W) grey frame is replicated to three channels."""
    frame = np.asarray(rgb)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3 or frame.size == 0:
        raise CribwatchError(f"pose input must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}")
    return np.ascontiguousarray(frame)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


PERSON_WEIGHTS = (
    Path(__file__).resolve().parent.parent / "weights" / "rollover_person_detect.tflite"
)
"""The shipped person-detection model (TensorFlow Lite Micro's person detection example as
published in google-coral/coralmicro, ``models/person_detect_model.tflite``, Apache-2.0)."""
PERSON_SHA256 = "808cfdfc0cf3a6fa6f6fa26bfa379ea97c16d5db7334637766e39c3408502e9d"
"""sha256 of the shipped person-detection model file (as in google-coral/coralmicro)."""
PERSON_SIDE = 96
"""The person-detection model's input square (grey)."""


def patch_person_model(data: bytes) -> bytes:
    """The person-detection model with its bias tensors' quantised dimension fixed.

    The published file declares ``quantized_dimension`` 3 on 1-D per-channel bias tensors,
    which TensorFlow Lite Micro ignores and LiteRT refuses ("quantized_dimension must be in
    range [0, 1)"); the only valid axis of a 1-D tensor is 0. Nothing else changes.
    """
    import flatbuffers  # extra: rollover (ships with ai-edge-litert)
    from ai_edge_litert import schema_py_generated as schema  # extra: rollover

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    for sg in model.subgraphs or []:
        for t in sg.tensors or []:
            q = t.quantization
            shape = t.shape if t.shape is not None else []
            if q is not None and q.quantizedDimension and q.quantizedDimension >= len(shape):
                q.quantizedDimension = 0
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


class PersonDetector:
    """TensorFlow Lite Micro's person-detection model (96x96 grey -> person score 0..1).

    A MobileNet V1 (0.25) trained on Visual Wake Words (COCO images with and without a
    person). It alone does not tell a person from a pet (the issue measured a cat at
    0.62-0.86); :class:`cribwatch.rollover.nightpose.NightPose` uses it as one more vote on
    the crop around a newly found person's keypoints.

    Args:
        weights: the ``.tflite`` model (default: the shipped one).
    """

    name = "person-detect-vww-int8"

    def __init__(self, weights: str | os.PathLike[str] | None = None) -> None:
        path = Path(weights) if weights is not None else PERSON_WEIGHTS
        if not path.is_file():
            raise CribwatchError(f"{path}: person-detection model not found")
        self._it, inp, out = _open_interpreter(
            path,
            "person-detection model",
            (1, PERSON_SIDE, PERSON_SIDE, 1),
            (1, 2),
            content=patch_person_model,
        )
        self._in = int(inp["index"])
        self._out = int(out["index"])
        self._oq = out["quantization"]
        self.path = path

    def score(self, grey: np.ndarray) -> float:
        """Person score (0..1) of one (96, 96) uint8 grey square."""
        g = np.asarray(grey)
        if g.shape != (PERSON_SIDE, PERSON_SIDE) or g.dtype != np.uint8:
            raise CribwatchError(f"person detector input must be uint8 (96, 96), got {g.shape}")
        x = (g.astype(np.int16) - 128).astype(np.int8)[None, :, :, None]
        self._it.set_tensor(self._in, x)
        self._it.invoke()
        q = self._it.get_tensor(self._out)[0]
        scale, zero = float(self._oq[0]) or 1.0 / 256.0, int(self._oq[1])
        return float(np.clip((float(q[1]) - zero) * scale, 0.0, 1.0))

    def score_crop(self, grey: np.ndarray, m: np.ndarray) -> float:
        """Person score of the region of the (H, W) grey frame that the affine ``m`` (frame
        -> 96 square) selects."""
        sq = cv2.warpAffine(
            np.ascontiguousarray(grey), m.astype(np.float64), (PERSON_SIDE, PERSON_SIDE),
            flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        return self.score(sq)

    def close(self) -> None:
        """Release the interpreter."""
        self._it = None  # type: ignore[assignment]

"""Pretrained audio knowledge for the cry detector: YAMNet zero-shot, a verifier head on its
class scores, and the two-stage cascade (the board CNN wakes the verifier).

Scorers (all usable by :func:`cribwatch.cry.api.make_scorer` and
:class:`cribwatch.cry.api.CryDetector`; they take the windows' audio, see
:data:`cribwatch.cry.stream.AUDIO_INPUTS`):

- :class:`YamnetClassScorer`: YAMNet's score of one class (20, baby cry) for each 1 s window
  (its first 0.975 s: one 96-frame patch) -- the zero-shot detector (``.tflite`` model);
- :class:`VerifierScorer`: a small head (:class:`VerifierHead`) on the 521 class scores of the
  window's patch (the int8 graph gives no embedding), trained on cry sets
  (:func:`train_verifier`; ``.npz`` weights with a card);
- :class:`CascadeScorer`: the board CNN scores every window; the verifier runs only on the
  windows whose CNN score reaches ``gate``; the window's score is the verifier's there and 0
  elsewhere, so a window is positive for the detection chain only when both stages agree.
  ``verifier_calls`` / ``windows`` count its duty cycle.

Set-level helpers and training live in :mod:`cribwatch.cry.verifier_train` (this module stays
light: the streaming detector imports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cribwatch.cry.stream import Scorer
from cribwatch.cry.yamnet import (
    BABY_CRY,
    N_CLASSES,
    PATCH_SAMPLES,
    Yamnet,
    audio_patches,
)
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path

SCORE_STEP = 256
"""The int8 graph's output is (q + 128) / 256: scores are exact multiples of 1/256."""
LOGIT_CLIP = 0.5 / SCORE_STEP
"""Scores are clipped to [LOGIT_CLIP, 1 - LOGIT_CLIP] before the logit of the head's input."""


class YamnetClassScorer:
    """Zero-shot: YAMNet's score of class ``cls`` for each window's patch."""

    inputs = "audio"

    def __init__(self, path: Path | str | None = None, cls: int = BABY_CRY, threads: int = 1):
        if not 0 <= cls < N_CLASSES:
            raise CribwatchError(f"YAMNet class must be 0-{N_CLASSES - 1}, not {cls}")
        self.model = Yamnet(path, threads)
        self.cls = cls

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``x``: (B, >= 15600) float audio of B windows."""
        if len(x) == 0:
            return np.zeros(0)
        return self.model(audio_patches(x))[:, self.cls].astype(np.float64)


def head_features(scores: np.ndarray) -> np.ndarray:
    """The head's input: the logit of the 521 class scores (clipped away from 0 and 1)."""
    p = np.clip(np.asarray(scores, dtype=np.float64), LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    return np.log(p / (1.0 - p))


@dataclass
class VerifierHead:
    """``sigmoid(w2 . relu(W1^T standardise(logit(scores)) + b1) + b2)`` (numpy)."""

    mean: np.ndarray  # (521,)
    std: np.ndarray  # (521,)
    w1: np.ndarray  # (521, H)
    b1: np.ndarray  # (H,)
    w2: np.ndarray  # (H,)
    b2: float

    @property
    def hidden(self) -> int:
        return int(self.w1.shape[1])

    @property
    def params(self) -> int:
        return int(self.w1.size + self.b1.size + self.w2.size + 1)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one window (head only; YAMNet's are on its card)."""
        return int(self.w1.size + self.w2.size)

    def logits(self, scores: np.ndarray) -> np.ndarray:
        z = (head_features(scores) - self.mean) / self.std
        h = np.maximum(0.0, z @ self.w1 + self.b1)
        return np.asarray(h @ self.w2 + self.b2, dtype=np.float64)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if len(scores) == 0:
            return np.zeros(0)
        return np.asarray(1.0 / (1.0 + np.exp(-self.logits(scores))), dtype=np.float64)

    def save(self, path: Path) -> None:
        with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                mean=self.mean,
                std=self.std,
                w1=self.w1,
                b1=self.b1,
                w2=self.w2,
                b2=np.array([self.b2]),
                written_by=np.array(OUTPUT_MARK),
            )

    @staticmethod
    def load(path: Path) -> VerifierHead:
        path = Path(path)
        if not path.is_file():
            raise CribwatchError(f"{path}: verifier file not found")
        try:
            z = np.load(path, allow_pickle=False)
            arrays = {k: np.asarray(z[k], dtype=np.float64) for k in ("mean", "std", "w1", "b1")}
            w2 = np.asarray(z["w2"], dtype=np.float64)
            b2 = float(np.asarray(z["b2"]).reshape(-1)[0])
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise CribwatchError(
                f"{path}: not a cry verifier (.npz with mean, std, w1, b1, w2, b2)"
            ) from exc
        h = arrays["w1"].shape[-1] if arrays["w1"].ndim == 2 else -1
        shapes_ok = (
            arrays["mean"].shape == (N_CLASSES,)
            and arrays["std"].shape == (N_CLASSES,)
            and arrays["w1"].shape == (N_CLASSES, h)
            and arrays["b1"].shape == (h,)
            and w2.shape == (h,)
        )
        if not shapes_ok:
            raise CribwatchError(f"{path}: not a cry verifier (array shapes do not fit 521 inputs)")
        every = [*arrays.values(), w2, np.array([b2])]
        if not all(np.all(np.isfinite(a)) for a in every) or np.any(arrays["std"] <= 0):
            raise CribwatchError(f"{path}: cry verifier holds non-finite or zero-scale values")
        return VerifierHead(arrays["mean"], arrays["std"], arrays["w1"], arrays["b1"], w2, b2)


class VerifierScorer:
    """The verifier alone: the head on every window's YAMNet class scores."""

    inputs = "audio"

    def __init__(self, head: VerifierHead, yamnet: Yamnet | None = None) -> None:
        self.head = head
        self.model = yamnet if yamnet is not None else Yamnet()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``x``: (B, >= 15600) float audio of B windows."""
        if len(x) == 0:
            return np.zeros(0)
        return self.head(self.model(audio_patches(x)))


class CascadeScorer:
    """Two stages: ``first`` (the board CNN, log-mel windows) on every window, the verifier
    only where the first score reaches ``gate``. Score: the verifier's where it ran, else 0."""

    inputs = "both"

    def __init__(self, first: Scorer, verifier: VerifierScorer, gate: float) -> None:
        if not 0.0 <= gate < 1.0:
            raise CribwatchError(f"cascade gate must be in [0, 1), not {gate}")
        self.first = first
        self.verifier = verifier
        self.gate = float(gate)
        self.windows = 0
        self.verifier_calls = 0

    def __call__(self, x: np.ndarray, audio: np.ndarray | None = None) -> np.ndarray:
        """``x``: the (B, 98, 64) log-mel windows; ``audio``: the same windows' audio."""
        if audio is None:
            raise CribwatchError("cascade scorer: the windows' audio is needed")
        s1 = np.asarray(self.first(x), dtype=np.float64)
        out = np.zeros(s1.shape[0], dtype=np.float64)
        idx = np.flatnonzero(s1 >= self.gate)
        if idx.size:
            out[idx] = self.verifier(np.asarray(audio)[idx])
        self.windows += int(s1.shape[0])
        self.verifier_calls += int(idx.size)
        return out


def cascade_scores(first: np.ndarray, verifier: np.ndarray, gate: float) -> np.ndarray:
    """The cascade's window scores from both stages' scores (what :class:`CascadeScorer`
    computes, for experiments on cached scores)."""
    return np.where(np.asarray(first) >= gate, np.asarray(verifier, dtype=np.float64), 0.0)


YAMNET_MACS = 69_165_056
"""Multiply-accumulates of one YAMNet patch, counted from the int8 graph's 14 convolutions,
13 depthwise convolutions and 1 fully connected layer (3,718,016 weights)."""
__all__ = [
    "CascadeScorer",
    "PATCH_SAMPLES",
    "VerifierHead",
    "VerifierScorer",
    "YamnetClassScorer",
    "cascade_scores",
    "from_uint8",
    "head_features",
]


def from_uint8(scores: np.ndarray) -> np.ndarray:
    """Cached uint8 class scores (``score * 256``) back to floats."""
    return np.asarray(scores, dtype=np.float64) / SCORE_STEP

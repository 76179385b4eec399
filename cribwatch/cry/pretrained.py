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
    EMBED_DIM,
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


HEAD_KINDS = {
    "scores": N_CLASSES,
    "embedding": EMBED_DIM,
    "embedding+scores": EMBED_DIM + N_CLASSES,
}
"""What a head reads, and its input size: the logits of the 521 class scores, YAMNet's
dequantized 1024-d embedding, or both side by side."""


def kind_features(kind: str, scores: np.ndarray, embedding: np.ndarray | None) -> np.ndarray:
    """The raw (unscaled) input of a head of ``kind``: ``scores`` (B, 521) floats, ``embedding``
    (B, 1024) dequantized floats (needed unless ``kind`` is ``scores``)."""
    if kind == "scores":
        return head_features(scores)
    if embedding is None:
        raise CribwatchError(f"a verifier on {kind!r} needs YAMNet's embedding")
    emb = np.asarray(embedding, dtype=np.float64)
    if kind == "embedding":
        return emb
    return np.concatenate([emb, head_features(scores)], axis=1)


@dataclass
class VerifierHead:
    """``sigmoid(w2 . relu(W1^T standardise(features) + b1) + b2)`` (numpy); ``features``:
    :func:`kind_features` of ``kind``."""

    mean: np.ndarray  # (D,)
    std: np.ndarray  # (D,)
    w1: np.ndarray  # (D, H)
    b1: np.ndarray  # (H,)
    w2: np.ndarray  # (H,)
    b2: float
    kind: str = "scores"

    @property
    def needs_embedding(self) -> bool:
        return self.kind != "scores"

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

    def logits(self, scores: np.ndarray, embedding: np.ndarray | None = None) -> np.ndarray:
        z = (kind_features(self.kind, scores, embedding) - self.mean) / self.std
        h = np.maximum(0.0, z @ self.w1 + self.b1)
        return np.asarray(h @ self.w2 + self.b2, dtype=np.float64)

    def __call__(self, scores: np.ndarray, embedding: np.ndarray | None = None) -> np.ndarray:
        if len(scores) == 0:
            return np.zeros(0)
        return np.asarray(1.0 / (1.0 + np.exp(-self.logits(scores, embedding))), dtype=np.float64)

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
                kind=np.array(self.kind),
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
            kind = str(z["kind"]) if "kind" in z.files else "scores"
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise CribwatchError(
                f"{path}: not a cry verifier (.npz with mean, std, w1, b1, w2, b2)"
            ) from exc
        if kind not in HEAD_KINDS:
            raise CribwatchError(
                f"{path}: verifier kind {kind!r} unknown (want {', '.join(HEAD_KINDS)})"
            )
        d = HEAD_KINDS[kind]
        h = arrays["w1"].shape[-1] if arrays["w1"].ndim == 2 else -1
        shapes_ok = (
            arrays["mean"].shape == (d,)
            and arrays["std"].shape == (d,)
            and arrays["w1"].shape == (d, h)
            and arrays["b1"].shape == (h,)
            and w2.shape == (h,)
        )
        if not shapes_ok:
            raise CribwatchError(
                f"{path}: not a cry verifier (array shapes do not fit {d} inputs of {kind})"
            )
        every = [*arrays.values(), w2, np.array([b2])]
        if not all(np.all(np.isfinite(a)) for a in every) or np.any(arrays["std"] <= 0):
            raise CribwatchError(f"{path}: cry verifier holds non-finite or zero-scale values")
        return VerifierHead(arrays["mean"], arrays["std"], arrays["w1"], arrays["b1"], w2, b2, kind)


class VerifierScorer:
    """The verifier alone: the head on every window's YAMNet class scores."""

    inputs = "audio"

    def __init__(self, head: VerifierHead, yamnet: Yamnet | None = None) -> None:
        self.head = head
        self.model = yamnet if yamnet is not None else Yamnet(embedding=head.needs_embedding)
        if head.needs_embedding and not self.model.has_embedding:
            raise CribwatchError(f"a verifier on {head.kind!r} needs YAMNet with embedding=True")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``x``: (B, >= 15600) float audio of B windows."""
        if len(x) == 0:
            return np.zeros(0)
        patches = audio_patches(x)
        if not self.head.needs_embedding:
            return self.head(self.model(patches))
        scores, codes = self.model.embed(patches)
        return self.head(scores, self.model.dequantize(codes))


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

"""The cry detector as a library: the one front desk other packages and the CLI use.

- :data:`DEFAULT_WEIGHTS` (the shipped float checkpoint), :data:`DEFAULT_MODEL` (the board CNN:
  the shipped FP32 ONNX twin when it is there, run by ONNX Runtime without torch),
  :data:`DEFAULT_DETECTOR` (what runs when no model is named: the two-stage cascade, the board
  CNN then a head on YAMNet's ONNX embedding), :data:`WEIGHTS_DIR`;
- :func:`make_scorer` (the one scorer factory: ``.onnx``, ``.cwq`` or ``.pt``) and
  :func:`load_filter_config` (the detector config: ``--config``, else the model's card, else an
  integer model's family card, else the defaults);
- :class:`CryDetector`: build it from a model and a config (defaults: the shipped ones), then
  ``push(pcm_float32_16k) -> list[Alert | End]`` and ``close() -> list[Alert | End]``. An
  :class:`Alert` comes the moment a bout is confirmed (it will be reported), its :class:`End`
  when the bout has closed; every End follows its Alert.

Example::

    from cribwatch.cry.api import CryDetector

    det = CryDetector()                      # the default cascade and its detector config
    for block in blocks_of_16k_float32_audio:
        for msg in det.push(block):
            print(msg.to_dict())             # {"type": "alert", ...} / {"type": "end", ...}
    for msg in det.close():
        print(msg.to_dict())
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from cribwatch.cards import card_path, read_card
from cribwatch.cry.intref import IntScorer
from cribwatch.cry.postprocess import Event, FilterConfig, load_config_mapping
from cribwatch.cry.pretrained import (
    CascadeScorer,
    VerifierHead,
    VerifierScorer,
    YamnetClassScorer,
)
from cribwatch.cry.stream import (
    OnnxScorer,
    Scorer,
    StreamDetector,
    TorchScorer,
    pcm_blocks,
    wav_blocks,
)
from cribwatch.cry.yamnet import Yamnet
from cribwatch.errors import CribwatchError
from cribwatch.io import read_json_object

__all__ = [
    "DEFAULT_CASCADE",
    "DEFAULT_DETECTOR",
    "DEFAULT_MODEL",
    "DEFAULT_WEIGHTS",
    "WEIGHTS_DIR",
    "Alert",
    "CryDetector",
    "End",
    "Message",
    "detect",
    "family_card",
    "integer_model_name",
    "load_filter_config",
    "make_scorer",
    "model_card",
]

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
"""The shipped weights and their cards."""
DEFAULT_WEIGHTS = WEIGHTS_DIR / "cry.pt"
"""The shipped float checkpoint (PyTorch; training, quantization, export start from it)."""
DEFAULT_ONNX = WEIGHTS_DIR / "cry.onnx"
"""The shipped FP32 ONNX twin of :data:`DEFAULT_WEIGHTS` (``cry.export_fp32_onnx``)."""
DEFAULT_MODEL = DEFAULT_ONNX if DEFAULT_ONNX.is_file() else DEFAULT_WEIGHTS
"""What detects when no model is named: the ONNX twin (no torch), else the checkpoint."""

DEFAULT_CASCADE = WEIGHTS_DIR / "cry_verifier_onnx.npz"
"""The two-stage cascade (issue 23, round 4): the board CNN (:data:`DEFAULT_ONNX`) on every
window, then, where it scores >= 0.98, a head on YAMNet's float 1024-d embedding
(``cry_yamnet_emb.onnx``): ONNX Runtime only, no LiteRT, no torch (card
``cry_verifier_onnx.json``)."""
DEFAULT_DETECTOR = DEFAULT_CASCADE if DEFAULT_CASCADE.is_file() else DEFAULT_MODEL
"""What :class:`CryDetector` and ``cribwatch cry detect`` run when no model is named: the
cascade (it holds 1.0 false alarm per hour on the 11 h test set and finds more unseen real
cries than the board CNN alone; docs/results/cry-pretrained.md, round 4). The board's own
runtime (C) runs the first stage, :data:`DEFAULT_MODEL`'s integer twin, alone."""

MODEL_SUFFIXES = (".pt", ".onnx", ".cwq", ".tflite", ".npz")
DEFAULT_YAMNET = WEIGHTS_DIR / "cry_yamnet.tflite"
"""YAMNet (int8 TFLite, spectrogram input): ``.tflite`` models score YAMNet's class 20."""


# ----------------------------------------------------------------------------- models


def make_scorer(model: Path, threads: int = 1) -> Scorer:
    """The scorer of a cry model: ``.onnx`` (ONNX Runtime), ``.cwq`` (numpy integer
    reference), ``.pt`` (PyTorch checkpoint, loaded without running code), ``.tflite``
    (YAMNet zero-shot: its class-20 score) or ``.npz`` (a YAMNet verifier head; with a card
    whose ``cascade`` names a first stage, the two-stage cascade). Errors name the model
    file."""
    model = Path(model)
    suffix = model.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise CribwatchError(
            f"{model}: not a cry model (want a .pt, .onnx, .cwq, .tflite or .npz file)"
        )
    if not model.is_file():
        raise CribwatchError(f"{model}: model file not found")
    if suffix == ".onnx":
        return OnnxScorer(model, threads=threads)
    if suffix == ".cwq":
        return IntScorer.load(model)
    if suffix == ".tflite":
        return YamnetClassScorer(model, threads=threads)
    if suffix == ".npz":
        return _verifier_scorer(model, threads)
    return _torch_scorer(model, threads)


def _verifier_scorer(model: Path, threads: int) -> Scorer:
    """A verifier head (``.npz``): the cascade when its card names a first stage and a gate
    (``cascade: {"first_stage": "cry.onnx", "gate": 0.9}``), else the verifier alone."""
    head = VerifierHead.load(model)
    card = model_card(model)
    yam_name = (card or {}).get("yamnet", DEFAULT_YAMNET.name)
    yam_path = model.parent / str(yam_name)
    if not yam_path.is_file():
        yam_path = DEFAULT_YAMNET
    verifier = VerifierScorer(head, Yamnet(yam_path, threads, embedding=head.needs_embedding))
    cascade = (card or {}).get("cascade")
    if not isinstance(cascade, dict):
        return verifier
    first = model.parent / str(cascade.get("first_stage", ""))
    gate = cascade.get("gate")
    if not first.is_file() or isinstance(gate, bool) or not isinstance(gate, (int, float)):
        raise CribwatchError(
            f"{card_path(model)}: cascade needs first_stage (a cry model beside it) and a gate"
        )
    if first.suffix.lower() in (".npz", ".tflite"):
        raise CribwatchError(f"{card_path(model)}: cascade first_stage must be a board cry model")
    return CascadeScorer(make_scorer(first, threads), verifier, float(gate))


def _torch_scorer(model: Path, threads: int) -> Scorer:
    # extra: train (torch only for a .pt model; .onnx and .cwq run without it)
    import torch  # extra: train

    from cribwatch.cry.model import load_model  # extra: train

    torch.set_num_threads(threads)
    m, _ = load_model(str(model))
    return TorchScorer(m)


def integer_model_name(weights: Path) -> str:
    """The name an integer model (``.cwq``, or its ``.onnx``) has in its card's lists."""
    return Path(weights).with_suffix(".cwq").name


def model_card(weights: Path) -> dict[str, Any] | None:
    """The card beside ``weights`` (same name, ``.json``), or None when there is none."""
    card = card_path(weights)
    if not card.is_file():
        return None
    return read_card(card, "cry")


def family_card(weights: Path) -> tuple[Path, dict[str, Any]] | None:
    """The card of the float model an integer model (``.cwq``, or its ``.onnx``) was made
    from: a cry model card in the same folder whose ``integer_models`` lists it."""
    name = integer_model_name(weights)
    folder = Path(weights).parent if str(Path(weights).parent) else Path(".")
    for card in sorted(folder.glob("*.json")):
        try:
            d = read_card(card, "cry")
        except CribwatchError:
            continue  # not a cry model card
        if name in (d.get("integer_models") or {}):
            return card, d
    return None


def _detector_from(section: Any, source: Path) -> FilterConfig:
    return load_config_mapping(section, source)


def load_filter_config(config: Path | None, weights: Path) -> FilterConfig:
    """The detector config: ``config`` (a detector config or a ``cry tune`` output), else the
    model's card's, else (an integer model without a card of its own) its float model's card's
    with its own detector and threshold where the card's ``integer_detectors`` has them, else
    the defaults. Call it after the model file loaded, so a bad model is blamed first."""
    if config is not None:
        d = read_json_object(config)
        return _detector_from(d["detector"] if "detector" in d else d, Path(config))
    weights = Path(weights)
    card = model_card(weights)
    if card is not None:
        if "detector" in card:
            return _detector_from(card["detector"], weights.with_suffix(".json"))
        return FilterConfig()
    if weights.suffix.lower() not in (".cwq", ".onnx"):
        return FilterConfig()
    fam = family_card(weights)
    if fam is None or "detector" not in fam[1]:
        return FilterConfig()
    path, d = fam
    cfg = _detector_from(d["detector"], path)
    table = d.get("integer_detectors") or {}
    own = table.get(integer_model_name(weights)) if isinstance(table, dict) else None
    if isinstance(own, dict) and isinstance(own.get("detector"), dict):
        cfg = _detector_from(own["detector"], path)  # a chain of its own
    if isinstance(own, dict) and "threshold" in own:
        cfg = _detector_from({**cfg.to_dict(), "threshold": own["threshold"]}, path)
    return cfg


# ----------------------------------------------------------------------------- detector


@dataclass(frozen=True)
class Alert:
    """A bout is confirmed: it will be reported. ``onset``: its onset estimate (s of stream
    time); ``emitted``: the stream time at which it became known."""

    onset: float
    emitted: float

    def to_dict(self) -> dict[str, object]:
        return {"type": "alert", "onset": round(self.onset, 3), "emitted": round(self.emitted, 3)}


@dataclass(frozen=True)
class End:
    """A confirmed bout has closed: the whole event."""

    event: Event

    def to_dict(self) -> dict[str, object]:
        return {"type": "end", **self.event.to_dict()}


Message = Alert | End


class CryDetector:
    """Streaming cry detector over float32 16 kHz mono audio in blocks of any size.

    ``model``: a cry model (:func:`make_scorer`; default :data:`DEFAULT_DETECTOR`, the
    two-stage cascade; :data:`DEFAULT_MODEL` is the board CNN alone);
    ``config``: a detector config file (default: the model's card); ``filter_config``: a
    :class:`FilterConfig` instead of a file. Memory stays constant over any stream length.
    """

    def __init__(
        self,
        model: Path | str | None = None,
        config: Path | str | None = None,
        *,
        filter_config: FilterConfig | None = None,
        threads: int = 1,
        scorer: Scorer | None = None,
    ) -> None:
        self.model = Path(model) if model is not None else DEFAULT_DETECTOR
        self.scorer = scorer if scorer is not None else make_scorer(self.model, threads)
        if filter_config is None:
            filter_config = load_filter_config(
                Path(config) if config is not None else None, self.model
            )
        self.config = filter_config
        self._out: list[Message] = []
        self.stream = StreamDetector(
            self.scorer, self.config, on_alert=self._alert, on_event=self._end
        )
        self.closed = False

    def _alert(self, onset: float, emitted: float) -> None:
        self._out.append(Alert(onset, emitted))

    def _end(self, event: Event) -> None:
        self._out.append(End(event))

    def _take(self) -> list[Message]:
        out, self._out = self._out, []
        return out

    def push(self, pcm: np.ndarray) -> list[Message]:
        """Feed the next block of float audio (16 kHz mono, about [-1, 1]); returns the
        messages it caused, in order."""
        if self.closed:
            raise CribwatchError("cry detector: push after close")
        x = np.asarray(pcm, dtype=np.float32).reshape(-1)
        if not np.all(np.isfinite(x)):
            raise CribwatchError("cry detector: audio block holds NaN or infinite samples")
        self.stream.push(x)
        return self._take()

    def close(self) -> list[Message]:
        """End of stream: the End of a bout still open (when it is reported)."""
        if not self.closed:
            self.closed = True
            self.stream.flush()
        return self._take()

    @property
    def seconds(self) -> float:
        """Stream time pushed so far (s)."""
        return self.stream.total / 16000.0


def detect(
    audio: str | Path,
    model: Path | None = None,
    config: Path | None = None,
    *,
    block: int = 8000,
    stdin: BinaryIO | None = None,
) -> Iterator[Event | Message]:
    """Detect cries in an audio file (yields whole :class:`Event` objects as each bout
    closes) or, with ``audio`` ``"-"``, in raw 16 kHz mono s16le PCM read from ``stdin``
    (yields :class:`Alert` the moment a bout is confirmed, then its :class:`End`).

    The audio is checked first (bad audio fails before any model is loaded), then the model
    file, then the detector config."""
    if block < 1:
        raise CribwatchError(f"--block: must be a positive number of samples, not {block}")
    live = str(audio) == "-"
    if live:
        if stdin is None:
            raise CribwatchError("stdin: no input stream")
        blocks = pcm_blocks(stdin, block)
    else:
        blocks = wav_blocks(Path(audio), block)
    first = next(blocks, None)
    if first is None:
        raise CribwatchError(f"{'stdin' if live else audio}: no audio samples")
    det = CryDetector(model, config)
    yield from _messages(det.push(first), live)
    for b in blocks:
        yield from _messages(det.push(b), live)
    yield from _messages(det.close(), live)


def _messages(msgs: list[Message], live: bool) -> Iterator[Event | Message]:
    for m in msgs:
        if live:
            yield m
        elif isinstance(m, End):
            yield m.event


def config_json(cfg: FilterConfig) -> str:
    """A detector config as JSON text (what ``cry tune`` writes under ``detector``)."""
    return json.dumps(cfg.to_dict())


def with_filters(cfg: FilterConfig, names: tuple[str, ...]) -> FilterConfig:
    """``cfg`` with exactly the filters ``names`` switched on (validated)."""
    return load_config_mapping({**cfg.to_dict(), "enabled": list(names)}, "--filters")


def with_threshold(cfg: FilterConfig, threshold: float) -> FilterConfig:
    return replace(cfg, threshold=float(threshold))

"""Block-streaming cry detector with constant memory, and its offline twin.

The streaming detector takes float audio in blocks of any size. It keeps only: the samples not
yet framed (< one window), the last 98 log-mel frames (one window), the pitch frames of the
last window and the filter chain's short history. Every ``hop_s`` seconds of audio (the
detector config's, 0.5 by default) it scores one 1 s window and feeds the chain
(:mod:`cribwatch.cry.postprocess`). Memory does not grow with the stream's length.

Window k covers samples [k*H, k*H + 16000) with H = hop_s * 16000 (8000 by default); log-mel
frame i covers [i*160, i*160 + 400), so window k is frames [k*H/160, k*H/160 + 98) in the
stream and in a whole file alike: :func:`detect_offline` and :class:`StreamDetector` give the
same events.

Scorers map a (B, 98, 64) uint8 batch to (B,) probabilities: :class:`TorchScorer` (float
model), :class:`OnnxScorer` (ONNX Runtime, float or QDQ) and
:class:`cribwatch.cry.quantize.IntScorer` (numpy integer reference).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
import soundfile as sf

from cribwatch.cry.features import (
    WINDOW_FRAMES,
    FrontEndConfig,
    logmel,
    logmel_frames,
    to_model_input,
)
from cribwatch.cry.pcm import SR, pcm16_to_float, wav_info
from cribwatch.cry.postprocess import (
    FRAMES_PER_WINDOW,
    HOP_S,
    PITCH_FRAME,
    PITCH_HOP,
    WINDOW_S,
    Chain,
    Event,
    FilterConfig,
    WindowInfo,
    block_powers,
    cry_voiced,
    pitch_frames,
    run_chain,
    window_infos,
    window_level_db,
)
from cribwatch.errors import CribwatchError
from cribwatch.io import check_audio_seconds


class Scorer(Protocol):
    def __call__(self, x: np.ndarray) -> np.ndarray: ...


AUDIO_INPUTS = ("audio", "both")
"""Values of a scorer's optional ``inputs`` attribute that ask for the windows' audio: a
scorer without it (or with ``"logmel"``) gets the (B, 98, 64) uint8 log-mel windows; with
``"audio"`` the (B, 16000) float32 audio of the same windows; with ``"both"`` it is called
``scorer(logmel_windows, audio_windows)`` (the two-stage cascade of
:mod:`cribwatch.cry.pretrained`)."""


def scorer_inputs(scorer: object) -> str:
    """What a scorer takes: ``"logmel"`` (the default), ``"audio"`` or ``"both"``."""
    return str(getattr(scorer, "inputs", "logmel"))


def score_windows(scorer: object, logmel_w: np.ndarray, audio_w: np.ndarray | None) -> np.ndarray:
    """Call ``scorer`` with the inputs it asks for (see :data:`AUDIO_INPUTS`)."""
    kind = scorer_inputs(scorer)
    if kind == "logmel":
        return np.asarray(scorer(logmel_w))  # type: ignore[operator]
    if audio_w is None:
        raise ValueError("this scorer needs the windows' audio")
    if kind == "audio":
        return np.asarray(scorer(audio_w))  # type: ignore[operator]
    return np.asarray(scorer(logmel_w, audio_w))  # type: ignore[operator]


def audio_windows(x: np.ndarray, n: int, hop_s: float = HOP_S) -> np.ndarray:
    """(n, 16000) float32 audio of the first ``n`` windows of a whole signal."""
    win, hop = int(WINDOW_S * SR), int(round(hop_s * SR))
    if n <= 0:
        return np.zeros((0, win), dtype=np.float32)
    v = np.lib.stride_tricks.sliding_window_view(np.asarray(x, dtype=np.float32), win)
    return np.ascontiguousarray(v[::hop][:n])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


class TorchScorer:
    """Float PyTorch model."""

    def __init__(self, model: object, batch: int = 512) -> None:
        import torch  # extra: train

        self.model = model
        self.batch = batch
        self.torch = torch

    def __call__(self, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        out = []
        with torch.no_grad():
            for s in range(0, x.shape[0], self.batch):
                t = torch.from_numpy(x[s : s + self.batch].astype(np.float32))[:, None]
                out.append(self.model(t).numpy())  # type: ignore[operator]
        return _sigmoid(np.concatenate(out)) if out else np.zeros(0)


class OnnxScorer:
    """ONNX Runtime session of an exported cry model (input (B,1,98,64) float 0-255)."""

    def __init__(self, path: Path, threads: int = 1, batch: int = 256) -> None:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        try:
            self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises many types
            raise CribwatchError(
                f"{path}: not a loadable ONNX model ({type(exc).__name__})"
            ) from exc
        ins = self.sess.get_inputs()
        shape = list(ins[0].shape) if len(ins) == 1 else []
        want = (1, WINDOW_FRAMES, 64)
        ok = len(shape) == 4 and all(
            not isinstance(d, int) or d == w for d, w in zip(shape[1:], want, strict=True)
        )
        if len(ins) != 1 or not ok:
            got = ", ".join(f"{i.name}{list(i.shape)}" for i in ins)
            raise CribwatchError(
                f"{path}: not a cry model (its inputs are {got}; a cry model takes one "
                f"(batch, 1, {WINDOW_FRAMES}, 64) window)"
            )
        self.name = ins[0].name
        self.batch = batch

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = []
        for s in range(0, x.shape[0], self.batch):
            b = x[s : s + self.batch].astype(np.float32)[:, None]
            out.append(np.asarray(self.sess.run(None, {self.name: b})[0]).reshape(-1))
        return _sigmoid(np.concatenate(out)) if out else np.zeros(0)


def windows_of(feat: np.ndarray, hop_s: float = HOP_S, frame_hop: int = 160) -> np.ndarray:
    """(n_windows, 98, 64) view of a file's model input, one window every ``hop_s`` seconds
    (50 frames at 0.5 s)."""
    hop = int(round(hop_s * SR)) // frame_hop
    n = 0 if feat.shape[0] < WINDOW_FRAMES else (feat.shape[0] - WINDOW_FRAMES) // hop + 1
    if n == 0:
        return np.zeros((0, WINDOW_FRAMES, feat.shape[1]), dtype=feat.dtype)
    return np.lib.stride_tricks.sliding_window_view(feat, (WINDOW_FRAMES, feat.shape[1]))[::hop, 0][
        :n
    ]


def n_windows(n_samples: int, hop_s: float = HOP_S) -> int:
    win, hop = int(WINDOW_S * SR), int(round(hop_s * SR))
    return 0 if n_samples < win else (n_samples - win) // hop + 1


@dataclass
class Analysis:
    """Scores and filter inputs of one recording (offline), reusable for many chain configs."""

    infos: list[WindowInfo]
    duration: float


def analyse(
    x: np.ndarray,
    scorer: Scorer,
    cfg: FilterConfig = FilterConfig(),
    fe: FrontEndConfig = FrontEndConfig(),
    feat: np.ndarray | None = None,
) -> Analysis:
    """Offline analysis of a whole signal."""
    if feat is None:
        feat = to_model_input(logmel(x, fe), fe)
    w = windows_of(feat, cfg.hop_s, fe.hop_length)
    nw = min(w.shape[0], n_windows(x.shape[0], cfg.hop_s))
    aw = audio_windows(x, nw, cfg.hop_s) if scorer_inputs(scorer) in AUDIO_INPUTS else None
    scores = score_windows(scorer, np.ascontiguousarray(w[:nw]), aw) if nw else np.zeros(0)
    return Analysis(window_infos(x, scores, cfg), x.shape[0] / SR)


def detect_offline(
    x: np.ndarray,
    scorer: Scorer,
    cfg: FilterConfig = FilterConfig(),
    fe: FrontEndConfig = FrontEndConfig(),
) -> list[Event]:
    """All events of a whole signal."""
    return run_chain(analyse(x, scorer, cfg, fe).infos, cfg)


class StreamDetector:
    """Constant-memory block detector: :meth:`push` blocks, get closed events back.

    Hooks, called in stream order while a block is processed: ``on_alert(onset, emitted)``
    the moment a bout is confirmed (it has lasted long enough to be reported: every reported
    event gets exactly one alert, before the event), ``on_event(event)`` when a reported bout
    closes (the same events :meth:`push` and :meth:`flush` return).
    """

    def __init__(
        self,
        scorer: Scorer,
        cfg: FilterConfig = FilterConfig(),
        fe: FrontEndConfig = FrontEndConfig(),
        on_alert: Callable[[float, float], None] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.scorer = scorer
        self.cfg = cfg
        self.fe = fe
        self.chain = Chain(cfg)
        self.on_alert = on_alert
        self.on_event = on_event
        self.pending = np.zeros(0, dtype=np.float32)  # samples from self.start on
        self.start = 0  # absolute index of pending[0]
        self.frames = np.zeros((0, fe.n_mels), dtype=np.uint8)
        self.frame_next = 0  # next log-mel frame index to compute
        self.pitch_next = 0
        self.voiced = np.zeros(0, dtype=bool)
        self.voiced_start = 0
        self.k = 0  # next window index
        self.hop_samples = cfg.hop_samples
        self.fph = cfg.pitch_frames_per_hop
        self.hop_frames = cfg.hop_samples // fe.hop_length
        self.total = 0
        self._alerted = False

    def _need(self) -> int:
        """Oldest absolute sample still needed."""
        return min(
            self.frame_next * self.fe.hop_length,
            self.pitch_next * PITCH_HOP,
            self.k * self.hop_samples,
        )

    def push(self, block: np.ndarray) -> list[Event]:
        """Feed the next block of float audio; returns events that closed."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self.pending = np.concatenate([self.pending, block])
        self.total += block.shape[0]
        end = self.start + self.pending.shape[0]
        fe = self.fe
        # new log-mel frames
        nf = (end - fe.win_length) // fe.hop_length + 1 if end >= fe.win_length else 0
        if nf > self.frame_next:
            a = self.frame_next * fe.hop_length - self.start
            seg = self.pending[a : (nf - 1) * fe.hop_length + fe.win_length - self.start]
            fr = np.lib.stride_tricks.sliding_window_view(seg, fe.win_length)[:: fe.hop_length]
            new = to_model_input(logmel_frames(fr[: nf - self.frame_next], fe), fe)
            self.frames = np.concatenate([self.frames, new])
            self.frame_next = nf
        # new pitch frames
        npf = (end - PITCH_FRAME) // PITCH_HOP + 1 if end >= PITCH_FRAME else 0
        if npf > self.pitch_next:
            a = self.pitch_next * PITCH_HOP - self.start
            seg = self.pending[a : (npf - 1) * PITCH_HOP + PITCH_FRAME - self.start]
            f0, harm = pitch_frames(seg, self.cfg)
            self.voiced = np.concatenate([self.voiced, cry_voiced(f0, harm, self.cfg)])
            self.pitch_next = npf
        events: list[Event] = []
        # windows
        batch_x, batch_k, batch_a = [], [], []
        wants_audio = scorer_inputs(self.scorer) in AUDIO_INPUTS
        while (self.k * self.hop_samples + int(WINDOW_S * SR)) <= end:
            f0i = self.k * self.hop_frames  # log-mel frame index of the window start
            first_frame = self.frame_next - self.frames.shape[0]
            batch_x.append(self.frames[f0i - first_frame : f0i - first_frame + WINDOW_FRAMES])
            batch_k.append(self.k)
            if wants_audio:
                a = self.k * self.hop_samples - self.start
                batch_a.append(self.pending[a : a + int(WINDOW_S * SR)])
            self.k += 1
        if batch_x:
            scores = score_windows(
                self.scorer, np.stack(batch_x), np.stack(batch_a) if wants_audio else None
            )
            for k, sc in zip(batch_k, scores, strict=True):
                a = k * self.hop_samples - self.start
                wx = self.pending[a : a + int(WINDOW_S * SR)]
                level = window_level_db(block_powers(wx), 0, self.cfg)  # as offline
                p0 = k * self.fph - self.voiced_start
                vw = self.voiced[p0 : p0 + FRAMES_PER_WINDOW]
                tail = vw[max(0, FRAMES_PER_WINDOW - self.fph) :]
                info = WindowInfo(
                    float(sc), level, float(vw.mean()) if vw.size else 0.0, tail.copy()
                )
                events.extend(self._emit(self.chain.push(info)))
                self._check_alert()
        # drop what is no longer needed
        first_frame = self.frame_next - self.frames.shape[0]
        keep_from = self.k * self.hop_frames
        if keep_from > first_frame:
            self.frames = self.frames[keep_from - first_frame :]
        need = self._need()
        drop = need - self.start
        if drop > 0:
            self.pending = self.pending[drop:]
            self.start = need
        vdrop = self.k * self.fph - self.voiced_start
        if vdrop > 0:
            self.voiced = self.voiced[vdrop:]
            self.voiced_start += vdrop
        return events

    def _emit(self, closed: list[Event]) -> list[Event]:
        for ev in closed:
            if self.on_event is not None:
                self.on_event(ev)
        return closed

    def _check_alert(self) -> None:
        """Alert once per bout, as soon as it is long enough to be reported."""
        ch = self.chain
        if not ch.in_bout:
            self._alerted = False
            return
        dur = (ch.bout_last - ch.bout_first) * self.cfg.hop_s + WINDOW_S  # as Chain._close
        confirmed = (
            "smoothing" not in self.cfg.enabled or dur >= self.cfg.min_bout_s or ch.bout_fast
        )
        if confirmed and not self._alerted:
            self._alerted = True
            if self.on_alert is not None:
                self.on_alert(ch.bout_onset, ch.bout_emitted)

    def flush(self) -> list[Event]:
        """End of stream: closes an open bout (the next pushed bout gets its own alert)."""
        self._alerted = False
        return self._emit(self.chain.flush())


def pcm_blocks(stream: object, block_samples: int = 8000) -> Iterator[np.ndarray]:
    """Float blocks from a binary stream of raw 16 kHz mono s16le PCM."""
    carry = b""
    read = stream.read  # type: ignore[attr-defined]
    while True:
        chunk = read(block_samples * 2)
        if not chunk:
            break
        chunk = carry + chunk
        n = len(chunk) // 2 * 2
        carry = chunk[n:]
        if n:
            yield pcm16_to_float(np.frombuffer(chunk[:n], dtype="<i2"))
    if carry:
        raise CribwatchError("stdin: odd number of bytes: not 16-bit PCM (s16le) audio")


def wav_blocks(path: Path, block_samples: int = 8000) -> Iterator[np.ndarray]:
    """Float blocks of a 16 kHz audio file read incrementally (constant memory)."""
    sr, ch, subtype = wav_info(path)
    if sr != SR:
        raise CribwatchError(
            f"{path}: sample rate {sr} Hz, the detector wants {SR} Hz "
            "(resample first, e.g. sox in.wav -r 16000 out.wav)"
        )
    try:
        with sf.SoundFile(str(path)) as f:
            if f.frames == 0:
                raise CribwatchError(f"{path}: audio file holds no samples")
            check_audio_seconds(path, f.frames / f.samplerate)
            for b in f.blocks(blocksize=block_samples, dtype="float32", always_2d=True):
                x = b.mean(axis=1)
                if not np.all(np.isfinite(x)):
                    raise CribwatchError(f"{path}: audio contains NaN or infinite samples")
                yield x
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise CribwatchError(f"{path}: corrupt audio ({str(exc).splitlines()[0]})") from exc

"""YAMNet inside the project: its front end in numpy and the int8 model through LiteRT.

YAMNet (Plakal and Ellis, Google; Apache-2.0) is a MobileNet-v1 trained on AudioSet (CC BY 4.0;
about 2 M clips, 521 classes; class 20 is "Baby cry, infant cry"). The shipped file
``cribwatch/weights/cry_yamnet.tflite`` is ``models/yamnet_spectra_in.tflite`` of
google-coral/coralmicro (card ``cry_yamnet.json``: source commit, sha256, licences): an int8
graph whose input is one float log-mel patch ``[1, 96, 64]`` and whose output is the 521 class
scores (requantised in steps of 1/256). The runtime never downloads anything.

Front end (:func:`log_mel`), YAMNet's published definition (``features.py`` and ``params.py``
of tensorflow/models ``research/audioset/yamnet``):

- 16 kHz mono float audio in [-1, 1];
- frames of 400 samples (25 ms) every 160 samples (10 ms), no padding (``tf.signal.stft``
  with ``pad_end=False``): frame ``i`` covers samples ``[160 i, 160 i + 400)``;
- a periodic Hann window, zero-padded to a 512-point FFT, *magnitude* ``|rfft|`` (not power,
  no normalisation);
- ``tf.signal.linear_to_mel_weight_matrix(64, 257, 16000, 125, 7500)``: triangles on the mel
  scale ``1127 ln(1 + f / 700)`` whose edges are 66 equally spaced mel values between 125 and
  7500 Hz, evaluated at the bin frequencies ``linspace(0, 8000, 257)``, peaks of 1, the DC
  bin's row zero (:func:`mel_matrix`);
- ``log(mel + 0.001)``;
- patches of 96 frames (0.96 s).

The detector's 1 s windows (:mod:`cribwatch.cry.stream`: window ``k`` covers samples
``[k H, k H + 16000)``) use the same framing; the YAMNet patch of window ``k`` is the first 96
frames of the window (samples ``[k H, k H + 15600)``), so streaming and offline agree.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

from cribwatch.errors import CribwatchError

SR = 16000
WIN = 400
HOP = 160
N_FFT = 512
N_MELS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96
PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP + WIN
"""Samples one patch needs: 15,600 (0.975 s)."""
N_CLASSES = 521
BABY_CRY = 20
"""YAMNet class index of "Baby cry, infant cry" (AudioSet /t/dd00002)."""
CLASS_NAMES = {
    0: "Speech",
    19: "Crying, sobbing",
    20: "Baby cry, infant cry",
    21: "Whimper",
    132: "Music",
    494: "Silence",
}
"""The few YAMNet class names the code and tests use (yamnet_class_map.csv)."""

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "cry_yamnet.tflite"
"""The shipped int8 YAMNet (spectrogram input)."""


def hertz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """The mel scale of ``tf.signal`` (HTK's, natural-log form): 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """(257, 64) float64 weights of ``tf.signal.linear_to_mel_weight_matrix`` for YAMNet."""
    n_bins = N_FFT // 2 + 1
    bins_mel = hertz_to_mel(np.linspace(0.0, SR / 2.0, n_bins))
    edges = np.linspace(hertz_to_mel(MEL_MIN_HZ), hertz_to_mel(MEL_MAX_HZ), N_MELS + 2)
    lo, c, hi = edges[:-2], edges[1:-1], edges[2:]
    up = (bins_mel[:, None] - lo) / (c - lo)
    down = (hi - bins_mel[:, None]) / (hi - c)
    w = np.maximum(0.0, np.minimum(up, down))
    w[0, :] = 0.0  # tf.signal zeroes the DC bin (bands_to_zero = 1)
    w.setflags(write=False)
    return w


@lru_cache(maxsize=1)
def hann() -> np.ndarray:
    """Periodic Hann window of 400 samples (``tf.signal.hann_window(400, periodic=True)``)."""
    n = np.arange(WIN, dtype=np.float64)
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / WIN)
    w.setflags(write=False)
    return w


def n_frames(n_samples: int) -> int:
    return 0 if n_samples < WIN else 1 + (n_samples - WIN) // HOP


def log_mel(x: np.ndarray) -> np.ndarray:
    """YAMNet's log-mel: float audio (n,) at 16 kHz -> (n_frames, 64) float32."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise CribwatchError(f"YAMNet front end wants mono audio of shape (n,), got {x.shape}")
    nf = n_frames(x.shape[0])
    if nf == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    fr = np.lib.stride_tricks.sliding_window_view(x, WIN)[::HOP][:nf]
    mag = np.abs(np.fft.rfft(fr * hann(), n=N_FFT, axis=-1))
    return np.log(mag @ mel_matrix() + LOG_OFFSET).astype(np.float32)


def window_patches(x: np.ndarray, hop_samples: int, n: int | None = None) -> np.ndarray:
    """The YAMNet patch of each detector window: (n, 96, 64) float32, window ``k`` starting at
    sample ``k * hop_samples`` (``hop_samples`` a multiple of 160)."""
    if hop_samples % HOP:
        raise CribwatchError(f"window hop {hop_samples} samples is not a multiple of {HOP}")
    lm = log_mel(x)
    step = hop_samples // HOP
    avail = 0 if lm.shape[0] < PATCH_FRAMES else (lm.shape[0] - PATCH_FRAMES) // step + 1
    n = avail if n is None else min(n, avail)
    if n <= 0:
        return np.zeros((0, PATCH_FRAMES, N_MELS), dtype=np.float32)
    v = np.lib.stride_tricks.sliding_window_view(lm, (PATCH_FRAMES, N_MELS))[::step, 0][:n]
    return np.ascontiguousarray(v)


def audio_patches(windows: np.ndarray) -> np.ndarray:
    """Patches of a batch of detector windows of audio (B, >= 15600) -> (B, 96, 64)."""
    w = np.asarray(windows, dtype=np.float32)
    if w.ndim != 2 or w.shape[1] < PATCH_SAMPLES:
        raise CribwatchError(f"YAMNet wants windows of at least {PATCH_SAMPLES} samples")
    out = np.empty((w.shape[0], PATCH_FRAMES, N_MELS), dtype=np.float32)
    for i in range(w.shape[0]):
        out[i] = log_mel(w[i, :PATCH_SAMPLES])
    return out


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """LiteRT prints its delegate on the process's stderr (fd 2): keep it off the CLI's."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


EMBED_DIM = 1024
EMBED_SCALE = 0.023313090205192566
"""Quantization step of the int8 graph's embedding (zero point -128): float = code * step,
with code = int8 value + 128 (0-255)."""
EMBEDDING_TENSOR = "reduce_mean"
"""Name part of the int8 graph's pooled 1024-d tensor (``layer28/reduce_mean``): the input of
the final fully connected layer, YAMNet's embedding."""


def dequantize_embedding(codes: np.ndarray) -> np.ndarray:
    """uint8 embedding codes (int8 + 128) -> the float embedding (``code * EMBED_SCALE``)."""
    return np.asarray(codes, dtype=np.float64) * EMBED_SCALE


class Yamnet:
    """The int8 YAMNet through LiteRT: ``model(patches (B, 96, 64)) -> (B, 521)`` scores.

    ``embedding=True`` keeps the graph's intermediate tensors (LiteRT's
    ``experimental_preserve_all_tensors``) so that :meth:`embed` can also read the pooled
    1024-d embedding, the input of the final fully connected layer. In this graph it is int8
    (scale 0.0233, zero point -128: values 0-5.94 in steps of 0.0233, the mean of ReLU6
    outputs); :meth:`embed` returns it dequantized. Checked (``tests/cry/test_yamnet.py``):
    the final layer's int8 weights and bias applied to it give the graph's int8 logits to
    within half their quantization step."""

    def __init__(
        self, path: Path | str | None = None, threads: int = 1, embedding: bool = False
    ) -> None:
        self.path = Path(path) if path is not None else WEIGHTS
        if not self.path.is_file():
            raise CribwatchError(f"{self.path}: YAMNet model not found")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            from ai_edge_litert.interpreter import Interpreter  # extra: cry-pretrained
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise CribwatchError(
                f"ai-edge-litert is not installed: pip install ai-edge-litert==2.3.0 ({exc})"
            ) from exc
        with _native_stderr_silenced():
            try:
                with warnings.catch_warnings():
                    # LiteRT warns that preserving every tensor is meant for debugging; this
                    # graph's tensors total 4.4 MB with its weights, and the embedding needs it
                    warnings.filterwarnings("ignore", message=".*preserve_all_tensors.*")
                    self._it = Interpreter(
                        model_path=str(self.path),
                        num_threads=threads,
                        **({"experimental_preserve_all_tensors": True} if embedding else {}),
                    )
                self._it.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                raise CribwatchError(f"{self.path}: not a readable TFLite model ({exc})") from exc
        inp = self._it.get_input_details()
        out = self._it.get_output_details()
        if (
            len(inp) != 1
            or tuple(inp[0]["shape"]) != (1, PATCH_FRAMES, N_MELS)
            or len(out) != 1
            or tuple(out[0]["shape"]) != (1, N_CLASSES)
        ):
            raise CribwatchError(
                f"{self.path}: not YAMNet with spectrogram input (want [1, 96, 64] -> [1, 521])"
            )
        self._in = inp[0]["index"]
        self._out = out[0]["index"]
        self.calls = 0
        self._emb: tuple[int, float, int] | None = None
        if embedding:
            hits = [
                d
                for d in self._it.get_tensor_details()
                if EMBEDDING_TENSOR in d["name"] and int(np.prod(d["shape"])) == EMBED_DIM
            ]
            if len(hits) != 1:
                raise CribwatchError(f"{self.path}: no pooled {EMBED_DIM}-d embedding tensor")
            scale, zero = hits[0]["quantization"]
            if abs(float(scale) - EMBED_SCALE) > 1e-9 or int(zero) != -128:
                raise CribwatchError(
                    f"{self.path}: embedding quantized as ({scale}, {zero}), "
                    f"want ({EMBED_SCALE}, -128)"
                )
            self._emb = (int(hits[0]["index"]), float(scale), int(zero))

    @property
    def has_embedding(self) -> bool:
        return self._emb is not None

    def embed(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(scores (B, 521), embedding (B, 1024) int8 codes + 128 as uint8)``: the
        embedding exactly as the graph holds it (dequantize with :meth:`dequantize`)."""
        if self._emb is None:
            raise CribwatchError("YAMNet was loaded without embedding=True")
        idx = self._emb[0]
        p = np.asarray(patches, dtype=np.float32)
        if p.ndim == 2:
            p = p[None]
        out = np.empty((p.shape[0], N_CLASSES), dtype=np.float32)
        emb = np.empty((p.shape[0], EMBED_DIM), dtype=np.uint8)
        for i in range(p.shape[0]):
            self._it.set_tensor(self._in, p[i : i + 1])
            self._it.invoke()
            out[i] = self._it.get_tensor(self._out)[0]
            emb[i] = (self._it.get_tensor(idx).reshape(-1).astype(np.int16) + 128).astype(np.uint8)
        self.calls += p.shape[0]
        return out, emb

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        """uint8 embedding codes of :meth:`embed` -> float embedding."""
        return dequantize_embedding(codes)

    def __call__(self, patches: np.ndarray) -> np.ndarray:
        p = np.asarray(patches, dtype=np.float32)
        if p.ndim == 2:
            p = p[None]
        out = np.empty((p.shape[0], N_CLASSES), dtype=np.float32)
        for i in range(p.shape[0]):
            self._it.set_tensor(self._in, p[i : i + 1])
            self._it.invoke()
            out[i] = self._it.get_tensor(self._out)[0]
        self.calls += p.shape[0]
        return out

    def scores(self, x: np.ndarray, hop_samples: int = 8000) -> np.ndarray:
        """(n_windows, 521) scores of every detector window of a whole signal."""
        return self(window_patches(x, hop_samples))


def ms_per_patch(model: Yamnet, n: int = 200, seed: int = 0) -> dict[str, float]:
    """Time ``n`` single-patch calls (after 10 warm-up calls): p50 and p90 in ms, plus the
    numpy front end's ms per patch."""
    rng = np.random.default_rng(seed)
    audio = (0.1 * rng.standard_normal(PATCH_SAMPLES)).astype(np.float32)
    p = log_mel(audio)[None]
    for _ in range(10):
        model(p)
    t_model = []
    for _ in range(n):
        t0 = time.perf_counter()
        model(p)
        t_model.append(time.perf_counter() - t0)
    t_fe = []
    for _ in range(max(10, n // 4)):
        t0 = time.perf_counter()
        log_mel(audio)
        t_fe.append(time.perf_counter() - t0)
    return {
        "model_ms_p50": 1000 * float(np.percentile(t_model, 50)),
        "model_ms_p90": 1000 * float(np.percentile(t_model, 90)),
        "front_end_ms_p50": 1000 * float(np.percentile(t_fe, 50)),
    }

"""YAMNet inside the project: its front end in numpy and the model through ONNX Runtime
(default) or LiteRT.

YAMNet (Plakal and Ellis, Google; Apache-2.0) is a MobileNet-v1 trained on AudioSet (CC BY 4.0;
about 2 M clips, 521 classes; class 20 is "Baby cry, infant cry"). Two files, both shipped
(the runtime never downloads anything):

- ``cribwatch/weights/cry_yamnet.tflite`` is ``models/yamnet_spectra_in.tflite`` of
  google-coral/coralmicro (card ``cry_yamnet.json``: source commit, sha256, licences): an int8
  graph whose input is one float log-mel patch ``[1, 96, 64]`` and whose output is the 521
  class scores (requantised in steps of 1/256). It needs LiteRT (the ``cry-pretrained`` extra).
- ``cribwatch/weights/cry_yamnet_emb.onnx`` (card ``cry_yamnet_emb.json``) is the same graph
  translated by :func:`build_onnx` (``cribwatch cry yamnet-onnx --out F``): its int8 weights
  with their per-channel scales and DequantizeLinear, float activations, and two outputs, the
  521 scores and the float 1024-d embedding (the input of the final layer). ONNX Runtime, a
  runtime dependency, runs it; its build checks parity with the TFLite graph.

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
import hashlib
import json
import os
import sys
import time
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from cribwatch.cards import card_path, write_card
from cribwatch.cry.synth import synth_cry
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path, guard_output

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
"""The shipped int8 YAMNet (spectrogram input; LiteRT, the ``cry-pretrained`` extra)."""
ONNX_WEIGHTS = WEIGHTS.with_name("cry_yamnet_emb.onnx")
"""The same YAMNet as ONNX (:func:`build_onnx`): int8 weights, float activations, outputs the
521 scores and the float 1024-d embedding; runs with ONNX Runtime alone."""
DEFAULT_MODEL = ONNX_WEIGHTS if ONNX_WEIGHTS.is_file() else WEIGHTS
"""What :class:`Yamnet` loads when no file is named: the ONNX model when it is there."""


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


ONNX_BATCH = 32
"""Patches per ONNX Runtime call (bounds the activations' memory: about 12 MB a patch)."""


class Yamnet:
    """YAMNet: ``model(patches (B, 96, 64)) -> (B, 521)`` scores, from either file:

    - ``.onnx`` (default, :data:`DEFAULT_MODEL`, ``cry_yamnet_emb.onnx`` built by
      :func:`build_onnx`): ONNX Runtime, a runtime dependency; int8 weights dequantized in the
      graph, float activations; its second output is the float 1024-d embedding;
    - ``.tflite`` (:data:`WEIGHTS`, the int8 graph): LiteRT (the ``cry-pretrained`` extra).
      ``embedding=True`` keeps the graph's intermediate tensors (LiteRT's
      ``experimental_preserve_all_tensors``) so that :meth:`embed` can also read the pooled
      1024-d embedding, the input of the final fully connected layer. In this graph it is int8
      (scale 0.0233, zero point -128: values 0-5.94 in steps of 0.0233, the mean of ReLU6
      outputs). Checked (``tests/cry/test_yamnet.py``): the final layer's int8 weights and bias
      applied to it give the graph's int8 logits to within half their quantization step.

    :meth:`embed` returns the embedding in units of the int8 graph's step
    (:data:`EMBED_SCALE`): integer codes (uint8) from the TFLite graph, float32 from the ONNX
    graph; :meth:`dequantize` turns either into the float embedding."""

    def __init__(
        self, path: Path | str | None = None, threads: int = 1, embedding: bool = False
    ) -> None:
        self.path = Path(path) if path is not None else DEFAULT_MODEL
        if not self.path.is_file():
            raise CribwatchError(f"{self.path}: YAMNet model not found")
        self.calls = 0
        self._emb: tuple[int, float, int] | None = None
        self._sess: ort.InferenceSession | None = None
        self.want_embedding = bool(embedding)
        if self.path.suffix.lower() == ".onnx":
            self._sess = _onnx_session(self.path, threads)
            return
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            from ai_edge_litert.interpreter import Interpreter  # extra: cry-pretrained
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise CribwatchError(
                f"{self.path}: a .tflite YAMNet needs ai-edge-litert (pip install "
                f"'cribwatch[cry-pretrained]'), or use the ONNX model {ONNX_WEIGHTS.name} ({exc})"
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
    def backend(self) -> str:
        """``"onnx"`` (ONNX Runtime) or ``"litert"``."""
        return "onnx" if self._sess is not None else "litert"

    @property
    def has_embedding(self) -> bool:
        return self.want_embedding and (self._sess is not None or self._emb is not None)

    def _onnx(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert self._sess is not None
        scores = np.empty((p.shape[0], N_CLASSES), dtype=np.float32)
        emb = np.empty((p.shape[0], EMBED_DIM), dtype=np.float32)
        for i in range(0, p.shape[0], ONNX_BATCH):
            s, e = self._sess.run(["scores", "embedding"], {"patches": p[i : i + ONNX_BATCH]})
            scores[i : i + ONNX_BATCH] = s
            emb[i : i + ONNX_BATCH] = e
        self.calls += p.shape[0]
        return scores, emb

    def embed(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(scores (B, 521), embedding (B, 1024) in units of EMBED_SCALE)``: from the
        TFLite graph its int8 codes + 128 as uint8 (exactly as the graph holds them), from the
        ONNX graph the float embedding / EMBED_SCALE as float32 (dequantize with
        :meth:`dequantize`)."""
        if not self.has_embedding:
            raise CribwatchError("YAMNet was loaded without embedding=True")
        p = _as_patches(patches)
        if self._sess is not None:
            scores, e = self._onnx(p)
            return scores, (e / np.float32(EMBED_SCALE)).astype(np.float32)
        assert self._emb is not None
        idx = self._emb[0]
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
        """Embedding of :meth:`embed` (units of EMBED_SCALE) -> float embedding."""
        return dequantize_embedding(codes)

    def __call__(self, patches: np.ndarray) -> np.ndarray:
        p = _as_patches(patches)
        if self._sess is not None:
            return self._onnx(p)[0]
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


def _as_patches(patches: np.ndarray) -> np.ndarray:
    p = np.ascontiguousarray(patches, dtype=np.float32)
    return p[None] if p.ndim == 2 else p


def _onnx_session(path: Path, threads: int) -> ort.InferenceSession:
    """An ONNX Runtime session of a YAMNet ONNX file, checked for its input and outputs."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    # fold the int8 weights' DequantizeLinear into float constants once, at load: ONNX Runtime
    # otherwise keeps them for its quantized kernels and dequantizes 3.7 M weights on every call
    # (measured: 6.7 -> 1.6 ms a patch, outputs within 2e-7)
    so.add_session_config_entry("session.disable_quant_qdq", "1")
    try:
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises many types
        raise CribwatchError(f"{path}: not a loadable ONNX model ({type(exc).__name__})") from exc
    ins = {i.name: list(i.shape) for i in sess.get_inputs()}
    outs = {o.name: list(o.shape) for o in sess.get_outputs()}
    if (
        list(ins) != ["patches"]
        or ins["patches"][1:] != [PATCH_FRAMES, N_MELS]
        or set(outs) != {"scores", "embedding"}
        or outs["scores"][1:] != [N_CLASSES]
        or outs["embedding"][1:] != [EMBED_DIM]
    ):
        raise CribwatchError(
            f"{path}: not YAMNet as ONNX (want patches [n, 96, 64] -> scores [n, 521] and "
            f"embedding [n, 1024])"
        )
    return sess


# ----------------------------------------------------------------------------- ONNX build


def _tflite_tensors(it: Any) -> dict[int, dict[str, Any]]:
    return {int(d["index"]): d for d in it.get_tensor_details()}


def _weight(it: Any, td: dict[int, dict[str, Any]], idx: int) -> tuple[np.ndarray, np.ndarray]:
    """An int8 weight constant and its per-channel scales (zero points must be 0)."""
    q = td[idx]["quantization_parameters"]
    scales = np.asarray(q["scales"], dtype=np.float64)
    if np.any(np.asarray(q["zero_points"]) != 0) or scales.size == 0:
        raise CribwatchError(f"weight {td[idx]['name']}: not symmetric int8")
    return np.asarray(it.get_tensor(idx)), scales


def _activation_scale(td: dict[int, dict[str, Any]], idx: int) -> float:
    return float(np.asarray(td[idx]["quantization_parameters"]["scales"])[0])


def onnx_graph(tflite: Path) -> tuple[Any, dict[str, Any]]:
    """Translate the int8 YAMNet TFLite graph into an ONNX model (onnx.helper, opset 13):
    each int8 weight stays int8 with its per-channel scale and a DequantizeLinear node, the
    int32 biases become float (``bias * input scale * weight scale``), activations are float:
    Conv (SAME padding as TFLite: the extra row/column of a stride-2 layer at the end) and
    Clip(0, 6) (the fused ReLU6), depthwise Conv (group = channels), ReduceMean over time and
    frequency (the 1024-d embedding, second output), Gemm and Sigmoid (the 521 scores).
    Returns ``(model, info)``."""
    # extra: train (onnx) and cry-pretrained (LiteRT reads the TFLite graph)
    import onnx  # extra: train
    from onnx import TensorProto, helper, numpy_helper  # extra: train

    try:
        from ai_edge_litert.interpreter import Interpreter  # extra: cry-pretrained
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CribwatchError(
            f"building YAMNet's ONNX needs ai-edge-litert (pip install "
            f"'cribwatch[cry-pretrained]') ({exc})"
        ) from exc
    with _native_stderr_silenced():
        try:
            it = Interpreter(model_path=str(tflite))
            it.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise CribwatchError(f"{tflite}: not a readable TFLite model ({exc})") from exc
    td = _tflite_tensors(it)
    ops = [o for o in it._get_ops_details() if o["op_name"] != "DELEGATE"]
    names = [o["op_name"] for o in ops]
    want = ["QUANTIZE", "RESHAPE", "SPLIT"] + ["CONV_2D", "DEPTHWISE_CONV_2D"] * 13
    want += ["CONV_2D", "MEAN", "FULLY_CONNECTED", "LOGISTIC", "DEQUANTIZE"]
    if names != want:
        raise CribwatchError(f"{tflite}: not the MobileNet-v1 YAMNet graph (ops {names[:6]}...)")
    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def dequant(name: str, q: np.ndarray, scales: np.ndarray) -> str:
        const(name + "_q", q.astype(np.int8))
        const(name + "_s", scales.astype(np.float32))
        const(name + "_z", np.zeros(scales.size, np.int8))
        nodes.append(
            helper.make_node(
                "DequantizeLinear", [name + "_q", name + "_s", name + "_z"], [name], axis=0
            )
        )
        return name

    const("axis1", np.array([1], np.int64))
    const("relu6_lo", np.array(0.0, np.float32))
    const("relu6_hi", np.array(6.0, np.float32))
    nodes.append(helper.make_node("Unsqueeze", ["patches", "axis1"], ["x0"]))
    cur, size, k, macs, n_weights = "x0", (PATCH_FRAMES, N_MELS), 0, 0, 0
    for o in ops:
        if o["op_name"] not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        k += 1
        ii, wi, bi = (int(v) for v in o["inputs"][:3])
        oi = int(o["outputs"][0])
        w, ws = _weight(it, td, wi)
        depthwise = o["op_name"] == "DEPTHWISE_CONV_2D"
        # TFLite: conv OHWI, depthwise 1HWC -> ONNX OIHW (depthwise: C,1,H,W with group C)
        wq = w.transpose(3, 0, 1, 2) if depthwise else w.transpose(0, 3, 1, 2)
        group = int(w.shape[3]) if depthwise else 1
        out_hw = (int(td[oi]["shape"][1]), int(td[oi]["shape"][2]))
        stride = size[0] // out_hw[0]
        kh = int(wq.shape[2])
        if kh == 1:
            pads = [0, 0, 0, 0]
        elif stride == 1:
            pads = [1, 1, 1, 1]
        else:  # TF SAME with stride 2 on even sizes: one row/column of padding at the end
            pads = [0, 0, 1, 1]
        bias = np.asarray(it.get_tensor(bi), np.float64) * _activation_scale(td, ii) * ws
        wn = dequant(f"layer{k}_w", wq, ws)
        const(f"layer{k}_b", bias.astype(np.float32))
        nodes.append(
            helper.make_node(
                "Conv",
                [cur, wn, f"layer{k}_b"],
                [f"layer{k}_conv"],
                group=group,
                strides=[stride, stride],
                pads=pads,
                kernel_shape=[kh, kh],
            )
        )
        nodes.append(
            helper.make_node("Clip", [f"layer{k}_conv", "relu6_lo", "relu6_hi"], [f"layer{k}"])
        )
        macs += int(np.prod(out_hw)) * int(w.size)
        n_weights += int(w.size)
        cur, size = f"layer{k}", out_hw
    nodes.append(helper.make_node("ReduceMean", [cur], ["embedding"], axes=[2, 3], keepdims=0))
    fc = ops[names.index("FULLY_CONNECTED")]
    ii, wi, bi = (int(v) for v in fc["inputs"][:3])
    w, ws = _weight(it, td, wi)
    ws = np.broadcast_to(ws, (w.shape[0],)).copy()
    bias = np.asarray(it.get_tensor(bi), np.float64) * _activation_scale(td, ii) * ws
    dequant("fc_w", w, ws)
    const("fc_b", bias.astype(np.float32))
    nodes.append(helper.make_node("Gemm", ["embedding", "fc_w", "fc_b"], ["logits"], transB=1))
    nodes.append(helper.make_node("Sigmoid", ["logits"], ["scores"]))
    macs += int(w.size)
    n_weights += int(w.size)
    graph = helper.make_graph(
        nodes,
        "yamnet",
        [helper.make_tensor_value_info("patches", TensorProto.FLOAT, ["n", 96, 64])],
        [
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["n", N_CLASSES]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", EMBED_DIM]),
        ],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cribwatch"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, {"conv_layers": k, "macs": macs, "weights": n_weights}


def golden_patches(seed: int = 0) -> np.ndarray:
    """Patches the ONNX build is checked on (no data set needed): silence, a 440 Hz sine
    (YAMNet's own test signals), a 300-3000 Hz sweep, white noise at three levels and three
    synthesized cry bouts, 16 patches in all (96, 64) through :func:`log_mel`."""
    rng = np.random.default_rng(seed)
    t = np.arange(PATCH_SAMPLES) / SR
    sweep = np.sin(2 * np.pi * (300 * t + 0.5 * 2700 / t[-1] * t**2))
    clips = [np.zeros(PATCH_SAMPLES), 0.9 * np.sin(2 * np.pi * 440 * t), 0.5 * sweep]
    clips += [a * rng.standard_normal(PATCH_SAMPLES) for a in (0.3, 0.03, 0.003)]
    for _ in range(3):
        cry, _ = synth_cry(rng)
        n = max(0, cry.shape[0] - PATCH_SAMPLES)
        for start in (0, n // 3, 2 * n // 3):
            part = cry[start : start + PATCH_SAMPLES]
            clips.append(np.pad(part, (0, PATCH_SAMPLES - part.shape[0])))
    clips.append(0.2 * np.sign(np.sin(2 * np.pi * 3 * t)) * rng.standard_normal(PATCH_SAMPLES))
    return np.stack([log_mel(np.asarray(c, np.float64)) for c in clips]).astype(np.float32)


def parity(onnx_model: Path, tflite: Path, patches: np.ndarray) -> dict[str, float]:
    """The ONNX graph against the TFLite graph on ``patches``: the largest class-20 and
    any-class score difference, the embedding's correlation (all values pooled, and the
    lowest of any one patch), the largest embedding difference and the share of patches whose
    top class agrees."""
    a = Yamnet(onnx_model, embedding=True)
    b = Yamnet(tflite, embedding=True)
    sa, ea = a.embed(patches)
    sb, eb = b.embed(patches)
    fa, fb = a.dequantize(ea), b.dequantize(eb)
    rows = [
        float(np.corrcoef(u, v)[0, 1]) for u, v in zip(fa, fb, strict=True) if u.std() and v.std()
    ]
    return {
        "patches": int(len(patches)),
        "class20_max_abs_diff": float(np.abs(sa[:, BABY_CRY] - sb[:, BABY_CRY]).max()),
        "score_max_abs_diff": float(np.abs(sa - sb).max()),
        "embedding_correlation": float(np.corrcoef(fa.ravel(), fb.ravel())[0, 1]),
        "embedding_min_patch_correlation": min(rows) if rows else float("nan"),
        "embedding_max_abs_diff": float(np.abs(fa - fb).max()),
        "top_class_agreement": float(np.mean(sa.argmax(1) == sb.argmax(1))),
    }


NOTICE = (
    "YAMNet, Copyright Google LLC, Apache License 2.0 (tensorflow/models research/audioset/"
    "yamnet; the int8 file models/yamnet_spectra_in.tflite of google-coral/coralmicro). Modified "
    "by cribwatch: translated from TFLite to ONNX (the same int8 weights and scales, biases as "
    "float, float activations) with an added output, the pooled 1024-d embedding. Trained on "
    "AudioSet (Google, CC BY 4.0)."
)
"""The licence notice the ONNX file carries (metadata ``notice``) and its card repeats."""

PARITY_LIMITS = {"class20_max_abs_diff": 0.05, "embedding_correlation": 0.995}
"""What :func:`build_onnx` requires of the ONNX graph on :func:`golden_patches`."""


def build_onnx(out: Path, tflite: Path | None = None, force: bool = False) -> dict[str, Any]:
    """``cribwatch cry yamnet-onnx``: translate the int8 TFLite YAMNet (default
    :data:`WEIGHTS`) into ONNX (:func:`onnx_graph`), check parity with the TFLite graph on
    :func:`golden_patches` (:data:`PARITY_LIMITS`, else nothing is written) and write it
    atomically with metadata (source sha256, parity). Needs the ``train`` (onnx) and
    ``cry-pretrained`` (LiteRT) extras; the file it writes runs with ONNX Runtime alone."""
    import onnx  # extra: train

    src = Path(tflite) if tflite is not None else WEIGHTS
    out = Path(out)
    guard_output(out, option="--out", inputs={"--tflite": src}, force=force)
    if not src.is_file():
        raise CribwatchError(f"{src}: YAMNet TFLite model not found")
    model, info = onnx_graph(src)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    with atomic_path(out, suffix=".onnx") as tmp:
        onnx.save(model, str(tmp))
        check = parity(tmp, src, golden_patches())
    bad = [
        k for k, lim in PARITY_LIMITS.items() if (check[k] > lim if "diff" in k else check[k] < lim)
    ]
    if bad:
        out.unlink(missing_ok=True)
        raise CribwatchError(f"{out}: ONNX YAMNet fails parity with {src} ({check})")
    props = {
        "written_by": OUTPUT_MARK,
        "source": f"{src.name} sha256 {sha}",
        "command": "cribwatch cry yamnet-onnx --out FILE.onnx",
        "parity_limits": json.dumps(PARITY_LIMITS, sort_keys=True),
        "notice": NOTICE,
    }
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    with atomic_path(out, suffix=".onnx") as tmp:
        onnx.save(model, str(tmp))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    card = card_path(out)
    write_card(card, _onnx_card(out, src, sha, digest, info, check))
    return {
        "out": str(out),
        "card": str(card),
        "bytes": out.stat().st_size,
        "source": str(src),
        "source_sha256": sha,
        "sha256": digest,
        **info,
        "parity": check,
    }


def _onnx_card(
    out: Path, src: Path, src_sha: str, sha: str, info: dict[str, Any], check: dict[str, float]
) -> dict[str, Any]:
    """The card of a YAMNet ONNX file (beside it, same name with .json)."""
    return {
        "capability": "cry",
        "model": "YAMNet (Google) as ONNX, translated from the int8 TFLite graph: one log-mel "
        "patch [n, 96, 64] (0.96 s) -> 521 AudioSet class scores and the float 1024-d "
        "embedding; class 20 'Baby cry, infant cry'",
        "weights": out.name,
        "architecture": {
            "type": "yamnet-mobilenet-v1",
            "input": ["n", PATCH_FRAMES, N_MELS],
            "input_dtype": "float32 log-mel (cribwatch.cry.yamnet.log_mel)",
            "outputs": {"scores": ["n", N_CLASSES], "embedding": ["n", EMBED_DIM]},
            "weights_dtype": "int8, per-channel scales (DequantizeLinear), as in the TFLite graph",
            "activations": "float32 (the TFLite graph's int8 activation steps are not applied)",
            "macs": info["macs"],
            "weights_count": info["weights"],
            "layers": "27 conv / depthwise conv with ReLU6, mean over time and frequency, fully "
            "connected, sigmoid",
            "opset": 13,
            "runtime": "ONNX Runtime (a runtime dependency; no TensorFlow, no LiteRT)",
        },
        "training": {
            "by": "Google (not trained by cribwatch): the published YAMNet, int8 quantised by the "
            "Coral team; translated to ONNX by cribwatch",
            "data": "AudioSet (about 2 M 10 s YouTube clips, 521 classes)",
            "command": "cribwatch cry yamnet-onnx --out cribwatch/weights/cry_yamnet_emb.onnx",
            "source": f"{src.name} (sha256 {src_sha}; card cry_yamnet.json)",
            "parity_on_golden_patches": check,
            "parity_limits": PARITY_LIMITS,
        },
        "licences": {
            "model": "Apache-2.0 (YAMNet, tensorflow/models; the int8 file from "
            "google-coral/coralmicro, LICENSE: Apache License 2.0); modified: translated to ONNX",
            "AudioSet": "CC-BY-4.0 (Google; labels and ontology; the training data, not shipped)",
        },
        "notice": NOTICE,
        "sha256": {out.name: sha, src.name: src_sha},
        "size_bytes": out.stat().st_size,
    }


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

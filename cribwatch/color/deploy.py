"""The colour network on device: ONNX/TFLite export, 8-bit quantization, ONNX runtime pipeline.

The exported graph is the network alone (``night_l``, ``ref_lab``, ``smap`` in, ``ab`` and
``gate`` out, at model resolution); the SSIM map pipeline, resizing and Lab conversion stay
float pre-processing and the guided upsampling and Lab to RGB stay float post-processing, so
the quantized graph never mixes a [0, 1] map with Lab values. The settings the pre-processing
needs (network config, SSIM map config) travel inside the ONNX file as metadata
(``cribwatch`` key), so an exported file is enough to run the whole pipeline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from torch import Tensor

from cribwatch.color.api import default_onnx, read_night, read_reference
from cribwatch.color.lab import AB_SCALE, L_SCALE, np_to_t
from cribwatch.color.litert_net import LiteRTSession, bench_interleaved, litert_available, meta_json
from cribwatch.color.mask import SSIMMapConfig
from cribwatch.color.metrics import colorfulness, de00_map, psnr
from cribwatch.color.model import (
    ColorNet,
    ColorNetConfig,
    config_dict,
    config_from_dict,
    count_macs,
    count_params,
    make_inputs,
)
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.peers import PeerBenchConfig, bench_peers
from cribwatch.color.pipeline import Colorizer, LoadedNet, load_net
from cribwatch.color.tflite import Parts, export_tflite, run_in_venv, save_pair_inputs
from cribwatch.deploy.export import export_onnx
from cribwatch.deploy.golden import dump_golden
from cribwatch.deploy.ort_quant import RobustConfig, activation_errors, quantize_model
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path, guard_output, read_rgb
from cribwatch.progress import Progress

META_KEY = "cribwatch"
INT8_FILE = "color_ssim_guided_slim.int8.onnx"
"""The shipped robust INT8 ONNX file of the ssim-guided network (in ``cribwatch/weights/``)."""
TFLITE_INT8_FILE = "color_ssim_guided_slim.int8.tflite"
"""The shipped full-INT8 LiteRT file (XNNPACK QS8; ``python -m cribwatch.color.tflite``)."""
TFLITE_FP32_FILE = "color_ssim_guided_slim.fp32.tflite"
"""Its FP32 LiteRT twin (the same conversion without quantization)."""


def shipped_int8() -> Path | None:
    """Path of the shipped INT8 model, or None when the package carries none."""
    return shipped_file(INT8_FILE)


def shipped_file(name: str) -> Path | None:
    """A shipped colour file in ``cribwatch/weights/`` (``INT8_FILE``, ``TFLITE_INT8_FILE``
    or ``TFLITE_FP32_FILE``), or None when the package carries none."""
    p = Path(str(resources.files("cribwatch") / "weights" / name))
    return p if p.is_file() else None


def onnx_params(path: Path) -> int:
    """Number of weight values stored in an ONNX file (its initializers)."""
    m = onnx.load(str(path))
    return int(sum(int(np.prod(t.dims)) for t in m.graph.initializer if len(t.dims) > 0))


PACK_SCALE = (L_SCALE, L_SCALE, AB_SCALE, AB_SCALE, 1.0)
"""Natural units of the packed input's channels: night L, reference L, a, b (Lab) and the map."""


class Packed(torch.nn.Module):
    """What a first export attempt looks like: one input tensor ``x`` (1, 5, S, S) in natural
    units (night L and reference Lab in Lab units, the SSIM map in [0, 1]) and one output
    ``y`` (1, 3, S, S): ab in Lab units and the gate in [0, 1]. Quantized per tensor, the map
    shares a scale with Lab values (step ~0.9 for a [0, 1] signal) and the gate shares one with
    ab. Kept to show why naive quantization breaks (``export(..., io="packed")``); the shipped
    export uses :func:`io_names` (each input and output normalised and separate)."""

    def __init__(self, model: ColorNet) -> None:
        super().__init__()
        self.model = model
        self.scale: Tensor
        self.register_buffer("scale", torch.tensor(PACK_SCALE).view(1, 5, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        z = x / self.scale
        ab, gate = self.model.forward_parts(z[:, 0:1], z[:, 1:4], z[:, 4:5])
        assert gate is not None
        return torch.cat([ab * AB_SCALE, gate], dim=1)


def pack_feed(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Separate normalised feeds -> the packed input of a :class:`Packed` export."""
    x = np.concatenate([feed["night_l"], feed["ref_lab"], feed["smap"]], axis=1)
    return {"x": (x * np.array(PACK_SCALE, np.float32).reshape(1, 5, 1, 1)).astype(np.float32)}


def io_names(cfg: ColorNetConfig) -> tuple[list[str], list[str]]:
    """ONNX input and output names of a network configuration."""
    if not cfg.reference:
        return ["night_l"], ["ab"]
    return ["night_l", "ref_lab", "smap"], ["ab", "gate"]


TFLITE_PYTHON_ENV = "CRIBWATCH_TFLITE_PYTHON"
"""Environment variable naming the Python of the separate LiteRT environment (default
``.venv-tflite/bin/python`` in the current folder; ``make tflite-venv`` creates it)."""


def _export_tflite(weights: Path, out: Path, check_pairs: Path | None) -> dict[str, Any]:
    """TFLite export in this environment if litert-torch imports, else in the LiteRT venv."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = None
        if check_pairs is not None:
            inputs = save_pair_inputs(weights, check_pairs, Path(tmp) / "inputs.npz")
        try:
            import litert_torch  # type: ignore[import-not-found]  # noqa: F401  # extra: tflite
        except ImportError:
            python = Path(os.environ.get(TFLITE_PYTHON_ENV, ".venv-tflite/bin/python"))
            if not python.is_file():
                raise CribwatchError(
                    "TFLite export needs litert-torch, which conflicts with this environment's "
                    f"protobuf pin: run `make tflite-venv` (or set {TFLITE_PYTHON_ENV})"
                ) from None
            return run_in_venv(python, weights, out, inputs)
        return export_tflite(weights, out, inputs=inputs)


def export(
    weights: Path,
    fmt: str,
    out: Path,
    opset: int = 17,
    check_pairs: Path | None = None,
    io: str = "split",
) -> dict[str, Any]:
    """Export shipped or trained weights to ONNX (``fmt='onnx'``) or TFLite (``'tflite'``;
    checked against PyTorch on ``check_pairs`` when given, else on random inputs)."""
    net = load_net(weights)
    cfg = net.model.cfg
    s = cfg.size
    example: list[Tensor] = [torch.rand(1, 1, s, s)]
    if cfg.reference:
        example += [torch.rand(1, 3, s, s) * 0.6, torch.rand(1, 1, s, s)]
    names_in, names_out = io_names(cfg)
    wrapper: torch.nn.Module = Parts(net.model).eval()
    if io == "packed":
        if not (cfg.reference and cfg.attention):
            raise CribwatchError("the packed export needs a network with reference and map")
        wrapper = Packed(net.model).eval()
        packed = pack_feed({k: e.numpy() for k, e in zip(names_in, example, strict=True)})
        example = [torch.from_numpy(packed["x"])]
        names_in, names_out = ["x"], ["y"]
    elif io != "split":
        raise CribwatchError(f"unknown export io {io!r} (split or packed)")
    meta = {
        "io": io,
        "network": config_dict(cfg),
        "ssim_config": asdict(net.ssim_cfg),
        "weights": weights.name,
    }
    if net.meta.get("evidence"):  # the runtime fuses the map with it (model.evidence_inputs)
        meta["evidence"] = net.meta["evidence"]
    if fmt == "onnx":
        export_onnx(
            wrapper,
            tuple(example),
            out,
            input_names=names_in,
            output_names=names_out,
            opset=opset,
            dynamic_batch=False,
        )
        m = onnx.load(str(out))
        onnx.helper.set_model_props(m, {META_KEY: json.dumps(meta), "written_by": OUTPUT_MARK})
        with atomic_path(out) as tmp:
            onnx.save(m, str(tmp))
        onnx.checker.check_model(str(out))
    elif fmt == "tflite":
        return _export_tflite(weights, out, check_pairs)
    else:
        raise CribwatchError(f"unknown export format {fmt!r} (onnx or tflite)")
    return {
        "out": str(out),
        "format": fmt,
        "bytes": out.stat().st_size,
        "inputs": names_in,
        "outputs": names_out,
    }


class OnnxNet:
    """An exported network run by ONNX Runtime, with the interface the pipeline uses."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        if not path.is_file():
            raise CribwatchError(f"{path}: model file not found")
        if path.suffix == ".tflite":  # the same interface over LiteRT (cribwatch.color.litert_net)
            lite = LiteRTSession(path, threads)
            meta = meta_json(lite.meta, path)
            self.cfg = config_from_dict(meta["network"])
            self.ssim_cfg = SSIMMapConfig(**meta["ssim_config"])
            self.session = lite  # type: ignore[assignment]
            self.inputs, self.outputs = io_names(self.cfg)
            self.graph_inputs = {i.name for i in lite.get_inputs()}
            self.packed = False
            return
        try:
            m = onnx.load(str(path))
        except Exception as exc:
            raise CribwatchError(f"{path}: not an ONNX model ({exc})") from exc
        props = {p.key: p.value for p in m.metadata_props}
        if META_KEY not in props:
            raise CribwatchError(f"{path}: not a cribwatch colour model (no '{META_KEY}' metadata)")
        meta = json.loads(props[META_KEY])
        self.cfg = config_from_dict(meta["network"])
        self.ssim_cfg = SSIMMapConfig(**meta["ssim_config"])
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.inputs, self.outputs = io_names(self.cfg)
        self.graph_inputs = {i.name for i in self.session.get_inputs()}
        self.packed = meta.get("io") == "packed"

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """ONNX Runtime call with the separate normalised feeds -> ``[ab, gate]`` (inputs
        the exported graph dropped, such as the map of a network without attention, are
        ignored; a packed export is packed and unpacked here)."""
        if self.packed:
            if "x" not in feeds:
                feeds = pack_feed(feeds)
            y = np.asarray(self.session.run(["y"], {"x": feeds["x"]})[0])
            return [y[:, :2] / AB_SCALE, y[:, 2:3]]
        feeds = {k: v for k, v in feeds.items() if k in self.graph_inputs}
        return [np.asarray(o) for o in self.session.run(self.outputs, feeds)]

    def forward_parts(
        self, night_l: Tensor, ref_lab: Tensor | None = None, smap: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        feeds = {"night_l": night_l.numpy()}
        if self.cfg.reference:
            if ref_lab is None:
                raise CribwatchError("this model needs a reference")
            feeds["ref_lab"] = ref_lab.numpy()
            feeds["smap"] = (smap if smap is not None else torch.ones_like(night_l)).numpy()
        outs = self.run(feeds)
        return torch.from_numpy(outs[0]), torch.from_numpy(outs[1]) if len(outs) > 1 else None


def onnx_colorizer(path: Path, threads: int = 1) -> Colorizer:
    """The full-resolution pipeline (pre, model, guided upsampling) over an ONNX file."""
    net = OnnxNet(path, threads)
    return Colorizer(LoadedNet(cast(ColorNet, net), net.ssim_cfg, {}))


def pair_feeds(pairs: Path, model: Path, limit: int | None = None) -> list[dict[str, np.ndarray]]:
    """Network inputs (feed dicts) of the pairs of a set, for calibration and golden dumps."""
    net = OnnxNet(model)
    feeds = []
    for p in load_pair_set(pairs)[:limit]:
        n = np_to_t(read_night(p.night))
        r = np_to_t(read_reference(p.reference)) if net.cfg.reference else None
        with torch.no_grad():
            night_l, ref_lab, smap = make_inputs(n, r, net.cfg.size, net.ssim_cfg)
        feed = {"night_l": night_l.numpy()}
        if ref_lab is not None and smap is not None:
            feed["ref_lab"] = ref_lab.numpy()
            feed["smap"] = smap.numpy()
        if net.packed:
            feeds.append(pack_feed(feed))
        else:
            feeds.append({k: v for k, v in feed.items() if k in net.graph_inputs})
    return feeds


def sensitive_nodes(model: Path, first_layers: bool = False) -> list[str]:
    """Nodes kept in float by the robust scheme: the last convolution before each output (the
    ab head, whose useful range is a small part of its float range, and the gate head), and
    with ``first_layers`` also the convolutions that read a graph input. Measured on the
    shipped network (docs/QUANTIZATION.md): with normalised, separate inputs the first layers
    quantize as well as the rest, and keeping them in float costs file size (the INT8 file
    must stay under a third of the FP32 one), so they are quantized by default."""
    m = onnx.load(str(model))
    graph_inputs = {i.name for i in m.graph.input}
    producers = {o: n for n in m.graph.node for o in n.output}
    keep: list[str] = []

    def first_convs(names: set[str]) -> None:
        frontier = set(names)
        for _ in range(4):  # through Concat/Mul/Sub of the input normalisation
            nxt = set()
            for n in m.graph.node:
                if frontier & set(n.input):
                    if n.op_type == "Conv":
                        keep.append(n.name)
                    else:
                        nxt |= set(n.output)
            frontier = nxt

    if first_layers:
        # The map only scales features (Mul): the products are ordinary activations, so start
        # from the image inputs alone.
        first_convs(graph_inputs - {"smap"})
    for out in m.graph.output:
        node = producers.get(out.name)
        seen = 0
        while node is not None and seen < 12:
            if node.op_type == "Conv":
                keep.append(node.name)
                break
            node = next((producers[i] for i in node.input if i in producers), None)
            seen += 1
    return sorted(set(keep))


def io_scales(model: Path) -> dict[str, float]:
    """Quantization step of each graph input and output that is quantized (Q/DQ form):
    the scale of the QuantizeLinear reading an input or of the DequantizeLinear (or quantized
    operator) producing an output. A step that is large against a tensor's useful range (the
    [0, 1] map sharing one with Lab values) is what breaks naive quantization."""
    m = onnx.load(str(model))
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    ins = {i.name for i in m.graph.input}
    outs = {o.name for o in m.graph.output}
    steps: dict[str, float] = {}
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[0] in ins and n.input[1] in inits:
            steps[n.input[0]] = float(np.max(inits[n.input[1]]))
        if n.op_type == "DequantizeLinear" and n.output[0] in outs and n.input[1] in inits:
            steps[n.output[0]] = float(np.max(inits[n.input[1]]))
    return steps


def quantize(model: Path, calib: Path, out: Path, scheme: str, n_calib: int = 64) -> dict[str, Any]:
    """Quantize an exported colour model with calibration pairs from ``calib``."""
    feeds = pair_feeds(calib, model, n_calib)
    keep = sensitive_nodes(model) if scheme == "robust" else []
    quantize_model(model, out, feeds, scheme, RobustConfig(keep_float=tuple(keep)))  # type: ignore[arg-type]
    m = onnx.load(str(out))
    src = onnx.load(str(model))
    props = {p.key: p.value for p in src.metadata_props}
    onnx.helper.set_model_props(m, {**props, "quantization": scheme, "written_by": OUTPUT_MARK})
    with atomic_path(out) as tmp:
        onnx.save(m, str(tmp))
    return {
        "io_scales": io_scales(out),
        "out": str(out),
        "scheme": scheme,
        "bytes": out.stat().st_size,
        "fp32_bytes": model.stat().st_size,
        "kept_float": keep,
        "calibration_pairs": len(feeds),
    }


def diagnose(
    model: Path, calib: Path, pairs: Path, scheme: str, n_calib: int = 64, n_eval: int = 4
) -> list[dict[str, Any]]:
    """Per-tensor SQNR (dB, graph order) of ``scheme`` against FP32 on ``n_eval`` pairs of
    ``pairs``: the scheme is re-run in Q/DQ form with the original tensor names, which ONNX
    Runtime's ``qdq_loss_debug`` needs to match activations."""
    feeds = pair_feeds(calib, model, n_calib)
    keep = sensitive_nodes(model) if scheme == "robust" else []
    cfg = RobustConfig(keep_float=tuple(keep), operator_format=False, compact=False)
    with tempfile.TemporaryDirectory() as tmp:
        q = Path(tmp) / "qdq.onnx"
        quantize_model(model, q, feeds, scheme, cfg)  # type: ignore[arg-type]
        return activation_errors(model, q, pair_feeds(pairs, model, n_eval))


@dataclass
class PrecisionComparison:
    """INT8 against FP32 on a pair set (outputs compared to each other and to ground truth)."""

    n: int
    psnr_vs_fp32: float
    dcf_fp32: float
    dcf_int8: float
    de00_fp32: float
    de00_int8: float
    ms_fp32: float
    ms_int8: float


def compare_precisions(
    fp32: Path, int8: Path, pairs: Path, limit: int | None = None
) -> PrecisionComparison:
    """Mean PSNR of INT8 RGB output against FP32's, and each one's dCF and de00 against truth."""
    torch.set_num_threads(1)
    a, b = onnx_colorizer(fp32), onnx_colorizer(int8)
    ps, dfa, dfb, dea, deb, ta, tb = [], [], [], [], [], [], []
    for p in [q for q in load_pair_set(pairs) if q.target is not None][:limit]:
        night, ref = read_night(p.night), read_reference(p.reference)
        assert p.target is not None
        gt = read_rgb(p.target)
        t0 = time.perf_counter()
        ya = a(night, ref)
        t1 = time.perf_counter()
        yb = b(night, ref)
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
        ps.append(min(psnr(yb, ya), 100.0))
        cf = colorfulness(gt)
        dfa.append(abs(colorfulness(ya) - cf))
        dfb.append(abs(colorfulness(yb) - cf))
        dea.append(float(de00_map(ya, gt).mean()))
        deb.append(float(de00_map(yb, gt).mean()))
    if not ps:
        raise CribwatchError(f"{pairs}: no pairs with ground truth")
    return PrecisionComparison(
        n=len(ps),
        psnr_vs_fp32=float(np.mean(ps)),
        dcf_fp32=float(np.mean(dfa)),
        dcf_int8=float(np.mean(dfb)),
        de00_fp32=float(np.mean(dea)),
        de00_int8=float(np.mean(deb)),
        ms_fp32=1000 * float(np.median(ta)),
        ms_int8=1000 * float(np.median(tb)),
    )


def parity(weights: Path, model: Path, pairs: Path, limit: int = 8) -> float:
    """Largest absolute difference of the ONNX outputs against PyTorch on the pairs' inputs."""
    net = load_net(weights)
    wrapper = Parts(net.model).eval()
    worst = 0.0
    onx = OnnxNet(model)
    for feed in pair_feeds(pairs, model, limit):
        with torch.no_grad():
            ref = wrapper(*[torch.from_numpy(feed[k]) for k in onx.inputs])
        got = onx.run(feed)
        for r, g in zip(ref, got, strict=True):
            worst = max(worst, float(np.abs(r.numpy() - g).max()))
    return worst


def export_checked(
    weights: Path,
    fmt: str,
    out: Path,
    *,
    check_pairs: Path | None = None,
    io: str = "split",
    force: bool = False,
) -> dict[str, Any]:
    """``cribwatch color export``: :func:`export` with every check before anything is kept.

    ``out`` is checked first (never ``weights`` or the check set, never over a file cribwatch
    did not write unless ``force``), then the weights and the ``check_pairs`` set are read; the
    model is written beside ``out`` and moved into place only once the FP32 parity check on
    ``check_pairs`` has run, so a failing check leaves nothing at ``out``."""
    if fmt not in ("onnx", "tflite"):
        raise CribwatchError(f"unknown export format {fmt!r} (onnx or tflite)")
    if io not in ("split", "packed"):
        raise CribwatchError(f"unknown export io {io!r} (split or packed)")
    guard_output(out, inputs={"--weights": weights, "--check-pairs": check_pairs}, force=force)
    load_net(weights)
    if check_pairs is not None:
        load_pair_set(check_pairs)
    with atomic_path(out) as tmp:
        info = export(weights, fmt, tmp, check_pairs=check_pairs, io=io)
        if check_pairs is not None and fmt == "onnx":
            info["parity_max_abs"] = parity(weights, tmp, check_pairs)
    info["out"] = str(out)
    info["bytes"] = out.stat().st_size
    return info


def golden(
    model: Path,
    pairs: Path,
    out: Path,
    *,
    limit: int = 4,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """``cribwatch color golden``: golden vectors of an exported colour model on the network
    inputs of the first ``limit`` pairs of ``pairs`` (the colour pre-processing builds them;
    :func:`cribwatch.deploy.golden.dump_golden` runs the model and writes the dump)."""
    if limit < 1:
        raise CribwatchError(f"limit must be at least 1, not {limit}")
    guard_output(out, inputs={"--model": model, "--pairs": pairs}, force=force)
    feeds = pair_feeds(pairs, model, limit)
    return dump_golden(model, feeds, out, force=force, progress=progress)


def quantize_checked(
    model: Path,
    calib: Path,
    out: Path,
    scheme: str,
    n_calib: int = 64,
    eval_pairs: Path | None = None,
    debug: bool = False,
) -> dict[str, Any]:
    """``cribwatch color quantize``: :func:`quantize`, then (``eval_pairs``) INT8 against
    FP32 on a held-out set and (``debug``) the per-tensor SQNR of the worst tensors."""
    if scheme not in ("naive", "robust"):
        raise CribwatchError(f"unknown quantization scheme {scheme!r} (naive or robust)")
    if n_calib < 1:
        raise CribwatchError(f"n_calib must be at least 1, not {n_calib}")
    OnnxNet(model)
    load_pair_set(calib)
    if eval_pairs is not None:
        load_pair_set(eval_pairs)
    info = quantize(model, calib, out, scheme, n_calib)
    if eval_pairs is not None:
        info["vs_fp32"] = asdict(compare_precisions(model, out, eval_pairs))
    if debug:
        rows = diagnose(model, calib, eval_pairs or calib, scheme, n_calib)
        info["worst_tensors"] = sorted(rows, key=lambda r: r["sqnr_db"])[:8]
        info["output_tensors"] = [r for r in rows if r["tensor"] in ("ab", "gate")]
    return info


@dataclass(frozen=True)
class BenchConfig:
    """What ``cribwatch color bench`` measures."""

    frames: int = 200
    """Timed frames per configuration (after warm-up)."""
    warmup: int = 20
    """Untimed frames first."""
    resolutions: tuple[tuple[int, int], ...] = ((128, 128), (480, 640))
    """(height, width) of the night frames."""
    threads: tuple[int, ...] = (1, 2)
    """Thread counts (torch pre/post and ONNX Runtime intra-op)."""


def bench(models: dict[str, Path], cfg: BenchConfig | None = None) -> list[dict[str, Any]]:
    """Per-stage p50/p90 (ms) for every resolution, precision and thread count.

    Each configuration runs the deployable pipeline (:mod:`cribwatch.color.runtime`: NumPy,
    OpenCV and ONNX Runtime, no torch) in its own process, so ``peak_rss_mb`` is that of a
    process that colours frames and nothing else."""
    cfg = cfg or BenchConfig()
    rows = []
    for precision, path in models.items():
        net = ColorNet(OnnxNet(path).cfg).eval()
        info = {
            "params": count_params(net),
            "macs": count_macs(net),
            "initializer_values": onnx_params(path),
            "file_bytes": path.stat().st_size,
        }
        for h, w in cfg.resolutions:
            for threads in cfg.threads:
                cmd = [
                    sys.executable,
                    "-m",
                    "cribwatch.color.runtime",
                    str(path),
                    f"--height={h}",
                    f"--width={w}",
                    f"--threads={threads}",
                    f"--frames={cfg.frames}",
                    f"--warmup={cfg.warmup}",
                ]
                res = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if res.returncode != 0:
                    last = (res.stderr.strip().splitlines() or ["no output"])[-1]
                    raise CribwatchError(f"{path}: benchmark run failed ({last})")
                row = json.loads(res.stdout.strip().splitlines()[-1])
                rows.append({"precision": precision, **row, **info})
    return rows


def bench_models(
    fp32: Path | None = None,
    int8: Path | None = None,
    cfg: BenchConfig | None = None,
    tflite_fp32: Path | None = None,
    tflite_int8: Path | None = None,
    litert: bool = True,
) -> list[dict[str, Any]]:
    """``cribwatch color bench``: :func:`bench` of ``fp32`` (default: the shipped FP32 ONNX
    twin) and ``int8`` (default: the shipped INT8 file, where the package carries one), each
    configuration in its own process; then, where LiteRT imports and ``litert`` is true, all
    four networks (ONNX Runtime FP32 and INT8, LiteRT ``tflite_fp32`` and ``tflite_int8``,
    default the shipped ``.tflite`` files) interleaved frame by frame in one process
    (:func:`cribwatch.color.litert_net.bench_interleaved`, rows with ``mode: interleaved``)
    and a ``speedup`` row per resolution and thread count: INT8 LiteRT's network p50 against
    each FP32 one of the same run. Without LiteRT one row says it was skipped."""
    cfg = cfg or BenchConfig()
    fp32 = fp32 if fp32 is not None else default_onnx()
    int8 = int8 if int8 is not None else shipped_int8()
    models = {"fp32": fp32, **({"int8": int8} if int8 is not None else {})}
    rows = bench(models, cfg)
    if not litert:
        return rows
    if not litert_available():
        rows.append(
            {
                "skipped": "skipped LiteRT: ai-edge-litert is not installed (pip install "
                "'cribwatch[tflite]'); ONNX Runtime rows only"
            }
        )
        return rows
    lite = {
        "litert-fp32": tflite_fp32 or shipped_file(TFLITE_FP32_FILE),
        "litert-int8": tflite_int8 or shipped_file(TFLITE_INT8_FILE),
    }
    inter = {"ort-" + k: v for k, v in models.items()}
    inter.update({k: v for k, v in lite.items() if v is not None})
    if len(inter) == len(models):
        rows.append({"skipped": "skipped LiteRT: no .tflite colour file given or shipped"})
        return rows
    inter_rows = bench_interleaved(inter, cfg.resolutions, cfg.threads, cfg.frames, cfg.warmup)
    rows += inter_rows
    for res in dict.fromkeys(r["resolution"] for r in inter_rows):
        for t in cfg.threads:
            net = {
                r["name"]: r["model_ms_p50"]
                for r in inter_rows
                if r["resolution"] == res and r["threads"] == t
            }
            if "litert-int8" not in net:
                continue
            rows.append(
                {
                    "mode": "speedup",
                    "resolution": res,
                    "threads": t,
                    **{
                        f"int8_litert_vs_{k.replace('-', '_')}": round(v / net["litert-int8"], 3)
                        for k, v in net.items()
                        if k != "litert-int8" and net["litert-int8"] > 0
                    },
                }
            )
    return rows


def bench_with_peers(
    peers: Path, fp32: Path | None = None, cfg: PeerBenchConfig | None = None
) -> list[dict[str, Any]]:
    """``cribwatch color bench --peers DIR``: :func:`cribwatch.color.peers.bench_peers` with
    ``fp32`` (default: the shipped FP32 ONNX twin) as our network."""
    return bench_peers(peers, fp32 if fp32 is not None else default_onnx(), cfg)

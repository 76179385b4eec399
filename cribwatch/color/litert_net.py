"""The colour network through LiteRT (TFLite) with XNNPACK, for the deployable pipeline.

A ``.tflite`` colour network (``python -m cribwatch.color.tflite``, FP32 or full INT8) behind the
small part of ONNX Runtime's session interface that :class:`cribwatch.color.runtime.ColorRuntime`
uses (``get_inputs``, ``get_outputs``, ``get_modelmeta``, ``run``), so the runtime's pre- and
post-processing stay as they are:

- feeds and results keep the ONNX layout (``(1, C, H, W)`` float32); a file with channel-last
  inputs or outputs (the shipped ones, which need no transposes inside) is fed and read through
  a transposed view;
- an INT8 input is quantized here with the file's scale and zero point, and an INT8 output
  dequantized (the shipped INT8 file takes and gives float32 itself: its QUANTIZE and DEQUANTIZE
  nodes run in XNNPACK, cheaper than NumPy's rounding here); a constant feed (the reference,
  prepared once per reference) is converted once and reused while the same array is fed;
- the cribwatch metadata (network and SSIM settings) is the JSON the ONNX files carry, stored in
  a TFLite metadata entry ``cribwatch``.

LiteRT is an optional extra (``ai-edge-litert``, in the ``rollover``, ``cry-pretrained`` and
``tflite`` extras): :func:`litert_available` says whether it imports. No torch here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cribwatch.color.runtime import ColorRuntime, RuntimeConfig, bench_one, stage_marks
from cribwatch.errors import CribwatchError

META_NAME = "cribwatch"
"""Name of the TFLite metadata entry holding the cribwatch JSON (as the ONNX ``metadata_props``)."""

INPUT_ORDER = ("night_l", "ref_lab", "smap")
"""The network's inputs in signature order (``args_0``, ``args_1``, ``args_2``)."""
OUTPUT_ORDER = ("ab", "gate")
"""The network's outputs in signature order (``output_0``, ``output_1``)."""


def litert_available() -> bool:
    """Whether the LiteRT interpreter (``ai-edge-litert``) imports here."""
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: F401  # extra: tflite
    except ImportError:
        return False
    return True


def read_tflite_metadata(path: Path) -> dict[str, str]:
    """The metadata entries of a ``.tflite`` file as text (name -> value)."""
    from ai_edge_litert import schema_py_generated as schema  # extra: tflite

    try:
        buf = Path(path).read_bytes()
        model = schema.Model.GetRootAsModel(buf, 0)
        out: dict[str, str] = {}
        for i in range(model.MetadataLength()):
            md = model.Metadata(i)
            name = (md.Name() or b"").decode("utf-8", "replace")
            data = model.Buffers(md.Buffer()).DataAsNumpy()
            if isinstance(data, np.ndarray):
                out[name] = data.tobytes().decode("utf-8", "replace")
    except OSError as exc:
        raise CribwatchError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged flatbuffer raises anything
        raise CribwatchError(f"{path}: not a TFLite model ({type(exc).__name__})") from exc
    return out


@dataclass(frozen=True)
class _Arg:
    """One ONNX-style input or output name (what ``session.get_inputs()`` yields)."""

    name: str


@dataclass(frozen=True)
class _Meta:
    custom_metadata_map: dict[str, str]


class LiteRTSession:
    """A ``.tflite`` colour network with the session interface :class:`ColorRuntime` uses.

    ``threads`` is the interpreter's (and XNNPACK's) thread count. The XNNPACK delegate is the
    interpreter's default one (FP32 and QS8 kernels)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        path = Path(path)
        if not path.is_file():
            raise CribwatchError(f"{path}: model file not found")
        try:
            from ai_edge_litert.interpreter import Interpreter  # extra: tflite
        except ImportError as exc:
            raise CribwatchError(
                f"{path}: a .tflite colour network needs LiteRT (pip install ai-edge-litert)"
            ) from exc
        self.meta = read_tflite_metadata(path)
        try:
            self.it = Interpreter(model_path=str(path), num_threads=threads)
            self.it.allocate_tensors()
        except Exception as exc:  # noqa: BLE001 - any failure to load is a bad model file
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise CribwatchError(f"{path}: not a LiteRT model ({reason})") from exc
        ins = sorted(self.it.get_input_details(), key=lambda d: str(d["name"]))
        outs = sorted(self.it.get_output_details(), key=lambda d: str(d["name"]))
        if len(ins) > len(INPUT_ORDER) or len(outs) > len(OUTPUT_ORDER) or not ins or not outs:
            raise CribwatchError(
                f"{path}: {len(ins)} inputs and {len(outs)} outputs, not a colour network"
            )
        self._ins = list(zip(INPUT_ORDER, ins, strict=False))
        self._outs = list(zip(OUTPUT_ORDER, outs, strict=False))
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.int8 = any(t["dtype"] == np.int8 for t in self.it.get_tensor_details())
        """Whether the file computes in 8 bits (it has int8 tensors)."""

    def get_inputs(self) -> list[_Arg]:
        return [_Arg(n) for n, _ in self._ins]

    def get_outputs(self) -> list[_Arg]:
        return [_Arg(n) for n, _ in self._outs]

    def get_modelmeta(self) -> _Meta:
        return _Meta(dict(self.meta))

    def _convert_in(self, x: np.ndarray, d: dict[str, Any]) -> np.ndarray:
        shape = tuple(int(v) for v in d["shape"])
        if x.shape != shape:
            if x.ndim == 4 and (x.shape[0], *x.shape[2:], x.shape[1]) == shape:
                x = x.transpose(0, 2, 3, 1)
            else:
                raise CribwatchError(f"feed of shape {x.shape} for an input of shape {shape}")
        if d["dtype"] == np.int8:
            scale, zero = d["quantization"]
            q = np.rint(x * np.float32(1.0 / scale))
            q += np.float32(zero)
            np.clip(q, -128, 127, out=q)
            return np.ascontiguousarray(q, dtype=np.int8)
        return np.ascontiguousarray(x, dtype=np.float32)

    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Outputs (float32, ONNX layout) for ``feeds`` (name -> ``(1, C, H, W)`` float32)."""
        for name, d in self._ins:
            x = feeds[name]
            cached = self._cache.get(name)
            if cached is not None and cached[0] is x:  # the same reference array as before
                arr = cached[1]
            else:
                arr = self._convert_in(np.asarray(x, dtype=np.float32), d)
                if name == "ref_lab":
                    self._cache[name] = (x, arr)
            self.it.set_tensor(d["index"], arr)
        self.it.invoke()
        res = {}
        for name, d in self._outs:
            y = self.it.get_tensor(d["index"])
            if d["dtype"] == np.int8:
                scale, zero = d["quantization"]
                y = (y.astype(np.float32) - np.float32(zero)) * np.float32(scale)
            if y.ndim == 4 and y.shape[-1] <= 3 and y.shape[1] > 3:  # channel-last -> (1, C, H, W)
                y = y.transpose(0, 3, 1, 2)
            res[name] = y
        names = output_names or [n for n, _ in self._outs]
        return [res[n] for n in names]


def meta_json(meta: dict[str, str], path: Path) -> dict[str, Any]:
    """The cribwatch JSON of a colour ``.tflite`` file (its ``cribwatch`` metadata entry)."""
    if META_NAME not in meta:
        raise CribwatchError(f"{path}: not a cribwatch colour model (no 'cribwatch' metadata)")
    try:
        return dict(json.loads(meta[META_NAME]))
    except (ValueError, TypeError) as exc:
        raise CribwatchError(f"{path}: unreadable cribwatch colour metadata ({exc})") from exc


class LiteRTRuntime(ColorRuntime):
    """:class:`ColorRuntime` with the network run by LiteRT (a ``.tflite`` file) instead of
    ONNX Runtime; pre- and post-processing are the runtime's own."""

    def __init__(self, model: Path, threads: int = 1, cfg: RuntimeConfig | None = None) -> None:
        model = Path(model)
        self.session = LiteRTSession(model, threads)  # type: ignore[assignment]
        self._setup(model, meta_json(self.session.meta, model), cfg)


def open_runtime(model: Path, threads: int = 1) -> ColorRuntime:
    """The deployable pipeline for an ``.onnx`` (ONNX Runtime) or ``.tflite`` (LiteRT) network."""
    if Path(model).suffix == ".tflite":
        return LiteRTRuntime(model, threads)
    return ColorRuntime(model, threads)


def bench_runtime(
    model: Path, height: int, width: int, threads: int, frames: int = 200, warmup: int = 20
) -> dict[str, Any]:
    """Per-stage p50/p90 (ms) of the pipeline with ``model`` (ONNX or TFLite) on one
    configuration, in this process: :func:`cribwatch.color.runtime.bench_one` (the first
    bundled demo pair resized, the same stages and keys) through :func:`open_runtime`, plus
    ``runtime``."""
    row = bench_one(model, height, width, threads, frames, warmup, open_rt=open_runtime)
    name = "litert" if Path(model).suffix == ".tflite" else "onnxruntime"
    out: dict[str, Any] = {}
    for k, v in row.items():
        out[k] = v
        if k == "frames":
            out["runtime"] = name
    return out


def _pcts(vals: list[float]) -> tuple[float, float]:
    return round(float(np.percentile(vals, 50)), 3), round(float(np.percentile(vals, 90)), 3)


def bench_interleaved(
    models: dict[str, Path],
    resolutions: tuple[tuple[int, int], ...] = ((128, 128), (480, 640)),
    threads: tuple[int, ...] = (2,),
    frames: int = 200,
    warmup: int = 20,
) -> list[dict[str, Any]]:
    """Every model's pipeline in one process, frame by frame in turn (model A, B, C, D, A, ...),
    so that all of them see the same load: per-stage p50/p90 (ms) per model, resolution and
    thread count, and the 1-minute load average before and after. ``models``: name -> ``.onnx``
    (ONNX Runtime) or ``.tflite`` (LiteRT). The frames are :func:`bench_runtime`'s."""
    sample = Path(str(resources.files("cribwatch.demo") / "samples" / "color" / "00000"))
    night0 = cv2.imread(str(sample / "night.png"), cv2.IMREAD_GRAYSCALE)
    ref0 = cv2.imread(str(sample / "reference.png"))
    if night0 is None or ref0 is None:
        raise CribwatchError(f"{sample}: bundled sample pair missing")
    rows: list[dict[str, Any]] = []
    stages = ("pre", "model", "post")
    for h, w in resolutions:
        night = cv2.resize(night0, (w, h), interpolation=cv2.INTER_LINEAR)
        ref = cv2.resize(cv2.cvtColor(ref0, cv2.COLOR_BGR2RGB), (w, h))
        for t in threads:
            cv2.setNumThreads(t)
            rts = {k: open_runtime(p, t) for k, p in models.items()}
            for rt in rts.values():
                rt.set_reference(ref)
            wall: dict[str, dict[str, list[float]]] = {
                k: {s: [] for s in (*stages, "total")} for k in rts
            }
            cpu: dict[str, dict[str, list[float]]] = {
                k: {s: [] for s in (*stages, "total")} for k in rts
            }
            load0 = os.getloadavg()[0]
            for i in range(warmup + frames):
                for k, rt in rts.items():
                    marks = stage_marks(rt, night)
                    if i < warmup:
                        continue
                    spans = [(s, marks[j], marks[j + 1]) for j, s in enumerate(stages)]
                    for s, a, b in [*spans, ("total", marks[0], marks[-1])]:
                        wall[k][s].append(1000 * (b[0] - a[0]))
                        cpu[k][s].append(1000 * (b[1] - a[1]))
            load1 = os.getloadavg()[0]
            for k, rt in rts.items():
                row: dict[str, Any] = {
                    "mode": "interleaved",
                    "name": k,
                    "runtime": "litert" if isinstance(rt, LiteRTRuntime) else "onnxruntime",
                    "model": str(models[k]),
                    "file_bytes": Path(models[k]).stat().st_size,
                    "resolution": f"{w}x{h}",
                    "threads": t,
                    "frames": frames,
                }
                for s in (*stages, "total"):
                    row[f"{s}_ms_p50"], row[f"{s}_ms_p90"] = _pcts(wall[k][s])
                    row[f"{s}_cpu_ms_p50"] = _pcts(cpu[k][s])[0]
                row["load_avg_1min"] = [round(load0, 2), round(load1, 2)]
                rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m cribwatch.color.litert_net MODEL --height H --width W --threads T``: one
    benchmark configuration of an ONNX or TFLite colour network as a JSON line."""
    from cribwatch import clikit  # python -m entry point: the CLI layer

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("model", type=Path)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    a = ap.parse_args(argv)

    def checked() -> dict[str, Any]:
        clikit.check_number("--height", a.height, low=1, high=8192, integer=True)
        clikit.check_number("--width", a.width, low=1, high=8192, integer=True)
        clikit.check_number("--threads", a.threads, low=1, high=256, integer=True)
        clikit.check_number("--frames", a.frames, low=1, high=1_000_000, integer=True)
        clikit.check_number("--warmup", a.warmup, low=0, high=1_000_000, integer=True)
        return bench_runtime(a.model, a.height, a.width, a.threads, a.frames, a.warmup)

    sys.stdout.write(json.dumps(clikit.run(checked)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Golden vectors: does the device compute what Python computes?

:func:`dump_golden` (an ONNX model and a list of input dicts) and :func:`write_golden` (tensors
a capability computed itself) write, for a few inputs, every input, intermediate and output
tensor of a model, in graph order, as ``<sample>/<tensor>.npy`` and ``<sample>/<tensor>.bin``
(raw little-endian, C order), plus ``manifest.json``, the folder whole through
:func:`cribwatch.io.atomic_dir` (a kill leaves no partial dump)::

    {"format": "cribwatch-golden", "version": 1, "written_by": "written by cribwatch",
     "model": "<file name>", "model_sha256": "...", "samples": ["s000", ...],
     "tensors": [{"name", "file", "shape", "dtype", "scale", "zero_point",
                  "sha256": {"s000": "<sha of the .bin>", ...}}, ...]}

``scale``/``zero_point`` are set for quantized tensors (ONNX: outputs of QuantizeLinear),
null otherwise. :func:`compare` checks an actual dump against a golden one tensor by tensor
(max abs error, mean abs error, cosine similarity against tolerances) and names the first
tensor in graph order that diverges. Exit codes of the CLI: 0 all pass, 1 a tensor fails,
2 bad input (missing tensor, shape or dtype mismatch, model hash that differs).

Everything read is checked: ``.npy`` inputs are numeric arrays (never unpickled) with the dtype,
rank and fixed dimensions of the model's inputs (:func:`read_inputs`, :func:`check_feed`);
manifests are JSON objects with the fields above (sample and file names that stay inside the
folder).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_dir, atomic_path, read_json_object, write_json
from cribwatch.progress import Progress, report

FORMAT = "cribwatch-golden"
VERSION = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def safe_name(name: str) -> str:
    """Tensor name -> file name (anything but [A-Za-z0-9._-] becomes '_')."""
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".")
    return s or "tensor"


@dataclass
class Tensor:
    """One named tensor of one sample, with optional quantization parameters."""

    name: str
    value: np.ndarray
    scale: float | list[float] | None = None
    zero_point: int | list[int] | None = None


def _file_names(names: list[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    used: set[str] = set()
    for n in names:
        f = safe_name(n)
        while f in used:
            f += "_"
        used.add(f)
        files[n] = f
    return files


def write_golden(
    out: Path,
    samples: list[list[Tensor]],
    model_name: str,
    model_sha256: str,
    extra: dict[str, object] | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Write a golden dump: ``samples[i]`` holds the tensors of sample i in graph order.

    The folder is written whole through :func:`cribwatch.io.atomic_dir` (manifest last): a kill
    leaves the old ``out`` or the new one, never a partial dump. An existing ``out`` that
    cribwatch did not write is refused unless ``force``.
    """
    _check_samples(samples)
    with atomic_dir(out, force=force) as tmp_out:
        return _write_into(tmp_out, samples, model_name, model_sha256, extra, progress)


def _check_samples(samples: list[list[Tensor]]) -> None:
    if not samples:
        raise CribwatchError("golden dump needs at least one sample")
    names = [t.name for t in samples[0]]
    for tensors in samples:
        if [t.name for t in tensors] != names:
            raise CribwatchError("every golden sample must have the same tensors")


def _write_into(
    folder: Path,
    samples: list[list[Tensor]],
    model_name: str,
    model_sha256: str,
    extra: dict[str, object] | None,
    progress: Progress | None,
) -> dict[str, object]:
    """Write the dump into the (empty, temporary) ``folder``; the manifest last."""
    _check_samples(samples)
    files = _file_names([t.name for t in samples[0]])
    entries: list[dict[str, Any]] = [
        {
            "name": t.name,
            "file": files[t.name],
            "shape": list(t.value.shape),
            "dtype": str(t.value.dtype),
            "scale": t.scale,
            "zero_point": t.zero_point,
            "sha256": {},
        }
        for t in samples[0]
    ]
    ids = [f"s{i:03d}" for i in range(len(samples))]
    for k, (sid, tensors) in enumerate(zip(ids, samples, strict=True)):
        d = folder / sid
        d.mkdir()
        for e, t in zip(entries, tensors, strict=True):
            arr = np.ascontiguousarray(t.value)
            if list(arr.shape) != e["shape"] and sid != ids[0]:
                e["shape"] = None  # shapes differ per sample
            np.save(d / f"{e['file']}.npy", arr)
            with atomic_path(d / f"{e['file']}.bin") as tmp:
                arr.astype(arr.dtype.newbyteorder("<"), copy=False).tofile(tmp)
            e["sha256"][sid] = sha256_file(d / f"{e['file']}.bin")
        report(progress, k + 1, len(samples))
    manifest: dict[str, object] = {
        "format": FORMAT,
        "version": VERSION,
        "written_by": OUTPUT_MARK,
        "model": model_name,
        "model_sha256": model_sha256,
        "samples": ids,
        "tensors": entries,
    }
    if extra:
        manifest.update(extra)
    write_json(folder / "manifest.json", manifest)
    return manifest


# ------------------------------------------------------------------------------- ONNX dump
@dataclass(frozen=True)
class InputSpec:
    """One graph input of a model: its name, shape (``None`` for a free dimension), dtype."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: np.dtype[Any] | None

    def describe(self) -> str:
        if self.shape is None:
            return "any shape"
        return "[" + ", ".join("?" if d is None else str(d) for d in self.shape) + "]"


def _load_onnx(path: Path) -> Any:
    import onnx  # extra: train

    if not path.is_file():
        raise CribwatchError(f"{path}: " + ("not a file" if path.exists() else "model not found"))
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad model file
        raise CribwatchError(f"{path}: not an ONNX model ({type(exc).__name__})") from exc
    if not model.graph.node and not model.graph.input:
        raise CribwatchError(f"{path}: not an ONNX model (empty graph)")
    return model


def _input_specs(model: Any) -> list[InputSpec]:
    import onnx  # extra: train

    inits = {i.name for i in model.graph.initializer}
    specs = []
    for i in model.graph.input:
        if i.name in inits:
            continue
        tt = i.type.tensor_type
        dtype = None
        if tt.elem_type:
            try:
                dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type))
            except (KeyError, TypeError, ValueError):
                dtype = None
        shape = None
        if tt.HasField("shape"):
            shape = tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
        specs.append(InputSpec(i.name, shape, dtype))
    return specs


def model_inputs(path: Path) -> list[InputSpec]:
    """The graph inputs (initializers excluded) an ONNX model takes, in graph order."""
    return _input_specs(_load_onnx(path))


def check_feed(
    specs: list[InputSpec], feed: Mapping[str, np.ndarray], sources: Mapping[str, str] | None = None
) -> dict[str, np.ndarray]:
    """Check one sample's tensors against the model's inputs: every input given, none unknown,
    dtype and rank and fixed dimensions as declared. ``sources`` names where each array came
    from (a file) for the error line. Returns the feed as plain arrays."""
    names = [s.name for s in specs]
    unknown = sorted(set(feed) - set(names))
    if unknown:
        raise CribwatchError(
            f"unknown model input {unknown[0]!r} (the model takes {', '.join(names)})"
        )
    out: dict[str, np.ndarray] = {}
    for spec in specs:
        where = (sources or {}).get(spec.name, f"input {spec.name!r}")
        if spec.name not in feed:
            raise CribwatchError(f"missing model input {spec.name!r} ({where})")
        arr = np.asarray(feed[spec.name])
        if spec.dtype is not None and arr.dtype != spec.dtype:
            raise CribwatchError(
                f"{where}: dtype {arr.dtype}, the model input {spec.name!r} takes {spec.dtype}"
            )
        if spec.shape is not None and (
            arr.ndim != len(spec.shape)
            or any(d is not None and d != a for d, a in zip(spec.shape, arr.shape, strict=True))
        ):
            raise CribwatchError(
                f"{where}: shape {list(arr.shape)}, the model input {spec.name!r} expects shape "
                f"{spec.describe()}"
            )
        out[spec.name] = arr
    return out


def onnx_all_tensors(
    path: Path,
    inputs: Sequence[Mapping[str, np.ndarray]],
    threads: int = 1,
    progress: Progress | None = None,
) -> list[list[Tensor]]:
    """Run an ONNX model with every node output exposed; tensors in graph order per sample."""
    import onnx  # extra: train

    model = _load_onnx(path)
    specs = _input_specs(model)
    feeds = [check_feed(specs, f) for f in inputs]
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception as exc:  # noqa: BLE001
        raise CribwatchError(f"{path}: shape inference failed ({type(exc).__name__})") from exc
    types = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    existing = {o.name for o in model.graph.output}
    input_names = {i.name for i in model.graph.input}
    order: list[str] = [s.name for s in specs]
    for node in model.graph.node:
        if node.op_type == "Constant":
            continue
        for o in node.output:
            if not o:
                continue
            order.append(o)
            if o not in existing and o in types:
                model.graph.output.append(types[o])
                existing.add(o)
    order = [o for o in order if o in existing or o in input_names]
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(
            model.SerializeToString(), so, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # noqa: BLE001 - ONNX Runtime refuses the graph
        raise CribwatchError(f"{path}: ONNX Runtime cannot load it ({exc})") from exc
    out_names = [o.name for o in sess.get_outputs()]
    qp = onnx_qparams(model)
    result = []
    for k, feed in enumerate(feeds):
        try:
            outs = sess.run(out_names, feed)
        except Exception as exc:  # noqa: BLE001 - a runtime failure on this input
            raise CribwatchError(f"{path}: ONNX Runtime failed on sample {k} ({exc})") from exc
        vals: dict[str, Any] = dict(zip(out_names, outs, strict=True))
        vals.update(feed)
        ts = []
        for name in order:
            if name in vals:
                s, z = qp.get(name, (None, None))
                ts.append(Tensor(name, np.asarray(vals[name]), s, z))  # type: ignore[arg-type]
        result.append(ts)
        report(progress, k + 1, len(feeds))
    return result


def onnx_qparams(model: Any) -> dict[str, tuple[object, object]]:
    """Tensor name -> (scale, zero point) for every QuantizeLinear output of an ONNX model."""
    from onnx import numpy_helper  # extra: train

    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out: dict[str, tuple[object, object]] = {}
    for n in model.graph.node:
        if n.op_type == "QuantizeLinear" and len(n.input) >= 2 and n.input[1] in init:
            s = init[n.input[1]]
            z = init.get(n.input[2]) if len(n.input) > 2 else None
            out[n.output[0]] = (s.tolist(), None if z is None else z.astype(np.int64).tolist())
    return out


def load_npy(path: Path) -> np.ndarray:
    """One numeric ``.npy`` array (never unpickles); anything else is one error naming it."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        reason = str(exc).split(". ")[0][:80] or type(exc).__name__
        raise CribwatchError(f"{path}: not a numeric .npy array ({reason})") from exc
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise CribwatchError(f"{path}: not a numeric .npy array")
    return arr


def read_inputs(
    path: Path, specs: Sequence[InputSpec | str], limit: int | None = None
) -> list[dict[str, np.ndarray]]:
    """Inputs for a dump: ``DIR/*.npy`` (one sample per file, single-input model) or
    ``DIR/<sample>/<input name>.npy``; each array checked against ``specs`` (the model's
    inputs from :func:`model_inputs`; plain names skip the shape and dtype checks). At most
    ``limit`` samples are read (sorted by name)."""
    checked = [s if isinstance(s, InputSpec) else InputSpec(s, None, None) for s in specs]
    names = [s.name for s in checked]
    if not path.is_dir():
        raise CribwatchError(
            f"{path}: inputs folder not found" if not path.exists() else f"{path}: not a folder"
        )
    files = sorted(p for p in path.glob("*.npy") if p.is_file())
    out: list[dict[str, np.ndarray]] = []
    if files:
        if len(names) != 1:
            raise CribwatchError(
                f"{path}: the model has {len(names)} inputs; use one folder per sample"
            )
        for f in files[:limit]:
            out.append(check_feed(checked, {names[0]: load_npy(f)}, {names[0]: str(f)}))
        return out
    for d in sorted(p for p in path.iterdir() if p.is_dir())[:limit]:
        feed: dict[str, np.ndarray] = {}
        sources: dict[str, str] = {}
        for n in names:
            f = d / f"{safe_name(n)}.npy"
            if not f.is_file():
                raise CribwatchError(f"{d}: missing input {safe_name(n)}.npy")
            feed[n], sources[n] = load_npy(f), str(f)
        out.append(check_feed(checked, feed, sources))
    if not out:
        raise CribwatchError(f"{path}: no .npy inputs")
    return out


def dump_golden(
    model: Path,
    inputs: Sequence[Mapping[str, np.ndarray]],
    out: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Golden dump of an ONNX model run by ONNX Runtime: every input, intermediate and output
    tensor of each sample, in graph order.

    Args:
        model: the ONNX file.
        inputs: one dict per sample, graph-input name -> numpy array, with the dtype and rank
            the model declares (free dimensions may take any size). Checked before any run.
        out: the golden folder. Written whole through :func:`cribwatch.io.atomic_dir`
            (manifest last): a kill leaves no partial dump. An existing ``out`` that cribwatch
            did not write is refused unless ``force``.
        progress: called ``progress(done, total)`` after each sample is run.
        force: replace an existing ``out`` that cribwatch did not write.

    Returns the manifest (see the module docstring). Raises CribwatchError naming the model,
    the input or the output path.

    Example::

        feeds = [{"input": np.zeros((1, 1, 8, 8), np.float32)}]
        dump_golden(Path("model.onnx"), feeds, Path("golden"))
    """
    if not inputs:
        raise CribwatchError("golden dump needs at least one input sample")
    with atomic_dir(out, force=force) as tmp:  # an output that cannot be written fails first
        samples = onnx_all_tensors(model, inputs, progress=progress)
        return _write_into(tmp, samples, model.name, sha256_file(model), None, None)


def dump_onnx(
    model: Path, inputs: Sequence[Mapping[str, np.ndarray]], out: Path
) -> dict[str, object]:
    """:func:`dump_golden` with its defaults (kept for existing callers)."""
    return dump_golden(model, inputs, out)


# -------------------------------------------------------------------------------- compare
@dataclass(frozen=True)
class Tolerance:
    """When a tensor passes."""

    max_abs: float = 1e-4
    """Largest absolute error of a float tensor."""
    mean_abs: float = 1e-5
    """Largest mean absolute error of a float tensor."""
    cosine_min: float = 0.9999
    """Smallest cosine similarity (tensors with any non-zero value)."""
    int_max_abs: float = 0.0
    """Largest absolute error of an integer tensor (0: bit-exact)."""


def _check_manifest(man: Path, m: dict[str, Any]) -> dict[str, Any]:
    """Structure of a golden manifest: samples and tensor entries as written by this module."""
    samples = m.get("samples")
    tensors = m.get("tensors")
    if not isinstance(samples, list) or not all(
        isinstance(s, str) and s and safe_name(s) == s for s in samples
    ):
        raise CribwatchError(f"{man}: 'samples' must be a list of sample folder names")
    if not isinstance(tensors, list):
        raise CribwatchError(f"{man}: 'tensors' must be a list")
    for e in tensors:
        if not (
            isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and isinstance(e.get("file"), str)
            and safe_name(e["file"]) == e["file"]
        ):
            raise CribwatchError(f"{man}: every entry of 'tensors' needs a 'name' and a 'file'")
        shape = e.get("shape")
        if shape is not None and not (
            isinstance(shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise CribwatchError(f"{man}: tensor {e['name']}: 'shape' must be a list of sizes")
        try:
            np.dtype(str(e.get("dtype")))
        except TypeError:
            raise CribwatchError(f"{man}: tensor {e['name']}: unknown dtype") from None
    return m


def load_golden(g: Path) -> dict[str, Any]:
    """Read and check a golden folder's ``manifest.json``."""
    man = g / "manifest.json"
    if not g.is_dir():
        what = "not a folder" if g.exists() else "golden folder not found"
        raise CribwatchError(f"{g}: {what}")
    if not man.is_file():
        raise CribwatchError(f"{g}: no manifest.json (not a golden dump)")
    m = read_json_object(man)
    if m.get("format") != FORMAT:
        raise CribwatchError(f"{man}: not a {FORMAT} manifest")
    return _check_manifest(man, m)


def _load_tensor(d: Path, entry: dict[str, Any]) -> np.ndarray:
    f = d / f"{entry['file']}.npy"
    if f.is_file():
        return load_npy(f)
    b = d / f"{entry['file']}.bin"
    if b.is_file() and entry.get("shape") is not None:
        dtype = np.dtype(str(entry["dtype"])).newbyteorder("<")
        raw = np.fromfile(b, dtype=dtype)
        if raw.size != int(np.prod(entry["shape"])):
            raise CribwatchError(f"{b}: {raw.size} values, the manifest says {entry['shape']}")
        return raw.reshape(entry["shape"])
    raise CribwatchError(f"{d}: tensor {entry['name']} missing")


def compare(
    golden: Path,
    actual: Path,
    tol: Tolerance = Tolerance(),
    check_model: bool = True,
    common_only: bool = False,
) -> dict[str, object]:
    """Compare ``actual`` against ``golden``; raises CribwatchError on bad input.

    Returns ``{"pass", "first_divergent", "tensors": [{name, max_abs, mean_abs, cosine, pass}]}``
    with tensors in graph order (worst over samples). ``common_only`` skips golden tensors the
    actual dump does not have (e.g. comparing a front-end + model dump with a model-only one).
    """
    g = load_golden(golden)
    if not actual.is_dir():
        raise CribwatchError(
            f"{actual}: folder not found" if not actual.exists() else f"{actual}: not a folder"
        )
    a_man = actual / "manifest.json"
    a = _check_manifest(a_man, read_json_object(a_man)) if a_man.is_file() else None
    if check_model and a is not None and a.get("model_sha256") != g.get("model_sha256"):
        raise CribwatchError(
            f"{actual}: model hash differs from the golden dump's "
            f"({str(a.get('model_sha256'))[:12]} vs {str(g.get('model_sha256'))[:12]})"
        )
    a_entries: dict[str, Any] = {e["name"]: e for e in a["tensors"]} if a else {}
    rows = []
    first = None
    skipped = []
    for e in g["tensors"]:  # type: ignore[attr-defined]
        if common_only and a is not None and e["name"] not in a_entries:
            skipped.append(e["name"])
            continue
        worst = {"name": e["name"], "max_abs": 0.0, "mean_abs": 0.0, "cosine": 1.0, "pass": True}
        for sid in g["samples"]:  # type: ignore[attr-defined]
            gv = _load_tensor(golden / sid, e)
            ae = a_entries.get(e["name"], e)
            if not any((actual / sid / f"{ae['file']}{x}").is_file() for x in (".npy", ".bin")):
                raise CribwatchError(f"{actual}: tensor {e['name']} missing for sample {sid}")
            av = _load_tensor(actual / sid, ae)
            if gv.shape != av.shape:
                raise CribwatchError(
                    f"tensor {e['name']}: shape {list(av.shape)} != golden {list(gv.shape)}"
                )
            if gv.dtype != av.dtype:
                raise CribwatchError(f"tensor {e['name']}: dtype {av.dtype} != golden {gv.dtype}")
            d = np.abs(gv.astype(np.float64) - av.astype(np.float64))
            mx = float(d.max()) if d.size else 0.0
            mn = float(d.mean()) if d.size else 0.0
            gf, af = gv.astype(np.float64).ravel(), av.astype(np.float64).ravel()
            ng, na = np.linalg.norm(gf), np.linalg.norm(af)
            cos = float(gf @ af / (ng * na)) if ng > 0 and na > 0 else (1.0 if ng == na else 0.0)
            is_int = np.issubdtype(gv.dtype, np.integer)
            ok = mx <= tol.int_max_abs if is_int else (mx <= tol.max_abs and mn <= tol.mean_abs)
            if gf.size > 1 and not is_int:
                ok = ok and (cos >= tol.cosine_min or mx <= tol.max_abs)
            worst["max_abs"] = max(worst["max_abs"], mx)  # type: ignore[type-var]
            worst["mean_abs"] = max(worst["mean_abs"], mn)  # type: ignore[type-var]
            worst["cosine"] = min(worst["cosine"], cos)  # type: ignore[type-var]
            worst["pass"] = bool(worst["pass"]) and bool(ok)
        if not worst["pass"] and first is None:
            first = e["name"]
        rows.append(worst)
    return {
        "pass": first is None,
        "first_divergent": first,
        "tensors": rows,
        "golden": str(golden),
        "actual": str(actual),
        "skipped": skipped,
    }


def golden_json(manifest: dict[str, object]) -> str:
    return json.dumps({k: manifest[k] for k in ("model", "model_sha256", "samples")})

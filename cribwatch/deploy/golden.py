"""Golden vectors: does the device compute what Python computes?

``dump`` writes, for a few inputs, every input, intermediate and output tensor of a model, in
graph order, as ``<sample>/<tensor>.npy`` and ``<sample>/<tensor>.bin`` (raw little-endian,
C order), plus ``manifest.json``::

    {"format": "cribwatch-golden", "version": 1, "model": "<file name>",
     "model_sha256": "...", "samples": ["s000", ...],
     "tensors": [{"name", "file", "shape", "dtype", "scale", "zero_point",
                  "sha256": {"s000": "<sha of the .bin>", ...}}, ...]}

``scale``/``zero_point`` are set for quantized tensors (ONNX: outputs of QuantizeLinear),
null otherwise. ``compare`` checks an actual dump against a golden one tensor by tensor
(max abs error, mean abs error, cosine similarity against tolerances) and names the first
tensor in graph order that diverges. Exit codes of the CLI: 0 all pass, 1 a tensor fails,
2 bad input (missing tensor, shape or dtype mismatch, model hash that differs).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, read_json, write_json

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


def write_golden(
    out: Path,
    samples: list[list[Tensor]],
    model_name: str,
    model_sha256: str,
    extra: dict[str, object] | None = None,
) -> dict[str, object]:
    """Write a golden dump: ``samples[i]`` holds the tensors of sample i in graph order."""
    if not samples:
        raise CribwatchError("golden dump needs at least one sample")
    out.mkdir(parents=True, exist_ok=True)
    names = [t.name for t in samples[0]]
    files: dict[str, str] = {}
    used: set[str] = set()
    for n in names:
        f = safe_name(n)
        while f in used:
            f += "_"
        used.add(f)
        files[n] = f
    entries: list[dict[str, object]] = []
    for t in samples[0]:
        entries.append(
            {
                "name": t.name,
                "file": files[t.name],
                "shape": list(t.value.shape),
                "dtype": str(t.value.dtype),
                "scale": t.scale,
                "zero_point": t.zero_point,
                "sha256": {},
            }
        )
    ids = [f"s{i:03d}" for i in range(len(samples))]
    for sid, tensors in zip(ids, samples, strict=True):
        d = out / sid
        d.mkdir(exist_ok=True)
        if [t.name for t in tensors] != names:
            raise CribwatchError("every golden sample must have the same tensors")
        for e, t in zip(entries, tensors, strict=True):
            arr = np.ascontiguousarray(t.value)
            if list(arr.shape) != e["shape"] and sid != ids[0]:
                e["shape"] = None  # shapes differ per sample
            np.save(d / f"{e['file']}.npy", arr)
            with atomic_path(d / f"{e['file']}.bin") as tmp:
                arr.astype(arr.dtype.newbyteorder("<"), copy=False).tofile(tmp)
            e["sha256"][sid] = sha256_file(d / f"{e['file']}.bin")  # type: ignore[index]
    manifest: dict[str, object] = {
        "format": FORMAT,
        "version": VERSION,
        "model": model_name,
        "model_sha256": model_sha256,
        "samples": ids,
        "tensors": entries,
    }
    if extra:
        manifest.update(extra)
    write_json(out / "manifest.json", manifest)
    return manifest


# ------------------------------------------------------------------------------- ONNX dump
def onnx_qparams(model: object) -> dict[str, tuple[object, object]]:
    """Tensor name -> (scale, zero point) for every QuantizeLinear output of an ONNX model."""
    from onnx import numpy_helper

    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}  # type: ignore[attr-defined]
    out: dict[str, tuple[object, object]] = {}
    for n in model.graph.node:  # type: ignore[attr-defined]
        if n.op_type == "QuantizeLinear" and len(n.input) >= 2 and n.input[1] in init:
            s = init[n.input[1]]
            z = init.get(n.input[2]) if len(n.input) > 2 else None
            out[n.output[0]] = (s.tolist(), None if z is None else z.astype(np.int64).tolist())
    return out


def onnx_all_tensors(
    path: Path, inputs: list[dict[str, np.ndarray]], threads: int = 1
) -> list[list[Tensor]]:
    """Run an ONNX model with every node output exposed; tensors in graph order per sample."""
    import onnx
    import onnxruntime as ort

    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise CribwatchError(f"{path}: not an ONNX model ({type(exc).__name__})") from exc
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    existing = {o.name for o in model.graph.output}
    order: list[str] = [
        i.name for i in model.graph.input if i.name not in {x.name for x in model.graph.initializer}
    ]
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
    order = [o for o in order if o in existing or o in {i.name for i in model.graph.input}]
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    qp = onnx_qparams(model)
    result = []
    for feed in inputs:
        vals = dict(zip(out_names, sess.run(out_names, feed), strict=True))
        vals.update(feed)
        ts = []
        for name in order:
            if name in vals:
                s, z = qp.get(name, (None, None))
                ts.append(Tensor(name, np.asarray(vals[name]), s, z))  # type: ignore[arg-type]
        result.append(ts)
    return result


def read_inputs(path: Path, input_names: list[str]) -> list[dict[str, np.ndarray]]:
    """Inputs for a dump: ``DIR/*.npy`` (one sample per file, single-input model) or
    ``DIR/<sample>/<input name>.npy``."""
    if not path.is_dir():
        raise CribwatchError(f"{path}: inputs folder not found")
    files = sorted(path.glob("*.npy"))
    if files:
        if len(input_names) != 1:
            raise CribwatchError(
                f"{path}: the model has {len(input_names)} inputs; use one folder per sample"
            )
        return [{input_names[0]: np.load(f)} for f in files]
    out = []
    for d in sorted(p for p in path.iterdir() if p.is_dir()):
        feed = {}
        for n in input_names:
            f = d / f"{safe_name(n)}.npy"
            if not f.is_file():
                raise CribwatchError(f"{d}: missing input {n}.npy")
            feed[n] = np.load(f)
        out.append(feed)
    if not out:
        raise CribwatchError(f"{path}: no .npy inputs")
    return out


def dump_onnx(model: Path, inputs: list[dict[str, np.ndarray]], out: Path) -> dict[str, object]:
    """Golden dump of an ONNX model run by ONNX Runtime."""
    samples = onnx_all_tensors(model, inputs)
    return write_golden(out, samples, model.name, sha256_file(model))


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


def load_golden(g: Path) -> dict[str, object]:
    man = g / "manifest.json"
    if not man.is_file():
        raise CribwatchError(f"{g}: no manifest.json (not a golden dump)")
    m = read_json(man)
    if m.get("format") != FORMAT:
        raise CribwatchError(f"{man}: not a {FORMAT} manifest")
    return m  # type: ignore[no-any-return]


def _load_tensor(d: Path, entry: dict[str, object]) -> np.ndarray:
    f = d / f"{entry['file']}.npy"
    if f.is_file():
        return np.load(f)
    b = d / f"{entry['file']}.bin"
    if b.is_file() and entry.get("shape") is not None:
        return np.fromfile(b, dtype=np.dtype(str(entry["dtype"])).newbyteorder("<")).reshape(
            entry["shape"]
        )  # type: ignore[call-overload]
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
    a_man = actual / "manifest.json"
    a = read_json(a_man) if a_man.is_file() else None
    if check_model and a is not None and a.get("model_sha256") != g.get("model_sha256"):
        raise CribwatchError(
            f"{actual}: model hash differs from the golden dump's "
            f"({str(a.get('model_sha256'))[:12]} vs {str(g.get('model_sha256'))[:12]})"
        )
    a_entries = {e["name"]: e for e in a["tensors"]} if a else {}
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
            try:
                av = _load_tensor(actual / sid, ae)
            except CribwatchError:
                raise CribwatchError(
                    f"{actual}: tensor {e['name']} missing for sample {sid}"
                ) from None
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

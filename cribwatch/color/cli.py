"""``cribwatch color ...``: thin verbs over the colour library."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from cribwatch.color.eval import available_methods, evaluate, json_ready, resolve_method
from cribwatch.color.lab import luma, np_to_t, t_to_np
from cribwatch.color.mask import SSIMMapConfig, changed_mask, ssim_attention_map
from cribwatch.color.pairs import make_pairs
from cribwatch.color.report import TABLE_KEYS, markdown_table, replace_section
from cribwatch.color.train import train_cmd
from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb, write_image

app = typer.Typer(help="Night colorization.", no_args_is_help=True)
app.command("train")(train_cmd)
err = Console(stderr=True)


@app.command("ssim-map")
def ssim_map_cmd(
    night: Path = typer.Option(..., "--night", help="Night IR frame (grey or colour image)."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output PNG of the map (255 = matches)."),
    mask_out: Path | None = typer.Option(
        None, "--mask-out", help="Also write the binary mask (255 = changed)."
    ),
    threshold: float = typer.Option(SSIMMapConfig.threshold, help="Mask threshold on the map."),
    work_side: int = typer.Option(256, help="Longer side (pixels) the pipeline works at."),
) -> None:
    """Write the SSIM map between the grey reference and the night frame."""
    cfg = SSIMMapConfig(threshold=threshold, work_side=work_side)
    n = read_gray(night)
    r = read_rgb(reference, require_color=True)
    smap = ssim_attention_map(np_to_t(n), luma(np_to_t(r)), cfg)
    m = t_to_np(smap)
    mask = t_to_np(changed_mask(smap, cfg).float())
    write_image(out, m)
    if mask_out is not None:
        write_image(mask_out, mask)
    typer.echo(
        json.dumps(
            {
                "out": str(out),
                "mean": round(float(m.mean()), 4),
                "changed_fraction": round(float(mask.mean()), 4),
            }
        )
    )


@app.command("colorize")
def colorize_cmd(
    night: Path = typer.Option(..., "--night", help="Night IR frame."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output colour PNG."),
    method: str = typer.Option("ssim-map", "--method", help="Method name (see `color eval`)."),
    weights: Path | None = typer.Option(None, "--weights", help="Weights for a learned method."),
) -> None:
    """Colour a night frame with a daytime reference."""
    fn = resolve_method(method, weights)
    n = read_gray(night)
    r = read_rgb(reference, require_color=True)
    write_image(out, fn(n, r))
    typer.echo(json.dumps({"out": str(out), "method": method}))


@app.command("make-pairs")
def make_pairs_cmd(
    images: Path = typer.Option(..., "--images", help="Folder of scene photos."),
    stamps: Path = typer.Option(..., "--stamps", help="Folder of RGBA cut-out stamps."),
    out: Path = typer.Option(..., "--out", help="Output pair-set folder."),
    n: int = typer.Option(200, "--n", help="Number of pairs."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same set)."),
    split: str = typer.Option("train", "--split", help="train, test (held-out names) or all."),
    night_ranges: str = typer.Option(
        "train", "--night-ranges", help="Night simulator ranges: train or ood (outside training)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing set."),
) -> None:
    """Build a pair set: reference, changed target, night frame, change mask."""
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("pairs", total=n)
        make_pairs(
            images,
            stamps,
            out,
            n,
            seed,
            split,  # type: ignore[arg-type]
            night_ranges,
            progress=lambda i: bar.update(task, completed=i),
            overwrite=overwrite,
        )
    typer.echo(
        json.dumps(
            {"out": str(out), "n": n, "seed": seed, "split": split, "night_ranges": night_ranges}
        )
    )


def _eval_with_bar(data: Path, method: str, weights: Path | None, limit: int | None) -> dict:
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(method, total=None)
        return evaluate(
            data,
            method,
            weights=weights,
            limit=limit,
            progress=lambda i, t: bar.update(task, completed=i, total=t),
        )


@app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set with ground truth."),
    method: str = typer.Option(..., "--method", help="Method: " + ", ".join(available_methods())),
    weights: Path | None = typer.Option(None, "--weights", help="Weights for a learned method."),
    limit: int | None = typer.Option(None, "--limit", help="Score only the first N pairs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    per_pair: bool = typer.Option(False, "--per-pair", help="Include per-pair scores in JSON."),
) -> None:
    """Score a method on a pair set."""
    summary = json_ready(_eval_with_bar(data, method, weights, limit), per_pair)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table(title=f"{method} on {data} (n={summary['n']})")
    for k in TABLE_KEYS:
        table.add_column(k)
    table.add_row(*[str(summary.get(k)) for k in TABLE_KEYS])
    Console().print(table)


def _weights_key(method: str) -> str:
    """Hash of the shipped weights a method uses ('' for the baselines)."""
    import hashlib

    from cribwatch.color.pipeline import WEIGHTS, default_weights

    base = method.partition("@")[0]
    names = ["ref", "auto"] if base == "blend" else [base] if base in WEIGHTS else []
    h = hashlib.sha256()
    for n in names:
        h.update(default_weights(n).read_bytes())
    return h.hexdigest()[:16] if names else ""


def _cached_eval(folder: Path, method: str, cache: Path | None) -> dict:
    """Evaluate (or reuse a cached result keyed by set, method and weights hash)."""
    from cribwatch.io import write_json

    key = f"{folder.resolve().name}-{method.replace('@', '_')}-{_weights_key(method)}.json"
    if cache is not None and (cache / key).is_file():
        return json.loads((cache / key).read_text())
    row = json_ready(_eval_with_bar(folder, method, None, None))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        write_json(cache / key, row)
    return row


@app.command("diagnose")
def diagnose_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set with ground truth and change masks."),
    weights: Path | None = typer.Option(
        None, "--weights", help="Gated network (default: the shipped ssim-guided weights)."
    ),
    scales: str = typer.Option(
        "0.25,0.5,1", "--scales", help="Comma-separated scales of the network's own ab."
    ),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N pairs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Changed-region CIEDE2000 per edit type: gray, reference, output, own ab, oracle gate."""
    from cribwatch.color.diagnose import diagnose, table
    from cribwatch.color.pipeline import default_weights, load_net

    try:
        s = tuple(float(v) for v in scales.split(","))
    except ValueError as exc:
        raise CribwatchError(
            f"--scales: not a comma-separated list of numbers: {scales!r}"
        ) from exc
    net = load_net(weights or default_weights("ssim-guided"))
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("diagnose", total=None)
        result = diagnose(data, net, s, limit, lambda i, t: bar.update(task, completed=i, total=t))
    typer.echo(json.dumps(json_ready(result)) if as_json else table(result))


@app.command("report")
def report_cmd(
    data: Path = typer.Option(..., "--data", help="Held-out pair set."),
    methods: str = typer.Option("gray,transfer,ssim-map", "--methods", help="Comma-separated."),
    ood: Path | None = typer.Option(None, "--ood", help="Second set with out-of-range night."),
    doc: Path = typer.Option(Path("docs/RESULTS.md"), "--doc", help="Markdown file to update."),
    marker: str = typer.Option("color", "--marker", help="Section marker in the document."),
    title: str = typer.Option("Night colorization", "--title", help="Section heading."),
    cache: Path | None = typer.Option(
        None, "--cache", help="Folder of cached results (keyed by set, method, weights hash)."
    ),
) -> None:
    """Evaluate methods and write the metrics tables into the results document."""
    names = [m.strip() for m in methods.split(",") if m.strip()]
    for m in names:
        resolve_method(m)
    if not doc.parent.exists():
        raise CribwatchError(f"{doc.parent}: folder not found")
    cmd = f"cribwatch color report --data {data} --methods {','.join(names)}"
    cmd += f" --ood {ood}" if ood else ""
    cmd += f" --marker {marker}" if marker != "color" else ""
    cmd += f' --title "{title}"' if title != "Night colorization" else ""
    parts = [f"## {title}\n\nProduced by `{cmd}`.\n"]
    sets = [("Held-out pairs", data)] + ([("Out-of-range night simulator", ood)] if ood else [])
    for heading, folder in sets:
        rows = [_cached_eval(folder, m, cache) for m in names]
        parts.append(f"### {heading}: `{folder}` (n = {rows[0]['n']})\n\n{markdown_table(rows)}\n")
        for r in rows:
            typer.echo(json.dumps(r))
    replace_section(doc, marker, "\n".join(parts))


@app.command("ship")
def ship_cmd(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="Finished training checkpoint."),
    method: str = typer.Option(..., "--method", help="Method name: ssim-guided, ref or auto."),
    out: Path | None = typer.Option(
        None, "--out", help="Weights file to write (default: the package's shipped file)."
    ),
    pairs_cmd: str = typer.Option(
        ..., "--pairs-command", help="The make-pairs command that built the training set."
    ),
    metrics: Path | None = typer.Option(
        None, "--metrics", help="JSON file of held-out metrics (from `color eval --json`)."
    ),
    hardware: str = typer.Option(
        "2 shared CPU cores, 1 torch thread per run", "--hardware", help="Where it trained."
    ),
) -> None:
    """Write slim shipped weights and their JSON card from a training checkpoint."""
    from cribwatch.color.pipeline import default_weights
    from cribwatch.color.train import ship

    target = out if out is not None else default_weights(method)
    scores = None
    if metrics is not None:
        try:
            scores = json.loads(metrics.read_text())
        except (OSError, ValueError) as exc:
            raise CribwatchError(f"{metrics}: not a readable JSON file ({exc})") from None
    recipe = {"make_pairs": pairs_cmd, "source": "cribwatch data fetch --dest data"}
    card = ship(checkpoint, target, method, recipe=recipe, metrics=scores, hardware=hardware)
    typer.echo(json.dumps({"out": str(target), "steps": card["steps"], "minutes": card["minutes"]}))


@app.command("export")
def export_cmd(
    weights: Path = typer.Option(..., "--weights", help="Weights (.pt) of a colour network."),
    fmt: str = typer.Option("onnx", "--format", help="onnx or tflite."),
    out: Path = typer.Option(..., "--out", help="Output model file."),
    check_pairs: Path | None = typer.Option(
        None, "--check-pairs", help="Pair set for the FP32 parity check against PyTorch."
    ),
    io: str = typer.Option(
        "split",
        "--io",
        help="split: normalised separate inputs/outputs (shipped); packed: one raw-unit input "
        "and output, as a first attempt exports (to study quantization failures).",
    ),
) -> None:
    """Export the network (pre/post-processing stay outside, in float)."""
    from cribwatch.color.deploy import export, parity

    info = export(weights, fmt, out, check_pairs=check_pairs, io=io)
    if check_pairs is not None and fmt == "onnx":
        info["parity_max_abs"] = parity(weights, out, check_pairs)
    typer.echo(json.dumps(info))


@app.command("quantize")
def quantize_cmd(
    model: Path = typer.Option(..., "--model", help="FP32 ONNX from `color export`."),
    calib: Path = typer.Option(..., "--calib", help="Calibration pair set (train split)."),
    out: Path = typer.Option(..., "--out", help="Output INT8 ONNX."),
    scheme: str = typer.Option("robust", "--scheme", help="naive or robust."),
    n_calib: int = typer.Option(64, "--n-calib", help="Calibration pairs used."),
    eval_pairs: Path | None = typer.Option(
        None, "--eval", help="Held-out pair set: compare INT8 with FP32 on it."
    ),
    debug: bool = typer.Option(False, "--debug", help="Per-tensor SQNR against FP32."),
) -> None:
    """8-bit post-training quantization with ONNX Runtime (naive or robust scheme)."""
    from dataclasses import asdict

    from cribwatch.color.deploy import compare_precisions, diagnose, quantize

    info = quantize(model, calib, out, scheme, n_calib)
    if eval_pairs is not None:
        info["vs_fp32"] = asdict(compare_precisions(model, out, eval_pairs))
    if debug:
        rows = diagnose(model, calib, eval_pairs or calib, scheme, n_calib)
        info["worst_tensors"] = sorted(rows, key=lambda r: r["sqnr_db"])[:8]
        info["output_tensors"] = [r for r in rows if r["tensor"] in ("ab", "gate")]
    typer.echo(json.dumps(info))


@app.command("bench")
def bench_cmd(
    fp32: Path | None = typer.Option(
        None, "--fp32", help="FP32 ONNX model (default: the shipped ssim-guided weights, exported)."
    ),
    int8: Path | None = typer.Option(
        None, "--int8", help="INT8 ONNX model (default: the shipped robust INT8 file, if any)."
    ),
    frames: int = typer.Option(200, "--frames", help="Timed frames per configuration."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Per-stage timing (pre, model, post, total) at 128x128 and 640x480, 1 and 2 threads."""
    import tempfile

    from cribwatch.color.deploy import BenchConfig, bench, export, shipped_int8
    from cribwatch.color.pipeline import default_weights

    with tempfile.TemporaryDirectory() as tmp:
        if fp32 is None:
            fp32 = Path(tmp) / "ssim_guided.onnx"
            export(default_weights("ssim-guided"), "onnx", fp32)
        if int8 is None:
            int8 = shipped_int8()
        models = {"fp32": fp32, **({"int8": int8} if int8 is not None else {})}
        rows = bench(models, BenchConfig(frames=frames))
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r))
        return
    table = Table(title="colour pipeline (ms)")
    cols = [
        "resolution",
        "precision",
        "threads",
        "pre_ms_p50",
        "model_ms_p50",
        "post_ms_p50",
        "total_ms_p50",
        "total_ms_p90",
        "peak_rss_mb",
    ]
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*[str(r[c]) for c in cols])
    Console().print(table)

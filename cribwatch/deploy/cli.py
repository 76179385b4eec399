"""``cribwatch deploy ...``: model-agnostic golden-vector tools (models and tensors as files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cribwatch.clikit import check_number, force_option, non_negative, progress_bar
from cribwatch.deploy.golden import (
    Tolerance,
    compare,
    dump_golden,
    golden_json,
    model_inputs,
    read_inputs,
)
from cribwatch.io import guard_output

app = typer.Typer(help="Deployment tools shared by every model.", no_args_is_help=True)
golden_app = typer.Typer(
    help="Golden vectors: dump and compare every tensor.", no_args_is_help=True
)
app.add_typer(golden_app, name="golden")


@golden_app.command("dump")
def dump_cmd(
    model: Path = typer.Option(..., "--model", help="ONNX model."),
    inputs: Path = typer.Option(
        ...,
        "--inputs",
        help="Folder of .npy inputs: DIR/*.npy (one sample per file, single-input model) or "
        "DIR/<sample>/<input name>.npy.",
    ),
    out: Path = typer.Option(..., "--out", help="Golden folder to write."),
    limit: int = typer.Option(4, "--limit", help="Most samples to dump."),
    force: bool = force_option(),
) -> None:
    """Write every input, intermediate and output tensor (.npy + raw .bin) and manifest.json."""
    check_number("--limit", limit, low=1, integer=True)
    guard_output(out, inputs={"--model": model, "--inputs": inputs}, force=force)
    specs = model_inputs(model)
    feeds = read_inputs(inputs, specs, limit=limit)
    with progress_bar("golden", len(feeds), enabled=sys.stderr.isatty()) as bar:
        man = dump_golden(model, feeds, out, force=force, progress=bar)
    typer.echo(golden_json(man))


@golden_app.command("compare")
def compare_cmd(
    golden: Path = typer.Option(..., "--golden", help="Golden folder (the reference)."),
    actual: Path = typer.Option(
        ..., "--actual", help="Folder written by the device or another model."
    ),
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
    max_abs: float = typer.Option(1e-4, "--max-abs", help="Float tensors: largest absolute error."),
    mean_abs: float = typer.Option(
        1e-5, "--mean-abs", help="Float tensors: largest mean absolute error."
    ),
    cosine_min: float = typer.Option(
        0.9999, "--cosine-min", help="Float tensors: smallest cosine similarity."
    ),
    int_max_abs: float = typer.Option(
        0.0, "--int-max-abs", help="Integer tensors: largest absolute error (0 = bit-exact)."
    ),
    common_only: bool = typer.Option(
        False, "--common-only", help="Skip golden tensors the actual dump lacks."
    ),
    ignore_model_hash: bool = typer.Option(
        False, "--ignore-model-hash", help="Compare dumps of different models."
    ),
) -> None:
    """Per-tensor errors; exit 0 all pass, 1 a tensor fails (first one named), 2 bad input."""
    for option, value in (
        ("--max-abs", max_abs),
        ("--mean-abs", mean_abs),
        ("--int-max-abs", int_max_abs),
    ):
        non_negative(option, value)
    check_number("--cosine-min", cosine_min, low=-1, high=1)
    tol = Tolerance(max_abs, mean_abs, cosine_min, int_max_abs)
    res = compare(golden, actual, tol, check_model=not ignore_model_hash, common_only=common_only)
    if json_out:
        typer.echo(json.dumps(res))
    else:
        t = Table("tensor", "max abs", "mean abs", "cosine", "pass")
        for r in res["tensors"]:  # type: ignore[attr-defined]
            t.add_row(
                str(r["name"]),
                f"{r['max_abs']:.3g}",
                f"{r['mean_abs']:.3g}",
                f"{r['cosine']:.6f}",
                "ok" if r["pass"] else "FAIL",
            )
        Console().print(t)
        typer.echo(
            "all tensors pass"
            if res["pass"]
            else f"first divergent tensor: {res['first_divergent']}"
        )
    raise typer.Exit(0 if res["pass"] else 1)

"""``cribwatch deploy ...``: model-agnostic export and golden-vector tools."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cribwatch.errors import CribwatchError

app = typer.Typer(help="Deployment tools shared by every model.", no_args_is_help=True)
golden_app = typer.Typer(
    help="Golden vectors: dump and compare every tensor.", no_args_is_help=True
)
app.add_typer(golden_app, name="golden")

PAIR_INPUTS: dict[str, object] = {}
"""Hooks that turn a colour pair set into model inputs: ``{"color": fn(pairs_dir, model) ->
list[dict[input name, array]]}``; the colour package registers its pre-processing here."""


@golden_app.command("dump")
def dump_cmd(
    model: Path = typer.Option(..., "--model", help="ONNX model."),
    inputs: Path | None = typer.Option(
        None, "--inputs", help="Folder of .npy inputs (one per sample, or one folder per sample)."
    ),
    pairs: Path | None = typer.Option(
        None, "--pairs", help="Colour pair set (uses the colour pre-processing)."
    ),
    out: Path = typer.Option(..., "--out", help="Golden folder to write."),
    limit: int = typer.Option(4, "--limit", help="Most samples to dump."),
) -> None:
    """Write every input, intermediate and output tensor (.npy + raw .bin) and manifest.json."""
    from cribwatch.deploy.golden import dump_onnx, golden_json, read_inputs

    if not model.is_file():
        raise CribwatchError(f"{model}: model not found")
    if (inputs is None) == (pairs is None):
        raise CribwatchError("give exactly one of --inputs and --pairs")
    if inputs is not None:
        import onnx

        m = onnx.load(str(model))
        inits = {i.name for i in m.graph.initializer}
        names = [i.name for i in m.graph.input if i.name not in inits]
        feeds = read_inputs(inputs, names)
    else:
        hook = PAIR_INPUTS.get("color")
        if hook is None:
            try:
                import importlib

                importlib.import_module("cribwatch.color.deploy")
            except ImportError:
                pass
            hook = PAIR_INPUTS.get("color")
        if hook is None:
            raise CribwatchError(
                "--pairs needs the colour pre-processing (cribwatch.color.deploy), not installed"
            )
        feeds = hook(pairs, model)  # type: ignore[operator]
    man = dump_onnx(model, feeds[:limit], out)
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
    from cribwatch.deploy.golden import Tolerance, compare

    tol = Tolerance(max_abs, mean_abs, cosine_min, int_max_abs)
    res = compare(golden, actual, tol, check_model=not ignore_model_hash, common_only=common_only)
    if json_out:
        typer.echo(json.dumps(res))
    else:
        from rich.console import Console
        from rich.table import Table

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

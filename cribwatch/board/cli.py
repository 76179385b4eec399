"""``cribwatch board ...``: build, run, check and benchmark the C runtime of the cry detector."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer

from cribwatch.errors import CribwatchError

app = typer.Typer(
    help="The cry detector as C on the board (host and MIPS builds).", no_args_is_help=True
)

_INT_MODEL_HELP = "Integer model (.cwq); default: the shipped cry_int8.cwq."


@app.command("build")
def build_cmd(
    target: str = typer.Option("host", "--target", help="host, mipsel or sanitize."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if up to date."),
) -> None:
    """Compile cw_cry (C99, -Wall -Wextra -Werror); mipsel: static MIPS32r2 little-endian."""
    from cribwatch.board.build import build_program

    exe = build_program(target, force=force)
    typer.echo(json.dumps({"target": target, "binary": str(exe), "bytes": exe.stat().st_size}))


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run_cmd(
    ctx: typer.Context,
    target: str = typer.Option("host", "--target", help="host or mipsel (under qemu)."),
    model: Path | None = typer.Option(
        None, "--model", help="Model blob (.cwb); default: export of --int-model."
    ),
    int_model: Path | None = typer.Option(None, "--int-model", help=_INT_MODEL_HELP),
) -> None:
    """Run cw_cry (arguments after the options go to it: FILE.wav, -, --trace ...)."""
    from cribwatch.board.build import build_program, default_blob, runner

    exe = build_program(target)
    blob = model if model is not None else default_blob(int_model=int_model)
    cmd = [*runner(target), str(exe), "--model", str(blob), *ctx.args]
    rc = subprocess.run(cmd).returncode
    raise typer.Exit(rc)


@app.command("check")
def check_cmd(
    target: str = typer.Option("host", "--target", help="host or mipsel."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
    int_model: Path | None = typer.Option(None, "--int-model", help=_INT_MODEL_HELP),
    audio: Path | None = typer.Option(None, "--audio", help="Audio (default: the demo sample)."),
    windows: int = typer.Option(8, "--windows", help="Golden 1 s windows."),
    config: Path | None = typer.Option(
        None, "--config", help="Detector config JSON (a 'cry tune' file or a model card)."
    ),
) -> None:
    """Golden vectors and events: C against Python (model bit-exact from the same int8 input)."""
    from cribwatch.board.build import shipped_int_model
    from cribwatch.board.check import DEMO_AUDIO, CheckConfig, check
    from cribwatch.cry.cli import load_filter_config

    cwq = shipped_int_model(int_model)
    res = check(
        target,
        cwq,
        audio or DEMO_AUDIO,
        filters=load_filter_config(config, cwq),
        cfg=CheckConfig(windows=windows),
    )
    if json_out:
        typer.echo(json.dumps(res))
    else:
        for r in res["tensors"]:  # type: ignore[attr-defined]
            mark = "pass" if r["pass"] else "FAIL"
            typer.echo(f"{mark}  {r['name']:8s} max_abs {r['max_abs']:.3g}  ({r['rule']})")
        typer.echo(f"first divergent tensor: {res['first_divergent']}")
        typer.echo(f"end to end bit-exact (C front end's own input): {res['end_to_end_bit_exact']}")
        typer.echo(f"windows equal: {res['windows']['equal']}")  # type: ignore[index]
        typer.echo(f"events equal: {res['events']['equal']}")  # type: ignore[index]
        typer.echo("PASS" if res["pass"] else "FAIL")
    if not res["pass"]:
        raise typer.Exit(1)


@app.command("bench")
def bench_cmd(
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
    int_model: Path | None = typer.Option(None, "--int-model", help=_INT_MODEL_HELP),
    mipsel: bool = typer.Option(True, "--mipsel/--no-mipsel", help="Count MIPS instructions."),
    host: bool = typer.Option(True, "--host/--no-host", help="Count host instructions."),
    seconds_a: float = typer.Option(1.0, "--seconds-a", help="Shorter workload (s of audio)."),
    seconds_b: float = typer.Option(2.0, "--seconds-b", help="Longer workload (s of audio)."),
    config: Path | None = typer.Option(
        None, "--config", help="Detector config JSON (default: the integer model's)."
    ),
) -> None:
    """Instructions per 1 s of audio (front end, model, post-processing), memory, code size."""
    from cribwatch.board.bench import BenchConfig, bench

    if seconds_b <= seconds_a:
        raise CribwatchError("--seconds-b must be larger than --seconds-a")
    res = bench(
        int_model,
        mipsel,
        host,
        BenchConfig(seconds_a=seconds_a, seconds_b=seconds_b),
        progress=lambda m: print(f"bench: {m}", file=sys.stderr),
        config=config,
    )
    typer.echo(json.dumps(res) if json_out else json.dumps(res, indent=2))

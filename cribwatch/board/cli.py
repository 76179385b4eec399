"""``cribwatch board ...``: build, run, check and benchmark the C runtime of the cry detector.

A CLI module: the generic board tools come from :mod:`cribwatch.board`, the cry detector's side
(its blob, its Python twin) from :mod:`cribwatch.cry.board`.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import typer

from cribwatch.board.bench import MAX_SECONDS, BenchConfig
from cribwatch.board.build import TARGETS, build_program, runner
from cribwatch.board.proc import run_child
from cribwatch.clikit import check_number, one_of, progress_bar
from cribwatch.cry.board import (
    DEMO_AUDIO,
    MAX_WINDOWS,
    CheckConfig,
    bench,
    check,
    default_blob,
    model_and_config,
)
from cribwatch.errors import CribwatchError

app = typer.Typer(
    help="The cry detector as C on the board (host and MIPS builds).", no_args_is_help=True
)

_INT_MODEL_HELP = "Integer model (.cwq); default: the shipped cry_int8.cwq."


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt while a verb runs, so the child processes it started
    are killed on the way out (the board tools kill their process groups on any exception)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _existing_file(option: str, path: Path | None) -> None:
    if path is not None and not path.is_file():
        raise CribwatchError(
            f"{option} {path}: " + ("not a file" if path.exists() else "file not found")
        )


@app.command("build")
def build_cmd(
    target: str = typer.Option("host", "--target", help="host, mipsel or sanitize."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if up to date."),
) -> None:
    """Compile cw_cry (C99, -Wall -Wextra -Werror); mipsel: static MIPS32r2 little-endian."""
    one_of("--target", target, TARGETS)
    with _terminate_as_interrupt():
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
    one_of("--target", target, ("host", "mipsel"))
    _existing_file("--model", model)
    _existing_file("--int-model", int_model)
    with _terminate_as_interrupt(), tempfile.TemporaryDirectory(prefix="cw-run-") as tmp:
        exe = build_program(target)
        blob = model
        if blob is None:  # exported for this run only
            blob = default_blob(Path(tmp) / "model", int_model=int_model)
        cmd = [*runner(target), str(exe), "--model", str(blob), *ctx.args]
        rc = run_child(cmd, capture=False).returncode
    raise typer.Exit(rc)


@app.command("check")
def check_cmd(
    target: str = typer.Option("host", "--target", help="host or mipsel."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
    int_model: Path | None = typer.Option(None, "--int-model", help=_INT_MODEL_HELP),
    audio: Path | None = typer.Option(
        None, "--audio", help="Audio (default: the demo sample); resampled as cry detect does."
    ),
    windows: int = typer.Option(8, "--windows", help="Golden 1 s windows."),
    config: Path | None = typer.Option(
        None, "--config", help="Detector config JSON (a 'cry tune' file or a model card)."
    ),
) -> None:
    """Golden vectors and events: C against Python (model bit-exact from the same int8 input)."""
    one_of("--target", target, ("host", "mipsel"))
    check_number("--windows", windows, low=1, high=MAX_WINDOWS, integer=True)
    _existing_file("--int-model", int_model)
    _existing_file("--audio", audio)
    _existing_file("--config", config)
    cwq, filters = model_and_config(int_model, config)
    with _terminate_as_interrupt():
        res = check(
            target, cwq, audio or DEMO_AUDIO, filters=filters, cfg=CheckConfig(windows=windows)
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
        ev = res["events"]
        typer.echo(
            f"alerts and ends equal (bit for bit): {ev['equal']}  "  # type: ignore[index]
            f"({ev['alerts']} alerts, {ev['ends']} ends, alert before end: "  # type: ignore[index]
            f"{ev['alert_before_end']})"  # type: ignore[index]
        )
        cont = res["continuous_cry"]
        if isinstance(cont, dict):
            typer.echo(
                f"continuous cry ({cont['seconds']:g} s): equal {cont['decisions_equal']}, "
                f"alert at {cont['alert_at_s']} s, end at {cont['end_at_s']} s, "
                f"alert before end: {cont['alert_before_end']}"
            )
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
    check_number("--seconds-a", seconds_a, low=0, low_open=True, high=MAX_SECONDS)
    check_number("--seconds-b", seconds_b, low=0, low_open=True, high=MAX_SECONDS)
    cfg = BenchConfig(seconds_a=seconds_a, seconds_b=seconds_b)
    _existing_file("--int-model", int_model)
    _existing_file("--config", config)
    bar_on = sys.stderr.isatty()
    with _terminate_as_interrupt(), progress_bar("board bench", enabled=bar_on) as bar:
        res = bench(int_model, mipsel, host, cfg, progress=bar, config=config)
    typer.echo(json.dumps(res) if json_out else json.dumps(res, indent=2))

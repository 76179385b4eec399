"""``cribwatch demo``: the HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from cribwatch import clikit
from cribwatch.errors import CribwatchError


def demo(
    out: Path = typer.Option(Path("demo-report"), "--out", help="Report folder (replaced whole)."),
    force: bool = clikit.force_option(),
) -> None:
    """Build the HTML demo report: a summary, colour methods, night simulator, cry (with an
    audio player), roll-over (with an animated clip) and a monitor run."""
    with clikit.handle_errors():
        clikit.quiet_native_logs()
        try:
            # the colour section runs the torch models: torch stays out of the other verbs
            from cribwatch.demo.report import build_report  # extra: train
            from cribwatch.monitor.report import demo_section as monitor_section  # extra: train
        except ImportError as exc:
            raise CribwatchError(
                f"cribwatch demo needs the training extra (pip install 'cribwatch[train]'): {exc}"
            ) from exc
        path = build_report(out, force=force, monitor=monitor_section)
    typer.echo(f"report: {path}")

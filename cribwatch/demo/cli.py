"""``cribwatch demo``: the HTML report."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(out: Path = typer.Option(Path("demo-report"), "--out", help="Report folder.")) -> None:
    """Build the HTML demo report: colour methods, night simulator, cry and roll-over sections."""
    from cribwatch.demo.report import build_report

    path = build_report(out)
    typer.echo(f"report: {path}")

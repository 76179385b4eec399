"""``cribwatch data ...``: fetch the training and test sources."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cribwatch.data.fetch import DEFAULT_GROUPS, fetch

app = typer.Typer(help="Fetch training and test sources (Debian packages).", no_args_is_help=True)
err = Console(stderr=True)


@app.command("fetch")
def fetch_cmd(
    dest: Path = typer.Option(Path("data"), "--dest", help="Folder to fetch into (git-ignored)."),
    only: str = typer.Option(
        ",".join(DEFAULT_GROUPS),
        "--only",
        help="Comma-separated groups: scenes, stamps, sounds, test.",
    ),
    donateacry: Path | None = typer.Option(
        None,
        "--donateacry",
        help="Local clone of the Donate-a-cry corpus (with 'sounds'; else git clone is tried).",
    ),
) -> None:
    """Download and unpack the source packages (idempotent), one progress line per package."""
    groups = [g.strip() for g in only.split(",") if g.strip()]
    fetch(dest, groups, progress=lambda msg: err.print(msg, highlight=False))
    if "sounds" in groups or donateacry is not None:
        from cribwatch.data.donateacry import fetch_donateacry
        from cribwatch.errors import CribwatchError

        try:
            fetch_donateacry(dest, donateacry, progress=lambda m: err.print(m, highlight=False))
        except CribwatchError as exc:
            if donateacry is not None:
                raise
            err.print(f"error: {exc.message}", highlight=False)

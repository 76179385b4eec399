"""``cribwatch data ...``: fetch the training and test sources."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cribwatch.clikit import progress_bar
from cribwatch.data.fetch import DEFAULT_GROUPS, GROUPS, fetch, plan
from cribwatch.errors import CribwatchError

app = typer.Typer(help="Fetch training and test sources (Debian packages).", no_args_is_help=True)


@app.command("fetch")
def fetch_cmd(
    dest: Path = typer.Option(Path("data"), "--dest", help="Folder to fetch into (git-ignored)."),
    only: str = typer.Option(
        ",".join(DEFAULT_GROUPS),
        "--only",
        help=f"Comma-separated groups: {', '.join(GROUPS)}.",
    ),
    donateacry: Path | None = typer.Option(
        None,
        "--donateacry",
        help="Local clone of the Donate-a-cry corpus (with 'sounds'; else git clone is tried).",
    ),
) -> None:
    """Download and unpack the source packages (idempotent), one line per part on stdout.

    Every local path and tool is checked before the first download; a part that fails does
    not stop the others, and the command then ends with one error line and exit code 2."""
    groups = [g.strip() for g in only.split(",") if g.strip()]
    checked = plan(dest, groups, donateacry)
    with progress_bar("data fetch", enabled=sys.stderr.isatty()) as bar:
        res = fetch(checked, progress=bar)
    for line in res.messages:
        typer.echo(line)
    if res.failed:
        more = f" (and {len(res.failed) - 1} more failed parts)" if len(res.failed) > 1 else ""
        raise CribwatchError(f"data fetch: {res.failed[0]}{more}")

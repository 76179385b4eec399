"""The ``cribwatch`` command: mounts the sub-apps of every capability.

Sub-apps live in each package's ``cli.py`` and are thin: parse, call library code, print.
A :class:`~cribwatch.errors.CribwatchError` anywhere becomes one ``error: ...`` line on stderr
and exit code 2 (:func:`cribwatch.clikit.handle_errors`).
"""

from __future__ import annotations

import typer

from cribwatch.board.cli import app as board_app
from cribwatch.clikit import handle_errors, quiet_native_logs
from cribwatch.color.cli import app as color_app
from cribwatch.cry.cli import app as cry_app
from cribwatch.data.cli import app as data_app
from cribwatch.demo.cli import demo
from cribwatch.deploy.cli import app as deploy_app
from cribwatch.monitor.cli import app as monitor_app
from cribwatch.rollover.cli import app as rollover_app

app = typer.Typer(
    name="cribwatch",
    help="On-device AI for smart baby-monitor cameras.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(color_app, name="color")
app.add_typer(cry_app, name="cry")
app.add_typer(rollover_app, name="rollover")
app.add_typer(deploy_app, name="deploy")
app.add_typer(board_app, name="board")
app.add_typer(data_app, name="data")
app.add_typer(monitor_app, name="monitor")
app.command("demo")(demo)


def main() -> None:
    """Console entry point."""
    quiet_native_logs()
    with handle_errors():
        app(standalone_mode=True)


if __name__ == "__main__":
    main()

"""The ``cribwatch`` command: mounts the sub-apps of every capability.

Sub-apps live in each package's ``cli.py`` and are thin: parse, call library code, print.
A :class:`~cribwatch.errors.CribwatchError` anywhere becomes one ``error: ...`` line on stderr
and exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from cribwatch.errors import CribwatchError

app = typer.Typer(
    name="cribwatch",
    help="On-device AI for smart baby-monitor cameras.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _mount() -> None:
    from cribwatch.color.cli import app as color_app
    from cribwatch.data.cli import app as data_app
    from cribwatch.demo.cli import demo

    app.add_typer(color_app, name="color")
    app.add_typer(data_app, name="data")
    app.command("demo")(demo)
    # Capabilities mount themselves once their package has a cli.py with a typer ``app``.
    for name in ("cry", "rollover", "deploy", "board"):
        if importlib.util.find_spec(f"cribwatch.{name}") is None:
            continue
        if importlib.util.find_spec(f"cribwatch.{name}.cli") is None:
            continue
        module = importlib.import_module(f"cribwatch.{name}.cli")
        app.add_typer(module.app, name=name)


_mount()


def main() -> None:
    """Console entry point."""
    try:
        app(standalone_mode=True)
    except CribwatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

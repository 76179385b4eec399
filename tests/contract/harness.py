"""The bad-input contract, as a table every verb must appear in.

A case runs one ``cribwatch`` command line (in this process, through ``cribwatch.cli.main``, so
the shared error handler is what is tested) and asserts the contract of issue 28: exit code 2,
exactly one stderr line, starting ``error:``, naming the file or option (``names``), no
traceback, and nothing at the output paths (``absent``). Paths in ``argv`` and ``absent`` may use
``{tmp}`` (the case's own empty folder) and ``{fx}`` (the shared fixture library,
:mod:`tests.contract.fixtures`). Cases with ``process=True`` run ``python -m cribwatch.cli`` in a
subprocess instead (native log lines, hangs: ``timeout`` seconds).

Each area lists its cases in ``tests/contract/cases_<area>.py`` as ``CASES: list[Case]``.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    """One bad input: the command line, what the error line must name, what must not exist."""

    id: str
    argv: list[str]
    names: list[str]
    """Substrings the error line must contain (the option or the file name)."""
    absent: list[str] = field(default_factory=list)
    """Paths that must not exist afterwards (nothing written)."""
    setup: Callable[[Path, Path], None] | None = None
    """Called as ``setup(tmp, fx)`` before the run, to build case-specific inputs in ``tmp``."""
    check: Callable[[Path, Path], None] | None = None
    """Called as ``check(tmp, fx)`` after the run: extra assertions (an input left untouched)."""
    stdin: bytes | None = None
    process: bool = False
    timeout: float = 120.0
    code: int = 2


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def _fill(s: str, tmp: Path, fx: Path) -> str:
    return s.replace("{tmp}", str(tmp)).replace("{fx}", str(fx))


def run_cli(argv: list[str], stdin: bytes | None = None) -> Outcome:
    """Run ``cribwatch ARGV`` in this process; capture exit code, stdout and stderr."""
    from cribwatch.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_argv, old_stdin = sys.argv, sys.stdin
    sys.argv = ["cribwatch", *argv]
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # noqa: BLE001 - a traceback is a contract failure, shown below
                import traceback

                traceback.print_exc(file=err)
                code = 1
    finally:
        sys.argv, sys.stdin = old_argv, old_stdin
    return Outcome(code, out.getvalue(), err.getvalue())


def run_process(argv: list[str], stdin: bytes | None, timeout: float) -> Outcome:
    """Run ``python -m cribwatch.cli ARGV`` in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "cribwatch.cli", *argv],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return Outcome(
        proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    )


def check_case(case: Case, tmp: Path, fx: Path) -> None:
    """Run ``case`` and assert the contract (the assertion message shows what happened)."""
    if case.setup is not None:
        case.setup(tmp, fx)
    argv = [_fill(a, tmp, fx) for a in case.argv]
    if case.process:
        res = run_process(argv, case.stdin, case.timeout)
    else:
        res = run_cli(argv, case.stdin)
    shown = f"{case.id}: exit {res.code}\nstderr:\n{res.stderr}\nstdout:\n{res.stdout[-2000:]}"
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.code == case.code, shown
    assert "Traceback" not in res.stderr, shown
    assert len(lines) == 1, shown
    assert lines[0].startswith("error: "), shown
    for name in case.names:
        assert _fill(name, tmp, fx) in lines[0], f"{case.id}: error line lacks {name!r}\n{shown}"
    for path in case.absent:
        p = Path(_fill(path, tmp, fx))
        assert not p.exists(), f"{case.id}: {p} was written\n{shown}"
    if case.check is not None:
        case.check(tmp, fx)


def verbs() -> list[str]:
    """Every leaf command of the ``cribwatch`` app, as 'group verb' strings."""
    import click
    import typer.main

    from cribwatch.cli import app

    root = typer.main.get_command(app)
    found: list[str] = []

    def walk(cmd: click.Command, prefix: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*prefix, name])
        else:
            found.append(" ".join(prefix))

    walk(root, [])
    return sorted(found)


def verb_of(argv: list[str], known: list[str]) -> str | None:
    """The verb a command line calls (the longest known prefix of its words)."""
    words = [a for a in argv if not a.startswith("-")]
    best = None
    for v in known:
        parts = v.split()
        if words[: len(parts)] == parts and (best is None or len(parts) > len(best.split())):
            best = v
    return best

"""The layers of docs/ARCHITECTURE.md, as tests: the same checks ``make lint`` runs.

``tools/check_layers.py`` reads the package with ``ast`` (library modules never print, exit,
import typer or a CLI module, or load modules by name; project imports at module top; ``python -m``
entry points go through ``cribwatch.clikit.run``; no import cycle between modules) and
``lint-imports`` checks the import-linter contracts in pyproject.toml. The checker itself is
tested on a small package with one violation of each kind.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _checker() -> ModuleType:
    if "check_layers" in sys.modules:
        return sys.modules["check_layers"]
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / "tools/check_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module
    spec.loader.exec_module(module)
    return module


check_layers = _checker()
RULES = ("print-exit", "cli-import", "dynamic-import", "lazy-import", "main-block", "cycle")


@pytest.fixture(scope="module")
def found() -> list[str]:
    return list(check_layers.violations(ROOT))


@pytest.mark.parametrize("rule", RULES)
def test_layer_rule(rule: str, found: list[str]) -> None:
    """One test per rule, so a failure names the rule and lists every offending line."""
    mine = [v for v in found if f"[{rule}]" in v]
    assert not mine, f"{len(mine)} violation(s) of [{rule}]:\n" + "\n".join(mine)


def test_import_contracts() -> None:
    """import-linter's contracts (pyproject.toml [tool.importlinter]) are kept."""
    pytest.importorskip("importlinter")
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    proc = subprocess.run(
        [*cmd, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    report = proc.stdout[proc.stdout.find("Contracts") :]
    assert proc.returncode == 0, report[-6000:] + proc.stderr[-2000:]


# ----------------------------------------------------------------------------- the checker


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


SAMPLE = {
    "cribwatch/__init__.py": "",
    "cribwatch/errors.py": "class CribwatchError(Exception): ...\n",
    "cribwatch/clikit.py": """
        import sys
        import typer

        def run(fn, *a):
            print("ok")
            sys.exit(fn(*a))
        """,
    "cribwatch/cli.py": """
        import typer
        from cribwatch.lib import cli as lib_cli

        def main():
            print("cli modules may print")
        """,
    "cribwatch/lib/__init__.py": "",
    "cribwatch/lib/cli.py": """
        import typer
        from cribwatch import clikit
        """,
    "cribwatch/lib/a.py": """
        from __future__ import annotations

        import importlib
        import sys
        from sys import exit as leave
        from typing import TYPE_CHECKING

        import numpy as np

        from cribwatch.lib import b

        if TYPE_CHECKING:
            from cribwatch.lib import c

        def f():
            print("library")
            sys.exit(1)
            leave(2)
            importlib.import_module("cribwatch.lib.b")
            sys.stderr.write("library")

        def g():
            import json
            import scipy
            import torch
            import kornia  # extra: train
            from cribwatch.lib import c
            from cribwatch.lib import heavy  # extra: train
            return json, scipy, torch, kornia, c, heavy
        """,
    "cribwatch/lib/b.py": """
        from importlib.util import find_spec
        from . import a
        """,
    "cribwatch/lib/heavy.py": """
        from cribwatch.lib import e
        """,
    "cribwatch/lib/c.py": """
        import numpy as np
        from cribwatch.clikit import run

        def main():
            run(print, "the entry function may print")

        if __name__ == "__main__":
            main()
        """,
    "cribwatch/lib/d.py": """
        import typer
        from cribwatch.cli import main

        if __name__ == "__main__":
            print("no clikit.run here")
        """,
    "cribwatch/lib/e.py": """
        from cribwatch.lib import c, d

        def main():
            from cribwatch import clikit
            from cribwatch.lib import cli
            clikit.run(print, cli)

        if __name__ == "__main__":
            main()
        """,
    "cribwatch/lib/tool.py": """
        from cribwatch import clikit

        def main():
            print("a python -m entry point nothing imports is CLI code")

        if __name__ == "__main__":
            clikit.run(main)
        """,
}


def test_checker_finds_each_kind(tmp_path: Path) -> None:
    _write(tmp_path, SAMPLE)
    lines = {v.replace(f"{tmp_path}/", "") for v in check_layers.violations(tmp_path)}
    expect = {
        "cribwatch/lib/a.py:17: [print-exit] library module calls print",
        "cribwatch/lib/a.py:18: [print-exit] library module calls sys.exit",
        "cribwatch/lib/a.py:19: [print-exit] library module calls leave",
        "cribwatch/lib/a.py:20: [dynamic-import]",
        "cribwatch/lib/a.py:21: [print-exit] library module calls sys.stderr.write",
        "cribwatch/lib/a.py:25: [lazy-import] lazy import of scipy",
        "cribwatch/lib/a.py:26: [lazy-import] lazy import of torch without",
        "cribwatch/lib/a.py:28: [lazy-import] import of cribwatch.lib.c",
        "cribwatch/lib/b.py:2: [dynamic-import]",
        "cribwatch/lib/c.py:3: [cli-import] library module imports the CLI module cribwatch.clikit",
        "cribwatch/lib/d.py:2: [cli-import] library module imports typer",
        "cribwatch/lib/d.py:3: [cli-import] library module imports the CLI module cribwatch.cli",
        "cribwatch/lib/d.py: [main-block]",
        "cribwatch/lib/e.py:6: [cli-import] the entry point of a library module imports the "
        "CLI module cribwatch.lib.cli",
        "[cycle] import cycle among cribwatch.lib.a, cribwatch.lib.b: cribwatch.lib.a (line 11)",
    }
    for prefix in expect:
        assert any(line.startswith(prefix) for line in lines), (prefix, sorted(lines))
    assert len(lines) == len(expect), "\n".join(sorted(lines))


def test_checker_passes_a_clean_package(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "cribwatch/__init__.py": "",
            "cribwatch/errors.py": "class CribwatchError(Exception): ...\n",
            "cribwatch/clikit.py": "import sys\n\ndef run(fn):\n    sys.exit(fn())\n",
            "cribwatch/lib/__init__.py": "",
            "cribwatch/lib/core.py": "from cribwatch.errors import CribwatchError\n",
            "cribwatch/lib/cli.py": "import typer\nfrom cribwatch.lib import core\nprint(core)\n",
        },
    )
    assert check_layers.violations(tmp_path) == []


def test_violation_lines(tmp_path: Path) -> None:
    """One line per violation: ``path:line: [rule] message``."""
    _write(tmp_path, {"cribwatch/__init__.py": "", "cribwatch/x.py": "print('x')\n"})
    assert check_layers.violations(tmp_path) == [f"{tmp_path}/cribwatch/x.py:1: "
                                                 "[print-exit] library module calls print "
                                                 "(return values; the CLI prints)"]  # fmt: skip

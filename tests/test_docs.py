"""The docs keep up with the code: every module has its line in docs/ARCHITECTURE.md, and every
command of README's tour exists with the options it shows.

- Every ``cribwatch/**/*.py`` module is named in docs/ARCHITECTURE.md, by its dotted name
  (``cribwatch.cry.stream``) or its path (``cribwatch/cry/stream.py`` or ``cry/stream.py``); a
  package (``__init__.py``) by its folder (``cry/``) or dotted name; the top-level
  ``__init__.py`` by that file name.
- Every non-Python part of the package is named too: files beside the modules
  (``card.schema.json``) by their path, data folders without modules (``weights/``) by their
  folder.
- Every module line of docs/ARCHITECTURE.md (``- `path`: ...``) names a part that exists.
- Every relative link of README.md and docs/**/*.md points at a file that exists.
- Every ``python`` example of README's "Python API" runs (from a folder where ``cribwatch/``
  points at the package, so its relative sample paths resolve and its outputs stay there).
- Every ``cribwatch ...`` command line in README's tour names an existing command (group and
  verb) and only options that command has (a renamed verb or option fails here).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cribwatch"
ARCH = ROOT / "docs" / "ARCHITECTURE.md"
README = ROOT / "README.md"

_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".so"}


def _named(text: str, names: list[str]) -> bool:
    """Whether one of ``names`` occurs in ``text`` as a whole token (not inside a longer path)."""
    for name in names:
        pattern = r"(?<![\w./-])" + re.escape(name) + r"(?![\w/-])(?!\.\w)"
        if re.search(pattern, text):
            return True
    return False


def _module_names(path: Path) -> list[str]:
    """The names under which the module at ``path`` may be cited."""
    rel = path.relative_to(PACKAGE)
    if rel.name == "__init__.py":
        if rel.parent == Path("."):
            return ["__init__.py", "cribwatch/__init__.py"]
        folder = rel.parent.as_posix()
        dotted = "cribwatch." + ".".join(rel.parent.parts)
        return [f"{folder}/", f"cribwatch/{folder}/", dotted, f"{folder}/__init__.py"]
    dotted = "cribwatch." + ".".join(rel.with_suffix("").parts)
    return [rel.as_posix(), f"cribwatch/{rel.as_posix()}", dotted]


def _package_parts() -> list[tuple[str, list[str]]]:
    """(what, accepted names) for every module and non-Python part of the package."""
    parts: list[tuple[str, list[str]]] = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        pkg = init.parent
        if any(p in _SKIP_DIRS for p in pkg.parts):
            continue
        for entry in sorted(pkg.iterdir()):
            rel = entry.relative_to(PACKAGE).as_posix()
            if entry.name in _SKIP_DIRS or entry.name.startswith("."):
                continue
            if entry.is_file() and entry.suffix == ".py":
                parts.append((f"cribwatch/{rel}", _module_names(entry)))
            elif entry.is_file() and entry.suffix not in _SKIP_SUFFIXES:
                parts.append((f"cribwatch/{rel}", [rel, f"cribwatch/{rel}"]))
            elif entry.is_dir() and not (entry / "__init__.py").exists():
                parts.append((f"cribwatch/{rel}/", [f"{rel}/", f"cribwatch/{rel}/"]))
    return parts


def test_architecture_names_every_module() -> None:
    text = ARCH.read_text(encoding="utf-8")
    parts = _package_parts()
    assert len(parts) > 60, "the package walk found too few modules"
    missing = [what for what, names in parts if not _named(text, names)]
    assert not missing, (
        "docs/ARCHITECTURE.md does not name these parts of the package "
        "(add one line each: path and what it is): " + ", ".join(missing)
    )


def test_architecture_lines_name_existing_modules() -> None:
    """A module line (``- `cry/stream.py`: ...``) names a file or folder that exists."""
    text = ARCH.read_text(encoding="utf-8")
    section = re.search(r"^## Modules\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert section, "docs/ARCHITECTURE.md has no '## Modules' section"
    cited = re.findall(r"^- `([\w./-]+)`", section.group(1), flags=re.M)
    assert len(cited) > 60
    stale = [c for c in cited if not (PACKAGE / c).exists()]
    assert not stale, f"docs/ARCHITECTURE.md has lines for parts that do not exist: {stale}"


def test_named_helper() -> None:
    assert _named("  cry/stream.py   block-streaming", ["cry/stream.py"])
    assert _named("`cribwatch.cry.stream`.", ["cribwatch.cry.stream"])
    assert not _named("color/cli.py", ["cli.py"])
    assert not _named("cribwatch.clikit", ["cribwatch.cli"])
    assert not _named("cribwatch.color.ssim", ["cribwatch.color"])
    assert _named("cribwatch.color, the", ["cribwatch.color"])


# ----------------------------------------------------------------------------- README tour


def _tour_commands() -> list[list[str]]:
    """The ``cribwatch ...`` command lines of README's tour (continuations joined), as tokens."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Tour\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        return []
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", match.group(1), flags=re.S)
    lines: list[str] = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("#", 1)[0].strip()
            m = re.match(r"^(?:\S*/)?cribwatch\s+(.*)$", line)
            if m:
                lines.append(m.group(1).split())
    return lines


def _root_command() -> Any:
    """The click command behind ``cribwatch`` (typer's own or vendored click: duck-typed)."""
    from cribwatch.cli import app

    return typer.main.get_command(app)


def _resolve(tokens: list[str]) -> tuple[Any, list[str]]:
    """Walk the command groups along ``tokens``; return the command and the remaining tokens."""
    cmd = _root_command()
    path: list[str] = []
    rest = list(tokens)
    while isinstance(getattr(cmd, "commands", None), dict):
        assert rest and not rest[0].startswith("-"), f"`cribwatch {' '.join(path)}` needs a verb"
        name = rest.pop(0)
        sub = cmd.commands.get(name)
        assert sub is not None, (
            f"README tour: `cribwatch {' '.join([*path, name])}` is not a command "
            f"(known: {', '.join(sorted(cmd.commands))})"
        )
        path.append(name)
        cmd = sub
    return cmd, rest


def test_readme_tour_has_commands() -> None:
    assert len(_tour_commands()) >= 10, "README.md: no '## Tour' section with cribwatch commands"


@pytest.mark.parametrize("tokens", _tour_commands(), ids=lambda t: " ".join(t[:2]))
def test_readme_tour_command_exists(tokens: list[str]) -> None:
    cmd, rest = _resolve(tokens)
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
    for tok in rest:
        if tok.startswith("--"):
            opt = tok.split("=", 1)[0]
            assert opt in known, (
                f"README tour: `cribwatch {' '.join(tokens)}`: {cmd.name} has no option {opt} "
                f"(it has {', '.join(sorted(known))})"
            )


# ----------------------------------------------------------------------------- README API


def _api_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Python API\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        return []
    return re.findall(r"```python\n(.*?)```", match.group(1), flags=re.S)


def test_readme_has_api_examples() -> None:
    assert len(_api_examples()) >= 3, "README.md: no '## Python API' section with examples"


@pytest.mark.parametrize(
    "code", _api_examples(), ids=lambda c: c.splitlines()[0].lstrip("# ").split(":")[0]
)
def test_readme_api_example_runs(code: str, tmp_path: Path) -> None:
    (tmp_path / "cribwatch").symlink_to(PACKAGE, target_is_directory=True)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"README example failed:\n{code}\n{done.stderr[-3000:]}"


# ----------------------------------------------------------------------------- links


def test_relative_links_resolve() -> None:
    pages = [README, *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, f"broken links: {broken}"

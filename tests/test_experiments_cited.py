"""The measurement scripts and outputs the docs cite are in the repository.

- Every ``experiments/...`` path named in README.md, docs/*.md, docs/results/*.md and the model
  cards ``cribwatch/weights/*.json`` exists (a glob such as ``ph2_*_val.json`` matches at least
  one file; a brace list such as ``stage{K,L,M,N}.py`` is expanded; a path ending in ``/`` is a
  folder).
- None of those files cites the session folder ``/work/plan`` (which a clone does not have).
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


_CITE = re.compile(r"experiments/(?:[^\s`)\"'<>;,{}]|\{[^}\s]*\})*")
_PLAN = re.compile(r"/work/plan\b")


def _pages() -> list[Path]:
    pages = [ROOT / "README.md"]
    pages += sorted((ROOT / "docs").glob("*.md"))
    pages += sorted((ROOT / "docs" / "results").glob("*.md"))
    pages += sorted((ROOT / "cribwatch" / "weights").glob("*.json"))
    return pages


def _expand(path: str) -> list[str]:
    """``a{b,c}d`` -> ``abd``, ``acd`` (nested groups too)."""
    match = re.search(r"\{([^{}]*)\}", path)
    if match is None:
        return [path]
    out: list[str] = []
    for alt in match.group(1).split(","):
        out += _expand(path[: match.start()] + alt + path[match.end() :])
    return out


def cited(text: str) -> list[str]:
    """The ``experiments/...`` paths named in ``text`` (trailing punctuation stripped)."""
    return [m.group(0).rstrip(".:,") for m in _CITE.finditer(text)]


def missing(citation: str, root: Path = ROOT) -> list[str]:
    """The parts of ``citation`` that name nothing under ``root``."""
    lost = []
    for path in _expand(citation):
        if any(c in path for c in "*?["):
            if not glob.glob(str(root / path)):
                lost.append(path)
        elif path.endswith("/"):
            if not (root / path).is_dir():
                lost.append(path)
        elif not (root / path).exists():
            lost.append(path)
    return lost


def test_cited_experiments_exist() -> None:
    lost = []
    count = 0
    for page in _pages():
        for citation in cited(page.read_text(encoding="utf-8")):
            count += 1
            lost += [f"{page.relative_to(ROOT)}: {p}" for p in missing(citation)]
    assert not lost, f"cited but not in the repository: {lost}"
    assert count > 0


def test_no_citation_of_the_session_folder() -> None:
    offenders = []
    for page in _pages():
        rel = page.relative_to(ROOT).as_posix()
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if _PLAN.search(line):
                offenders.append(f"{rel}:{number}")
    assert not offenders, f"cite /work/plan (not in a clone; use experiments/): {offenders}"


@pytest.mark.parametrize(
    ("text", "lost"),
    [
        ("(`python experiments/logs/s4/no_such.py`).", ["experiments/logs/s4/no_such.py"]),
        ("all rows in `experiments/logs/s4/ph9_*.json`,", ["experiments/logs/s4/ph9_*.json"]),
        ("scripts `experiments/logs/i23f/stage{K,Q}.py`", ["experiments/logs/i23f/stageQ.py"]),
        ("logs: experiments/logs/nope/).", ["experiments/logs/nope/"]),
        ("`experiments/logs/s4/ph2_*_val.json` and experiments/logs/i23f/stage{K,L}.py", []),
    ],
)
def test_checker_finds_a_missing_citation(text: str, lost: list[str]) -> None:
    found = [p for c in cited(text) for p in missing(c)]
    assert found == lost

"""Every verb against the library of bad inputs (issue 28's contract), and its coverage."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract import fixtures
from tests.contract.harness import Case, check_case, verb_of, verbs


def _all_cases() -> list[Case]:
    cases: list[Case] = []
    package = Path(__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        if info.name.startswith("cases_"):
            module = importlib.import_module(f"tests.contract.{info.name}")
            cases.extend(module.CASES)
    return cases


CASES = _all_cases()


@pytest.fixture(scope="session")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = fixtures.build(tmp_path_factory.mktemp("fx"))
    yield root
    fixtures.teardown(root)


def test_case_ids_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_verb_has_cases() -> None:
    """A verb added without bad-input cases fails here."""
    known = verbs()
    covered = {verb_of(c.argv, known) for c in CASES}
    missing = [v for v in known if v not in covered]
    assert not missing, f"verbs without contract cases: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_contract(case: Case, fx: Path, tmp_path: Path) -> None:
    if "{fx}/ro" in " ".join(case.argv) and fixtures.RO_REASON:
        pytest.skip(fixtures.RO_REASON)
    check_case(case, tmp_path, fx)
    assert not (fx / "PWNED").exists(), f"{case.id}: code from a model file ran"

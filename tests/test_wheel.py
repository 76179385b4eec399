"""What the wheel carries and what it declares (static and fast; ``make wheel-check`` runs it).

- every data file under ``cribwatch/`` (weights, cards, samples, schema, C sources) matches a
  ``package-data`` pattern, so ``pip install cribwatch`` is not a checkout-only install;
- every third-party import is declared: at module top, by the runtime or an extra; a lazy import
  marked ``# extra: NAME``, by that extra; the runtime itself never declares torch & co.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]

#: Imported, but deliberately not declared (with the reason).
UNDECLARED = {
    "dcase_util": "sed_eval's own dependency (its event containers), comes with sed_eval",
    "mediapipe": "installed with --no-deps by the Makefile; its runtime needs are `rollover`",
}
#: Import names whose distribution is not installed here (the TFLite environment).
KNOWN_DISTRIBUTIONS = {
    "litert_torch": "litert-torch",
    "ai_edge_litert": "ai-edge-litert",
    "torchao": "torchao",
}
#: What `pip install cribwatch` must never bring.
TRAIN_ONLY = ("torch", "kornia", "onnx", "scikit-image", "sed-eval", "matplotlib", "mediapipe")


def _checker() -> ModuleType:
    if "check_layers" in sys.modules:
        return sys.modules["check_layers"]
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / "tools/check_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module
    spec.loader.exec_module(module)
    return module


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def req_name(req: str) -> str:
    """The distribution a requirement names (``"torch==2.13.0"`` -> ``torch``)."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    assert m, req
    return canon(m.group(1))


def declared(extra: str | None) -> set[str]:
    """Distributions of the runtime (None) or of one extra, extras it names expanded."""
    reqs = PROJECT["dependencies"] if extra is None else EXTRAS[extra]
    out: set[str] = set()
    for r in reqs:
        m = re.match(r"\s*cribwatch\[([^\]]+)\]", r)
        if m:
            for sub in m.group(1).split(","):
                out |= declared(sub.strip())
        else:
            out.add(req_name(r))
    return out


def test_runtime_has_no_training_stack() -> None:
    runtime = declared(None)
    assert not runtime & {canon(n) for n in TRAIN_ONLY}, sorted(runtime)
    assert {"numpy", "onnxruntime", "opencv-python-headless", "soundfile", "av"} <= runtime


def test_all_is_every_co_installable_extra() -> None:
    together = ("train", "rollover", "cry-pretrained", "dev")
    assert declared("all") == set().union(*(declared(e) for e in together))
    for tool in ("pytest", "ruff", "mypy", "import-linter", "hypothesis"):
        pins = [r for r in EXTRAS["dev"] if req_name(r) == tool]
        assert pins and "==" in pins[0], f"[dev] pins {tool} to one version: {pins}"


def test_package_data_covers_every_data_file() -> None:
    pkg = ROOT / "cribwatch"
    shipped: set[Path] = set()
    for package, patterns in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        base = ROOT.joinpath(*package.split("."))
        shipped |= {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
    data = {
        p
        for p in pkg.rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".pyc")
        and "__pycache__" not in p.parts
        and not p.name.startswith(".")
    }
    missing = sorted(str(p.relative_to(ROOT)) for p in data - shipped)
    assert not missing, f"data files the wheel would leave out (add to package-data): {missing}"


def _imports() -> list[tuple[str, str, str | None, bool]]:
    """(module file:line, top-level import name, extra named in its comment, at module top)."""
    cl = _checker()
    mods = cl.load(ROOT)
    out = []
    for mod in mods.values():
        for imp in mod.imports:
            first = imp.base.split(".")[0]
            if not first or first == "cribwatch" or first in sys.stdlib_module_names:
                continue
            if first == "__future__" or cl.project_target(imp, mods) is not None:
                continue
            m = re.search(r"extra:\s*([a-z][a-z0-9-]*)", imp.comment)
            out.append((f"{mod.rel}:{imp.line}", first, m.group(1) if m else None, imp.top))
    return out


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def _distribution(name: str) -> str | None:
    if name in KNOWN_DISTRIBUTIONS:
        return canon(KNOWN_DISTRIBUTIONS[name])
    dists = _distributions().get(name)
    return canon(dists[0]) if dists else None


def test_every_import_is_declared() -> None:
    anywhere = declared(None).union(*(declared(e) for e in EXTRAS))
    problems = []
    for where, name, extra, _top in _imports():
        if name in UNDECLARED:
            continue
        dist = _distribution(name)
        if dist is None:
            problems.append(f"{where}: {name} is not installed here and has no known distribution")
        elif extra is not None:
            if extra not in EXTRAS:
                problems.append(
                    f"{where}: '# extra: {extra}' names no extra of pyproject.toml "
                    f"({', '.join(EXTRAS)})"
                )
            elif dist not in declared(extra) and dist not in declared(None):
                problems.append(f"{where}: {name} ({dist}) is not in the [{extra}] extra")
        elif dist not in anywhere:
            problems.append(f"{where}: {name} ({dist}) is declared nowhere in pyproject.toml")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_extras_resolve_to_known_names(extra: str) -> None:
    for req in EXTRAS[extra]:
        assert req_name(req), req

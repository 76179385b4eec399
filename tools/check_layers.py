#!/usr/bin/env python3
"""The layer rules import-linter cannot see, checked on the source with ``ast``.

Run by ``make lint`` (after ``lint-imports``) and by ``tests/test_layers.py``:

* library modules (every module but the CLI layer: ``cribwatch.cli``, ``cribwatch.*.cli``,
  ``cribwatch.clikit``, ``__main__`` modules) never call ``print``, ``sys.exit``/``exit``/
  ``quit``, never import ``typer``/``click``/``cribwatch.clikit``/a CLI module, and never load
  modules by name (``importlib.import_module``, ``importlib.util.find_spec``, ``__import__``).
  The ``if __name__ == "__main__":`` block of a ``python -m`` entry point is CLI code: it may
  import ``cribwatch.clikit`` (inside the block) and must call ``cribwatch.clikit.run``;
* project imports sit at module top (``import cribwatch...`` inside a function hides a
  dependency); a lazy third-party import is allowed only for the optional extras (torch,
  kornia, onnx, mediapipe, ...) and carries an ``# extra: NAME`` comment;
* no import cycle between modules (the whole module graph, lazy imports included; imports
  under ``if TYPE_CHECKING:`` are not edges).

Exit 0 when every rule holds; otherwise one line per violation (``path:line: [rule] message``;
rules: print-exit, cli-import, dynamic-import, lazy-import, main-block, cycle) and exit 1.
``--graph`` prints the project import graph and each module's third-party imports instead.
"""

from __future__ import annotations

import argparse
import ast
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "cribwatch"

#: Third-party packages that may be imported lazily (inside a function), at an extra's boundary.
EXTRA_PACKAGES = {
    "torch": "train",
    "torchvision": "train",
    "kornia": "train",
    "onnx": "train",
    "onnxscript": "train",
    "ml_dtypes": "train",
    "skimage": "train",
    "sed_eval": "train",
    "matplotlib": "train",
    "mediapipe": "rollover",
    "ai_edge_litert": "rollover, cry-pretrained or tflite",
    "litert_torch": "tflite",
    "tflite_runtime": "tflite",
    "tensorflow": "tflite",
}
#: Modules whose import marks CLI code.
CLI_LIBRARIES = ("typer", "click")
#: Writes to the terminal other than print.
STREAM_WRITES = {
    f"sys.{stream}{sub}.write" for stream in ("stdout", "stderr") for sub in ("", ".buffer")
}
#: Names that load a module by string.
DYNAMIC_LOADERS = ("import_module", "find_spec", "__import__", "spec_from_file_location")


@dataclass
class Import:
    target: str  # absolute dotted name as written (``from a.b import c`` -> ``a.b.c`` candidate)
    base: str  # the module named after ``from`` (or the ``import`` name itself)
    line: int
    top: bool  # at module level (not inside a function or class body)
    in_main: bool  # inside ``if __name__ == "__main__":``
    comment: str


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: list[Import] = field(default_factory=list)
    tree: ast.Module | None = None
    lines: list[str] = field(default_factory=list)
    entry: frozenset[str] = frozenset()
    nodes: list[tuple[ast.AST, bool, bool]] = field(default_factory=list)

    @property
    def rel(self) -> str:
        try:
            return str(self.path.relative_to(ROOT))
        except ValueError:
            return str(self.path)


def is_cli(name: str) -> bool:
    """Whether ``name`` is a CLI-layer module (may print, exit, import typer and clikit)."""
    last = name.rsplit(".", 1)[-1]
    return name in (f"{PACKAGE}.cli", f"{PACKAGE}.clikit") or last in ("cli", "__main__")


def discover(root: Path = ROOT) -> dict[str, Module]:
    """Every module of the package, by dotted name."""
    mods: dict[str, Module] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        name = ".".join(parts)
        mods[name] = Module(name, path, is_pkg)
    return mods


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    left, right = test.left, test.comparators[0]
    names = {getattr(left, "id", None), getattr(right, "id", None)}
    values = {getattr(left, "value", None), getattr(right, "value", None)}
    return "__name__" in names and "__main__" in values


def _walk(
    node: ast.AST, top: bool, in_main: bool, entry: frozenset[str] = frozenset()
) -> list[tuple[ast.AST, bool, bool]]:
    """Every node under ``node`` as (node, at module top, CLI code), TYPE_CHECKING blocks
    skipped (their ``else`` kept).

    CLI code: the ``if __name__ == "__main__":`` block and the module-level functions it calls
    (``entry``: a ``python -m`` entry point's ``main``).
    """
    out: list[tuple[ast.AST, bool, bool]] = []
    stack: list[tuple[ast.AST, bool, bool]] = [(node, top, in_main)]
    while stack:
        parent, p_top, p_main = stack.pop()
        children: list[tuple[ast.AST, bool, bool]] = []
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:
                    out.append((sub, p_top, p_main))
                    children.append((sub, p_top, p_main))
                continue
            child_main = (
                p_main
                or (isinstance(child, ast.If) and _is_main_guard(child.test))
                or (p_top and isinstance(child, ast.FunctionDef) and child.name in entry)
            )
            child_top = p_top and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
            )
            out.append((child, p_top, p_main))
            children.append((child, child_top, child_main))
        stack.extend(reversed(children))
    return out


def main_blocks(tree: ast.Module) -> list[ast.If]:
    """The module-level ``if __name__ == "__main__":`` blocks."""
    return [n for n in tree.body if isinstance(n, ast.If) and _is_main_guard(n.test)]


def entry_functions(tree: ast.Module) -> frozenset[str]:
    """Module-level functions called from the ``__main__`` block (the entry point's ``main``)."""
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    called = {
        node.func.id
        for block in main_blocks(tree)
        for node in ast.walk(block)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return frozenset(called & defined)


def _resolve_relative(mod: Module, level: int, name: str | None) -> str:
    parts = mod.name.split(".")
    if not mod.is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, name] if name else parts)


def parse(mod: Module) -> None:
    text = mod.path.read_text(encoding="utf-8")
    mod.lines = text.splitlines()
    mod.tree = ast.parse(text, filename=str(mod.path))
    mod.entry = entry_functions(mod.tree)
    mod.nodes = _walk(mod.tree, True, False, mod.entry)
    for node, top, in_main in mod.nodes:
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line
        span = mod.lines[line - 1 : end] if line else []
        comment = " ".join(s.split("#", 1)[1].strip() for s in span if "#" in s)
        if isinstance(node, ast.Import):
            for alias in node.names:
                mod.imports.append(Import(alias.name, alias.name, line, top, in_main, comment))
        elif isinstance(node, ast.ImportFrom):
            base = (
                _resolve_relative(mod, node.level, node.module) if node.level else node.module
            ) or ""
            for alias in node.names:
                target = f"{base}.{alias.name}" if alias.name != "*" else base
                mod.imports.append(Import(target, base, line, top, in_main, comment))


def project_target(imp: Import, mods: dict[str, Module]) -> str | None:
    """The project module an import loads (``from pkg import mod`` -> ``pkg.mod``), if any."""
    if not (imp.base == PACKAGE or imp.base.startswith(PACKAGE + ".")):
        return None
    for cand in (imp.target, imp.base):
        while cand:
            if cand in mods:
                return cand
            cand = cand.rpartition(".")[0]
    return None


def graph(mods: dict[str, Module]) -> dict[str, dict[str, int]]:
    """importer -> {imported: first line}, project modules only, TYPE_CHECKING excluded."""
    g: dict[str, dict[str, int]] = {name: {} for name in mods}
    for mod in mods.values():
        for imp in mod.imports:
            tgt = project_target(imp, mods)
            if tgt is not None and tgt != mod.name:
                g[mod.name].setdefault(tgt, imp.line)
    return g


def cycles(g: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(g):
        if start in index:
            continue
        work = [(start, iter(sorted(g[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(g[nxt]))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def _cycle_path(comp: list[str], g: dict[str, dict[str, int]]) -> list[str]:
    """One concrete loop through the component, for the message (a -> b -> ... -> a)."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    queue = [start]
    seen = {start}
    while queue:
        node = queue.pop(0)
        for nxt in sorted(g[node]):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            if nxt in members and nxt not in seen:
                seen.add(nxt)
                prev[nxt] = node
                queue.append(nxt)
    return comp


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_call_name(func.value)}.{func.attr}"
    return ""


def check_module(mod: Module, mods: dict[str, Module], entry_only: bool = False) -> list[str]:
    """Rule violations of one module, as ``path:line: [rule] message`` lines.

    ``entry_only``: a ``python -m`` entry point no project module imports (CLI layer whole).
    """
    assert mod.tree is not None
    out: list[str] = []
    cli = is_cli(mod.name) or entry_only
    from_sys = {
        (alias.asname or alias.name)
        for node, _top, _main in mod.nodes
        if isinstance(node, ast.ImportFrom) and node.module == "sys"
        for alias in node.names
        if alias.name == "exit"
    }

    def bad(line: int, msg: str) -> None:
        text = f"{mod.rel}:{line}: {msg}"
        if text not in out:
            out.append(text)

    for imp in mod.imports:
        tgt = project_target(imp, mods)
        first = imp.base.split(".")[0]
        if not cli and not imp.in_main:
            if first in CLI_LIBRARIES:
                bad(
                    imp.line,
                    f"[cli-import] library module imports {first} (CLI code belongs in a cli "
                    "module)",
                )
            if tgt is not None and is_cli(tgt):
                bad(imp.line, f"[cli-import] library module imports the CLI module {tgt}")
        elif not cli and tgt is not None and is_cli(tgt) and tgt != f"{PACKAGE}.clikit":
            bad(
                imp.line,
                f"[cli-import] the entry point of a library module imports the CLI module {tgt} "
                "(the library is imported by CLIs: a cycle; move the entry point to a cli module)",
            )
        # The package root's PEP 562 ``__getattr__`` resolves the three front desks on first use
        # (marked '# public API'): the one allowed lazy project import outside an extra.
        public_api = mod.name == PACKAGE and "public API" in imp.comment
        lazy = not imp.top and not imp.in_main and "extra:" not in imp.comment and not public_api
        if lazy and tgt is not None:
            bad(
                imp.line,
                f"[lazy-import] import of {tgt} inside a function (project imports sit at "
                "module top; at an extra's boundary mark it '# extra: NAME')",
            )
        elif lazy and first in EXTRA_PACKAGES:
            bad(
                imp.line,
                f"[lazy-import] lazy import of {first} without an '# extra: NAME' comment "
                f"(NAME: {EXTRA_PACKAGES[first]})",
            )
        elif lazy and first not in sys.stdlib_module_names and first != "__future__":
            bad(
                imp.line,
                f"[lazy-import] lazy import of {first} (a runtime dependency: import it at "
                "module top)",
            )
        if first == "importlib" and imp.target.rsplit(".", 1)[-1] in DYNAMIC_LOADERS:
            bad(imp.line, f"[dynamic-import] loads modules by name ({imp.target})")
    for node, _top, in_main in mod.nodes:
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        last = name.rsplit(".", 1)[-1]
        if last in DYNAMIC_LOADERS and (
            name in ("__import__",) or name.startswith("importlib") or "." not in name
        ):
            bad(node.lineno, f"[dynamic-import] loads modules by name ({name})")
        if cli or in_main:
            continue
        if name == "print" or name in STREAM_WRITES:
            bad(
                node.lineno,
                f"[print-exit] library module calls {name} (return values; the CLI prints)",
            )
        elif name in ("sys.exit", "exit", "quit", "os._exit") or name in from_sys:
            bad(
                node.lineno,
                f"[print-exit] library module calls {name} (raise CribwatchError instead)",
            )
    return sorted(out, key=lambda text: int(text.split(":")[1]))


def main_block_uses_run(mod: Module) -> bool | None:
    """None without a ``__main__`` block; else whether it (or the entry function it calls)
    calls ``cribwatch.clikit.run``."""
    assert mod.tree is not None
    blocks: list[ast.AST] = list(main_blocks(mod.tree))
    if not blocks:
        return None
    blocks += [n for n in mod.tree.body if isinstance(n, ast.FunctionDef) and n.name in mod.entry]
    run_names = {"clikit.run", "cribwatch.clikit.run"}
    for imp_node in ast.walk(mod.tree):
        if isinstance(imp_node, ast.ImportFrom) and imp_node.module == "cribwatch.clikit":
            run_names |= {a.asname or a.name for a in imp_node.names if a.name == "run"}
    for block in blocks:
        for node in ast.walk(block):
            if isinstance(node, ast.Call) and _call_name(node.func) in run_names:
                return True
    return False


@functools.cache
def load(root: Path = ROOT) -> dict[str, Module]:
    """Every module of the package under ``root``, parsed (once per process)."""
    mods = discover(root)
    for mod in mods.values():
        parse(mod)
    return mods


def violations(root: Path = ROOT) -> list[str]:
    """Every violation of the rules above in the package under ``root``."""
    mods = load(root)
    out: list[str] = []
    g = graph(mods)
    imported = {tgt for targets in g.values() for tgt in targets}
    for mod in mods.values():
        assert mod.tree is not None
        entry_only = bool(main_blocks(mod.tree)) and mod.name not in imported
        out += check_module(mod, mods, entry_only)
        uses = main_block_uses_run(mod)
        if uses is False and mod.name != f"{PACKAGE}.cli":
            out.append(
                f"{mod.rel}: [main-block] python -m entry point does not call "
                "cribwatch.clikit.run in its __main__ block"
            )
    for comp in cycles(g):
        loop = _cycle_path(comp, g)
        steps = " -> ".join(f"{a} (line {g[a][b]})" for a, b in zip(loop, loop[1:], strict=False))
        out.append(f"[cycle] import cycle among {', '.join(comp)}: {steps} -> {loop[-1]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", action="store_true", help="print the import graph and exit")
    args = ap.parse_args(argv)
    if args.graph:
        mods = load()
        g = graph(mods)
        for name, mod in mods.items():
            third = sorted(
                {
                    i.base.split(".")[0]
                    for i in mod.imports
                    if project_target(i, mods) is None
                    and i.base.split(".")[0] not in sys.stdlib_module_names
                    and i.base
                }
            )
            print(f"{name}: {' '.join(sorted(g[name]))} | {' '.join(third)}")
        return 0
    found = violations()
    for line in found:
        print(line)
    if found:
        counts: dict[str, int] = {}
        for line in found:
            rule = line.split("[", 1)[1].split("]", 1)[0] if "[" in line else "?"
            counts[rule] = counts.get(rule, 0) + 1
        per_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
        print(f"{len(found)} layer rule violation(s): {per_rule}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

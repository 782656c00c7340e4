"""The house rules a newcomer relies on, checked on the product code (not tests, bench or
migrations): small functions, small modules, no import cycle. DESIGN.md's layers themselves
are checked by import-linter (`lint-imports`, pyproject.toml) in .ci/run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("attendance", "casework", "store", "mail", "bot", "documents", "web", "supportfirst")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def product_modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield dotted.removesuffix(".__init__"), path


def test_there_is_product_code_to_check() -> None:
    assert sum(1 for _ in product_modules()) > 50


def test_no_function_in_product_code_is_over_60_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"
        for _, path in product_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_no_module_in_product_code_is_over_400_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)} ({n} lines)"
        for _, path in product_modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def imported_at_load(module: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `module` imports when it is loaded: module-level imports, not those
    inside functions (lazy on purpose) or under `if TYPE_CHECKING:`."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # `from pkg import sub` loads the submodule; pkg itself is being loaded already
            subs = {f"{base}.{a.name}" for a in node.names} & known
            found.update(subs or {base})
    ancestors = {module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1)}
    return {m for m in found if m in known and m != module and m not in ancestors}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                on_stack.discard(w)
                component.append(w)
            on_stack.discard(v)
            if component:
                found.append(sorted([v, *component]))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_in_product_code() -> None:
    modules = dict(product_modules())
    known = set(modules)
    graph = {m: imported_at_load(m, p, known) for m, p in modules.items()}
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]

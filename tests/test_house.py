"""The house (DESIGN section 12): arrows run one way, `api` → `outcomes` → `plans` →
`recovery` → `infra`, with the project's wiring (`stepwise`) above them all; `plans/engine.py`
imports nothing of the project; infrastructure imports no domain module; and no module imports
itself back through others. Every import counts, at the top of a module or inside a function.
Migrations are history and left out."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lower may be imported by higher, never the other way.
LAYERS = ["infra", "recovery", "plans", "outcomes", "api", "stepwise"]
RANK = {name: n for n, name in enumerate(LAYERS)}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in LAYERS
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, anywhere in it."""
    found: set[str] = set()
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [base])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:  # `from plans.models import Plan` → plans.models
                name = name.rpartition(".")[0]
            if name and name != this:
                found.add(name)
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    modules = project_modules()
    return {name: frozenset(imports_of(path, modules)) for name, path in modules.items()}


def layer(module: str) -> str:
    return module.split(".")[0]


# Pure rules without Django or the clock: anyone may use them (DESIGN section 12).
ANYONE_MAY_IMPORT = {"plans.engine"}


def test_every_arrow_points_down_the_layers():
    wrong = sorted(
        f"{source} → {target}"
        for source, targets in graph().items()
        for target in targets - ANYONE_MAY_IMPORT
        if RANK[layer(target)] > RANK[layer(source)]
    )
    assert wrong == []


def test_the_engine_imports_nothing_of_the_project():
    assert graph()["plans.engine"] == frozenset()


def test_infrastructure_imports_no_domain_module():
    wrong = sorted(
        f"{source} → {target}"
        for source, targets in graph().items()
        if layer(source) == "infra"
        for target in targets
        if layer(target) != "infra"
    )
    assert wrong == []


def test_there_is_no_import_cycle():
    edges = graph()
    cycles: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


def test_the_graph_holds_the_arrows_it_judges():
    """The checks above would pass on an empty graph: it must see real imports, in every form."""
    edges = graph()
    assert "recovery.models" in edges["plans.models.plan"]  # from recovery.models import ...
    assert "plans.engine" in edges["plans.services.weeks"]  # from plans import engine
    assert "infra.queue" in edges["plans.services.alerts"]
    assert "plans.services.sessions" in edges["plans.services"]  # a package's __init__


# Big modules are split by concern before they pass ~500 lines (DESIGN section 12). The engine is
# the one module DESIGN names as a file of its own that imports nothing of the project: its rules
# are read as one text, and a split would have it import itself.
MODULE_LINES_MAX = 500
LONG_BY_DESIGN = {"plans/engine.py"}


def test_no_module_of_the_house_passes_500_lines():
    long = sorted(
        f"{path.relative_to(ROOT)}: {lines}"
        for package in [*LAYERS, "benchmarks"]
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and str(path.relative_to(ROOT)) not in LONG_BY_DESIGN
        and (lines := len(path.read_text().splitlines())) > MODULE_LINES_MAX
    )
    assert long == []

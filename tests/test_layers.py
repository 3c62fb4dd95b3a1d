"""The layers of the code, pinned: each layer imports only the layers below it, and no modules import each other in a cycle.

From the bottom: the foundation (names, handles, config, evidence, ...), the HTTP layer,
the pure parsers in ``scrapers/``, the models, the platforms' reading, then the site,
corrections and postcodes, then the pipeline that drives them, and at the top the demo,
the command line, the benchmarks and the flows (docs/architecture.md). Every import
counts, including those inside functions: a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("cllr", "scrapers", "models", "flows")
FOUNDATION = (
    "cllr",
    "cllr.config",
    "cllr.names",
    "cllr.parties",
    "cllr.handles",
    "cllr.evidence",
    "cllr.roles",
    "cllr.urls",
    "cllr.progress",
)

# Layer → the layers its modules may import (besides their own). A module belongs to the
# first layer whose prefix names it.
LAYERS: dict[str, tuple[str, ...]] = {
    "foundation": (),
    "cllr.http": ("foundation",),
    "scrapers": ("foundation",),
    "models": ("foundation", "scrapers.records"),
    "cllr.platforms": ("foundation", "cllr.http", "scrapers"),
    "cllr.postcodes": ("foundation", "models"),
    "cllr.site": ("foundation", "models", "scrapers.records", "cllr.platforms", "cllr.postcodes"),
    "cllr.corrections": ("foundation", "models", "scrapers.records", "cllr.site"),
    "cllr.pipeline": (
        "foundation",
        "cllr.http",
        "scrapers",
        "models",
        "cllr.platforms",
        "cllr.postcodes",
        "cllr.site",
        "cllr.corrections",
    ),
    "cllr.demo": (
        "foundation",
        "cllr.http",
        "scrapers",
        "models",
        "cllr.platforms",
        "cllr.postcodes",
        "cllr.site",
        "cllr.corrections",
        "cllr.pipeline",
    ),
    "top": ("*",),  # the command line, the benchmarks, the flows
}
TOP = ("cllr.cli", "cllr.bench", "flows")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports(name: str, source: str, modules: set[str], is_package: bool) -> set[str]:
    """The project modules ``source`` imports, anywhere in it (``from a import b`` names ``a.b`` if that is a module)."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t.split(".")[0] in PACKAGES and t != name}
    return found


def graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    names = set(modules)
    return {
        name: imports(name, path.read_text(encoding="utf-8"), names, path.name == "__init__.py")
        for name, path in modules.items()
    }


def layer_of(module: str) -> str:
    if module in FOUNDATION or any(module.startswith(f + ".") for f in FOUNDATION if f != "cllr"):
        return "foundation"
    if module in TOP or any(module.startswith(t + ".") for t in TOP):
        return "top"
    for layer in LAYERS:
        if module == layer or module.startswith(layer + "."):
            return layer
    return "unplaced"


def allowed(importer: str, imported: str) -> bool:
    mine, theirs = layer_of(importer), layer_of(imported)
    if mine == theirs or "*" in LAYERS.get(mine, ()):
        return True
    for permitted in LAYERS.get(mine, ()):
        if permitted == theirs or imported == permitted or imported.startswith(permitted + "."):
            return True
    return False


def violations(edges: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{importer} ({layer_of(importer)}) imports {imported} ({layer_of(imported)})"
        for importer, targets in edges.items()
        for imported in targets
        if not allowed(importer, imported)
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


MODULES = project_modules()
EDGES = graph(MODULES)


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) == "unplaced"] == []


def test_each_layer_imports_only_the_layers_below_it():
    assert violations(EDGES) == []


def test_no_modules_import_each_other_in_a_cycle():
    assert cycles(EDGES) == []


@pytest.mark.parametrize(
    "importer, source, broken",
    [
        (
            "cllr.names",
            "from cllr.site.views import gather_people",
            "cllr.names (foundation) imports cllr.site.views (cllr.site)",
        ),
        (
            "cllr.http.slots",
            "def f():\n    from models.runs import PolitenessSlot",
            "cllr.http.slots (cllr.http) imports models.runs (models)",
        ),
        (
            "scrapers.profiles",
            "from cllr.http import slot_key",
            "scrapers.profiles (scrapers) imports cllr.http (cllr.http)",
        ),
        (
            "cllr.site.build",
            "from cllr.pipeline import activity",
            "cllr.site.build (cllr.site) imports cllr.pipeline.activity (cllr.pipeline)",
        ),
        (
            "cllr.corrections.intake",
            "import cllr.pipeline.context",
            "cllr.corrections.intake (cllr.corrections) imports cllr.pipeline.context (cllr.pipeline)",
        ),
        (
            "cllr.postcodes.importer",
            "from cllr.site.views import gather_people",
            "cllr.postcodes.importer (cllr.postcodes) imports cllr.site.views (cllr.site)",
        ),
    ],
)
def test_an_import_that_breaks_a_rule_is_reported(importer, source, broken):
    edges = {importer: imports(importer, source, set(MODULES), False)}
    assert violations(edges) == [broken]


def test_a_module_may_import_its_own_layer_and_those_below():
    edges = {
        "cllr.site.build": imports(
            "cllr.site.build",
            "from cllr.site import views\nfrom models import Council\nfrom cllr.names import slugify",
            set(MODULES),
            False,
        ),
        "cllr.cli": imports("cllr.cli", "from cllr.pipeline import activity", set(MODULES), False),
    }
    assert violations(edges) == []


def test_an_import_cycle_is_reported():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []

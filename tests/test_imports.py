"""The harness's modules import one another in one direction only: no circles.

A circle means two modules that cannot be read (or loaded) one without the other;
it is what a plain split of a big module tends to create, by importing constants
back from the module it was split from. This reads the imports with `ast`, so it
needs neither Docker nor importing the harness.
"""
from __future__ import annotations

import ast
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "harness"


def harness_imports(source: str, package: str = "harness", module: str = "") -> set[str]:
    """The harness modules that `source` (the module `module`, dotted below harness/) imports, at
    any depth (function bodies included), as dotted names below harness/ (`runners.console`)."""
    here = module.split(".")[:-1]  # the package `module` sits in, below harness/
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".", 1)[1] for a in node.names if a.name.startswith(package + "."))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == package:
                base = node.module.split(".")[1:]
            elif 0 < node.level <= len(here) + 1:
                base = here[:len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
            else:
                continue
            if base:
                found.add(".".join(base))
            for a in node.names:  # `from . import labels`: the names may be modules themselves
                found.add(".".join([*base, a.name]))
    return found


def import_graph(folder: Path = HARNESS) -> dict[str, set[str]]:
    """Each module of harness/ (subpackages included, a package by its __init__) -> what it imports."""
    modules = {}
    for p in folder.rglob("*.py"):
        parts = p.relative_to(folder).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name:
            modules[name] = p
    return {name: harness_imports(path.read_text(), module=name if path.name != "__init__.py"
                                  else name + ".__init__") & set(modules) - {name}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle, as [a, b, ..., a], or [] when there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str]:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return []
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return []

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return []


def test_the_harness_has_no_import_circles():
    graph = import_graph()
    assert {"images", "errors", "runners", "runners.console"} <= set(graph)  # it read the real folder
    cycle = find_cycle(graph)
    assert not cycle, "import circle in harness/: " + " -> ".join(cycle)


def test_errors_sits_below_every_other_module():
    assert import_graph()["errors"] == set()


def test_the_image_modules_import_downwards_only():
    graph = import_graph()
    order = ["errors", "engine", "cabundle", "imagecache", "standins", "provision", "cuda_image", "images"]
    for lower, name in enumerate(order):
        higher = set(order[lower + 1:])
        assert not graph[name] & higher, f"{name} imports from a module above it: {graph[name] & higher}"


def test_the_reader_sees_every_way_of_importing():
    source = (
        "import harness.shell\n"
        "from harness import labels\n"
        "from harness.engine import ROOT\n"
        "from . import gpu, cdi\n"
        "from .errors import PageError\n"
        "from .. import elsewhere\n"
        "import docker.errors\n"
        "def late():\n"
        "    from .images import BASES\n"
    )
    assert harness_imports(source) >= {"shell", "labels", "engine", "gpu", "cdi", "errors", "images"}
    inner = "from ..page import Page\nfrom .common import run\nfrom . import console\n"
    assert harness_imports(inner, module="runners.script") >= {"page", "runners.common", "runners.console"}


def test_a_circle_is_found_and_named():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []

"""The generator's own layout: no import cycle, no module name used twice, one error tree.

Built from the modules' source (``ast``), so a new module is covered without a list here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import generator

ROOT = Path(generator.__file__).parent


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the generator package."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, except what sits under ``if TYPE_CHECKING:`` (never imported at run time)."""
    nodes: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return nodes


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The generator modules ``name`` imports, anywhere in it (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {module for module in found if module in known and module != name}


def test_no_import_cycle():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in trail:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif len(trail) < len(graph):
                visit(target, [*trail, target])

    for start in graph:
        visit(start, [start])
    assert not cycles, sorted(set(cycles))[:5]
    assert "generator._page_facts" in graph["generator._docs"]  # the graph is read at all


def test_no_module_name_repeats_across_folders():
    names: dict[str, list[str]] = {}
    for name, path in modules().items():
        if path.name not in ("__init__.py", "__main__.py"):
            names.setdefault(path.stem, []).append(name)
    assert {stem: where for stem, where in names.items() if len(where) > 1} == {}


def test_every_error_class_is_in_errors_tree():
    """Defined in errors.py, derived from GeneratorError, and drawn in its docstring."""
    elsewhere = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_error = isinstance(node, ast.ClassDef) and any(
                re.search(r"(Error|Exception)$", ast.unparse(base)) for base in node.bases
            )
            if is_error and name != "generator.errors":
                elsewhere.append(f"{name}.{node.name}")
    assert elsewhere == []
    classes = [
        value
        for value in vars(generator.errors).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(classes) >= 7
    for error in classes:
        assert issubclass(error, generator.errors.GeneratorError), error
        drawn = (
            rf"^    {error.__name__}\b"
            if error is generator.errors.GeneratorError
            else (rf"[├└]── {error.__name__}\b")
        )
        assert re.search(drawn, generator.errors.__doc__ or "", re.MULTILINE), error

"""Reading the generated package without importing it: ``ast`` over its source files.

Importing would run the partner's code; parsing is enough to find constants, builders
and literal event names, and survives a rewrite of the client's private modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _paths, _segment
from ._project import Project
from .errors import GeneratorError


def parse(path: Path) -> ast.Module | None:
    """The module's syntax tree, or None when it is missing or does not parse."""
    try:
        return ast.parse(_paths.read_text(path, "a Python file"), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError, GeneratorError):
        return None


def constants(path: Path) -> dict[str, Any]:
    """Module-level ``NAME = <literal>`` assignments of a file (others are skipped)."""
    tree = parse(path)
    found: dict[str, Any] = {}
    for node in tree.body if tree else []:
        target = (
            node.targets[0]
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            else getattr(node, "target", None)
        )
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return found


def spec_constants(project: Project) -> dict[str, Any]:
    """The literals of ``src/<package>/spec.py`` (empty without a package)."""
    return constants(project.package_dir / "spec.py") if project.package_dir else {}


@dataclass(frozen=True)
class EventDefinition:
    """An event the package can send: a builder's ``spec_name`` or a literal ``track`` name.

    A builder documents itself: the first line of its docstring describes the event, and
    a trailing ``# comment`` on a field describes that property.
    """

    name: str
    properties: tuple[str, ...]
    where: str  # "events.py:EmailOpened" or "client.py:42"
    description: str = ""
    property_descriptions: tuple[str, ...] = ()


def _trailing_comment(lines: list[str], lineno: int) -> str:
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    return line.split("#", 1)[1].strip() if "#" in line else ""


def _context_fields(node: ast.ClassDef) -> set[str]:
    """The fields a builder sends in ``context`` (its ``context_paths``), not as properties."""
    for stmt in node.body:
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == "context_paths"
            and stmt.value
        ):
            try:
                return {str(pair[0]) for pair in ast.literal_eval(stmt.value)}
            except (ValueError, TypeError, IndexError):
                return set()
    return set()


def _builder(node: ast.ClassDef, lines: list[str]) -> tuple[str | None, list[str], list[str]]:
    name, props, docs = None, [], []
    in_context = _context_fields(node)
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            field = stmt.target.id
            if field == "spec_name":
                if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                    name = stmt.value.value
            elif (
                field not in ("extra", "context_paths")
                and field not in in_context
                and not field.startswith("_")
            ):
                props.append(field)
                docs.append(_trailing_comment(lines, stmt.lineno))
        elif (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "spec_name" for t in stmt.targets)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            name = stmt.value.value
    return name, props, docs


def event_definitions(project: Project) -> list[EventDefinition]:
    """Every event the package defines: builders in ``events.py``, then literal tracks.

    A literal track is ``.track(..., event="Name", properties={"key": ...})`` anywhere in
    the package; names passed through variables are not followed.
    """
    found: list[EventDefinition] = []
    events_py = project.package_dir / "events.py" if project.package_dir else None
    if events_py and not _paths.within(project.root, events_py):
        events_py = None  # a symlink out of the project: not the partner's code
    tree = parse(events_py) if events_py else None
    lines = _paths.read_text(events_py, "events.py").splitlines() if tree and events_py else []
    for node in tree.body if tree else []:
        if isinstance(node, ast.ClassDef):
            name, props, docs = _builder(node, lines)
            if name is not None:
                summary = (ast.get_docstring(node) or "").strip().split("\n", 1)[0]
                found.append(
                    EventDefinition(
                        name, tuple(props), f"events.py:{node.name}", summary, tuple(docs)
                    )
                )
    for path in project.source_files():
        tree = parse(path)
        for call in ast.walk(tree) if tree else ():
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "track"
            ):
                kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg}
                event = kwargs.get("event")
                if isinstance(event, ast.Constant) and isinstance(event.value, str):
                    given = kwargs.get("properties")
                    keys = (
                        [
                            k.value
                            for k in given.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str)
                        ]
                        if isinstance(given, ast.Dict)
                        else []
                    )
                    found.append(
                        EventDefinition(event.value, tuple(keys), f"{path.name}:{call.lineno}")
                    )
    return found


def custom_events(project: Project) -> list[dict[str, Any]]:
    """The builders of events that are not Spec events, for the docs page's tables.

    Look-alikes of Spec events are left out: ``check`` reports them, and the page must
    not document a name Segment would reject.
    """
    spec_names = _segment.spec_names()
    return [
        {
            "name": d.name,
            "description": d.description,
            "properties": dict(zip(d.properties, d.property_descriptions, strict=True)),
        }
        for d in event_definitions(project)
        if d.where.startswith("events.py:")
        and d.name not in spec_names
        and _segment.spec_lookalike(d.name) is None
    ]

"""The generated client: the markers Segment's review looks for, found in the code's syntax tree.

The client's modules may be split or rewritten, so nothing here names a module or a
function: it reads every module of the package (``spec.py`` aside, which only declares).
Only code counts: each module is parsed (``ast``), and comments, docstrings and other bare
strings are not part of what is searched, so a comment naming a header sets no header.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .. import _code, _paths, _segment
from .._project import Project
from ..errors import GeneratorError, printable
from ._report import Item, Status, green, red, worst

_AUTHORIZATION = "authorization"


@dataclass(frozen=True)
class _Code:
    """What one module's code holds, comments and docstrings aside."""

    strings: frozenset[str] = frozenset()  # string literals, f-strings' literal parts too
    names: frozenset[str] = frozenset()  # names read and attributes taken (spec.X -> X)
    keys: frozenset[str] = frozenset()  # literal keys: {"k": ...} and x["k"]
    encodes_key_colon: bool = False  # base64-encodes f"{...}:" or ... + ":"


def _bare_strings(tree: ast.Module) -> set[int]:
    """The ids of string literals that are statements of their own (docstrings and the like)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _with_colon(node: ast.expr) -> bool:
    """``f"{key}:"`` or ``key + ":"``, through any ``.encode(...)``."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "encode"
    ):
        node = node.func.value
    if isinstance(node, ast.JoinedStr) and len(node.values) == 2:
        value, colon = node.values
        return (
            isinstance(value, ast.FormattedValue)
            and isinstance(colon, ast.Constant)
            and colon.value == ":"
        )
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and isinstance(node.right, ast.Constant)
        and node.right.value == ":"
    )


def _read(tree: ast.Module) -> _Code:
    bare = _bare_strings(tree)
    strings: set[str] = set()
    names: set[str] = set()
    keys: set[str] = set()
    encodes = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare:
            strings.add(node.value)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name)
        if isinstance(node, ast.Dict):
            keys.update(
                k.value
                for k in node.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            )
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys.add(node.slice.value)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called.endswith("b64encode") and _with_colon(node.args[0]):
                encodes = True
    return _Code(frozenset(strings), frozenset(names), frozenset(keys), encodes)


# The [service] extra receives calls (the relay reads Basic auth, the API bearer tokens):
# what it holds says nothing of how the client sends.
_NOT_THE_CLIENT = ("service/",)


def _modules(project: Project) -> dict[str, _Code]:
    """Package file name -> what its code holds, without ``spec.py`` and the service.

    A module that does not parse holds nothing here (``client.syntax`` reports it).
    """
    assert project.package_dir is not None
    found = {}
    for path in project.source_files():
        relative = path.relative_to(project.package_dir).as_posix()
        if path.name == "spec.py" or relative.startswith(_NOT_THE_CLIENT):
            continue
        tree = _code.parse(path)
        found[relative] = _read(tree) if tree is not None else _Code()
    return found


def _syntax(project: Project) -> Item:
    """Every module of the package compiles: a broken one fails on import, at the customer's."""
    assert project.package_dir is not None
    broken = []
    for path in project.source_files():
        name = path.relative_to(project.root).as_posix()
        try:
            compile(_paths.read_text(path, name), name, "exec", dont_inherit=True)
        except SyntaxError as exc:
            broken.append(f"{name}:{exc.lineno}: {printable(exc.msg)}")
        except (OSError, ValueError, RecursionError, MemoryError, GeneratorError) as exc:
            broken.append(f"{name}: {printable(str(exc)).splitlines()[0]}")
    if broken:
        return red(
            "client.syntax",
            f"{len(broken)} module(s) of the package do not compile, so importing it fails",
            "fix the syntax errors below (or restore the files from git), then run the tests",
            broken,
        )
    return green("client.syntax", f"the package's {len(project.source_files())} modules compile")


def _integration(project: Project, modules: dict[str, _Code]) -> Item:
    slug = project.slug
    for name, code in modules.items():
        if "integration" in code.keys and (
            "INTEGRATION_SLUG" in code.names or slug in code.strings
        ):
            return green(
                "client.integration",
                f"{name} sets context.integration with the slug (spec.INTEGRATION_SLUG)",
            )
    return red(
        "client.integration",
        "no module of the package sets context.integration to the slug",
        'set context["integration"] = {"name": spec.INTEGRATION_SLUG, "version": __version__}'
        " on every call",
    )


def _auth(modules: dict[str, _Code]) -> Item:
    # The header, the "Basic " value and the encoding may live in different modules
    # (client, keys, transport): each must be somewhere in the package; the value and the
    # encoding of "<write key>:" (the colon is Segment's empty password) in one module.
    header = [
        name
        for name, code in modules.items()
        if any(text.lower() == _AUTHORIZATION for text in code.strings)
    ]
    basic = [
        name
        for name, code in modules.items()
        if code.encodes_key_colon
        and any(text == "Basic" or text.startswith("Basic ") for text in code.strings)
    ]
    if header and basic:
        where = ", ".join(dict.fromkeys(basic + header))
        return green(
            "client.auth", f"sends the write key as `Authorization: Basic <base64(key:)>` ({where})"
        )
    return red(
        "client.auth",
        "no module of the package sends an `Authorization: Basic` header made from `<write key>:`",
        "send `Authorization: Basic ` + base64(write_key + ':') on every request; Segment rejects "
        "track calls without it",
    )


def _regions(project: Project, modules: dict[str, _Code]) -> Item:
    constants = _code.spec_constants(project)
    endpoints = constants.get("REGION_ENDPOINTS")
    supported = constants.get("SUPPORTED_REGIONS")
    known = _segment.regions()
    problems: list[tuple[Status, str, str]] = []
    if not isinstance(endpoints, dict):
        problems.append(
            (
                Status.RED,
                "spec.py has no REGION_ENDPOINTS mapping",
                "restore spec.py (copier update)",
            )
        )
        endpoints = {}
    for key in project.regions:
        if endpoints.get(key) != known[key]["endpoint"]:
            problems.append(
                (
                    Status.RED,
                    (
                        f"spec.py REGION_ENDPOINTS[{key!r}] is {endpoints.get(key)!r}, Segment's "
                        f"is {known[key]['endpoint']!r}"
                    ),
                    f"set it to {known[key]['endpoint']!r}",
                )
            )
    if not isinstance(supported, tuple | list) or list(supported) != project.regions:
        problems.append(
            (
                Status.RED,
                (
                    f"spec.py SUPPORTED_REGIONS is {supported!r}, the catalog declares "
                    f"{project.regions!r}"
                ),
                "declare the same regions in catalog/metadata.yml and spec.py",
            )
        )
    if not any(
        "REGION_ENDPOINTS" in code.names
        or any(known[k]["endpoint"] in code.strings for k in project.regions)
        for code in modules.values()
    ):
        problems.append(
            (
                Status.RED,
                "no module of the package uses spec.REGION_ENDPOINTS",
                "post to spec.REGION_ENDPOINTS[region] + '/batch'",
            )
        )
    listed = ", ".join(f"{key} {known[key]['host']}" for key in project.regions)
    return worst("client.regions", problems, f"knows the hosts of the declared regions: {listed}")


def check(project: Project) -> list[Item]:
    """``client.syntax``, ``client.integration``, ``client.auth`` and ``client.regions``."""
    if project.package_dir is None:
        return [
            red(
                "client.package",
                "no src/<package>/spec.py: the client package is missing",
                "restore src/ from git or with copier update",
            )
        ]
    modules = _modules(project)
    return [
        _syntax(project),
        _integration(project, modules),
        _auth(modules),
        _regions(project, modules),
    ]

"""The generated client: the markers Segment's review looks for, found in the source text.

The client's modules may be split or rewritten, so nothing here names a module or a
function: it searches every file of the package (``spec.py`` aside, which only declares).
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import _code, _paths, _segment
from .._project import Project
from ..errors import GeneratorError, printable
from ._report import Item, Status, green, red, worst

_INTEGRATION_KEY_RE = re.compile(r"""["']integration["']""")
_AUTH_HEADER_RE = re.compile(r"""["']Authorization["']""", re.IGNORECASE)
_BASIC_RE = re.compile(r"""["'{ ]Basic[ "'{]|Basic \{""")


def _read(path: Path) -> str:
    try:
        return _paths.read_text(path, "a package file")
    except (OSError, GeneratorError):
        return ""  # client.syntax reports it


def _texts(project: Project) -> dict[str, str]:
    """Package file name -> text, without ``spec.py``."""
    assert project.package_dir is not None
    return {
        path.relative_to(project.package_dir).as_posix(): _read(path)
        for path in project.source_files()
        if path.name != "spec.py"
    }


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


def _integration(project: Project, texts: dict[str, str]) -> Item:
    slug = project.slug
    for name, text in texts.items():
        if _INTEGRATION_KEY_RE.search(text) and (
            "INTEGRATION_SLUG" in text or f'"{slug}"' in text or f"'{slug}'" in text
        ):
            return green(
                "client.integration",
                f"{name} sets context.integration with the slug (spec.INTEGRATION_SLUG)",
            )
    return red(
        "client.integration",
        "no module of the package sets context.integration to the slug",
        'set context["integration"] = {"name": spec.INTEGRATION_SLUG, "version": __version__} on every call',
    )


# base64 of "<write key>:": the colon is what Segment's docs ask for (an empty password).
_ENCODE_WITH_COLON_RE = re.compile(r"""b64encode\(\s*f["'][{][^}]+[}]:["']""")


def _auth(texts: dict[str, str]) -> Item:
    # The header, the "Basic " value and the encoding may live in different modules
    # (client, keys, transport): each must be somewhere in the package.
    header = [name for name, text in texts.items() if _AUTH_HEADER_RE.search(text)]
    basic = [
        name
        for name, text in texts.items()
        if _BASIC_RE.search(text) and _ENCODE_WITH_COLON_RE.search(text)
    ]
    if header and basic:
        where = ", ".join(dict.fromkeys(basic + header))
        return green(
            "client.auth", f"sends the write key as `Authorization: Basic <base64(key:)>` ({where})"
        )
    return red(
        "client.auth",
        "no module of the package sends an `Authorization: Basic` header made from `<write key>:`",
        "send `Authorization: Basic ` + base64(write_key + ':') on every request; Segment rejects track calls without it",
    )


def _regions(project: Project, texts: dict[str, str]) -> Item:
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
                    f"spec.py REGION_ENDPOINTS[{key!r}] is {endpoints.get(key)!r}, Segment's is {known[key]['endpoint']!r}",
                    f"set it to {known[key]['endpoint']!r}",
                )
            )
    if not isinstance(supported, tuple | list) or list(supported) != project.regions:
        problems.append(
            (
                Status.RED,
                f"spec.py SUPPORTED_REGIONS is {supported!r}, the catalog declares {project.regions!r}",
                "declare the same regions in catalog/metadata.yml and spec.py",
            )
        )
    if not any(
        "REGION_ENDPOINTS" in text or any(known[k]["endpoint"] in text for k in project.regions)
        for text in texts.values()
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
    texts = _texts(project)
    return [_syntax(project), _integration(project, texts), _auth(texts), _regions(project, texts)]

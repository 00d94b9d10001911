"""The Segment docs page: render it from the catalog, and refresh a page in place.

The page template marks its generated parts with HTML comments::

    <!-- segment-source:begin events -->
    ...
    <!-- segment-source:end events -->

Refreshing rewrites only what sits between a pair of markers; every other line belongs
to the partner and is kept byte for byte.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import _code, _markdown, _metadata, _page_facts, _paths, _rules
from ._project import Project
from .errors import GeneratorError, show

PAGE_TEMPLATE = "docs_templates/source-page.md.jinja"
_REGION_RE = re.compile(
    r"(?P<begin><!-- segment-source:begin (?P<name>[a-z_]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- segment-source:end (?P=name) -->)",
    re.DOTALL,
)


def render_page(project: Project, facts: Mapping[str, object] | None = None) -> str:
    """Render the page from the project's catalog with plain Jinja (no copier needed).

    Args:
        project: The project.
        facts: Values to use instead of the catalog's (see :func:`sync_facts`).
    """
    env = _markdown.environment()
    context = {
        **project.docs_context(),
        "description": str(project.meta("description", "description") or ""),
        **(facts or {}),
        "custom_events": _code.custom_events(project),
    }
    return env.get_template(PAGE_TEMPLATE).render(**context)


def generated_regions(text: str) -> dict[str, str]:
    """Return the marked regions of a page: name -> the text between the markers."""
    return {m["name"]: m["body"] for m in _REGION_RE.finditer(text)}


def merge(current: str, rendered: str) -> tuple[str, list[str], list[str]]:
    """Put the rendered regions into ``current``.

    Returns:
        The new text, the regions that changed, and the rendered regions that
        ``current`` has no markers for (left alone: the partner removed them).
    """
    fresh = generated_regions(rendered)
    changed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in fresh or fresh[name] == match["body"]:
            return match[0]
        changed.append(name)
        return match["begin"] + fresh[name] + match["end"]

    merged = _REGION_RE.sub(replace, current)
    missing = [name for name in fresh if name not in generated_regions(current)]
    return merged, changed, missing


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two texts ('' when they are equal)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class PageUpdate:
    """What refreshing one page did."""

    path: Path
    created: bool
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    diff: str
    facts: tuple[str, ...] = ()
    unnamed: tuple[str, ...] = ()

    def summary(self) -> str:
        """One or two lines telling the user what happened to the page."""
        if self.created:
            line = f"wrote {self.path}"
        elif self.changed or self.facts:
            done = [f"regenerated {', '.join(self.changed)}"] if self.changed else []
            done += [f"rewrote the lines naming its {', '.join(self.facts)}"] if self.facts else []
            line = f"updated {self.path}: {'; '.join(done)}; the rest of the page is kept"
        else:
            line = f"{self.path} is up to date"
        for fact in self.unnamed:
            line += (
                f"\n  note: the intro no longer names the catalog's {fact} (its sentence was "
                "reworded), so `segment-source check` will ask for it; name it in the intro"
            )
        if self.missing:
            names = ", ".join(self.missing)
            line += (
                f"\n  note: no `segment-source:begin/end` markers for {names}, so left alone; put "
                "the markers back to have them generated"
            )
        return line


@dataclass(frozen=True)
class DocsResult:
    """What :func:`render_docs` did to the project's page and to the exported copy."""

    page: PageUpdate
    export: PageUpdate | None


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GeneratorError(
            f"cannot write {show(str(path))}: {exc.strerror}",
            "check the folder's permissions, then run again",
        ) from None


def _refresh(path: Path, rendered: str, label: str, project: Project) -> PageUpdate:
    # `path` came through _paths.inside: it stays in its root, symlinks resolved.
    if not path.exists():
        _write(path, rendered)
        return PageUpdate(path, True, (), (), unified_diff("", rendered, "/dev/null", label))
    current = _paths.read_text(path, "the docs page")
    if not generated_regions(current):
        raise GeneratorError(
            f"`{path}` has no `segment-source:begin/end` markers, so it is all hand-written and is "
            "left alone",
            "add the markers around the tables to have them generated, or move the file away to "
            "get a fresh page",
        )
    merged, changed, missing = merge(current, rendered)
    merged, facts, unnamed = _page_facts.sync_facts(merged, project, render_page)
    if merged != current:
        _write(path, merged)
    diff = unified_diff(current, merged, label, label)
    return PageUpdate(
        path, False, tuple(changed), tuple(missing), diff, tuple(facts), tuple(unnamed)
    )


def render_docs(
    project: str | os.PathLike[str] | None = None, export: str | os.PathLike[str] | None = None
) -> DocsResult:
    """Refresh the generated parts of the project's Segment page; optionally export it.

    Args:
        project: the project directory (default: the current directory).
        export: a checkout of ``segmentio/segment-docs``; the page is written to
            ``src/connections/sources/catalog/cloud-apps/<slug>/index.md`` in it. An
            existing page there gets only its marked parts refreshed, like the project's.

    Returns:
        A :class:`DocsResult` naming what changed.

    Raises:
        GeneratorError: not a project, an invalid slug, a page without markers, or a page
            path (from ``catalog/metadata.yml``) that leads out of the project.
    """
    proj = Project.load(project)
    # The slug becomes a path: refuse a bad one before anything is written.
    relative = _metadata.docs_path(_rules.slug(proj.slug)) if export is not None else ""
    rendered = render_page(proj)
    page = _refresh(
        proj.docs_page, rendered, proj.docs_page.relative_to(proj.root).as_posix(), proj
    )
    exported = None
    if export is not None:
        target = _paths.inside(Path(export), relative, "the exported page")
        exported = _refresh(target, _paths.read_text(page.path, "the docs page"), relative, proj)
    return DocsResult(page, exported)

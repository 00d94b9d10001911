"""``portal.md``: the Developer Portal's Catalog info fields, filled from ``catalog/metadata.yml``.

The fields and their order are Segment's: the source setup screen asks for a name and a
slug, then the Catalog info tab for the catalog entry (segment-docs ``src/partners/sources.md``
and the catalog template in ``src/partners/index.md``; tests/reference/developer-portal.json
names the commit). Segment states one length limit, the description's ~500 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _segment
from .._check import Report, _logos
from .._markdown import markdown_text
from .._project import Project
from ..errors import GeneratorError


@dataclass(frozen=True)
class Field:
    """One field the Developer Portal asks for."""

    label: str
    key: str  # its path in catalog/metadata.yml, dotted
    check_id: str  # the `check` item that reviews it
    limit: int | None = None  # Segment's stated length limit, if any
    kind: str = "text"  # "text", "svg"


# Segment's order: the source setup screen, then the Catalog info tab.
FIELDS = (
    Field("Name", "name", "catalog.name"),
    Field("Slug", "slug", "catalog.slug"),
    Field(
        "Description",
        "description",
        "catalog.description",
        limit=_segment.limits()["max_description_chars"],
    ),
    Field("Website", "website", "catalog.website"),
    Field("Primary category", "categories.primary", "catalog.categories"),
    Field("Secondary category (optional)", "categories.secondary", "catalog.categories"),
    Field("Logo", "logo", "logos.logo", kind="svg"),
    Field("Mark", "mark", "logos.mark", kind="svg"),
    Field("Customer support email", "support_email", "catalog.support_email"),
)

# What the Portal takes that no file of the project holds.
NOT_IN_PROJECT = (
    (
        "Description images: up to two screenshots, with or without captions (optional; the "
        "project keeps none)."
    ),
    "The test workspace: the Portal's Settings > Add to workspace, and that workspace's ID.",
    (
        "The test account's password: give it in the Portal; "
        "`catalog/metadata.yml` only says how QA gets it."
    ),
)


def lookup(metadata: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``a.b`` in the catalog, or None."""
    value: Any = metadata
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _cell(value: object) -> str:
    return markdown_text(str(value)) if value not in (None, "") else "(empty)"


def _svg_facts(project: Project, key: str) -> str:
    """Format, drawing size, file size and squareness of the logo or the mark."""
    path, loaded = _logos._load(project, key)
    if isinstance(loaded, str):
        return loaded
    size = _logos._size(loaded)
    shown = f"{size[0]:g}x{size[1]:g}" if size else "no width/height or viewBox"
    facts = [f"SVG, {shown}, {path.stat().st_size:,} bytes"]
    if key == "mark":
        facts.append("square" if size and abs(size[0] - size[1]) < 1e-6 else "NOT square")
    return ", ".join(facts)


def render(project: Project, report: Report) -> str:
    """Return portal.md for the project."""
    lines = [
        f"# Developer Portal: catalog info of {_cell(project.meta('name', 'integration_name'))}",
        "",
        (
            "Copy each value into the Developer Portal, in this order: the first two on the "
            "source setup screen (**Build integration > Build a source**), the rest on the "
            "**Catalog info** tab. "
            "Values come from `catalog/metadata.yml`; the check column is `segment-source check`'s."
        ),
        "",
        "| # | Field | Value | Length (Segment's limit) | Check |",
        "| --- | --- | --- | --- | --- |",
    ]
    for number, field in enumerate(FIELDS, 1):
        value = lookup(project.metadata, field.key)
        if field.kind == "svg":
            shown = _cell(value or f"catalog/{field.key}.svg")
            length = _svg_facts(project, field.key)
        else:
            shown = _cell(value)
            count = len(str(value or ""))
            length = (
                f"{count} (at most {field.limit})" if field.limit else f"{count} (no limit stated)"
            )
            if field.limit and count > field.limit:
                length += " OVER"
        try:
            item = report.item(field.check_id)
            status = f"{item.status.value}: {_cell(item.message)}"
        except KeyError:
            status = "not checked"
        lines.append(
            f"| {number} | {field.label} | {shown} "
            f"| {_cell(length) if field.kind == 'svg' else length} | {status} |"
        )
    docs = project.metadata.get("docs")
    docs = docs if isinstance(docs, Mapping) else {}
    account = project.metadata.get("test_account")
    account = account if isinstance(account, Mapping) else {}
    lines += [
        "",
        "## Also asked for before review",
        "",
        f"- Your docs about the integration: {_cell(docs.get('partner_docs_url'))}",
        (
            f"- Segment's docs page: {_cell(docs.get('segment_docs_url'))} "
            "(the pull request in `segment-docs.patch`)"
        ),
        f"- Segment's public catalog page: {_cell(docs.get('catalog_url'))}",
        (
            f"- Test account username: {_cell(account.get('username'))}; "
            f"notes: {_cell(account.get('notes'))}"
        ),
        "",
        "## Not in the project: fill these in the Portal yourself",
        "",
        *(f"- {line}" for line in NOT_IN_PROJECT),
        "",
    ]
    return "\n".join(lines)


def ensure_fields(project: Project) -> None:
    """Refuse a catalog without the fields the Portal needs (name and slug at least)."""
    for key in ("name", "slug"):
        if not lookup(project.metadata, key):
            raise GeneratorError(
                f"catalog/metadata.yml has no `{key}`", f"set `{key}:` in catalog/metadata.yml"
            )

"""Catalog metadata (``catalog/metadata.yml``), checked with the generator's own rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from .. import _code, _metadata, _paths, _rules, _segment
from .._project import Project
from ..errors import AnswerError, GeneratorError
from ._report import Item, Status, green, red, worst, yellow

FILE = _metadata.METADATA_PATH.as_posix()
# Optional, or reported by their own item (docs links: projects made before they existed).
_OPTIONAL = {"categories.secondary", *(f"docs.{key}" for key in _metadata.DOCS_LINKS)}
_OPEN = {"regions"}  # its keys are the declared regions, checked by catalog.regions
# The page's Getting started names the warehouse schema after the slug (segment-docs' pages
# carry no context.integration row, so this is where the page shows the slug).
_DOCS_SLUG_RE = re.compile(r"the source name `(?P<schema>[A-Za-z0-9_]+)_prod`")


def expected_fields() -> list[str]:
    """Every field ``_metadata.build`` writes, as dotted paths (built from dummy answers)."""
    families = list(_segment.families())
    sample = {
        "integration_name": "x",
        "slug": "x",
        "description": "x",
        "website": "x",
        "support_email": "x",
        "maintainer": "x",
        "categories": list(_segment.categories()[:1]),
        "regions": ["us"],
        "event_families": families[:1],
    }

    def walk(mapping: Mapping[str, Any], prefix: str) -> Iterator[str]:
        for key, value in mapping.items():
            path = prefix + key
            yield path
            if isinstance(value, Mapping) and path not in _OPEN:
                yield from walk(value, path + ".")

    return list(walk(_metadata.build(sample), ""))


def _lookup(metadata: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    node: Any = metadata
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _fields(project: Project) -> Item:
    absent = []
    for path in expected_fields():
        present, value = _lookup(project.metadata, path)
        if path not in _OPTIONAL and (not present or value in (None, "")):
            absent.append(path)
    if absent:
        return red(
            "catalog.fields",
            f"{FILE} lacks {', '.join(absent)}",
            f"fill them in {FILE} (see the comments there)",
        )
    return green("catalog.fields", f"{FILE} has every field")


def _rule(item_id: str, rule: Callable[[Any], Any], value: Any, ok: str) -> Item:
    try:
        rule(value)
    except AnswerError as exc:
        return red(item_id, exc.message, exc.hint)
    return green(item_id, ok)


def _slug(project: Project) -> Item:
    slug = project.metadata.get("slug")
    try:
        _rules.slug(slug)
    except AnswerError as exc:
        return red("catalog.slug", exc.message, exc.hint)
    found: list[tuple[Status, str, str]] = []
    client_slug = _code.spec_constants(project).get("INTEGRATION_SLUG")
    if client_slug != slug:
        spec_py = (
            "spec.py"
            if project.package_dir is None
            else project.package_dir.relative_to(project.root).joinpath("spec.py").as_posix()
        )
        found.append(
            (
                Status.RED,
                (
                    f"the client sends `{client_slug}` as context.integration.name ({spec_py} "
                    f"INTEGRATION_SLUG), the catalog says `{slug}`"
                ),
                (
                    "use one slug: the one Segment gave you in the Developer Portal, in both "
                    f"{FILE} and {spec_py}"
                ),
            )
        )
    try:
        page = project.docs_page
        docs_slug = (
            _DOCS_SLUG_RE.search(_paths.read_text(page, "the docs page"))
            if page.is_file()
            else None
        )
    except GeneratorError:
        docs_slug = None  # docs.page reports it
    if docs_slug and docs_slug["schema"] != str(slug).replace("-", "_"):
        found.append(
            (
                Status.RED,
                f"the docs page's schema example says `{docs_slug['schema']}_prod`",
                "run `segment-source docs` to rewrite the page's lines that name the slug",
            )
        )
    return worst("catalog.slug", found, f"slug `{slug}` (client and docs page agree)")


def _description(project: Project) -> Item:
    text = project.metadata.get("description")
    limit = _segment.limits()["max_description_chars"]
    try:
        _rules.description(text)
    except AnswerError as exc:
        if isinstance(text, str) and text.strip():  # only the length rule is left
            return yellow(
                "catalog.description",
                f"description is {len(text.strip())} characters, "
                f"over Segment's guidance of {limit}",
                f"shorten it to at most {limit} characters; a reviewer will ask",
            )
        return red("catalog.description", exc.message, exc.hint)
    return green(
        "catalog.description",
        f"description of {len(str(text).strip())} characters (at most {limit})",
    )


def _categories(project: Project) -> Item:
    declared = project.metadata.get("categories")
    if not isinstance(declared, Mapping):
        return red(
            "catalog.categories",
            "categories is not a mapping of primary and secondary",
            "write `categories: {primary: ..., secondary: ...}` (secondary is optional)",
        )
    chosen = [declared.get("primary"), declared.get("secondary")]
    chosen = [c for c in chosen if c not in (None, "")]
    return _rule(
        "catalog.categories",
        _rules.categories,
        [str(c) for c in chosen],
        "categories " + " + ".join(f"`{c}`" for c in chosen),
    )


def _regions(project: Project) -> Item:
    declared = project.metadata.get("regions")
    if not isinstance(declared, Mapping) or not declared:
        return red(
            "catalog.regions",
            "regions declares no region",
            "list each region and its endpoint, e.g. `us: https://api.segment.io/v1`",
        )
    try:
        _rules.regions([str(key) for key in declared])
    except AnswerError as exc:
        return red("catalog.regions", exc.message, exc.hint)
    known = _segment.regions()
    found = [
        (
            Status.RED,
            f"region `{key}` endpoint is `{value}`, Segment's is `{known[key]['endpoint']}`",
            f"set `regions.{key}: {known[key]['endpoint']}` in {FILE}",
        )
        for key, value in declared.items()
        if value != known[key]["endpoint"]
    ]
    listed = ", ".join(f"{key} ({known[key]['endpoint']})" for key in declared)
    return worst("catalog.regions", found, f"regions {listed}")


def _docs_links(project: Project) -> Item:
    """The Public Beta Checklist's docs links: https URLs, yellow while placeholders."""
    docs = project.metadata.get("docs")
    docs = docs if isinstance(docs, Mapping) else {}
    slug = str(project.metadata.get("slug") or "")
    found: list[tuple[Status, str, str]] = []
    for key, what in _metadata.DOCS_LINKS.items():
        value = docs.get(key)
        if value in (None, "", _metadata.PLACEHOLDER):
            state = (
                "still " + repr(_metadata.PLACEHOLDER)
                if value == _metadata.PLACEHOLDER
                else "missing"
            )
            example = (
                _metadata.segment_docs_url(slug) if key == "segment_docs_url" else "https://..."
            )
            found.append(
                (
                    Status.YELLOW,
                    f"docs.{key} ({what}) is {state}",
                    f"set `docs.{key}: {example}` in {FILE}",
                )
            )
            continue
        parts = urlsplit(value) if isinstance(value, str) else None
        if (
            parts is None
            or parts.scheme != "https"
            or not parts.hostname
            or "." not in parts.hostname
            or any(c.isspace() for c in value)
        ):
            found.append(
                (
                    Status.RED,
                    f"docs.{key} `{value}` is not an https:// URL",
                    f"give the https:// address of {what}",
                )
            )
        elif key == "segment_docs_url" and value.rstrip("/") != _metadata.segment_docs_url(
            slug
        ).rstrip("/"):
            found.append(
                (
                    Status.YELLOW,
                    (
                        f"docs.segment_docs_url `{value}` is not where Segment publishes the "
                        f"`{slug}` page"
                    ),
                    f"use `{_metadata.segment_docs_url(slug)}`",
                )
            )
    return worst(
        "catalog.docs_links",
        found,
        "docs links: your docs, Segment's docs and the catalog page are https URLs",
    )


def check(project: Project) -> list[Item]:
    """The catalog items, in the order Segment's Catalog info tab asks for them."""
    meta = project.metadata
    return [
        _fields(project),
        _rule(
            "catalog.name", _rules.integration_name, meta.get("name"), f"name `{meta.get('name')}`"
        ),
        _slug(project),
        _description(project),
        _rule(
            "catalog.website", _rules.website, meta.get("website"), f"website {meta.get('website')}"
        ),
        _categories(project),
        _rule(
            "catalog.support_email",
            _rules.support_email,
            meta.get("support_email"),
            f"support email {meta.get('support_email')}",
        ),
        _rule(
            "catalog.maintainer",
            _rules.maintainer,
            meta.get("maintainer"),
            f"maintainer `{meta.get('maintainer')}`",
        ),
        _regions(project),
        _rule(
            "catalog.event_families",
            _rules.event_families,
            list(meta.get("event_families") or []),
            "event families " + ", ".join(f"`{f}`" for f in meta.get("event_families") or []),
        ),
        _docs_links(project),
    ]

"""The catalog entry (``catalog/metadata.yml``), written with ruamel.yaml from the answers.

Every answer is written as a double-quoted scalar, so YAML 1.1 and 1.2 readers alike get
the exact string back (``yes``, ``null``, ``: ``, ``#``, quotes, newlines, any script).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

from . import _paths, _safe_yaml, _segment

METADATA_PATH = Path("catalog") / "metadata.yml"
# Values Segment's reviewers need that the generator cannot know; `check` flags them.
PLACEHOLDER = "CHANGE-ME"
HEADER = (
    "Catalog metadata of the {name} source, for Segment's review.\n"
    "Send these facts through Segment's Developer Portal (Catalog info tab).\n"
    "`segment-source check` reviews this file; `segment-source docs` renders the page from it."
)


def docs_path(slug: str) -> str:
    """Where the page goes in a pull request to Segment's docs repository."""
    return f"src/connections/sources/catalog/cloud-apps/{slug}/index.md"


def segment_docs_url(slug: str) -> str:
    """Where Segment publishes that page (segment-docs ``sources.yml`` ``url`` of cloud apps)."""
    return f"https://segment.com/docs/connections/sources/catalog/cloud-apps/{slug}/"


# The Public Beta Checklist's three docs links: key under `docs`, and what it is.
DOCS_LINKS = {
    "partner_docs_url": "your own docs page about the Segment integration",
    "segment_docs_url": "Segment's docs page about the source",
    "catalog_url": "the source's page in Segment's public catalog (https://segment.com/catalog/)",
}


def _map(items: list[tuple[str, Any, str | None]]) -> CommentedMap:
    mapping = CommentedMap()
    for key, value, comment in items:
        mapping[key] = value
        if comment:
            mapping.yaml_add_eol_comment(comment, key)
    return mapping


def build(answers: Mapping[str, Any]) -> CommentedMap:
    """Return the catalog entry for a set of validated answers."""
    regions = _segment.regions()
    primary, *rest = answers["categories"]
    entry = _map(
        [
            ("name", Q(answers["integration_name"]), "shown in Segment's catalog"),
            ("slug", Q(answers["slug"]), "the client sends it as context.integration.name"),
            (
                "description",
                Q(answers["description"]),
                "at most 500 characters (Segment's guidance)",
            ),
            ("website", Q(answers["website"]), "https only"),
            (
                "categories",
                _map(
                    [
                        ("primary", Q(primary), None),
                        ("secondary", Q(rest[0]) if rest else None, "optional"),
                    ]
                ),
                "Segment's source categories, spelled as Segment does",
            ),
            (
                "regions",
                _map(
                    [
                        (key, Q(regions[key]["endpoint"]), regions[key]["label"])
                        for key in answers["regions"]
                    ]
                ),
                "each supported region and its HTTP API endpoint",
            ),
            ("logo", Q("catalog/logo.svg"), "SVG with the company name, horizontal"),
            ("mark", Q("catalog/mark.svg"), "SVG, square, without the company name"),
            (
                "support_email",
                Q(answers["support_email"]),
                "not shown to users; Segment forwards questions here",
            ),
            ("maintainer", Q(answers["maintainer"]), "named on the docs page"),
            (
                "event_families",
                [Q(f) for f in answers["event_families"]],
                "Segment Spec families the source emits",
            ),
            (
                "docs",
                _map(
                    [
                        ("page", Q("docs/segment-source.md"), "rendered from docs_templates/"),
                        (
                            "segment_docs_path",
                            Q(docs_path(answers["slug"])),
                            "where a pull request to segment-docs puts it",
                        ),
                        (
                            "partner_docs_url",
                            Q(PLACEHOLDER),
                            "https URL of " + DOCS_LINKS["partner_docs_url"],
                        ),
                        (
                            "segment_docs_url",
                            Q(segment_docs_url(answers["slug"])),
                            "where Segment publishes the page above",
                        ),
                        (
                            "catalog_url",
                            Q(PLACEHOLDER),
                            "https URL of " + DOCS_LINKS["catalog_url"] + ", once listed",
                        ),
                    ]
                ),
                "the Segment docs page and the docs links Segment's review asks for",
            ),
            (
                "test_account",
                _map(
                    [
                        ("username", Q(PLACEHOLDER), "an account Segment's QA can log in with"),
                        (
                            "password",
                            Q(PLACEHOLDER),
                            (
                                "how QA gets it, e.g. `sent through the Developer Portal`; never "
                                "the password itself"
                            ),
                        ),
                        ("notes", Q(PLACEHOLDER), "how to make the source send events"),
                    ]
                ),
                "for Segment's review",
            ),
        ]
    )
    entry.yaml_set_start_comment(HEADER.format(name=answers["integration_name"]))
    return entry


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: keeps comments when a user's edited file is read back
    yaml.width = 4096  # never fold a long description across lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dumps(answers: Mapping[str, Any]) -> str:
    """Return the catalog entry as YAML text."""
    stream = io.StringIO()
    _yaml().dump(build(answers), stream)
    return stream.getvalue()


def write(project: Path, answers: Mapping[str, Any]) -> Path:
    """Write ``catalog/metadata.yml`` into ``project``; return its path."""
    path = project / METADATA_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(answers), encoding="utf-8")
    return path


def read(project: Path) -> Any:
    """Read a project's catalog entry back (round-trip, comments kept).

    The file is read within bounds and must lie inside ``project`` (see :mod:`generator._paths`).

    Raises:
        generator.errors.GeneratorError: the file leaves the project, is not a small regular
            text file, or its YAML aliases expand too far.
        ruamel.yaml.error.YAMLError: the file is not valid YAML.
    """
    name = METADATA_PATH.as_posix()
    text = _paths.read_text(_paths.inside(project, METADATA_PATH, name), name)
    _safe_yaml.check_expansion(text, name)
    return _yaml().load(text)

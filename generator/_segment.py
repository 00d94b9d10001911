"""Segment's rules as data, read from ``docs_templates/segment.yml``.

The template renders the same file into every generated project, so prompts, ``check``,
the debugger and the generated client agree on regions, limits, categories and the Spec.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from ruamel.yaml import YAML

from ._template_files import template_root


@dataclass(frozen=True)
class SpecEvent:
    """One Spec event of a family, with its exact name, properties and context fields."""

    name: str
    description: str
    properties: tuple[str, ...]
    family: str
    context: tuple[str, ...] = ()  # dotted, e.g. ``context.groupId``


@cache
def data() -> dict[str, Any]:
    """Return the parsed ``segment.yml`` (regions, limits, retry, categories, families)."""
    path = template_root() / "docs_templates" / "segment.yml"
    loaded: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return loaded


def categories() -> tuple[str, ...]:
    """Segment's source categories that a cloud-app source can choose, spelled as Segment does."""
    return tuple(data()["categories"])


def regions() -> dict[str, dict[str, str]]:
    """Region key -> ``{label, host, endpoint}``."""
    return dict(data()["regions"])


def limits() -> dict[str, int]:
    """The HTTP API's size, count and rate limits."""
    return dict(data()["limits"])


def families() -> dict[str, dict[str, Any]]:
    """Family key -> its title, Spec URL, property descriptions, events and sample."""
    return dict(data()["families"])


def spec_events(family_keys: list[str] | tuple[str, ...] | None = None) -> list[SpecEvent]:
    """Return the Spec events of the given families (all families when None)."""
    chosen = families() if family_keys is None else {k: families()[k] for k in family_keys}
    return [
        SpecEvent(
            e["name"], e["description"], tuple(e["properties"]), key, tuple(e.get("context") or ())
        )
        for key, family in chosen.items()
        for e in family["events"]
    ]


@cache
def spec_names() -> tuple[str, ...]:
    """The exact name of every Spec event, all families."""
    return tuple(e.name for e in spec_events())


def lookalikes() -> dict[str, str]:
    """Names that mean exactly a Spec event -> that event: a failure wherever they are sent."""
    return dict(data()["lookalikes"]["same"])


def similar_names() -> dict[str, str]:
    """Names that may mean a Spec event -> that event: a warning, never a failure."""
    return dict(data()["lookalikes"]["similar"])


@cache
def naming() -> ModuleType:
    """Return the naming-rules module that every generated project carries.

    It is plain Python in ``template/src/{{package_name}}/naming.py``; loading that very
    file keeps one copy of the rules for the generator and the generated client.
    """
    path = template_root() / "template" / "src" / "{{package_name}}" / "naming.py"
    spec = importlib.util.spec_from_file_location("generator._naming_rules", path)
    assert spec is not None and spec.loader is not None  # a file path always has a loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def spec_spellings() -> frozenset[str]:
    """Property names the Spec itself writes in camelCase (``startupTime``): not errors."""
    return frozenset(data().get("spec_spellings") or ())


def spec_lookalike(event: str) -> str | None:
    """The Spec event ``event`` imitates ("Email Clicked" -> "Email Link Clicked"), or None.

    A look-alike gets a partner source rejected (segment-docs src/partners/streams.md), so
    it is a failure wherever it is sent; None for a Spec name itself or any other name.
    """
    found: str | None = naming().spec_name_for(event, spec_names(), lookalikes())
    return found


def naming_problems(event: str | None, properties: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Check one event against Proper Case, snake_case and every Spec name (all families).

    The sentences come first for a look-alike (a failure), then the rules, then a hint
    for a name that may mean a Spec event (only ever a warning).
    """
    problems: list[str] = naming().naming_problems(
        event, properties, spec_names(), lookalikes(), spec_spellings()
    )
    if event is not None and spec_lookalike(event) is None:
        problems += naming().naming_advice(event, similar_names())
    return problems

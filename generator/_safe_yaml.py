"""YAML from files a user or an attacker wrote, loaded with its alias expansion bounded.

A loader builds an alias as a shared reference, so a "billion laughs" file of a few
hundred bytes loads quickly; it is whatever walks the result afterwards (a rule, a
``repr`` in an error, a dump) that expands it to gigabytes. So before loading, the event
stream is counted as if every alias were expanded, and a document that would expand past
:data:`MAX_NODES` is refused, as is one nested deeper than :data:`MAX_DEPTH`.
Answer and catalog files have dozens of nodes, three levels deep.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)

from .errors import YAMLBombError

MAX_NODES = 100_000
MAX_DEPTH = 64  # the loaders recurse per level; deeper would be a RecursionError, not an error


def check_expansion(text: str, what: str, limit: int = MAX_NODES) -> None:
    """Refuse ``text`` when its aliases, expanded, would make more than ``limit`` nodes.

    Raises:
        YAMLBombError: the expansion is too large.
        ruamel.yaml.error.YAMLError: the text is not valid YAML.
    """
    sizes: dict[str, int] = {}  # anchor -> the node count of what it names
    stack: list[tuple[str | None, int]] = []  # open collections: anchor, nodes so far
    total = 0
    for event in YAML(typ="safe").parse(text):
        if isinstance(event, CollectionStartEvent):
            stack.append((event.anchor, 1))
            if len(stack) > MAX_DEPTH:
                raise YAMLBombError(
                    f"{what} nests more than {MAX_DEPTH} levels deep",
                    "flatten the YAML: answers are values and short lists",
                )
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, count = stack.pop()
        elif isinstance(event, AliasEvent):
            anchor, count = None, sizes.get(str(event.anchor), 1)
        elif isinstance(event, ScalarEvent):
            anchor, count = event.anchor, 1
        else:
            continue
        if anchor is not None:
            sizes[str(anchor)] = count
        if stack:
            parent_anchor, parent_count = stack[-1]
            stack[-1] = (parent_anchor, parent_count + count)
        else:
            total += count
        if count > limit or total > limit:
            raise YAMLBombError(
                f"{what} expands to more than {limit:,} YAML nodes through its aliases (`*name`)",
                "write the values out instead of through anchors and aliases",
            )


def load(text: str, what: str, *, round_trip: bool = False) -> Any:
    """Load one YAML document after :func:`check_expansion`.

    Args:
        text: the document.
        what: the file or flag it came from, for the error.
        round_trip: keep comments and order (ruamel's round-trip loader) instead of safe types.

    Raises:
        YAMLBombError: the aliases expand too far.
        ruamel.yaml.error.YAMLError: the text is not valid YAML.
    """
    check_expansion(text, what)
    return YAML(typ="rt" if round_trip else "safe").load(text)

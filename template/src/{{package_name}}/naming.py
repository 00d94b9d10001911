"""Segment's naming rules for partner sources: Proper Case events, snake_case properties.

Plain Python with no template values: the generator loads this same file for
``segment-source check`` and the debugger, so the rules live in one place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

# Short words that stay lowercase inside a Proper Case name ("Email Marked as Spam").
_MINOR_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
)
_WORD = re.compile(r"^(?:[A-Z0-9][A-Za-z0-9]*|[A-Z]+/[A-Z]+)$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def is_proper_case(name: str) -> bool:
    """Tell whether ``name`` is Proper Case: capitalised words separated by single spaces."""
    words = name.split(" ")
    if not words or any(not word for word in words):
        return False
    first, *rest = words
    return bool(_WORD.match(first)) and all(_WORD.match(w) or w in _MINOR_WORDS for w in rest)


def is_snake_case(name: str) -> bool:
    """Tell whether ``name`` is snake_case: lowercase words joined by single underscores."""
    return bool(_SNAKE.match(name))


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def spec_name_for(name: str, spec_names: Iterable[str], lookalikes: Mapping[str, str]) -> str | None:
    """Return the Spec event name ``name`` imitates, or None when it is fine as it is.

    A look-alike is a known wrong name ("Email Link Click") or a Spec name spelt another
    way ("email_opened"). Either gets a partner source rejected by Segment's review.
    """
    spec_names = list(spec_names)
    if name in spec_names:
        return None
    key = _key(name)
    for spec in spec_names:
        if _key(spec) == key:
            return spec
    for wrong, right in lookalikes.items():
        if _key(wrong) == key:
            return right
    return None


def similar_spec_name(name: str, similar: Mapping[str, str]) -> str | None:
    """Return the Spec event ``name`` may mean ("Purchase" -> "Order Completed"), or None.

    Unlike a look-alike, such a name may also mean something else, so it is a hint to
    check, never a reason to refuse the event.
    """
    key = _key(name)
    return next((right for wrong, right in similar.items() if _key(wrong) == key), None)


def naming_advice(event: str | None, similar: Mapping[str, str]) -> list[str]:
    """Return hints, never refusals, about one event name: the Spec event it may mean."""
    spec = similar_spec_name(event, similar) if event is not None else None
    if spec is None:
        return []
    return [f"event {event!r} may mean the Spec event {spec!r}: send {spec!r} if it is the same action"]


def naming_problems(
    event: str | None,
    properties: Iterable[str],
    spec_names: Iterable[str],
    lookalikes: Mapping[str, str],
    spec_spellings: Collection[str] = (),
) -> list[str]:
    """Return what breaks Segment's naming rules in one event, as sentences with the fix.

    ``spec_spellings`` are properties the Spec itself writes in camelCase
    (``startupTime``): sent as the Spec spells them, they break no rule.
    """
    problems: list[str] = []
    if event is not None:
        spec = spec_name_for(event, spec_names, lookalikes)
        if spec is not None:
            problems.append(f"event {event!r} looks like the Spec event {spec!r}: send {spec!r}")
        elif not is_proper_case(event):
            problems.append(f"event {event!r} is not Proper Case (e.g. 'Order Completed')")
    for prop in properties:
        if not is_snake_case(prop) and prop not in spec_spellings:
            problems.append(f"property {prop!r} is not snake_case (e.g. 'order_id')")
    return problems

"""Asking for answers in a terminal: the only module that imports questionary.

Validation is live: each prompt runs the answer's rule from :mod:`generator._rules` as
the user types, and shows the rule's message (field, value, fix) until it passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import questionary
from prompt_toolkit.filters import has_validation_error, to_filter
from prompt_toolkit.layout import ConditionalContainer, Window

from . import _answers, _rules, _segment
from .errors import AnswerError

NO_SECONDARY = "(no secondary category)"
# The prompts' own wording where copier.yml's help (which plain `copier copy` shows
# too) would read oddly inside `segment-source new`.
_WORDING = {
    "slug": "Slug (lowercase letters, digits and single hyphens; suggested from the name)",
}


def _validator(rule: Callable[[Any], Any]) -> Callable[[Any], bool | str]:
    def check(value: Any) -> bool | str:
        try:
            rule(value)
        except AnswerError as exc:
            return f"{exc.message} ({exc.hint})"
        return True

    return check


def _help(key: str) -> str:
    return _WORDING.get(key) or str(_answers.questions()[key].get("help", key))


def _wrap_errors(question: questionary.Question) -> questionary.Question:
    """Let the rule's message wrap onto more lines instead of being cut at the edge.

    prompt_toolkit shows a validation error in a one-line toolbar, which cuts a message
    longer than the terminal is wide (at 80 columns the slug rule lost its fix).
    """
    for container in question.application.layout.walk():
        if isinstance(container, ConditionalContainer) and container.filter is has_validation_error:
            window = container.content
            if isinstance(window, Window):
                window.height = None  # as many lines as the wrapped message needs
                window.wrap_lines = to_filter(True)
                window.dont_extend_height = to_filter(True)
    return question


def _ask_text(key: str, default: Any) -> str:
    question = questionary.text(
        _help(key),
        default="" if default is None else str(default),
        validate=_validator(_rules.RULES[key]),
    )
    answer: str = _wrap_errors(question).unsafe_ask()
    return answer


def _ask_regions(default: Any) -> list[str]:
    labels = _segment.regions()
    choices = [
        questionary.Choice(f"US only ({labels['us']['label']})", value=["us"]),
        questionary.Choice(
            f"US and EU ({labels['us']['label']}, {labels['eu']['label']})", value=["us", "eu"]
        ),
    ]
    start = choices[1] if default and "eu" in default else choices[0]
    answer: list[str] = questionary.select(
        _help("regions"), choices=choices, default=start
    ).unsafe_ask()
    return answer


def _ask_categories(default: Any) -> list[str]:
    known = list(_segment.categories())
    current = list(default or [])
    primary: str = questionary.select(
        "Primary catalog category", choices=known, default=current[0] if current else None
    ).unsafe_ask()
    rest = [NO_SECONDARY, *[c for c in known if c != primary]]
    secondary: str = questionary.select(
        "Secondary catalog category (optional)",
        choices=rest,
        default=current[1] if len(current) > 1 and current[1] in rest else NO_SECONDARY,
    ).unsafe_ask()
    return [primary] if secondary == NO_SECONDARY else [primary, secondary]


def _ask_families(default: Any) -> list[str]:
    chosen = set(default or [])
    choices = [
        questionary.Choice(family["title"], value=key, checked=key in chosen)
        for key, family in _segment.families().items()
    ]
    question = questionary.checkbox(
        _help("event_families"),
        choices=choices,
        validate=lambda picked: bool(picked) or "choose at least one family",
    )
    answer: list[str] = _wrap_errors(question).unsafe_ask()
    return answer


def _ask_choice(key: str, default: Any) -> str:
    choices = [
        questionary.Choice(title=label, value=value)
        for value, label in _segment.data()[_CHOICES[key]].items()
    ]
    answer: str = questionary.select(_help(key), choices=choices, default=default).unsafe_ask()
    return answer


# Questions answered by picking one of segment.yml's keyed choices.
_CHOICES = {"anonymous_fallback": "anonymous_fallbacks", "lifecycle": "lifecycles"}


def ask(given: Mapping[str, Any], *, only_without_default: bool = False) -> dict[str, Any]:
    """Ask, in the template's order, every question ``given`` does not answer.

    Args:
        given: answers already supplied by flags or a file; never asked again.
        only_without_default: ask only the questions that have no default (``--defaults``).

    Returns:
        ``given`` plus the answers typed in.
    """
    answers = dict(given)
    special: dict[str, Callable[[Any], Any]] = {
        "regions": _ask_regions,
        "categories": _ask_categories,
        "event_families": _ask_families,
        **{key: partial(_ask_choice, key) for key in _CHOICES},
    }
    for key in _answers.questions():
        if key in answers:
            continue
        default = _answers.default_for(key, answers)
        if only_without_default and default is not None:
            continue
        answers[key] = special[key](default) if key in special else _ask_text(key, default)
    return answers


def ask_only(keys: Iterable[str], given: Mapping[str, Any]) -> dict[str, Any]:
    """Ask exactly ``keys`` (e.g. the questions an update adds); return ``given`` plus them."""
    wanted = set(keys)
    placeholders = {
        key: None for key in _answers.questions() if key not in wanted and key not in given
    }
    answers = ask({**given, **placeholders})
    return {key: value for key, value in answers.items() if key not in placeholders}

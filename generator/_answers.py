"""Gathering answers from flags and files, filling defaults, and checking them all.

The questions (their order, help and defaults) come from the template's ``copier.yml``;
the rules come from :mod:`generator._rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from . import _paths, _rules, _safe_yaml, _segment
from ._template_files import template_root
from .errors import AnswerError, GeneratorError, printable, show

Answers = dict[str, Any]
# Where a project records its answers and template version (copier.yml's `_answers_file`).
ANSWERS_FILE = ".copier-answers.yml"
# An answers file is a dozen short lines; anything near this size is not one.
MAX_DATA_FILE_BYTES = 256 * 1024


def read_answers_file(project: Path) -> Any:
    """Load ``project``'s :data:`ANSWERS_FILE` as hostile input.

    Inside the project (no symlink out), a small regular text file, YAML aliases bounded.

    Raises:
        FileNotFoundError: the project has no answers file.
        UnsafePathError: the file leads out of the project, or is no small text file.
        YAMLBombError: its aliases expand too far.
        ruamel.yaml.error.YAMLError: it is not valid YAML.
    """
    path = _paths.inside(project, ANSWERS_FILE, ANSWERS_FILE)
    return _safe_yaml.load(_paths.read_text(path, ANSWERS_FILE), ANSWERS_FILE)


@cache
def questions() -> dict[str, dict[str, Any]]:
    """Return the asked questions of ``copier.yml`` (key -> settings), in order."""
    config = YAML(typ="safe").load((template_root() / "copier.yml").read_text(encoding="utf-8"))
    return {
        key: dict(settings)
        for key, settings in config.items()
        if not key.startswith("_")
        and isinstance(settings, dict)
        and settings.get("when", True) is not False
    }


def default_for(key: str, answers: Mapping[str, Any]) -> Any:
    """Return the default of a question given the answers so far, or None when it has none."""
    if key == "slug":
        name = answers.get("integration_name")
        return _rules.suggest_slug(name) if isinstance(name, str) else None
    default = questions()[key].get("default")
    if isinstance(default, str) and "{{" in default:
        # The same context copier gives the template: the answers plus Segment's data.
        rendered = (
            jinja2.Environment().from_string(default).render(segment=_segment.data(), **answers)
        )
        return YAML(typ="safe").load(rendered) if rendered.startswith("[") else rendered
    return default


def required_keys() -> list[str]:
    """The questions without a default (the slug's comes from the name)."""
    return [key for key, q in questions().items() if "default" not in q and key != "slug"]


def parse_data_pairs(pairs: Iterable[str]) -> Answers:
    """Parse ``--data KEY=VALUE`` flags; a list may be written ``a,b`` or ``[a, b]``."""
    answers: Answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise GeneratorError(
                f"--data `{pair}` is not KEY=VALUE", "write e.g. --data slug=acme-mail"
            )
        key = key.strip()
        if value.startswith("["):
            try:
                value = _safe_yaml.load(value, f"--data {key}")
            except YAMLError:
                raise AnswerError(key, value, "is not a YAML list", "write e.g. [us, eu]") from None
        answers[key] = value
    return answers


def load_data_file(path: Path) -> Answers:
    """Read answers from a YAML file (a mapping of answer keys).

    The file is hostile until read: a regular file of at most :data:`MAX_DATA_FILE_BYTES`,
    UTF-8 text, and YAML whose aliases stay small (see :mod:`generator._safe_yaml`).
    """
    shown = show(str(path))
    try:
        text = _paths.read_text(path, "--data-file", MAX_DATA_FILE_BYTES)
    except FileNotFoundError:
        raise GeneratorError(
            f"--data-file {shown} cannot be read: it does not exist",
            "give the path of a YAML answers file",
        ) from None
    try:
        loaded = _safe_yaml.load(text, f"--data-file {shown}")
    except YAMLError as exc:
        raise GeneratorError(
            f"--data-file {shown} is not valid YAML: {printable(str(exc))[:400]}",
            "fix the YAML, e.g. `slug: acme-mail`",
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        raise GeneratorError(
            f"--data-file {shown} is not a mapping of answers", "write one `key: value` per line"
        )
    # copier's own answers file carries _src_path, _commit, ...: accept it as input too.
    return {str(k): v for k, v in loaded.items() if not str(k).startswith("_")}


def check_keys(answers: Mapping[str, Any]) -> None:
    """Refuse keys that are not questions (a typo would otherwise be ignored)."""
    unknown = [key for key in answers if key not in questions()]
    if unknown:
        raise AnswerError(
            unknown[0],
            answers[unknown[0]],
            "is not a question of this template",
            "use one of: " + ", ".join(questions()),
        )


def complete(answers: Mapping[str, Any]) -> Answers:
    """Fill defaults for what is missing; raise nothing (see :func:`missing`)."""
    filled: Answers = {}
    for key in questions():
        if key in answers:
            filled[key] = answers[key]
        else:
            default = default_for(key, filled)
            if default is not None:
                filled[key] = default
    return filled


def missing(answers: Mapping[str, Any]) -> list[str]:
    """Return the required keys that have no answer."""
    return [key for key in required_keys() if key not in answers]


def validate(answers: Mapping[str, Any]) -> Answers:
    """Apply every rule; return the normalised answers or raise :class:`AnswerError`."""
    check_keys(answers)
    return {key: _rules.RULES[key](answers[key]) for key in questions() if key in answers}

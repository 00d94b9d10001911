"""Errors the generator reports to its users.

Hierarchy::

    GeneratorError              anything the user can fix; the CLI prints it and exits 1
    ├── AnswerError             one answer breaks a rule (names the field, value and fix)
    ├── MissingAnswersError     no terminal, and required answers are missing (exit 2)
    ├── DestinationError        the destination cannot be written as asked
    ├── UpdateError             a project cannot be updated as it is (dirty, not ours, newer)
    ├── UnsafePathError         a path from a project file leaves the project, or is not a
    │                           regular file readable within bounds (``_paths``)
    └── YAMLBombError           YAML whose aliases would expand too far, or nest too deep
                                (``_safe_yaml``)

Every class the generator raises for its users is defined here, so this tree is the whole
list; the modules that raise them import them from here.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence


class GeneratorError(Exception):
    """A problem the user can fix; ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class AnswerError(GeneratorError):
    """An answer breaks a rule."""

    def __init__(self, field: str, value: object, problem: str, fix: str) -> None:
        # An unknown key is as hostile as a value: escaped and cut like one.
        super().__init__(f"{printable(field[:60])} {show(value)} {problem}", fix)
        self.field = field
        self.value = value


class MissingAnswersError(GeneratorError):
    """Answers are missing and there is no terminal to ask for them."""

    exit_code = 2

    def __init__(self, keys: Sequence[str], *, defaults_flag: bool = True) -> None:
        listed = ", ".join(keys)
        hint = "supply them with --data KEY=VALUE (repeatable) or --data-file answers.yml"
        super().__init__(
            f"missing answers: {listed} (no terminal to ask them)",
            hint
            + (", and use --defaults to accept the defaults of the rest" if defaults_flag else ""),
        )
        self.keys = tuple(keys)


class DestinationError(GeneratorError):
    """The destination directory cannot be written as asked."""


class UpdateError(GeneratorError):
    """A project cannot be updated as it is; nothing was changed."""


class UnsafePathError(GeneratorError):
    """A path leaves the project, or is not a regular file that can be read within bounds."""


class YAMLBombError(GeneratorError):
    """A YAML document whose aliases would expand past the node limit, or that nests too deep."""


def printable(text: str, keep: str = "") -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\u202e``, ``\\n``).

    Values echoed in errors come from hostile input: a raw ESC would drive the user's
    terminal, a bidi override would reorder what they read. ``keep`` lists characters to
    leave as they are (the CLI keeps the newlines of its own multi-line messages).
    """
    return "".join(
        ch if ch.isprintable() or ch in keep else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def show(value: object, limit: int = 80) -> str:
    """A value as errors print it: text in backticks, escaped and cut to ``limit`` characters.

    Anything else is shown with a bounded ``repr`` (``reprlib``): a YAML alias bomb loads as
    a few shared lists whose full ``repr`` would take gigabytes.
    """
    if isinstance(value, str):
        cut = value if len(value) <= limit else value[: limit - 3] + "..."
        return f"`{printable(cut)}`"
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxstring, shown.maxother = 3, limit, limit
    return printable(shown.repr(value))[: limit * 2]

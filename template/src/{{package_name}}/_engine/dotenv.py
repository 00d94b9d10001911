"""The sample command's settings from a ``.env`` file in the working directory.

Only the sample command reads it, and only ``SEGMENT_WRITE_KEY`` and
``SEGMENT_ENDPOINT``; other lines are ignored. The client never reads it: it sends for
many customers, each with the write key your product stores for them.

The format is the common one: ``KEY=VALUE`` lines, ``#`` comments, an optional
``export``, values optionally in single or double quotes. No value is ever shown in a
message, since the file holds a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

VARIABLES = ("SEGMENT_WRITE_KEY", "SEGMENT_ENDPOINT")
MAX_BYTES = 64 * 1024  # a handful of settings; anything larger is not this file
_LINE = re.compile(r"^(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)$")


class DotenvError(ValueError):
    """The ``.env`` file cannot be read; the message names the file, the line and the fix."""


def _value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def read(path: Path) -> dict[str, str]:
    """Return the known variables set in ``path``; an absent file sets none.

    Args:
        path: The file, usually ``.env`` in the working directory.

    Returns:
        The variables of :data:`VARIABLES` that the file sets to a non-empty value.

    Raises:
        DotenvError: The file is too large, not UTF-8 text, or has a line that is not
            ``KEY=VALUE``.
    """
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DotenvError(f"{path} is over {MAX_BYTES // 1024} KiB; it should hold a few KEY=VALUE lines")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DotenvError(f"{path} is not UTF-8 text; save it as UTF-8 KEY=VALUE lines") from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise DotenvError(f"{path} line {number} is not KEY=VALUE; fix it or comment it out with #")
        value = _value(match["value"].strip())
        if match["key"] in VARIABLES and value:
            found[match["key"]] = value
    return found


def setting(name: str, environ: Mapping[str, str], dotenv: Mapping[str, str]) -> str | None:
    """The environment's value of ``name`` if set, else the ``.env`` file's, else None."""
    return environ.get(name) or dotenv.get(name) or None

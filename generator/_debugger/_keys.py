"""Write keys: reading them from a request (shown only masked, by ``_write_key.mask``).

A write key is a secret that lets anyone send data into a workspace, so the debugger
only ever shows its first few characters: in the page, the JSON endpoint, the log file,
error messages and reprs alike.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from .._write_key import mask


@dataclass(frozen=True)
class Credentials:
    """The write key a request carries, and how it was sent.

    Attributes:
        key: The write key (never shown; use ``masked``).
        source: ``"basic"``, ``"body"`` or ``"none"``.
        problem: A warning about the way the key was sent, or an empty string.
    """

    key: str | None
    source: str
    problem: str = ""

    @property
    def masked(self) -> str | None:
        """The masked write key."""
        return mask(self.key)

    def __repr__(self) -> str:
        return f"Credentials(key={self.masked!r}, source={self.source!r})"


def credentials(authorization: str | None, body_key: object) -> Credentials:
    """Find the write key of a request: HTTP Basic first, then the body ``writeKey``.

    Args:
        authorization: The ``Authorization`` header, if any.
        body_key: The top-level ``writeKey`` of the JSON body, if any.

    Returns:
        The credentials; ``key`` is None when neither way carried a key.
    """
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return Credentials(None, "basic", "the Authorization header is not valid Basic auth")
        key, colon, _password = decoded.partition(":")
        # Segment documents base64("<writeKey>:"); without the colon it works only for
        # backward compatibility (HTTP API docs, "Authentication").
        problem = "" if colon else "Basic auth should encode '<writeKey>:' (with the colon)"
        return Credentials(key or None, "basic", problem)
    if isinstance(body_key, str) and body_key:
        return Credentials(body_key, "body")
    return Credentials(None, "none")


class WriteKeys:
    """The write keys the debugger accepts; empty means it accepts any key."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._keys = frozenset(k for k in keys if k)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def accepts(self, key: str | None) -> bool:
        """Tell whether a call with ``key`` is let in."""
        return not self._keys or key in self._keys

    def __repr__(self) -> str:
        return f"WriteKeys({sorted(mask(k) or '' for k in self._keys)!r})"

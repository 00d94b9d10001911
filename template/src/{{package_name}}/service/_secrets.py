"""``SEGMENT_SETTINGS_SECRET``: the keys that seal write keys at rest and sign settings links.

The variable holds one Fernet key, or several separated by commas while a rotation runs:
the first seals new values, every one of them opens old ones (``MultiFernet``)::

    SEGMENT_SETTINGS_SECRET="$NEW,$OLD"      # deploy this, then
    python -m <package> rotate-secret --old "$OLD" --new "$NEW"
    SEGMENT_SETTINGS_SECRET="$NEW"           # once every row is re-sealed

The fingerprint and link-signing keys are derived from the first key (HMAC with a
purpose label), so one secret is all a deployment keeps.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ._errors import ServiceError

__all__ = ["ENV", "InvalidToken", "SettingsSecret", "SettingsSecretError", "new_secret"]

ENV = "SEGMENT_SETTINGS_SECRET"
_PACKAGE = __name__.split(".")[0]


class SettingsSecretError(ServiceError, ValueError):
    """``SEGMENT_SETTINGS_SECRET`` is missing or not Fernet keys; the message says how to make one."""


def new_secret() -> str:
    """Return a new random secret for ``SEGMENT_SETTINGS_SECRET`` (a Fernet key)."""
    return Fernet.generate_key().decode()


def _fernet(text: str, position: int) -> Fernet:
    try:
        return Fernet(text.strip().encode())
    except ValueError:
        raise SettingsSecretError(
            f"{ENV}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
            f"make one with `python -m {_PACKAGE} settings-secret`"
        ) from None


class SettingsSecret:
    """The Fernet keys of ``SEGMENT_SETTINGS_SECRET``; never shows them in its repr."""

    def __init__(self, secret: str) -> None:
        """Take one key, or several separated by commas (the first seals, all open).

        Raises:
            SettingsSecretError: For an empty value or a malformed key.
        """
        parts = [part for part in (secret or "").split(",") if part.strip()]
        if not parts:
            raise SettingsSecretError(f"{ENV} is empty: make one with `python -m {_PACKAGE} settings-secret`")
        self._keys = [_fernet(part, n) for n, part in enumerate(parts, 1)]
        self._fernet = MultiFernet(self._keys)
        first = parts[0].strip().encode()
        self._fingerprint_key = hmac.new(first, b"segment-settings:fingerprint", hashlib.sha256).digest()
        # Every key signs links in turn of age, so a rotation does not void live links.
        self.link_keys = [
            hmac.new(part.strip().encode(), b"segment-settings:link", hashlib.sha256).hexdigest()
            for part in reversed(parts)
        ]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SettingsSecret:
        """Read ``SEGMENT_SETTINGS_SECRET``.

        Raises:
            SettingsSecretError: When it is missing or malformed.
        """
        value = (os.environ if environ is None else environ).get(ENV, "")
        if not value.strip():
            raise SettingsSecretError(f"{ENV} is not set: make one with `python -m {_PACKAGE} settings-secret`")
        return cls(value)

    def __repr__(self) -> str:
        return f"SettingsSecret({len(self._keys)} key{'s' if len(self._keys) > 1 else ''})"

    def seal(self, plain: str) -> bytes:
        """Encrypt (and authenticate) a value with the first key."""
        return self._fernet.encrypt(plain.encode())

    def open(self, token: bytes) -> str:
        """Decrypt a value sealed with any of the keys.

        Raises:
            InvalidToken: When no key opens it (the secret is not the one it was sealed with).
        """
        return self._fernet.decrypt(token).decode()

    def fingerprint(self, plain: str) -> str:
        """Return a keyed fingerprint (HMAC-SHA256, 16 hex digits): equal keys, equal prints."""
        return hmac.new(self._fingerprint_key, plain.encode(), hashlib.sha256).hexdigest()[:16]

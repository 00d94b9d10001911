"""Write keys in the Redis queue: sealed with a shared secret, named by a keyed fingerprint.

Anyone who can read the Redis server (a replica, a backup, a ``MONITOR``) must not learn
a customer's write key. Producers and workers share one secret, ``SEGMENT_QUEUE_SECRET``
(a Fernet key: 32 random bytes, url-safe base64). Each key is stored once, encrypted with
it (Fernet: AES-128-CBC and HMAC-SHA256); queue entries carry only a customer id, an
HMAC of the key under the same secret, so an id cannot be checked against a guessed key
without the secret either. The secret is never logged or echoed, not even when it is
malformed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

from ..errors import QueueSecretError

SECRET_ENV = "SEGMENT_QUEUE_SECRET"
_HOW_TO_MAKE = (
    f"make one with `python -m {__name__.rpartition('.')[0]} queue-secret` and give every producer and worker the same"
)
# Sealed into the queue's settings when it is created: a process with another secret is
# refused before it writes an entry that no worker could open.
_CHECK_PLAINTEXT = b"segment-queue-secret-check-v1"


def new_secret() -> str:
    """Return a new random secret for ``SEGMENT_QUEUE_SECRET``."""
    return Fernet.generate_key().decode()


class KeyVault:
    """Seals and opens write keys, and names customers, with one secret."""

    def __init__(self, secret: str) -> None:
        """Check and load the secret.

        Raises:
            QueueSecretError: When the secret is not 32 bytes of url-safe base64; the
                message gives its length, never its value.
        """
        secret = secret.strip()
        try:
            raw = base64.b64decode(secret.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != 32:
            raise QueueSecretError(
                f"{SECRET_ENV} is malformed: it must be 44 characters of url-safe base64 (32 bytes), "
                f"got {len(secret)} characters; {_HOW_TO_MAKE}"
            )
        self._fernet = Fernet(secret.encode("ascii"))
        # A separate key for the fingerprints: one key for one purpose.
        self._id_key = hashlib.sha256(b"customer-id:" + raw).digest()

    def __repr__(self) -> str:
        return "KeyVault(<secret hidden>)"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyVault:
        """Load the secret from ``SEGMENT_QUEUE_SECRET``.

        Raises:
            QueueSecretError: When the variable is missing, empty or malformed.
        """
        value = (os.environ if environ is None else environ).get(SECRET_ENV, "")
        if not value.strip():
            raise QueueSecretError(
                f"{SECRET_ENV} is not set: the Redis queue keeps write keys encrypted with it; {_HOW_TO_MAKE}"
            )
        return cls(value)

    def customer_id(self, write_key: str) -> str:
        """Return the customer's id in the queue: 32 hex digits of an HMAC of the key."""
        return hmac.new(self._id_key, write_key.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, write_key: str) -> bytes:
        """Return the write key encrypted (a Fernet token)."""
        return self._fernet.encrypt(write_key.encode())

    def open(self, token: bytes) -> str | None:
        """Return the write key of a token, or None when this secret did not seal it."""
        try:
            return self._fernet.decrypt(token).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None

    def check_token(self) -> bytes:
        """Return a token that proves, to a later :meth:`matches`, which secret made it."""
        return self._fernet.encrypt(_CHECK_PLAINTEXT)

    def matches(self, token: bytes) -> bool:
        """Tell whether ``token`` came from :meth:`check_token` with this same secret."""
        try:
            return self._fernet.decrypt(token) == _CHECK_PLAINTEXT
        except InvalidToken:
            return False

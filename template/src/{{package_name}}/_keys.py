"""Write keys: the Basic auth header made from one, and the fingerprint that stands for it.

Logs, reprs, exceptions and dead-letter reasons name a customer by :func:`key_id`, never
by the key: a log line or a crash report must not leak a credential.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache


@lru_cache(maxsize=4096)
def key_id(write_key: str) -> str:
    """Return a short, stable fingerprint of a write key (8 hex digits of its SHA-256)."""
    return hashlib.sha256(write_key.encode()).hexdigest()[:8]


@lru_cache(maxsize=4096)
def basic_auth(write_key: str) -> str:
    """Return the ``Authorization`` value Segment documents: Basic base64("<writeKey>:")."""
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()


def redact(text: str, write_key: str) -> str:
    """Replace the write key in ``text`` (say, a server's error body) by its fingerprint."""
    return text.replace(write_key, f"<key {key_id(write_key)}>") if write_key else text

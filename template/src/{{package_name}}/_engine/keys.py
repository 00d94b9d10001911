"""Write keys: the Basic auth header made from one, and the fingerprint that stands for it.

Logs, reprs, exceptions and dead-letter reasons name a customer by :func:`key_id`, never
by the key: a log line or a crash report must not leak a credential.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from urllib.parse import quote


@lru_cache(maxsize=4096)
def key_id(write_key: str) -> str:
    """Return a short, stable fingerprint of a write key (8 hex digits of its SHA-256)."""
    return hashlib.sha256(write_key.encode()).hexdigest()[:8]


@lru_cache(maxsize=4096)
def basic_auth(write_key: str) -> str:
    """Return the ``Authorization`` value Segment documents: Basic base64("<writeKey>:")."""
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()


@lru_cache(maxsize=1024)
def _key_forms(write_key: str) -> tuple[str, ...]:
    # An endpoint may echo the key itself, JSON- or URL-escaped, or the Basic header it
    # was sent (base64 of "key:"), standard or URL-safe, padded or not.
    forms = {write_key, json.dumps(write_key)[1:-1], quote(write_key, safe="")}
    for payload in (f"{write_key}:".encode(), write_key.encode()):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            token = encode(payload).decode()
            forms |= {token, token.rstrip("=")}
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))  # longest first


def redact(text: str, write_key: str) -> str:
    """Replace every form of the write key in ``text`` (say, an error body) by its fingerprint.

    Redact before shortening a text: a cut through an encoded key would leave a piece of
    it that no longer matches.
    """
    if not write_key:
        return text
    mark = f"<key {key_id(write_key)}>"
    for form in _key_forms(write_key):
        text = text.replace(form, mark)
    return text

"""Settings links: signed, expiring, for one tenant.

The partner's app sends its customer to ``/settings/<tenant>?link=<token>`` (a redirect
or an iframe). The token names the tenant and its expiry, signed with a key derived from
``SEGMENT_SETTINGS_SECRET``; it opens a session for that tenant only, and its random
nonce is what the page's CSRF tokens are derived from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer

from ._errors import ServiceError
from ._rules import check_tenant
from ._secrets import SettingsSecret

__all__ = ["DEFAULT_TTL", "LinkRefused", "Session", "make_token", "read_token", "settings_link"]

DEFAULT_TTL = 15 * 60  # seconds
MAX_TTL = 7 * 24 * 3600


class LinkRefused(ServiceError):
    """A settings link or session that cannot be used; the message says why and what to do."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Session:
    """A verified link: its tenant, when it expires, and its CSRF token."""

    tenant: str
    expires: int
    csrf: str


def _serializer(secret: SettingsSecret) -> URLSafeSerializer:
    # itsdangerous tries every key, newest last: links survive a secret rotation.
    return URLSafeSerializer(secret.link_keys, salt="segment-settings-link")


def make_token(secret: SettingsSecret, tenant: str, ttl: float = DEFAULT_TTL) -> str:
    """Return a signed token that opens ``tenant``'s settings page for ``ttl`` seconds.

    Raises:
        InvalidSetting: For a bad tenant id.
        ValueError: For a ttl that is not between 1 second and 7 days.
    """
    check_tenant(tenant)
    if not 1 <= ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between 1 second and 7 days, not {ttl:g} s")
    payload = {"t": tenant, "e": int(time.time() + ttl), "n": secrets.token_urlsafe(12)}
    return str(_serializer(secret).dumps(payload))


def settings_link(tenant: str, base_url: str, ttl: float = DEFAULT_TTL, *, secret: SettingsSecret | None = None) -> str:
    """Return the URL of ``tenant``'s settings page under ``base_url`` (the service's address).

    Args:
        tenant: The partner's id for its customer.
        base_url: Where the service answers, e.g. ``https://segment.example.com`` (with
            the mount path when it is mounted in another app).
        ttl: Seconds the link works (default 15 minutes, at most 7 days).
        secret: The settings secret (default: ``$SEGMENT_SETTINGS_SECRET``).

    Raises:
        InvalidSetting: For a bad tenant id.
        ValueError: For a ttl out of range.
        SettingsSecretError: When the secret is missing or malformed.
    """
    token = make_token(secret or SettingsSecret.from_env(), tenant, ttl)
    return f"{base_url.rstrip('/')}/settings/{quote(tenant, safe=':')}?link={token}"


def read_token(secret: SettingsSecret, token: str, tenant: str) -> Session:
    """Verify a token for the page of ``tenant``.

    Raises:
        LinkRefused: When it is tampered with, expired, or for another tenant.
    """
    try:
        payload = _serializer(secret).loads(token[:1000])
        owner, expires, nonce = str(payload["t"]), int(payload["e"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused(
            "This settings link is not valid (it was changed or cut short). Ask for a new link from the app you came from."
        ) from None
    if expires < time.time():
        raise LinkRefused("This settings link has expired. Open the settings again from the app you came from.")
    if not hmac.compare_digest(owner.encode(), tenant.encode()):
        raise LinkRefused("This settings link is for another account: it cannot open or change this one.")
    csrf = hmac.new(secret.link_keys[-1].encode(), f"csrf:{owner}:{nonce}".encode(), hashlib.sha256).hexdigest()
    return Session(owner, expires, csrf)

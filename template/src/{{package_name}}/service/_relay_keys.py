"""Relay credentials: what a partner's Segment library sends as its "write key" to the relay.

A credential is ``rk`` + a 16-character id + a random secret. The secret is shown once,
when issued; the database keeps its SHA-256 (the secret is 192 random bits, so a slow
hash would add nothing) and the id, which is how a credential is listed and revoked.
A credential names one tenant: the relay sends its calls with that tenant's write key only.

The relay's per-tenant drop counters live here too: calls answered 200 but not sent
because the tenant has no connection, or a disabled one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Engine, String, Table, Text, delete, insert, select, update

from ._schema import metadata

__all__ = ["DropCounts", "IssuedKey", "RelayKey", "RelayKeys"]

relay_keys = Table(
    "segment_relay_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("tenant", String(128), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),  # SHA-256 of the secret, hex
    Column("created_at", DateTime(timezone=True), nullable=False),
)
relay_drops = Table(
    "segment_relay_drops",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("dropped", BigInteger, nullable=False),
    Column("last_dropped_at", DateTime(timezone=True), nullable=False),
    Column("last_reason", Text, nullable=False),
)

_PREFIX = "rk"
_ID_CHARS = 16
_MAX_CREDENTIAL = 128


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _iso(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive datetimes
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RelayKey:
    """A credential as listed: its id and tenant, never the secret."""

    id: str
    tenant: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "tenant": self.tenant, "created_at": _iso(self.created_at)}


@dataclass(frozen=True)
class IssuedKey(RelayKey):
    """A credential just issued: the only time its whole value exists outside the sender."""

    credential: str = ""

    def __repr__(self) -> str:
        return f"IssuedKey(id={self.id!r}, tenant={self.tenant!r})"

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "credential": self.credential}


@dataclass(frozen=True)
class DropCounts:
    """Calls the relay answered 200 but did not send for a tenant, and the last reason."""

    dropped: int
    last_dropped_at: datetime | None
    last_reason: str | None

    def to_json(self) -> dict[str, Any]:
        at = None if self.last_dropped_at is None else _iso(self.last_dropped_at)
        return {"dropped": self.dropped, "last_dropped_at": at, "last_reason": self.last_reason}


class RelayKeys:
    """Relay credentials in the connection database, with a short lookup cache."""

    def __init__(self, engine: Engine, *, cache_seconds: float = 1.0, max_cached: int = 100_000) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self.max_cached = max_cached
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def issue(self, tenant: str) -> IssuedKey:
        """Make a new credential for ``tenant``; its value is in the answer only."""
        key_id, secret = secrets.token_hex(_ID_CHARS // 2), secrets.token_urlsafe(24)
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(insert(relay_keys).values(id=key_id, tenant=tenant, secret_hash=_hash(secret), created_at=now))
        return IssuedKey(key_id, tenant, now, credential=f"{_PREFIX}{key_id}{secret}")

    def list(self, tenant: str) -> list[RelayKey]:
        """Return a tenant's credentials (ids and times), oldest first."""
        query = select(relay_keys).where(relay_keys.c.tenant == tenant).order_by(relay_keys.c.created_at)
        with self.engine.connect() as conn:
            return [RelayKey(r.id, r.tenant, r.created_at) for r in conn.execute(query)]

    def revoke(self, tenant: str, key_id: str) -> bool:
        """Delete a tenant's credential; False when the tenant has none with that id.

        Relays see it within ``cache_seconds``.
        """
        with self.engine.begin() as conn:
            gone = conn.execute(delete(relay_keys).where(relay_keys.c.tenant == tenant, relay_keys.c.id == key_id))
        return bool(gone.rowcount)

    def tenant_of(self, credential: str) -> str | None:
        """Return the tenant a credential belongs to, or None for an unknown or revoked one."""
        if not credential.startswith(_PREFIX) or not len(_PREFIX) + _ID_CHARS < len(credential) <= _MAX_CREDENTIAL:
            return None
        now = time.monotonic()
        hit = self._cache.get(credential)
        if hit is not None and hit[0] > now:
            return hit[1]
        start = len(_PREFIX)
        key_id, secret = credential[start : start + _ID_CHARS], credential[start + _ID_CHARS :]
        query = select(relay_keys.c.tenant, relay_keys.c.secret_hash).where(relay_keys.c.id == key_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        tenant = row.tenant if row is not None and hmac.compare_digest(row.secret_hash, _hash(secret)) else None
        with self._lock:
            if len(self._cache) >= self.max_cached:
                self._cache.clear()  # unknown credentials cached too: a flood of them stays bounded
            self._cache[credential] = (now + self.cache_seconds, tenant)
        return tenant

    # Drop counters -------------------------------------------------------------------

    def add_drops(self, counts: dict[str, tuple[int, str]]) -> None:
        """Add ``{tenant: (calls, reason)}`` to the tenants' drop counters."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            for tenant, (calls, reason) in counts.items():
                changed = conn.execute(
                    update(relay_drops)
                    .where(relay_drops.c.tenant == tenant)
                    .values(dropped=relay_drops.c.dropped + calls, last_dropped_at=now, last_reason=reason)
                ).rowcount
                if not changed:
                    conn.execute(
                        insert(relay_drops).values(
                            tenant=tenant, dropped=calls, last_dropped_at=now, last_reason=reason
                        )
                    )

    def drops(self, tenant: str) -> DropCounts:
        """Return a tenant's drop counters (zero when nothing was dropped)."""
        query = select(relay_drops).where(relay_drops.c.tenant == tenant)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return DropCounts(0, None, None)
        return DropCounts(int(row.dropped), row.last_dropped_at, row.last_reason)

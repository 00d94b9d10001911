"""The connection store: one row per tenant, the write key sealed at rest.

``SEGMENT_DATABASE_URL`` picks the database: ``sqlite:///segment-connections.db`` (the
default: a file in the working directory) or ``postgresql+psycopg://user@host/db``.
The schema belongs to Alembic (``python -m <package> db upgrade``); the store refuses a
database that is not at the package's newest revision instead of creating tables itself.

What leaves the store: :class:`Connection` (everything but the key: its last 4
characters and a keyed fingerprint stand for it) and, for sending only,
:class:`Credentials`, whose repr leaves the key out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, RowMapping, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import _migrate
from ._errors import ServiceError
from ._rules import InvalidSetting, check_events, check_region, check_tenant, check_write_key
from ._schema import connections as table
from ._secrets import SettingsSecret

__all__ = [
    "DATABASE_ENV",
    "DEFAULT_DATABASE_URL",
    "Connection",
    "ConnectionStatus",
    "ConnectionStore",
    "Credentials",
    "InvalidToken",
    "StoreNotReady",
]

DATABASE_ENV = "SEGMENT_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///segment-connections.db"

# new: saved, nothing sent yet; ok: Segment took the last delivery; refused: Segment
# answered 401/403 (the key is wrong or revoked: the customer must paste it again);
# failing: the last delivery failed for another reason (see last_outcome).
ConnectionStatus = Literal["new", "ok", "refused", "failing"]
_REFUSED = frozenset({401, 403})


class StoreNotReady(ServiceError):
    """The database has no schema, or an older one: run ``python -m <package> db upgrade``."""


@dataclass(frozen=True)
class Connection:
    """A tenant's connection as the API and the page show it: never the key itself."""

    tenant: str
    region: str
    events: tuple[str, ...]
    enabled: bool
    key_hint: str
    key_fingerprint: str
    status: ConnectionStatus
    created_at: datetime
    updated_at: datetime
    last_outcome_at: datetime | None = None
    last_outcome_status: int | None = None
    last_outcome_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON the connections API answers."""
        return {
            "tenant": self.tenant,
            "region": self.region,
            "events": list(self.events),
            "enabled": self.enabled,
            "key_hint": self.key_hint,
            "key_fingerprint": self.key_fingerprint,
            "status": self.status,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "last_outcome": None
            if self.last_outcome_at is None
            else {
                "at": _iso(self.last_outcome_at),
                "status": self.last_outcome_status,
                "reason": self.last_outcome_reason,
            },
        }


@dataclass(frozen=True)
class Credentials:
    """What sending for a tenant needs; the key stays out of the repr."""

    tenant: str
    write_key: str = field(repr=False)
    region: str
    events: frozenset[str]
    enabled: bool


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes: they were written in UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def status_of(http_status: int | None) -> ConnectionStatus:
    """Return the connection status a delivery outcome leads to."""
    if http_status is not None and 200 <= http_status < 300:
        return "ok"
    return "refused" if http_status in _REFUSED else "failing"


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL (SQLite: WAL, and wait for a busy writer)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: object) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA secure_delete=ON")  # a deleted row's bytes are overwritten, not left in free pages
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class ConnectionStore:
    """Connections in a SQL database, write keys sealed with ``SEGMENT_SETTINGS_SECRET``."""

    def __init__(
        self,
        url: str | None = None,
        secret: SettingsSecret | str | None = None,
        *,
        check: bool = True,
    ):
        """Open the store.

        Args:
            url: SQLAlchemy URL (default: ``$SEGMENT_DATABASE_URL``, else :data:`DEFAULT_DATABASE_URL`).
            secret: The settings secret (default: ``$SEGMENT_SETTINGS_SECRET``).
            check: Refuse a database whose schema is not the newest (:class:`StoreNotReady`).

        Raises:
            SettingsSecretError: When the secret is missing or malformed.
            StoreNotReady: When ``check`` and the schema needs ``db upgrade``.
        """
        self.url = url or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL
        if isinstance(secret, SettingsSecret):
            self.secret = secret
        else:
            self.secret = SettingsSecret(secret) if secret else SettingsSecret.from_env()
        self.engine = make_engine(self.url)
        if check:
            self.check_schema()

    def __repr__(self) -> str:
        return f"ConnectionStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def check_schema(self) -> None:
        """Raise :class:`StoreNotReady` unless the database is at the newest revision."""
        current, head = _migrate.current_revision(self.engine), _migrate.head_revision()
        if current != head:
            where = "has no schema" if current is None else f"is at revision {current}, the package needs {head}"
            raise StoreNotReady(
                f"the connection database {self.engine.url.render_as_string(hide_password=True)} {where}: "
                f"run `python -m {__package__.rpartition('.')[0]} db upgrade` (with the same {DATABASE_ENV})"
            )

    def upgrade(self) -> None:
        """Create or upgrade the schema with Alembic (what ``db upgrade`` runs)."""
        _migrate.upgrade(self.engine)

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    # Reading -----------------------------------------------------------------------

    def get(self, tenant: str) -> Connection | None:
        """Return a tenant's connection, or None."""
        check_tenant(tenant)
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.tenant == tenant)).mappings().first()
        return None if row is None else _connection(row)

    def page(self, *, after: str | None = None, limit: int = 100) -> list[Connection]:
        """Return up to ``limit`` connections in tenant order, after the tenant ``after``."""
        query = select(table).order_by(table.c.tenant).limit(max(1, min(limit, 1000)))
        if after is not None:
            query = query.where(table.c.tenant > after)
        with self.engine.connect() as conn:
            return [_connection(row) for row in conn.execute(query).mappings()]

    def count(self) -> int:
        """Return how many connections there are."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def credentials(self, tenant: str) -> Credentials | None:
        """Return what sending for a tenant needs (the key opened), or None.

        Raises:
            InvalidToken: When the secret cannot open the stored key (a wrong secret).
        """
        query = select(table.c.key_sealed, table.c.region, table.c.events, table.c.enabled).where(
            table.c.tenant == tenant
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        sealed, region, events, enabled = row
        return Credentials(tenant, self.secret.open(sealed), region, frozenset(events), bool(enabled))

    # Writing -----------------------------------------------------------------------

    def put(
        self,
        tenant: str,
        *,
        write_key: str | None,
        region: str,
        events: Iterable[str] | None = None,
        enabled: bool = True,
    ) -> Connection:
        """Create or replace a tenant's connection.

        Args:
            tenant: The partner's id for its customer.
            write_key: The customer's write key; None keeps the stored one.
            region: ``us`` or ``eu`` (when the source supports it).
            events: The turned-on events (default: every event of the project's families).
            enabled: False keeps the connection but sends nothing.

        Raises:
            InvalidSetting: For a bad value, or no key for a new connection.
        """
        check_tenant(tenant)
        region = check_region(region)
        chosen = check_events(events)
        now = _now()
        values: dict[str, Any] = {
            "region": region,
            "events": chosen,
            "enabled": bool(enabled),
            "updated_at": now,
        }
        if write_key is not None:
            check_write_key(write_key)
            values |= {
                "key_sealed": self.secret.seal(write_key),
                "key_hint": write_key[-4:],
                "key_fingerprint": self.secret.fingerprint(write_key),
            }
        for _attempt in range(2):  # a concurrent first save of the same tenant: update it
            with self.engine.begin() as conn:
                old = conn.execute(
                    select(table.c.key_fingerprint).where(table.c.tenant == tenant).with_for_update()
                ).first()
                if old is None:
                    if write_key is None:
                        raise InvalidSetting(
                            "write_key",
                            "is missing",
                            "paste the write key of the source in your Segment workspace",
                        )
                    try:
                        conn.execute(insert(table).values(tenant=tenant, status="new", created_at=now, **values))
                    except IntegrityError:
                        continue
                else:
                    if write_key is not None and values["key_fingerprint"] != old[0]:
                        # A new key: what Segment said about the old one no longer applies.
                        values |= {
                            "status": "new",
                            "last_outcome_at": None,
                            "last_outcome_status": None,
                            "last_outcome_reason": None,
                        }
                    conn.execute(update(table).where(table.c.tenant == tenant).values(**values))
                break
        found = self.get(tenant)
        assert found is not None
        return found

    def delete(self, tenant: str) -> bool:
        """Remove a tenant's connection and its key for good; False when there was none."""
        check_tenant(tenant)
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(table).where(table.c.tenant == tenant)).rowcount)

    def record_outcome(self, tenant: str, status: int | None, reason: str | None, at: datetime | None = None) -> None:
        """Remember a delivery's outcome; 401/403 marks the connection ``refused``."""
        values = {
            "status": status_of(status),
            "last_outcome_at": at or _now(),
            "last_outcome_status": status,
            "last_outcome_reason": None if reason is None else reason[:500],
        }
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.tenant == tenant).values(**values))

    def rotate(self, old: str, new: str, *, page: int = 500) -> int:
        """Re-seal every key with ``new`` (opening them with ``old`` or ``new``); return how many.

        Safe while services run with ``SEGMENT_SETTINGS_SECRET="new,old"``: each row is
        re-sealed in its own short transaction and stays readable before and after.

        Raises:
            InvalidToken: When a key opens with neither secret (nothing after it is changed).
        """
        keys = SettingsSecret(f"{new},{old}")
        done, after = 0, ""
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(
                    select(table.c.tenant, table.c.key_sealed)
                    .where(table.c.tenant > after)
                    .order_by(table.c.tenant)
                    .limit(page)
                ).all()
                for tenant, sealed in rows:
                    plain = keys.open(sealed)
                    conn.execute(
                        update(table)
                        .where(table.c.tenant == tenant)
                        .values(key_sealed=keys.seal(plain), key_fingerprint=keys.fingerprint(plain))
                    )
            if not rows:
                return done
            done += len(rows)
            after = rows[-1][0]

    def iter_all(self) -> Iterator[Connection]:
        """Yield every connection, page by page."""
        after = None
        while rows := self.page(after=after, limit=1000):
            yield from rows
            after = rows[-1].tenant


def _connection(row: RowMapping) -> Connection:
    created, updated = _utc(row["created_at"]), _utc(row["updated_at"])
    assert created is not None and updated is not None
    return Connection(
        tenant=row["tenant"],
        region=row["region"],
        events=tuple(row["events"]),
        enabled=bool(row["enabled"]),
        key_hint=row["key_hint"],
        key_fingerprint=row["key_fingerprint"],
        status=row["status"],
        created_at=created,
        updated_at=updated,
        last_outcome_at=_utc(row["last_outcome_at"]),
        last_outcome_status=row["last_outcome_status"],
        last_outcome_reason=row["last_outcome_reason"],
    )

"""The ``connections`` table as the store reads it; Alembic's migrations create and change it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

connections = Table(
    "segment_connections",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("key_sealed", LargeBinary, nullable=False),  # Fernet token: the write key, encrypted
    Column("key_hint", String(4), nullable=False),  # its last 4 characters
    Column("key_fingerprint", String(16), nullable=False),  # HMAC of the key (SettingsSecret.fingerprint)
    Column("region", String(8), nullable=False),
    Column("events", JSON, nullable=False),  # the turned-on events
    Column("enabled", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # ConnectionStatus
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_outcome_at", DateTime(timezone=True)),
    Column("last_outcome_status", Integer),  # HTTP status; None: no answer (network error)
    Column("last_outcome_reason", Text),
)

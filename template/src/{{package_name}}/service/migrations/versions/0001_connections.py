"""The connections table: one row per tenant, its write key sealed with SEGMENT_SETTINGS_SECRET.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_connections",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("key_sealed", sa.LargeBinary, nullable=False),
        sa.Column("key_hint", sa.String(4), nullable=False),
        sa.Column("key_fingerprint", sa.String(16), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_outcome_at", sa.DateTime(timezone=True)),
        sa.Column("last_outcome_status", sa.Integer),
        sa.Column("last_outcome_reason", sa.Text),
    )
    op.create_index("segment_connections_fingerprint", "segment_connections", ["key_fingerprint"])


def downgrade() -> None:
    op.drop_index("segment_connections_fingerprint", "segment_connections")
    op.drop_table("segment_connections")

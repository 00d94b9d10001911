"""Relay credentials (stored as hashes) and the relay's per-tenant drop counters.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_relay_keys",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("segment_relay_keys_tenant", "segment_relay_keys", ["tenant"])
    op.create_table(
        "segment_relay_drops",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("dropped", sa.BigInteger, nullable=False),
        sa.Column("last_dropped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("segment_relay_drops")
    op.drop_index("segment_relay_keys_tenant", "segment_relay_keys")
    op.drop_table("segment_relay_keys")

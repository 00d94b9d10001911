"""Alembic's environment for the connection store: run by ``python -m <package> db upgrade``.

``service._migrate`` passes the connection (and the table metadata, for ``alembic
revision --autogenerate``) in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

config = context.config
context.configure(
    connection=config.attributes["connection"],
    target_metadata=config.attributes.get("target_metadata"),
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()

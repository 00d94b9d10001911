"""The connection store's Alembic migrations: the schema is created and upgraded only by these."""

"""Alembic migrations of the connection store (``python -m <package> db upgrade`` runs them)."""

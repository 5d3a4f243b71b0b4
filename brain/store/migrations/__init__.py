"""Alembic migrations of the store (run by brain.store.engine, never by hand)."""

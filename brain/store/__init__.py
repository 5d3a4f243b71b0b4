"""The record store behind runs, launches and the activity feed: SQLite (embedded default) or
PostgreSQL (shared), one code path on SQLAlchemy Core with Alembic migrations.

`location` says where the store is (standard library only: read on every `brain run`);
`engine` opens it, brings its schema up to date and retries lost connections; `tables` is
the one description of its tables; `spool` keeps records a briefly unreachable store could
not take; `transfer` and `integrity` back `brain store migrate|check`.
"""

"""The first layout: the runs table as brain's SQLite store had it (its schema version 2).

A SQLite file made by an older brain already holds it; that file is adopted as it is (a
version 1 file first gets the columns version 2 added), so existing histories upgrade in
place.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_FILTERED = ("project", "namespace", "entry_key", "status")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("runs"):
        _create_runs()
        return
    if inspector.has_table("schema_version"):
        legacy = bind.execute(sa.text("SELECT max(version) FROM schema_version")).scalar()
        if legacy == 1:
            _legacy_version_two(bind)


def _create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("namespace", sa.Text, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("project_path", sa.Text, nullable=False),
        sa.Column("entry_point", sa.Text, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("backend", sa.Text, nullable=False),
        sa.Column("env_identity", sa.Text, nullable=False),
        sa.Column("spec_hash", sa.Text, nullable=False),
        sa.Column("python_version", sa.Text),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("exit_code", sa.Integer),
        sa.Column("git_commit", sa.Text),
        sa.Column("git_branch", sa.Text),
        sa.Column("git_remote", sa.Text),
        sa.Column("git_dirty", sa.Integer),
        sa.Column("stdout_log", sa.Text),
        sa.Column("stderr_log", sa.Text),
        sa.Column("entry_key", sa.Text, nullable=False, server_default=""),
        sa.Column("origin", sa.Text),
        sa.Column("extra", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("runs_started", "runs", ["started_at", "id"])
    for column in _FILTERED:
        op.create_index(f"runs_{column.split('_')[0]}", "runs", [column, "started_at", "id"])


def _legacy_version_two(bind: sa.engine.Connection) -> None:
    """What the old store's migration 2 did: entry_key (backfilled), origin, extra, indexes."""
    from brain.entry_names import normalize_entry_name

    op.add_column("runs", sa.Column("entry_key", sa.Text, nullable=False, server_default=""))
    op.add_column("runs", sa.Column("origin", sa.Text))
    op.add_column("runs", sa.Column("extra", sa.Text, nullable=False, server_default="{}"))
    rows = bind.execute(sa.text("SELECT id, entry_point FROM runs")).fetchall()
    if rows:
        bind.execute(sa.text("UPDATE runs SET entry_key = :key WHERE id = :id"),
                     [{"key": normalize_entry_name(entry), "id": run_id}
                      for run_id, entry in rows])
    for column in _FILTERED:
        op.create_index(f"runs_{column.split('_')[0]}", "runs", [column, "started_at", "id"])
    bind.execute(sa.text("INSERT INTO schema_version VALUES (2, 0)"))

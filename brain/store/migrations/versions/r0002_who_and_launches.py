"""Who ran it: indexes on user and host (`brain runs list --user`); the hub's launches
table joins the store (adopted as it is in a hub's existing launches file).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("runs_user", "runs", ["user", "started_at", "id"])
    op.create_index("runs_host", "runs", ["host", "started_at", "id"])
    if not sa.inspect(op.get_bind()).has_table("launches"):
        op.create_table(
            "launches",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("ended_at", sa.Float),
            sa.Column("status", sa.Text, nullable=False),
            sa.Column("link", sa.Text, nullable=False),
            sa.Column("repo", sa.Text, nullable=False),
            sa.Column("commit_sha", sa.Text, nullable=False),
            sa.Column("path", sa.Text, nullable=False),
            sa.Column("entry", sa.Text),
            sa.Column("params", sa.Text, nullable=False),
            sa.Column("log_path", sa.Text, nullable=False),
            sa.Column("exit_code", sa.Integer),
            sa.Column("run_id", sa.Text),
            sa.Column("project_dir", sa.Text),
            sa.Column("app_url", sa.Text),
            sa.Column("message", sa.Text),
            sa.Column("outputs", sa.Text, nullable=False, server_default="{}"),
        )
    op.create_index("launches_created", "launches", ["created_at", "id"])

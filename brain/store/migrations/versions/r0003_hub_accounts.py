"""The hub's accounts join the store: tokens, browser sessions and the audit log, so a hub
and `brain hub token ...` on any machine of a team share them through a PostgreSQL store.

A hub's accounts file from before (`hub/accounts.db`: tables tokens, sessions, audit) is
upgraded in place: its rows move into the new tables (an audit line's id is made from its
time and its old number, so it still sorts by time) and the old tables go.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_LEGACY = {"tokens": {"name", "role", "digest", "created_at", "expires_at", "last_used"},
           "sessions": {"digest", "token", "created_at"},
           "audit": {"id", "at", "who", "action", "target", "client"}}


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "hub_tokens",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("role", sa.Integer, nullable=False),
        sa.Column("digest", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float),
        sa.Column("last_used", sa.Float),
    )
    op.create_table(
        "hub_sessions",
        sa.Column("digest", sa.Text, primary_key=True),
        sa.Column("token", sa.Text, sa.ForeignKey("hub_tokens.name", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "hub_audit",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("client", sa.Text, nullable=False),
    )
    op.create_index("hub_audit_at", "hub_audit", ["at", "id"])
    if _holds_legacy_accounts(bind):
        _adopt_legacy(bind)


def _holds_legacy_accounts(bind: sa.engine.Connection) -> bool:
    """True for a hub accounts file of the previous layout (its three tables, their columns)."""
    inspector = sa.inspect(bind)
    for table, columns in _LEGACY.items():
        if not inspector.has_table(table):
            return False
        if not columns <= {column["name"] for column in inspector.get_columns(table)}:
            return False
    return True


def _adopt_legacy(bind: sa.engine.Connection) -> None:
    bind.execute(sa.text(
        "INSERT INTO hub_tokens (name, role, digest, created_at, expires_at, last_used) "
        "SELECT name, role, digest, created_at, expires_at, last_used FROM tokens"))
    bind.execute(sa.text(
        "INSERT INTO hub_sessions (digest, token, created_at) SELECT s.digest, s.token, "
        "s.created_at FROM sessions s JOIN tokens t ON t.name = s.token"))
    rows = bind.execute(sa.text(
        "SELECT id, at, who, action, target, client FROM audit ORDER BY id")).fetchall()
    if rows:
        bind.execute(sa.text(
            "INSERT INTO hub_audit (id, at, who, action, target, client) "
            "VALUES (:id, :at, :who, :action, :target, :client)"),
            [{"id": legacy_audit_id(at, number), "at": at, "who": who, "action": action,
              "target": target, "client": client}
             for number, at, who, action, target, client in rows])
    for table in ("sessions", "audit", "tokens"):
        op.drop_table(table)


def legacy_audit_id(at: float, number: int) -> str:
    """An old audit line's id: its time in microseconds, then its old number (22 hex
    digits, as brain.share.accounts makes them: sorted by time)."""
    return f"{int(at * 1_000_000):014x}{number & 0xFFFFFFFF:08x}"

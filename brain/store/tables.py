"""The store's tables as SQLAlchemy Core sees them (queries); the migrations in
brain/store/migrations create them, and a test checks the two agree."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Text, primary_key=True),
    Column("namespace", Text, nullable=False),
    Column("project", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("project_path", Text, nullable=False),
    Column("entry_point", Text, nullable=False),
    Column("parameters", Text, nullable=False),
    Column("command", Text, nullable=False),
    Column("backend", Text, nullable=False),
    Column("env_identity", Text, nullable=False),
    Column("spec_hash", Text, nullable=False),
    Column("python_version", Text),
    Column("host", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("status", Text, nullable=False),
    Column("exit_code", Integer),
    Column("git_commit", Text),
    Column("git_branch", Text),
    Column("git_remote", Text),
    Column("git_dirty", Integer),
    Column("stdout_log", Text),
    Column("stderr_log", Text),
    Column("entry_key", Text, nullable=False, server_default=""),
    Column("origin", Text),
    Column("extra", Text, nullable=False, server_default="{}"),
    Index("runs_started", "started_at", "id"),
    Index("runs_project", "project", "started_at", "id"),
    Index("runs_namespace", "namespace", "started_at", "id"),
    Index("runs_entry", "entry_key", "started_at", "id"),
    Index("runs_status", "status", "started_at", "id"),
    Index("runs_user", "user", "started_at", "id"),
    Index("runs_host", "host", "started_at", "id"),
)

launches = Table(
    "launches", metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("status", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("repo", Text, nullable=False),
    Column("commit_sha", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("entry", Text),
    Column("params", Text, nullable=False),
    Column("log_path", Text, nullable=False),
    Column("exit_code", Integer),
    Column("run_id", Text),
    Column("project_dir", Text),
    Column("app_url", Text),
    Column("message", Text),
    Column("outputs", Text, nullable=False, server_default="{}"),
    Index("launches_created", "created_at", "id"),
)

# The hub's accounts (brain.share.accounts): tokens kept as SHA-256 digests, browser
# sessions (ended with their token) and the audit log, whose ids sort by time.
hub_tokens = Table(
    "hub_tokens", metadata,
    Column("name", Text, primary_key=True),
    Column("role", Integer, nullable=False),
    Column("digest", Text, nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("last_used", Float),
)

hub_sessions = Table(
    "hub_sessions", metadata,
    Column("digest", Text, primary_key=True),
    Column("token", Text, ForeignKey("hub_tokens.name", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
)

hub_audit = Table(
    "hub_audit", metadata,
    Column("id", Text, primary_key=True),
    Column("at", Float, nullable=False),
    Column("who", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("client", Text, nullable=False),
    Index("hub_audit_at", "at", "id"),
)

# Tables `brain store migrate` copies and `brain store check` counts, in copy order (a
# session after its token).
TABLES = (runs, launches, hub_tokens, hub_sessions, hub_audit)

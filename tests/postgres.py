"""A real PostgreSQL server for the tests: `initdb` in a temporary folder, `pg_ctl start` on a
free port on 127.0.0.1 (as the `postgres` user when the tests run as root), one database per
test, stopped at the end of the session. Password authentication over TCP, so store URLs
carry a real password the tests check is never shown."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

USER = "brain"
PASSWORD = "pg-S3cret-w0rd"
_numbers = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """One server; `database()` makes a fresh database and returns its URL."""

    base: Path
    port: int = field(default_factory=_free_port)

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _as_owner(self, *argv: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *argv]
        return list(argv)

    def init(self) -> None:
        password_file = self.base / "password"
        password_file.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        subprocess.run(self._as_owner(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={password_file}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-instructions"), check=True, capture_output=True)

    def start(self) -> None:
        options = (f"-k {self.base} -h 127.0.0.1 -p {self.port} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(self._as_owner("pg_ctl", "start", "-w", "-t", "60", "-D",
                                      str(self.data), "-l", str(self.base / "log"),
                                      "-o", options), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(self._as_owner("pg_ctl", "stop", "-w", "-D", str(self.data),
                                      "-m", mode), check=False, capture_output=True)

    def url(self, database: str = "postgres", *, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database's URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_numbers)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} "
                             f"password={PASSWORD} dbname=postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_server() -> PostgresServer:
    """Init and start a server in a fresh folder under /tmp (readable by `postgres`)."""
    base = Path(tempfile.mkdtemp(prefix="brain-pg-"))
    server = PostgresServer(base)
    server.init()
    server.start()
    return server


def missing() -> str | None:
    """Why a server cannot start here, or None."""
    for program in ("initdb", "pg_ctl"):
        if shutil.which(program) is None:
            return f"{program} is not on PATH"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    return None


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A server started for the caller, stopped and removed after; skipped where initdb is
    missing, unless BRAIN_REQUIRE_POSTGRES=1 (scripts/test sets it after scripts/pg-setup)."""
    import pytest

    why = missing()
    if why is not None:
        if os.environ.get("BRAIN_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{why} and BRAIN_REQUIRE_POSTGRES=1: run scripts/pg-setup as root")
        pytest.skip(f"no PostgreSQL here: {why}")
    server = start_server()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(server.base, ignore_errors=True)

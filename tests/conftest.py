"""Shared fixtures: an isolated BRAIN_HOME and git config for every test, the CLI in-process,
and a project builder."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

if TYPE_CHECKING:
    from tests.postgres import PostgresServer

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C and SIGHUP at their defaults for every process the tests start.

    Tests send them to the brains they start, as a terminal would. A test runner started in
    the background (`scripts/test &` in a script, nohup) ignores both, and an ignored signal
    stays ignored in every child, so those tests would time out testing the runner's launch
    instead of brain (a handler set here is reset to the default in each child)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


@dataclass
class Result:
    """What a CLI call produced."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own BRAIN_HOME, git identity and no colour."""
    home = tmp_path_factory.mktemp("brain-home")
    monkeypatch.setenv("BRAIN_HOME", str(home))
    monkeypatch.delenv("BRAIN_STORE", raising=False)
    monkeypatch.delenv("BRAIN_DEBUG", raising=False)
    # uv's own package cache is shared across tests (and kept beside the envs' filesystem)
    # so real installs stay fast; it is content-addressed, so sharing cannot leak state.
    monkeypatch.setenv("BRAIN_CACHE_DIR", str(Path(os.environ.get(
        "BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache"))))
    monkeypatch.setenv("NO_COLOR", "1")
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.com\n"
                         "[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def brain(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the brain CLI in-process: brain("validate", "x") -> Result."""
    from brain.cli import main

    def run(*args: str, cwd: Path | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        with monkeypatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            try:
                result = runner.invoke(
                    _as_command(main), list(args), input=input, catch_exceptions=False
                )
            finally:
                # `brain run` freezes the GC as it exits (a real process ends right after);
                # in-process, hand everything back to the collector.
                import gc

                gc.unfreeze()
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


def _as_command(main: Callable[[list[str]], None]):  # type: ignore[no-untyped-def]
    import click

    @click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                     "help_option_names": []})
    @click.pass_context
    def wrapper(ctx: click.Context) -> None:
        main(list(ctx.args))

    return wrapper


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a project: make_project({"onebrain.yml": "...", "src/x.py": "..."}) -> its folder."""
    counter = iter(range(1_000_000))

    def make(files: dict[str, str], *, name: str | None = None) -> Path:
        root = tmp_path / (name or f"project{next(counter)}")
        root.mkdir(parents=True, exist_ok=True)
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"))
        return root

    return make


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (tests/postgres.py); skipped where initdb is
    missing, unless BRAIN_REQUIRE_POSTGRES=1 (scripts/test sets it after scripts/pg-setup)."""
    from tests.postgres import running_server

    with running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """The URL of a fresh database of its own on the session's server."""
    return postgres.database()


def end_process(process: subprocess.Popen[Any], grace: float = 15) -> None:
    """Stop a server a test started: SIGTERM, then SIGKILL after `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

"""Done-when of issue 20: a team on one machine. Two Unix users, made for the session with
useradd (each with its own HOME), share one PostgreSQL store and one `brain hub --auth
tokens` run by one of them: each sees the other's runs; the admin's viewer token cannot
launch, the launcher's can, and that launch's run lands in the shared store."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from brain.share.url import make_link
from tests.conftest import REPO_ROOT, end_process
from tests.share.conftest import free_port, git, wait_finished

pytestmark = [pytest.mark.slow]

PROJECT = """\
name: {name}
version: 0.1.0
description: a team member's project
entry_points:
  main:
    type: bash
    command: echo "hello from {name}"
  write:
    type: bash
    command: echo "alpha={{{{ alpha }}}}" > result.txt; cat result.txt
    parameters:
      alpha: {{type: float, default: 0.5}}
    outputs: [result.txt]
"""


@dataclass
class Member:
    """One Unix user of the team and the Python (with brain) every member can run."""

    name: str
    home: Path
    python: str

    def command(self, *argv: str, **env: str) -> list[str]:
        """`argv` as this user (setpriv execs: the process started is brain itself), with a
        clean environment of its own: HOME, PATH, and `env`."""
        path = f"{Path(self.python).parent}:/usr/local/bin:/usr/bin:/bin"
        settings = {"HOME": str(self.home), "PATH": path, "LANG": "C.UTF-8", **env}
        return ["setpriv", f"--reuid={self.name}", f"--regid={self.name}", "--init-groups",
                "env", "-i", *(f"{key}={value}" for key, value in settings.items()), *argv]

    def brain(self, *args: str, cwd: Path | None = None,
              **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.command(self.python, "-m", "brain", *args, **env),
                              cwd=cwd or self.home, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, f"{self.name}: brain {' '.join(args)}\n{done.stderr}"
        return done

    def runs(self, **env: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.brain("runs", "list", "--json",
                                                            **env).stdout)
        return found


@dataclass
class Team:
    ana: Member
    bob: Member
    shared: Path  # a folder both can read (the team's git remote lives there)


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "making throwaway users needs root"
    for program in ("useradd", "userdel", "setpriv"):
        if shutil.which(program) is None:
            return f"{program} is not on PATH"
    return None


def _with_psycopg(python: str) -> str:
    """`python` (tests/share/conftest.py launch_python), with the postgres and hub extras
    added once."""
    probe = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", python, "-c",
             "import brain.cli, psycopg, fastapi, uvicorn"]
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        subprocess.run([str(Path(python).parent / "pip"), "install", "--quiet", "-e",
                        f"{REPO_ROOT}[postgres,hub]"], check=True, capture_output=True)
    return python


@pytest.fixture(scope="session")
def team(launch_python: str | None) -> Iterator[Team]:
    """Two throwaway users (removed with their homes afterwards) and a shared folder."""
    why = _unavailable()
    if why is not None:
        if os.environ.get("BRAIN_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{why} and BRAIN_REQUIRE_POSTGRES=1: the team test must run")
        pytest.skip(f"cannot make two users here: {why}")
    assert launch_python is not None  # root
    python = _with_psycopg(launch_python)
    base = Path(tempfile.mkdtemp(prefix="brain-team-"))
    base.chmod(0o755)
    tag = f"{os.getpid() % 100_000}"
    names = [f"bt{tag}ana", f"bt{tag}bob"]
    made: list[str] = []
    try:
        for name in names:
            subprocess.run(["useradd", "--create-home", "--home-dir", str(base / name),
                            "--shell", "/bin/sh", "--user-group", name], check=True,
                           capture_output=True)
            made.append(name)
        shared = base / "shared"
        shared.mkdir(mode=0o755)
        yield Team(Member(names[0], base / names[0], python),
                   Member(names[1], base / names[1], python), shared)
    finally:
        for name in made:
            subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _project(member: Member, name: str) -> Path:
    """A project folder of `member`'s own, owned by them."""
    folder = member.home / name
    folder.mkdir()
    (folder / "onebrain.yml").write_text(PROJECT.format(name=name))
    subprocess.run(["chown", "-R", f"{member.name}:{member.name}", str(folder)], check=True)
    return folder


def _remote(team: Team, scratch: Path) -> tuple[str, str]:
    """The team's git remote (a bare repository in the shared folder) holding a project;
    (its file:// URL, the pushed commit)."""
    bare = team.shared / "team.git"
    bare.mkdir()
    git(bare, "init", "--quiet", "--bare")
    work = scratch / "work"
    (work / "projects" / "team").mkdir(parents=True)
    (work / "projects" / "team" / "onebrain.yml").write_text(PROJECT.format(name="team"))
    git(work, "init", "--quiet")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "team project")
    git(work, "push", "--quiet", str(bare), "main")
    # Its owner is the hub's user, as a team's own remote would be for whoever serves it.
    subprocess.run(["chown", "-R", f"{team.bob.name}:{team.bob.name}", str(bare)], check=True)
    return bare.as_uri(), git(work, "rev-parse", "HEAD")


@pytest.fixture
def hub_as(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """hub_as(member, *args, **env) -> the URL of `brain hub` run by `member` on 127.0.0.1;
    stopped by its PID afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(member: Member, *args: str, **env: str) -> str:
        port = free_port()
        log = tmp_path / f"hub-{port}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                member.command(member.python, "-m", "brain", "hub", "--port", str(port),
                               *args, **env), cwd=member.home, stdout=handle,
                stderr=subprocess.STDOUT)
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the hub exited early:\n{log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the hub did not listen within 30s:\n{log.read_text()}")

    yield start
    for process in started:
        if process.poll() is None:
            end_process(process)


def test_two_users_share_a_postgres_store_and_a_hub_with_tokens(
        team: Team, postgres_url: str, hub_as: Callable[..., str], tmp_path: Path) -> None:
    ana, bob = team.ana, team.bob
    # ana names the store in her settings, bob in his environment.
    ana.brain("config", "set", "store", postgres_url)
    store = {"BRAIN_STORE": postgres_url}

    ana.brain("run", str(_project(ana, "ana-model")), "-e", "main")
    mine = ana.runs()  # (reading syncs her run's record into the store, if not yet there)
    assert [(run["project"], run["user"]) for run in mine] == [("ana-model", ana.name)]
    seen_by_bob = bob.runs(**store)
    assert [run["id"] for run in seen_by_bob] == [mine[0]["id"]]
    assert seen_by_bob[0]["user"] == ana.name

    bob.brain("run", str(_project(bob, "bob-model")), "-e", "main", **store)
    assert len(bob.runs(**store)) == 2
    assert {(run["project"], run["user"]) for run in ana.runs()} == \
        {("ana-model", ana.name), ("bob-model", bob.name)}
    assert not (bob.home / ".brain" / "brain.db").exists()  # nothing kept apart from the team

    # ana, an admin by her own shell's token; the hub is bob's, on the same store.
    boss = json.loads(ana.brain("hub", "token", "create", "boss", "--role", "admin",
                                "--json").stdout)["token"]
    url, commit = _remote(team, tmp_path)
    hub = hub_as(bob, "--auth", "tokens", "--allow", "file://*", **store)

    def client(token: str) -> httpx.Client:
        return httpx.Client(base_url=hub, timeout=60,
                            headers={"Authorization": f"Bearer {token}"})

    with client(boss) as admin:
        tokens = {}
        for name, role in (("vera", "viewer"), ("lars", "launcher")):
            made = admin.post("/api/tokens", json={"name": name, "role": role})
            assert made.status_code == 201, made.text
            tokens[name] = made.json()["token"]
    link = make_link(url, commit, path="projects/team", entry="write", hub=hub)
    body = {"link": link.to_url(), "params": {"alpha": "0.25"}}
    with client(tokens["vera"]) as viewer, client(tokens["lars"]) as launcher:
        refused = viewer.post("/api/launches", json=body)
        assert refused.status_code == 403, refused.text
        assert launcher.get("/api/launches").json() == []  # nothing launched
        assert not (bob.home / ".brain" / "cache" / "repos").exists()  # nothing fetched
        created = launcher.post("/api/launches", json=body)
        assert created.status_code == 202, created.text
        final = wait_finished(launcher, created.json()["id"], timeout=180)
    assert final["status"] == "succeeded", final
    launched = [run for run in ana.runs() if run["project"] == "team"]
    assert len(launched) == 1 and launched[0]["parameters"] == {"alpha": 0.25}
    audit = json.loads(ana.brain("hub", "audit", "--json").stdout)
    assert ("lars", "launch") in [(line["who"], line["action"]) for line in audit]
    assert ("boss", "token-create") in [(line["who"], line["action"]) for line in audit]

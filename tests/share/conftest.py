"""Fixtures for sharing: real git remotes (bare repositories reached by file://) and a real
hub process on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import end_process

CHROMIUM = Path("/usr/bin/chromium")
# Browser tests skip without Debian's Chromium, unless BRAIN_REQUIRE_BROWSER=1 (scripts/test
# sets it after scripts/browser-setup), which makes a missing browser a failure.
NEEDS_CHROMIUM = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("BRAIN_REQUIRE_BROWSER") != "1",
    reason="needs Debian's chromium: run scripts/browser-setup")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

SPEC = """\
name: hello
version: 0.1.0
description: Says hello with a tunable alpha
entry_points:
  main:
    type: bash
    command: echo "alpha is {{ alpha }} mode {{ mode }}"; echo "working..." >&2
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1, help: How much}
      mode: {type: choice, choices: [fast, full], default: fast}
    outputs: [result.txt]
  write:
    type: bash
    command: echo "alpha={{ alpha }}" > result.txt; cat result.txt
    parameters:
      alpha: {type: float, default: 0.5}
    outputs: [result.txt]
  slow:
    type: bash
    command: echo started; sleep {{ seconds }}; echo finished
    parameters:
      seconds: {type: float, default: 30}
  serve:
    type: app
    command: python -m http.server {{ port }} --bind 127.0.0.1
    parameters:
      port: {type: int, default: 8000}
  fail:
    type: bash
    command: echo "about to fail" >&2; exit 3
"""


@dataclass
class Remote:
    """A project committed in a work repository and pushed to a bare remote."""

    work: Path  # the author's clone
    project: Path  # the project folder inside it
    remote: Path  # the bare repository
    url: str  # file:// URL of the remote
    commit: str  # the pushed HEAD

    def git(self, *args: str) -> str:
        return git(self.work, *args)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache per test, so `repos/` shows exactly what this test fetched."""
    cache = tmp_path_factory.mktemp("brain-cache")
    monkeypatch.setenv("BRAIN_CACHE_DIR", str(cache))
    monkeypatch.delenv("BRAIN_HUB_SECRET", raising=False)
    return cache


@pytest.fixture
def make_remote(tmp_path: Path) -> Callable[..., Remote]:
    """make_remote(files=None, subdir="projects/hello") -> a pushed project in a bare remote."""
    counter = iter(range(1000))

    def make(files: dict[str, str] | None = None, *, subdir: str = "projects/hello",
             push: bool = True) -> Remote:
        base = tmp_path / f"remote{next(counter)}"
        bare = base / "origin.git"
        work = base / "work"
        bare.mkdir(parents=True)
        git(bare, "init", "--quiet", "--bare")
        work.mkdir()
        git(work, "init", "--quiet")
        project = work / subdir if subdir else work
        for relative, text in (files or {"onebrain.yml": SPEC}).items():
            target = project / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text))
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", "project")
        git(work, "remote", "add", "origin", str(bare))
        if push:
            git(work, "push", "--quiet", "-u", "origin", "main")
        return Remote(work, project, bare, bare.as_uri(), git(work, "rev-parse", "HEAD"))

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Hub:
    """A running `brain hub` process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def launch_python() -> str | None:
    """As root, a Python with brain installed that the hub's launch user (nobody) can run:
    this interpreter may live in a folder closed to others. None when not root."""
    if os.geteuid() != 0:
        return None
    from tests.conftest import REPO_ROOT

    # Beside the suite's other caches, which other users can read (not under /tmp/pytest-*).
    folder = Path(os.environ.get("BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache")) / \
        "launch-python"
    python = folder / "bin" / "python"
    probe = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", str(python),
             "-c", "import brain.cli"]
    if not python.exists() or subprocess.run(probe, capture_output=True).returncode != 0:
        base = "/usr/bin/python3"
        subprocess.run([base, "-m", "venv", "--clear", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "--quiet", "-e",
                        str(REPO_ROOT)], check=True, capture_output=True)
    return str(python)


@pytest.fixture
def start_hub(tmp_path: Path, launch_python: str | None) -> Iterator[Callable[..., Hub]]:
    """start_hub("--allow", "...", settings={"hub_memory": "1GiB"}) -> a real hub on
    127.0.0.1 (with those brain settings), stopped by PID afterwards."""
    started: list[Hub] = []

    def start(*args: str, env: dict[str, str] | None = None,
              settings: dict[str, str] | None = None) -> Hub:
        port = free_port()
        log = tmp_path / f"hub-{port}.log"
        handle = log.open("wb")
        chosen = {**({"hub_python": launch_python} if launch_python else {}),
                  **(settings or {})}
        config = tmp_path / f"hub-{port}.toml"
        config.write_text("".join(f'{key} = "{value}"\n' for key, value in chosen.items()))
        # Test repositories live on this disk: a hub follows those only when --allow names
        # them (tests of the allow list pass their own).
        allow = () if "--allow" in args else ("--allow", "file://*")
        process = subprocess.Popen(
            [sys.executable, "-m", "brain", "hub", "--port", str(port), *allow, *args],
            stdout=handle, stderr=subprocess.STDOUT,
            env={**os.environ, "BRAIN_CONFIG": str(config), **(env or {})})
        hub = Hub(f"http://127.0.0.1:{port}", process, log)
        started.append(hub)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the hub exited early:\n{hub.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return hub
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the hub did not listen within 20s:\n{hub.output()}")

    yield start
    for hub in started:
        if hub.process.poll() is None:
            end_process(hub.process)


def wait_finished(client: object, launch_id: str, timeout: float = 60) -> dict[str, object]:
    """Poll the hub's API until the launch ends; its final status JSON."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data: dict[str, object] = client.get(f"/api/launches/{launch_id}").json()  # type: ignore[attr-defined]
        if data["finished"]:
            return data
        time.sleep(0.1)
    raise AssertionError(f"launch {launch_id} did not finish within {timeout}s")


@pytest.fixture
def page() -> Iterator[Any]:
    """A page in a real headless Chromium (Debian's, driven by Playwright; never downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


NGINX = Path("/usr/sbin/nginx")


@dataclass
class Proxy:
    """A running nginx in front of hubs."""

    url: str
    process: subprocess.Popen[bytes]
    folder: Path


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[[str], Proxy]]:
    """nginx(locations) -> a real nginx (Debian's) on a free port of 127.0.0.1 serving the
    given `location` blocks; stopped by PID afterwards. Skipped without nginx, unless
    BRAIN_REQUIRE_NGINX=1 (scripts/test installs it with scripts/nginx-setup)."""
    if not NGINX.exists():
        if os.environ.get("BRAIN_REQUIRE_NGINX") == "1":
            pytest.fail("nginx is missing and BRAIN_REQUIRE_NGINX=1: run scripts/nginx-setup")
        pytest.skip("nginx is not installed (scripts/nginx-setup)")
    started: list[Proxy] = []

    def start(locations: str) -> Proxy:
        port = free_port()
        folder = tmp_path / f"nginx-{port}"
        (folder / "temp").mkdir(parents=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        temps = "".join(f"{kind}_temp_path {folder}/temp/{kind};\n"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\naccess_log off;\n{temps}"
            "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
            f"server {{\nlisten 127.0.0.1:{port};\n{locations}\n}}\n}}\n")
        process = subprocess.Popen([str(NGINX), "-p", str(folder), "-c",
                                    str(folder / "nginx.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        proxy = Proxy(f"http://127.0.0.1:{port}", process, folder)
        started.append(proxy)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError("nginx exited: " + (folder / "error.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return proxy
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not listen within 20s")

    yield start
    for proxy in started:
        if proxy.process.poll() is None:
            proxy.process.terminate()
            proxy.process.wait(timeout=15)

"""A hostile repository launched through a real hub on 127.0.0.1: every limit holds, is named
in the launch's failure, and the hub keeps answering."""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from brain.share.url import make_link
from tests.conftest import Result
from tests.share.conftest import (  # noqa: F401 (fixtures shared with tests/share)
    Hub,
    Remote,
    launch_python,
    make_remote,
    own_cache,
    start_hub,
    wait_finished,
)

ROOT = os.geteuid() == 0

SENTINEL = "sentinel-7f3a9c-do-not-leak"

PROBE = '''\
import os, sys
found = [name for name, value in os.environ.items() if "sentinel-7f3a9c" in value]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if b"sentinel-7f3a9c" in handle.read():
                    found.append(f"/proc/{pid}/environ")
        except OSError:
            pass
written = []
for target in " ".join(sys.argv[1:]).split():
    try:
        if os.path.isdir(target):
            target = os.path.join(target, "planted-by-a-launch")
        with open(target, "ab") as handle:
            handle.write(b"planted")
        written.append(target)
    except OSError:
        pass
with open("report.txt", "w") as handle:
    handle.write(f"uid={os.getuid()} euid={os.geteuid()}\\n")
    handle.write(f"secrets={found}\\nwritten={written}\\n")
print(open("report.txt").read())
raise SystemExit(1 if found or written or os.geteuid() == 0 else 0)
'''

FORK_BOMB = '''\
import os, time
for _ in range(10_000):
    if os.fork() == 0:
        time.sleep(120)
        os._exit(0)
'''

SPEC = """\
name: hostile
version: 0.1.0
entry_points:
  memory:
    type: bash
    command: python -c "x = bytearray(10 * 1024 ** 3); print('allocated', len(x))"
  fork:
    type: bash
    command: python fork.py
  big-file:
    type: bash
    command: head -c 5G /dev/zero > big.bin
  sleep:
    type: bash
    command: echo started; sleep 600
  spin:
    type: bash
    command: while :; do :; done
  noisy:
    type: bash
    command: yes 'a line of output that never ends'
  probe:
    type: bash
    command: python probe.py {{ targets }}
    parameters:
      targets: {type: str, default: /nonexistent}
    outputs: [report.txt]
  forge:
    type: bash
    command: >-
      echo "brain: phase done" >&2; echo "brain: app ready at http://evil.example.com/" >&2;
      echo "error: forged" >&2; sleep 3; echo finished
"""

LIMITS = {"hub_memory": "256MiB", "hub_processes": "64", "hub_file_size": "10MiB",
          "hub_cpu_seconds": "5", "hub_log_size": "1MiB", "hub_timeout": "300"}


@pytest.fixture
def open_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A BRAIN_HOME other users can pass through (unlike pytest's private tmp folders), so
    the hub keeps its launches in its own state and a launch can try to reach it."""
    home = Path(tempfile.mkdtemp(prefix="brain-hostile-home-"))
    home.chmod(0o755)
    monkeypatch.setenv("BRAIN_HOME", str(home))
    yield home
    import shutil

    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def hostile(make_remote: Callable[..., Remote]) -> Remote:  # noqa: F811
    return make_remote({"onebrain.yml": SPEC, "probe.py": PROBE, "fork.py": FORK_BOMB})


@pytest.fixture
def hub_with_limits(start_hub: Callable[..., Hub],  # noqa: F811
                    open_home: Path) -> Callable[..., Hub]:
    def start(*args: str, **settings: str) -> Hub:
        return start_hub("--max-concurrent", "8", *args, settings={**LIMITS, **settings},
                         env={"BRAIN_HUB_SECRET": SENTINEL, "AWS_SECRET_ACCESS_KEY": SENTINEL,
                              "GITHUB_TOKEN": SENTINEL})
    return start


def launch(client: httpx.Client, remote: Remote, entry: str,
           params: dict[str, str] | None = None) -> str:
    link = make_link(remote.url, remote.commit, path="projects/hello", entry=entry,
                     params=params or {}).sign(SENTINEL)
    created = client.post("/api/launches", json={"link": link.to_url()})
    assert created.status_code == 202, created.text
    launch_id: str = created.json()["id"]
    return launch_id


def test_each_limit_stops_its_launch_and_names_the_limit(
        hub_with_limits: Callable[..., Hub], hostile: Remote) -> None:
    hub = hub_with_limits()
    # Memory and processes are told for certain by the launch's cgroups, which a root hub makes.
    expected = {
        **({"memory": "used more than 256MiB of memory (hub limit hub_memory=256MiB)",
            "fork": "more than 64 processes (hub limit hub_processes=64)"} if ROOT else {}),
        "big-file": "a file larger than 10MiB (hub limit hub_file_size=10MiB)",
        "spin": "more than 5s of CPU time (hub limit hub_cpu_seconds=5)",
        "noisy": "more than 1MiB of output (hub limit hub_log_size=1MiB)",
    }
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        started = {entry: launch(client, hostile, entry) for entry in expected}
        for entry, message in expected.items():
            final = wait_finished(client, started[entry], timeout=240)
            assert final["status"] == "failed", (entry, final)
            assert str(final["message"]).startswith("stopped: "), (entry, final)
            assert message in str(final["message"]), (entry, final)
            assert client.get("/api/launches").status_code == 200  # still answering
        log = client.get(f"/api/launches/{started['noisy']}/logs")
        assert len(log.content) <= 1 << 20  # the hub kept no more than its cap
        # The file write was cut at the limit, not at 5 GB.
        folder = next(Path(os.environ["BRAIN_HOME"], "hub", "launches").glob(
            f"{started['big-file']}/sandbox/repo/projects/hello"))
        assert (folder / "big.bin").stat().st_size <= 10 << 20
    if ROOT:  # the fork bomb's sleepers ended with their launch
        assert not [pid for pid in os.listdir("/proc") if pid.isdigit()
                    and _owner(pid) == 65534 and b"fork.py" in _cmdline(pid)]


def test_wall_time_limit(hub_with_limits: Callable[..., Hub], hostile: Remote) -> None:
    hub = hub_with_limits(hub_timeout="5")
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        final = wait_finished(client, launch(client, hostile, "sleep"), timeout=120)
        assert final["status"] == "timed-out", final
        assert "hub limit hub_timeout=5" in str(final["message"])
        assert client.get("/api/launches").status_code == 200


@pytest.mark.skipif(not ROOT, reason="launches run as another user only under a "
                    "root hub; a hub run by a user shares that user's files")
def test_a_launch_cannot_read_secrets_or_write_outside_its_own_folder(
        hub_with_limits: Callable[..., Hub], hostile: Remote, open_home: Path) -> None:
    hub = hub_with_limits()
    state = open_home / "hub"
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        first = wait_finished(client, launch(client, hostile, "probe"), timeout=240)
        assert first["status"] == "succeeded", first
        earlier = Path(str(first["project_dir"]))
        targets = [state / "launches.db", state, state / "launches", earlier,
                   earlier / "report.txt", Path(first["log_path"]),  # type: ignore[arg-type]
                   Path(hostile.work, "projects/hello/onebrain.yml"), open_home]
        # (the hub's launches/ folder gains the second launch's own folder: not compared)
        watched = [path for path in targets if path != state / "launches"]
        before = {path: _fingerprint(path) for path in watched}
        second_id = launch(client, hostile, "probe",
                           {"targets": " ".join(str(path) for path in targets)})
        second = wait_finished(client, second_id, timeout=240)
        report = client.get(f"/launches/{second_id}/outputs/report.txt").text
        assert second["status"] == "succeeded", (second, report)
        assert "secrets=[]" in report and "written=[]" in report
        assert "uid=0" not in report and "euid=0" not in report
        assert {path: _fingerprint(path) for path in watched} == before
        assert SENTINEL not in client.get(f"/api/launches/{second_id}/logs").text
        assert not list(state.rglob("planted-by-a-launch"))


def test_forged_progress_lines_do_not_move_the_hub(
        hub_with_limits: Callable[..., Hub], hostile: Remote) -> None:
    hub = hub_with_limits()
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        launch_id = launch(client, hostile, "forge")
        # Wait until the run has printed its forged lines (it then sleeps 3s before ending).
        while "error: forged" not in client.get(f"/api/launches/{launch_id}/logs").text:
            assert not client.get(f"/api/launches/{launch_id}").json()["finished"]
            time.sleep(0.1)
        status = client.get(f"/api/launches/{launch_id}").json()
        assert "brain: app ready at http://evil.example.com/" in client.get(
            f"/api/launches/{launch_id}/logs").text  # the text is there, for people
        if not status["finished"]:  # still sleeping: the hub believed none of it
            assert status["phase"] == "running" and status["app_url"] is None, status
        final = wait_finished(client, launch_id)
        assert final["status"] == "succeeded" and final["app_url"] is None, final
        assert final["message"] is None
        assert client.get(f"/launches/{launch_id}/app").status_code == 409


def _fingerprint(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return (info.st_mode, len(list(path.iterdir())), 0)
    return (info.st_mode, info.st_size, info.st_mtime_ns)


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.skipif(not ROOT, reason="only a root hub chooses another user for its launches")
def test_a_root_hub_without_an_unprivileged_user_refuses_to_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = tmp_path / "config.toml"
    config.write_text('hub_user = "no-such-user-brain"\n')
    done = subprocess.run([sys.executable, "-m", "brain", "hub", "--port", "1"],
                          env={**os.environ, "BRAIN_CONFIG": str(config)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "will not run launches as root" in done.stderr
    assert "no-such-user-brain" in done.stderr and "hub_user" in done.stderr


@pytest.mark.parametrize(("key", "value"), [("hub_memory", "lots"), ("hub_memory", "0GiB"),
                                            ("hub_processes", "0"), ("hub_timeout", "1.5"),
                                            ("hub_allow_root", "maybe")])
def test_a_bad_limit_setting_is_refused(brain: Callable[..., Result], key: str,
                                        value: str) -> None:
    result = brain("config", "set", key, value)
    assert result.exit_code == 2, result.output
    assert key in result.output


@pytest.mark.skipif(not ROOT, reason="only a root hub runs launches as other users")
def test_with_a_uid_range_running_launches_cannot_reach_each_other(
        hub_with_limits: Callable[..., Hub], hostile: Remote, open_home: Path) -> None:
    hub = hub_with_limits(hub_uid_range="70100-70109")
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        running = launch(client, hostile, "sleep")
        while "started" not in client.get(f"/api/launches/{running}/logs").text.splitlines():
            assert not client.get(f"/api/launches/{running}").json()["finished"]
            time.sleep(0.1)
        sandbox = open_home / "hub" / "launches" / running / "sandbox"
        owner = sandbox.stat().st_uid
        assert 70100 <= owner <= 70109
        targets = [sandbox / "repo" / "projects" / "hello", sandbox / "home", sandbox / "tmp",
                   sandbox / "repo" / "projects" / "hello" / "onebrain.yml"]
        probe = launch(client, hostile, "probe",
                       {"targets": " ".join(str(path) for path in targets)})
        final = wait_finished(client, probe, timeout=240)
        report = client.get(f"/launches/{probe}/outputs/report.txt").text
        assert final["status"] == "succeeded", (final, report)
        assert "written=[]" in report and f"uid={owner} " not in report
        assert not list(sandbox.rglob("planted-by-a-launch"))
        assert client.post(f"/api/launches/{running}/stop").status_code == 200
        assert wait_finished(client, running)["status"] in ("interrupted", "failed")
        assert sandbox.stat().st_uid == 0  # sealed once it ended


def test_a_local_contained_launch_runs_under_the_same_limits(hostile: Remote,
                                                              tmp_path: Path) -> None:
    import subprocess
    import sys

    config = tmp_path / "config.toml"
    config.write_text('hub_file_size = "1MiB"\n')
    url = make_link(hostile.url, hostile.commit, path="projects/hello",
                    entry="big-file").to_url()
    done = subprocess.run([sys.executable, "-m", "brain", "launch", "--contained", url],
                          env={**os.environ, "BRAIN_CONFIG": str(config)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 153, done.stderr
    assert "stopped: wrote a file larger than 1MiB (hub limit hub_file_size=1MiB)" in done.stderr
    written = list(Path(os.environ["BRAIN_CACHE_DIR"]).glob(
        "repos/*/trees/*/projects/hello/big.bin"))
    assert [path.stat().st_size for path in written] == [1 << 20]

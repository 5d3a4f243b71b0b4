"""The hub under load, with accounts on: 200 concurrent status polls while 20 launches start
at once.

Starts a real `brain hub --auth tokens` on 127.0.0.1 (its own BRAIN_HOME), makes 20 launcher
tokens (one per simulated user) and a viewer token, warms the project's environment with one
launch, then at the same moment:

- 200 pollers (viewer token), each `--polls` times in a row: GET /api/launches/{id} of a
  finished launch, and GET /api/launches (the history);
- 20 launchers, one POST /api/launches each, then polling their launch until it ends.

Prints, per kind of request: count, errors (anything but the expected status, or no answer),
p50, p95 and max latency; and each launch's time from POST to finished. Not a test: the
figures depend on the machine. Errors must be 0.

    python benchmarks/hub_load.py
    python benchmarks/hub_load.py --pollers 200 --launches 20 --polls 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = """\
name: bench-load
version: 0.1.0
entry_points:
  main:
    type: bash
    command: echo "hello {{ who }}"; sleep {{ seconds }}
    parameters:
      who: {type: str, default: world}
      seconds: {type: float, default: 1}
"""


@dataclass
class Samples:
    """Latencies (seconds) and errors of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def row(self, name: str) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return (f"{name:<38} {len(self.latencies) + len(self.errors):>6} "
                f"{len(self.errors):>6} {statistics.median(ordered) * 1000:>8.1f} "
                f"{p95 * 1000:>8.1f} {ordered[-1] * 1000:>8.1f}")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_remote(base: Path) -> tuple[str, str]:
    """A pushed project; its file:// URL and commit."""
    bare, work = base / "origin.git", base / "work"
    bare.mkdir(parents=True)
    git(bare, "init", "-q", "--bare")
    work.mkdir()
    git(work, "init", "-q")
    (work / "onebrain.yml").write_text(SPEC)
    git(work, "add", "-A")
    git(work, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm",
        "bench")
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "origin", "HEAD:main")
    return bare.as_uri(), git(work, "rev-parse", "HEAD")


def brain(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "brain", *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"brain {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def launch_python() -> str | None:
    """As root, launches run as `nobody`: a Python with brain that nobody can run (the one the
    tests build, else a new venv beside it). None when not root."""
    if os.geteuid() != 0:
        return None
    folder = Path(os.environ.get("BRAIN_TEST_CACHE", REPO / ".test-cache")) / "launch-python"
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "-q", "-e", str(REPO)],
                       check=True)
    return str(python)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time of process `pid` itself, and of its finished children (the launches), from
    /proc (Linux); zeros elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    # After the command's ")": state is field 3, utime/stime 14/15, cutime/cstime 16/17.
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def timed(samples: Samples, call: object, expected: int) -> object:
    """Await `call` (an httpx request), recording its latency or its error."""
    started = time.perf_counter()
    try:
        answer = await call  # type: ignore[misc]
    except Exception as error:  # the figure is the count of failures, whatever they are
        samples.errors.append(f"{type(error).__name__}: {error}")
        return None
    if answer.status_code != expected:
        samples.errors.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
        return None
    samples.latencies.append(time.perf_counter() - started)
    return answer


async def load(hub: str, link: str, done_id: str, viewer: str, launchers: list[str],
               pollers: int, polls: int) -> dict[str, Samples]:
    import httpx

    figures = {name: Samples() for name in (
        "GET /api/launches/{id} (status)", "GET /api/launches (history)",
        "POST /api/launches", "launch: POST to finished")}
    limits = httpx.Limits(max_connections=pollers + len(launchers) + 10,
                          max_keepalive_connections=pollers + len(launchers) + 10)
    async with httpx.AsyncClient(base_url=hub, timeout=120, limits=limits) as client:
        seen = {"Authorization": f"Bearer {viewer}"}
        start = asyncio.Event()

        async def poller() -> None:
            await start.wait()
            for number in range(polls):
                if number % 2:
                    await timed(figures["GET /api/launches (history)"],
                                client.get("/api/launches", headers=seen), 200)
                else:
                    await timed(figures["GET /api/launches/{id} (status)"],
                                client.get(f"/api/launches/{done_id}", headers=seen), 200)

        async def launcher(token: str, number: int) -> None:
            auth = {"Authorization": f"Bearer {token}"}
            await start.wait()
            began = time.perf_counter()
            answer = await timed(figures["POST /api/launches"], client.post(
                "/api/launches", headers=auth,
                json={"link": link, "params": {"who": f"user-{number}"}}), 202)
            if answer is None:
                return
            launch_id = answer.json()["id"]  # type: ignore[attr-defined]
            while True:
                status = (await client.get(f"/api/launches/{launch_id}", headers=auth)).json()
                if status["finished"]:
                    break
                await asyncio.sleep(0.25)
            finished = figures["launch: POST to finished"]
            if status["status"] == "succeeded":
                finished.latencies.append(time.perf_counter() - began)
            else:
                finished.errors.append(f"{launch_id} {status['status']}: {status['message']}")

        tasks = [asyncio.create_task(poller()) for _ in range(pollers)]
        tasks += [asyncio.create_task(launcher(token, number))
                  for number, token in enumerate(launchers)]
        await asyncio.sleep(0.2)  # every task waiting: they start together
        start.set()
        await asyncio.gather(*tasks)
    return figures


def main() -> None:
    """Start the hub, load it, print the table."""
    import httpx

    from brain.share.url import make_link

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--launches", type=int, default=20)
    parser.add_argument("--polls", type=int, default=10, help="requests per poller")
    parser.add_argument("--auth", choices=["tokens", "anonymous"], default="tokens",
                        help="anonymous: the same load without accounts, for comparison")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hub-load-") as scratch:
        base = Path(scratch)
        os.environ["BRAIN_HOME"] = str(base / "home")
        config = base / "config.toml"
        python = launch_python()
        config.write_text(f'hub_python = "{python}"\n' if python else "")
        os.environ["BRAIN_CONFIG"] = str(config)
        url, commit = make_remote(base / "remote")
        launchers = [json.loads(brain("hub", "token", "create", f"user-{number}", "--role",
                                      "launcher", "--json"))["token"]
                     for number in range(options.launches)]
        viewer = json.loads(brain("hub", "token", "create", "watcher", "--role", "viewer",
                                  "--json"))["token"]
        port = free_port()
        hub_url = f"http://127.0.0.1:{port}"
        link = make_link(url, commit, hub=hub_url).to_url()
        hub = subprocess.Popen(
            [sys.executable, "-m", "brain", "hub", "--port", str(port), "--auth", options.auth,
             "--allow", "file://*", "--max-concurrent", str(options.launches),
             *(["--max-launches-per-user", "1"] if options.auth == "tokens" else [])],
            stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(hub_url + "/login", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the hub did not start") from None
                    time.sleep(0.1)
            # Warm-up: fetch the commit and build its environment once.
            auth = {"Authorization": f"Bearer {launchers[0]}"}
            warm = httpx.post(hub_url + "/api/launches", headers=auth, timeout=120,
                              json={"link": link, "params": {"seconds": "0"}}).json()
            while not (status := httpx.get(f"{hub_url}/api/launches/{warm['id']}",
                                           headers=auth).json())["finished"]:
                time.sleep(0.2)
            if status["status"] != "succeeded":
                raise SystemExit(f"the warm-up launch failed: {status['message']}")
            started = time.perf_counter()
            cpu_before = cpu_seconds(hub.pid)
            figures = asyncio.run(load(hub_url, link, warm["id"], viewer, launchers,
                                       options.pollers, options.polls))
            wall = time.perf_counter() - started
            cpu_after = cpu_seconds(hub.pid)
        finally:
            hub.terminate()
            hub.wait()
    print(f"hub with --auth {options.auth}: {options.pollers} concurrent pollers x {options.polls} "
          f"requests, {options.launches} concurrent launches (one per user); {wall:.1f}s")
    print(f"CPU during the load: hub {cpu_after[0] - cpu_before[0]:.1f}s, its launches "
          f"{cpu_after[1] - cpu_before[1]:.1f}s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'what':<38} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, samples in figures.items():
        print(samples.row(name))
    errors = [error for samples in figures.values() for error in samples.errors]
    for error in errors[:10]:
        print("error:", error)
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

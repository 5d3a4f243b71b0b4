"""Launch links end to end: launch-to-first-log on a hub, cold and cached, and `brain launch`.

Builds a small project in a git repository with a bare remote (file://), starts a real
`brain hub` on 127.0.0.1, and measures, as medians over N runs:

- hub, cold: POST /api/launches -> first byte of the entry point's own output in the log,
  with an empty cache (fetch + checkout + environment build + run);
- hub, cached: the same for a second launch of the same commit (no fetch, environment reused);
- `brain launch URL`, cold and cached, wall time of the whole command;
- `brain run` of the same entry point in the author's checkout (env ready), for scale.

Not a test: run it by hand or in CI to watch the figures.

    python benchmarks/bench_share.py            # 5 runs each
    python benchmarks/bench_share.py --runs 9
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SPEC = """\
name: bench-share
version: 0.1.0
entry_points:
  main:
    type: bash
    command: echo "first line alpha={{ alpha }}"
    parameters:
      alpha: {type: float, default: 0.5}
"""
MARK = b"first line alpha="


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_remote(base: Path) -> Path:
    """A pushed project; returns the project folder in the author's clone."""
    bare, work = base / "origin.git", base / "work"
    bare.mkdir(parents=True)
    git(bare, "init", "-q", "--bare")
    project = work / "projects" / "bench"
    project.mkdir(parents=True)
    git(work, "init", "-q")
    (project / "onebrain.yml").write_text(SPEC)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "bench")
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "-u", "origin", "HEAD")
    return project


def brain(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "brain", *args], cwd=cwd, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"brain {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def post(url: str, data: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(url, json.dumps(data).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:
        body: bytes = answer.read()
        return body


def hub_first_log(hub: str, link: str) -> float:
    """Seconds from POSTing the launch to the entry point's first output in the log."""
    started = time.perf_counter()
    launch = post(f"{hub}/api/launches", {"link": link})
    while True:
        if MARK in get(f"{hub}/api/launches/{launch['id']}/logs"):
            seconds = time.perf_counter() - started
            break
        time.sleep(0.005)
    while not json.loads(get(f"{hub}/api/launches/{launch['id']}"))["finished"]:
        time.sleep(0.02)
    return seconds


def timed(argv: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-share-") as scratch:
        base = Path(scratch)
        os.environ["BRAIN_HOME"] = str(base / "home")
        # The uv package cache stays shared (warm); only fetched repos and envs start empty.
        os.environ.setdefault("BRAIN_CACHE_DIR", str(base / "cache"))
        project = make_remote(base / "remote")
        port = free_port()
        hub_url = f"http://127.0.0.1:{port}"
        link = brain("generate-url", "--hub", hub_url, cwd=project)
        hub = subprocess.Popen([sys.executable, "-m", "brain", "hub", "--port", str(port),
                                "--max-concurrent", "1"], stderr=subprocess.DEVNULL)
        try:
            _wait_listening(hub_url)
            brain("setup-deps", cwd=project)  # the author's env, for the `brain run` row
            figures: dict[str, list[float]] = {name: [] for name in (
                "hub launch-to-first-log, cold", "hub launch-to-first-log, cached",
                "brain launch, cold", "brain launch, cached", "brain run (env ready)")}
            for number in range(runs):
                # A cold launch: a new cache (and so a new fetch and environment) each time.
                os.environ["BRAIN_CACHE_DIR"] = str(base / f"cache-{number}")
                hub.terminate()
                hub.wait()
                hub = subprocess.Popen([sys.executable, "-m", "brain", "hub", "--port",
                                        str(port), "--max-concurrent", "1"],
                                       stderr=subprocess.DEVNULL)
                _wait_listening(hub_url)
                figures["hub launch-to-first-log, cold"].append(hub_first_log(hub_url, link))
                figures["hub launch-to-first-log, cached"].append(hub_first_log(hub_url, link))
                os.environ["BRAIN_CACHE_DIR"] = str(base / f"cli-cache-{number}")
                launch = [sys.executable, "-m", "brain", "launch", link]
                figures["brain launch, cold"].append(timed(launch))
                figures["brain launch, cached"].append(timed(launch))
                figures["brain run (env ready)"].append(
                    timed([sys.executable, "-m", "brain", "run"], cwd=project))
        finally:
            hub.terminate()
            hub.wait()
    print(f"{'what':<34} {'median':>9} {'min':>9}   ({runs} runs)")
    for name, samples in figures.items():
        print(f"{name:<34} {statistics.median(samples) * 1000:>7.0f}ms "
              f"{min(samples) * 1000:>7.0f}ms")


def _wait_listening(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get(url + "/api/launches")
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the hub did not start")


if __name__ == "__main__":
    main()

"""Continuous evaluation end to end: push-to-page on a plain git server with `brain ci hook`.

Builds a workspace of three projects (a library, a project that installs it from the local
index, a notebook report with a metric) in a git repository, a bare remote with the hook
installed and a real `brain hub` on 127.0.0.1, pushes once (every project), then N times a
commit that bumps the library's version and changes the report. For each of those pushes:

- push: `git push` wall time; the hook runs `brain ci run` for the pushed range inside it
  (validate, set up, test the affected projects, build and publish the library, render the
  report), so this is the CI time the pusher waits for;
- page: from the end of the push until the hub's project page lists the commit;
- push to page: the sum, what a stakeholder waits after a data scientist pushes.

Also the hub's project page and commit page render times (medians over 20 GETs) once N
commits are listed. Not a test: run it by hand.

    python benchmarks/bench_ci.py                 # 3 pushes
    python benchmarks/bench_ci.py --runs 5 --cache ~/.cache/brain
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

LIB = "zz-bench-ci-lib"
LIB_IMPORT = "zz_bench_ci_lib"
CONSUMER = f"""\
name: consumer
version: 0.1.0
entry_points:
  tests:
    type: bash
    command: python -c 'import {LIB_IMPORT} as m; print(m.VALUE)'
env:
  python:
    pip: {{{LIB}: '>=0.1'}}
    extra_index_urls: [local]
"""
REPORT = """\
name: weekly-report
version: 0.1.0
entry_points:
  report:
    type: notebook
    notebook: report.ipynb
    metrics: metrics.json
    parameters:
      label: {type: str, default: weekly}
  test-quick:
    type: bash
    command: 'true'
"""


def lib_spec(version: str) -> str:
    return (f"name: {LIB}\nversion: {version}\nbuild_enabled: true\n"
            "authors: [Jane Doe <jane@example.com>]\n"
            "entry_points:\n  test:\n    type: bash\n"
            f"    command: PYTHONPATH=src python -c 'import {LIB_IMPORT}'\n")


def notebook(accuracy: float) -> str:
    cells = [("code", 'label = "weekly"', ["parameters"]),
             ("code", f"import json\njson.dump({{'accuracy': {accuracy}}}, "
                      "open('metrics.json', 'w'))\nprint(label)", [])]
    return json.dumps({
        "cells": [{"cell_type": kind, "metadata": {"tags": tags}, "source": source,
                   "id": f"c{index}", "execution_count": None, "outputs": []}
                  for index, (kind, source, tags) in enumerate(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5})


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as answer:
        text: str = answer.read().decode()
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="pushes measured")
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent.parent /
                        ".test-cache", help="BRAIN_CACHE_DIR (the uv package cache)")
    parser.add_argument("--hub-python", help="as root: a Python with brain installed that "
                        "the hub's launch user can run (the hub_python setting); default: the "
                        "test suite's .test-cache/launch-python when it exists")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-ci-"))
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    env = {**os.environ, "BRAIN_HOME": str(base / "home"), "GIT_CONFIG_GLOBAL": str(gitconfig),
           "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1", "BRAIN_CACHE_DIR": str(args.cache)}
    launch_python = args.hub_python or next(
        (str(p) for p in [args.cache / "launch-python" / "bin" / "python"] if p.exists()), None)
    if os.geteuid() == 0 and launch_python:
        (base / "config.toml").write_text(f'hub_python = "{launch_python}"\n')
        env["BRAIN_CONFIG"] = str(base / "config.toml")
    server, work = base / "server.git", base / "ws"
    work.mkdir()
    run(["git", "init", "--bare", "--quiet", "-b", "main", str(server)], base, env)
    run([sys.executable, "-m", "brain", "ci", "hook", "install", str(server)], base, env)
    run(["git", "init", "--quiet", "-b", "main"], work, env)
    run(["git", "remote", "add", "origin", str(server)], work, env)
    write(work, ".gitignore", ".brain/\ndist/\n__pycache__/\nmetrics.json\n")
    write(work, "libs/lib/onebrain.yml", lib_spec("0.1.0"))
    write(work, f"libs/lib/src/{LIB_IMPORT}/__init__.py", "VALUE = '0.1.0'\n")
    write(work, "apps/consumer/onebrain.yml", CONSUMER)
    write(work, "reports/weekly/onebrain.yml", REPORT)
    write(work, "reports/weekly/report.ipynb", notebook(0.5))
    run(["git", "add", "-A"], work, env)
    run(["git", "commit", "--quiet", "-m", "three projects"], work, env)
    started = time.monotonic()
    run(["git", "push", "--quiet", "origin", "main"], work, env)
    print(f"first push (every project, environments built): {time.monotonic() - started:.1f} s")

    port = free_port()
    log = (base / "hub.log").open("wb")
    hub = subprocess.Popen([sys.executable, "-m", "brain", "hub", "--port", str(port),
                            "--allow", server.as_uri()], env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if hub.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the hub did not start:\n{(base / 'hub.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        pushes, pages, totals = [], [], []
        sha = ""
        for index in range(args.runs):
            version = f"0.2.{index}"
            write(work, "libs/lib/onebrain.yml", lib_spec(version))
            write(work, f"libs/lib/src/{LIB_IMPORT}/__init__.py", f"VALUE = '{version}'\n")
            write(work, "reports/weekly/report.ipynb", notebook(0.6 + index / 100))
            run(["git", "add", "-A"], work, env)
            run(["git", "commit", "--quiet", "-m", f"lib {version}"], work, env)
            sha = run(["git", "rev-parse", "HEAD"], work, env)
            started = time.monotonic()
            run(["git", "push", "--quiet", "origin", "main"], work, env)
            pushed = time.monotonic()
            while sha not in get(f"{url}/ci/projects/default/weekly-report"):
                time.sleep(0.05)
            shown = time.monotonic()
            pushes.append(pushed - started)
            pages.append(shown - pushed)
            totals.append(shown - started)
            print(f"push {index + 1}: push {pushes[-1]:.1f} s, page {pages[-1] * 1000:.0f} ms")
        renders = {}
        for name, path in (("project page", "/ci/projects/default/weekly-report"),
                           ("commit page", f"/ci/projects/default/weekly-report/commits/{sha}")):
            times = []
            for _ in range(20):
                began = time.monotonic()
                get(url + path)
                times.append(time.monotonic() - began)
            renders[name] = statistics.median(times)
        steps = json.loads(get(f"{url}/api/ci/commits/{sha}"))["results"]
        print("\nthe last push, step by step:")
        for item in steps:
            print(f"  {item['project']:<28} {item['step']:<18} {item['status']:<8} "
                  f"{item['seconds']:6.1f} s")
        print(f"\nmedians over {args.runs} pushes (library bumped + report changed):")
        print(f"  push (CI in the hook):   {statistics.median(pushes):.1f} s")
        print(f"  push end to page:        {statistics.median(pages) * 1000:.0f} ms")
        print(f"  push to page:            {statistics.median(totals):.1f} s")
        for name, seconds in renders.items():
            print(f"  {name} render:     {seconds * 1000:.0f} ms")
    finally:
        hub.terminate()
        hub.wait(timeout=30)


if __name__ == "__main__":
    main()

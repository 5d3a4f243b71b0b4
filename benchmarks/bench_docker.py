"""Docker backend: rebuild after a code-only change, and image size, against a hand-written
layered Dockerfile for the same project (issue 14 / DESIGN.md section 6: rebuild <= 1.2x).

Builds one small project (two pinned pure-Python dependencies, a few source files) with
`brain build --docker` (a real subprocess, as a user types it) and with a hand-written
Dockerfile that any careful engineer would write (base, deps, code last), built with
`docker build`: by the classic builder and, where a docker CLI here has it, by BuildKit. The
reference is the faster of the two. Then, N times, in turn: change one source file, rebuild,
time it (wall seconds; min and median). Also the no-op (nothing changed) and the cost of
running a trivial entry point: `brain run --backend docker` vs `docker run --rm`.

The machine's load is printed before and after: on shared cores, compare ratios of one run.
brain's start-up depends on bytecode: with PYTHONDONTWRITEBYTECODE=1 and a brain installed
without .pyc files (an editable install, or uv without --compile-bytecode), every command
compiles brain again; `python -m compileall` the install first for figures a pip install gets.

Needs a daemon and the base image (scripts/docker-setup). Not a test.

    python benchmarks/bench_docker.py             # 5 rebuilds each
    python benchmarks/bench_docker.py --runs 9 --base-image python:3.11-slim
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_RATIO = 1.2
REQUIREMENTS = ["six==1.16.0", "idna==3.7"]
SPEC = """\
name: bench-docker
version: 0.1.0
namespace: bench
entry_points:
  hello:
    type: python
    script: src/main.py
env:
  python:
    pip: {six: ==1.16.0, idna: ==3.7}
"""
HAND_WRITTEN = """\
FROM {base}
LABEL bench=docker
COPY ca-certificates.crt /etc/ssl/certs/build-ca.crt
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \\
 && PIP_CERT=/etc/ssl/certs/build-ca.crt /opt/venv/bin/pip install --no-cache-dir \\
    -r /tmp/requirements.txt
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
ENTRYPOINT ["python", "src/main.py"]
COPY . /app
"""


def write_project(root: Path, base: str) -> None:
    """The project, its requirements and the hand-written Dockerfile beside it."""
    (root / "src").mkdir(parents=True)
    (root / "onebrain.yml").write_text(SPEC)
    (root / "requirements.txt").write_text("\n".join(REQUIREMENTS) + "\n")
    for index in range(5):
        (root / f"src/module{index}.py").write_text(f"VALUE = {index}\n" * 50)
    change_code(root, 0)  # generations: 10 * run + builder index
    (root / "Dockerfile.hand").write_text(HAND_WRITTEN.format(base=base))
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "ca-certificates.crt")
    (root / ".dockerignore").write_text(".brain/\n")


def change_code(root: Path, generation: int) -> None:
    """A code-only change: one source file's content."""
    (root / "src/main.py").write_text(f"import six, idna\nprint('generation {generation}')\n")


def timed(action: Callable[[], Any]) -> float:
    """Wall seconds of `action()`."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run argv; stop the benchmark with its output if it fails."""
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n"
                         f"{(done.stderr or done.stdout)[-2000:]}")


def settle(root: Path) -> None:
    """Date the project's folders a minute back: a project is not created just before a build
    (brain remembers the file list of folders that have not changed for 2 s)."""
    past = time.time() - 60
    for folder, _, _ in os.walk(root):
        os.utime(folder, (past, past))


def load() -> str:
    """The 1/5/15-minute load averages and the CPU count."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    """Measure and print the table."""
    import docker

    from brain.envs.buildkit import buildkit_builder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-image", default=os.environ.get("BRAIN_DOCKER_BASE_IMAGE")
                        or "brain-base:bookworm")
    options = parser.parse_args()
    client = docker.from_env(timeout=600)
    client.ping()
    os.environ["BRAIN_DOCKER_BASE_IMAGE"] = options.base_image  # for the in-process builds
    env = {**os.environ, "NO_COLOR": "1"}
    docker_cli = shutil.which("docker")
    buildkit = buildkit_builder()
    bytecode = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    print(f"before: {load()}; PYTHONDONTWRITEBYTECODE={bytecode!r}")
    with tempfile.TemporaryDirectory(prefix="bench-docker-") as folder:
        root = Path(folder) / "project"
        write_project(root, options.base_image)
        settle(root)
        brain_cmd = [sys.executable, "-m", "brain", "build", "--docker", str(root)]

        def hand(builder: str) -> Callable[[], None]:
            def build() -> None:
                if builder == "buildkit":
                    assert buildkit is not None
                    argv, extra = list(buildkit.argv), buildkit.env
                else:
                    assert docker_cli is not None
                    argv, extra = [docker_cli, "build"], {"DOCKER_BUILDKIT": "0"}
                run([*argv, "-q", "--network", "host", "-f", "Dockerfile.hand",
                     "-t", f"bench/hand-{builder}:latest", "."], root, {**env, **extra})
            return build

        def brain_api() -> None:
            from brain.envs.docker import DockerEnvironment
            from brain.runs.provenance import source_revision
            from brain.spec.loader import load_project

            DockerEnvironment(load_project(root),
                              revision=lambda: source_revision(root)).build()

        builders: dict[str, Callable[[], Any]] = {
            "brain build --docker": lambda: run(brain_cmd, root, env),
            "brain, in-process (no start-up)": brain_api,
        }
        hands = []
        if docker_cli:
            builders["hand-written, docker build (classic)"] = hand("classic")
            hands.append("hand-written, docker build (classic)")
        if buildkit is not None:
            builders[f"hand-written, {buildkit.name}"] = hand("buildkit")
            hands.append(f"hand-written, {buildkit.name}")
        if not hands:
            raise SystemExit("no docker CLI here: nothing to compare with")
        first = {name: timed(build) for name, build in builders.items()}
        samples: dict[str, list[float]] = {name: [] for name in builders}
        for generation in range(1, options.runs + 1):
            for index, (name, build) in enumerate(builders.items()):
                # A change no builder has seen: no cache hit borrowed from another builder.
                change_code(root, generation * 10 + index)
                samples[name].append(timed(build))
        run(brain_cmd, root, env)  # the last change, built: what follows changes nothing
        no_op = [timed(lambda: run(brain_cmd, root, env)) for _ in range(options.runs)]
        brain_image = client.images.get("bench/bench-docker:0.1.0")
        hand_image = client.images.get(f"bench/hand-{'buildkit' if buildkit else 'classic'}:latest")
        output = client.containers.run(brain_image.id, ["hello"], remove=True).decode()
        last = options.runs * 10 + len(builders) - 1
        assert f"generation {last}" in output, output  # the image holds the latest code
        run_brain = statistics.median(timed(lambda: run(
            [sys.executable, "-m", "brain", "run", "--backend", "docker", "-e", "hello"],
            root, env)) for _ in range(options.runs))
        run_docker = statistics.median(timed(lambda: client.containers.run(
            hand_image.id, remove=True)) for _ in range(options.runs))
        brain_size, hand_size = brain_image.attrs["Size"], hand_image.attrs["Size"]
        # Drop the images and their layers: the next run's first build is cold again (brain's
        # dispatcher layer stays when other brain images share it, as it would for a user).
        for tag in ("bench/bench-docker:0.1.0", "bench/hand-classic:latest",
                    "bench/hand-buildkit:latest"):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag, force=True)
        for label in ("bench=docker", "brain.namespace=bench"):
            client.images.prune(filters={"dangling": True, "label": label})

    # The peer a user would compare with: the faster `docker build` of the hand-written file.
    reference_name = min(hands, key=lambda name: statistics.median(samples[name]))
    reference = statistics.median(samples[reference_name])
    print(f"after: {load()}")
    print(f"Docker rebuild after a code-only change ({options.runs} runs each, in turn; "
          f"base {options.base_image}; reference: {reference_name})")
    print(f"{'builder':44} {'first':>7} {'min':>7} {'median':>7} {'ratio':>6}")
    # "first": cold for the project's own layers; brain's dispatcher layer may already be
    # cached from any other brain image on this daemon (it is shared, by design).
    for name in builders:
        median = statistics.median(samples[name])
        print(f"{name:44} {first[name]:6.2f}s {min(samples[name]):6.2f}s {median:6.2f}s "
              f"{median / reference:5.2f}x")
    print(f"{'brain build --docker, nothing changed':44} {'':>7} {min(no_op):6.2f}s "
          f"{statistics.median(no_op):6.2f}s")
    brain_ratio = statistics.median(samples["brain build --docker"]) / reference
    verdict = "ok" if brain_ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"target: brain rebuild <= {TARGET_RATIO}x the hand-written one: {brain_ratio:.2f}x, "
          f"{verdict}")
    print(f"image size: brain {brain_size / 1e6:.1f} MB, hand-written {hand_size / 1e6:.1f} MB "
          f"(+{(brain_size - hand_size) / 1e6:.1f} MB: the dispatcher's venv and brain's source)")
    print(f"trivial entry point: brain run --backend docker {run_brain:.2f}s, "
          f"docker run --rm (SDK) {run_docker:.2f}s")


if __name__ == "__main__":
    main()

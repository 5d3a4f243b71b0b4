"""Docker backend: rebuild after a code-only change, and image size, against a hand-written
layered Dockerfile for the same project (DESIGN.md section 6: rebuild <= 1.2x).

Builds one small project (two pinned pure-Python dependencies, a few source files) twice
over: with `brain build --docker` (a real subprocess, as a user types it) and with a
hand-written Dockerfile that any careful engineer would write (base, deps, code last),
built with `docker build` (the CLI, when present) and through the SDK's classic builder
(the builder brain uses). Then, N times: change one source file, rebuild, time it. Also the
cost of running a trivial entry point: `brain run --backend docker` vs `docker run --rm`.

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


def main() -> None:
    """Measure and print the table."""
    import docker

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
    with tempfile.TemporaryDirectory(prefix="bench-docker-") as folder:
        root = Path(folder) / "project"
        write_project(root, options.base_image)
        brain_cmd = [sys.executable, "-m", "brain", "build", "--docker", str(root)]

        def hand_sdk() -> None:
            client.images.build(path=str(root), dockerfile="Dockerfile.hand",
                                tag="bench/hand-sdk:latest", network_mode="host", rm=True)

        def hand_cli() -> None:
            assert docker_cli is not None
            run([docker_cli, "build", "-q", "--network", "host", "-f", "Dockerfile.hand",
                 "-t", "bench/hand-cli:latest", "."], root,
                {**env, "DOCKER_BUILDKIT": "0"})

        def brain_api() -> None:
            from brain.envs.docker import DockerEnvironment
            from brain.runs.provenance import source_revision
            from brain.spec.loader import load_project

            DockerEnvironment(load_project(root),
                              revision=lambda: source_revision(root)).build()

        builders: dict[str, Callable[[], Any]] = {
            "brain build --docker": lambda: run(brain_cmd, root, env),
            "brain, in-process (no CLI start-up)": brain_api,
            "hand-written, SDK (classic builder)": hand_sdk,
        }
        if docker_cli:
            builders["hand-written, docker build"] = hand_cli
        first = {name: timed(build) for name, build in builders.items()}
        samples: dict[str, list[float]] = {name: [] for name in builders}
        for generation in range(1, options.runs + 1):
            for index, (name, build) in enumerate(builders.items()):
                # A change no builder has seen: no cache hit borrowed from another builder.
                change_code(root, generation * 10 + index)
                samples[name].append(timed(build))
        brain_image = client.images.get("bench/bench-docker:0.1.0")
        hand_image = client.images.get("bench/hand-sdk:latest")
        output = client.containers.run(brain_image.id, ["hello"], remove=True).decode()
        assert f"generation {options.runs * 10 + 1}" in output, output  # the in-process build
        run_brain = statistics.median(timed(lambda: run(
            [sys.executable, "-m", "brain", "run", "--backend", "docker", "-e", "hello"],
            root, env)) for _ in range(options.runs))
        run_docker = statistics.median(timed(lambda: client.containers.run(
            hand_image.id, remove=True)) for _ in range(options.runs))
        brain_size, hand_size = brain_image.attrs["Size"], hand_image.attrs["Size"]
        # Drop the images and their layers: the next run's first build is cold again (brain's
        # dispatcher layer stays when other brain images share it, as it would for a user).
        for tag in ("bench/bench-docker:0.1.0", "bench/hand-sdk:latest", "bench/hand-cli:latest"):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag, force=True)
        for label in ("bench=docker", "brain.namespace=bench"):
            client.images.prune(filters={"dangling": True, "label": label})

    # The peer a user would compare with: `docker build` of the hand-written Dockerfile.
    peer = "hand-written, docker build" if docker_cli else "hand-written, SDK (classic builder)"
    reference = statistics.median(samples[peer])
    print(f"Docker rebuild after a code-only change (median of {options.runs}; "
          f"base {options.base_image})")
    print(f"{'builder':40} {'first build':>12} {'rebuild':>10} {'ratio':>7}")
    # "first build": cold for the project's own layers; brain's dispatcher layer may already
    # be cached from any other brain image on this daemon (it is shared, by design).
    for name in builders:
        median = statistics.median(samples[name])
        print(f"{name:40} {first[name]:11.2f}s {median:9.2f}s {median / reference:6.2f}x")
    brain_ratio = statistics.median(samples["brain build --docker"]) / reference
    verdict = "ok" if brain_ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"target: brain rebuild <= {TARGET_RATIO}x the hand-written one: {verdict}")
    print(f"image size: brain {brain_size / 1e6:.1f} MB, hand-written {hand_size / 1e6:.1f} MB "
          f"(+{(brain_size - hand_size) / 1e6:.1f} MB: the dispatcher's venv and brain's source)")
    print(f"trivial entry point: brain run --backend docker {run_brain:.2f}s, "
          f"docker run --rm (SDK) {run_docker:.2f}s")


if __name__ == "__main__":
    main()

"""Image builds through the `docker` CLI with BuildKit, when a CLI here can do it.

BuildKit rebuilds a code-only change several times faster than the SDK's classic builder
(which `brain.envs.docker` falls back to). Which CLI can use it depends on the installation:
`docker buildx build` where the buildx plugin is installed, or `DOCKER_BUILDKIT=1 docker build`
with a client older than 23 (whose BuildKit is built in; newer clients need buildx). The
answer is kept per docker binary, so a build pays for the probe once.

BuildKit's plain progress is translated into the classic builder's words ("Step 3/9 : RUN
...", "Using cache"), which the rest of brain reads (progress, cached steps, failures).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from brain.errors import EnvironmentFailure

SETTING = "BRAIN_DOCKER_BUILDER"  # "sdk": always the classic builder through the SDK
_STEP = re.compile(r"^#\d+ \[\s*(\d+)/(\d+)\] (.*)$")
_CACHED = re.compile(r"^#\d+ CACHED$")
_OUTPUT = re.compile(r"^#(\d+) \d+\.\d+ (.*)$")
_ERROR = re.compile(r"^#(\d+) ERROR: (.*)$")
_FAILED_STEP = re.compile(r"^ > \[\s*(\d+)/(\d+)\] (.*):$")


class BuildKitBuilder(NamedTuple):
    """How to start a BuildKit build with one docker binary."""

    name: str  # as a user would type it
    argv: tuple[str, ...]  # up to the build options
    env: dict[str, str] = {}  # noqa: RUF012 (shared, never changed)


class BuildKitFailed(Exception):
    """The build failed; `log` holds its lines in the classic builder's words."""

    def __init__(self, error: str, log: list[str]) -> None:
        super().__init__(error)
        self.log = log


@lru_cache(maxsize=1)
def buildkit_builder() -> BuildKitBuilder | None:
    """The first `docker` on PATH that builds with BuildKit, or None (then the SDK builds).

    Not only the first `docker`: a machine may carry a new client without buildx in front of
    the distribution's own, older one.
    """
    if os.environ.get(SETTING, "").strip().lower() == "sdk":
        return None
    known = _read_probes()
    changed = False
    seen = set()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        docker = os.path.join(folder or ".", "docker")
        try:
            real = os.path.realpath(docker)
            marker = f"{real}:{os.stat(real).st_mtime_ns}"
        except OSError:
            continue
        if real in seen or not os.access(real, os.X_OK):
            continue
        seen.add(real)
        if marker not in known:
            known[marker], changed = _probe(docker), True
        kind = known[marker]
        if kind == "buildx":
            builder = BuildKitBuilder("docker buildx build", (docker, "buildx", "build", "--load"))
        elif kind == "builtin":
            builder = BuildKitBuilder("DOCKER_BUILDKIT=1 docker build", (docker, "build"),
                                      {"DOCKER_BUILDKIT": "1"})
        else:
            continue
        if changed:
            _write_probes(known)
        return builder
    if changed:
        _write_probes(known)
    return None


def _probe(docker: str) -> str:
    """"buildx", "builtin" (a client < 23, BuildKit inside) or "none"."""
    from brain.process import scrubbed_environment

    def answer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([docker, *args], capture_output=True, text=True, timeout=30,
                              env=scrubbed_environment(), check=False)

    try:
        if answer("buildx", "version").returncode == 0:
            return "buildx"
        version = re.search(r"version (\d+)\.", answer("--version").stdout)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    return "builtin" if version is not None and int(version.group(1)) < 23 else "none"


def _probes_file() -> Path:
    from brain.paths import cache_dir

    return cache_dir() / "docker-builders.json"


def _read_probes() -> dict[str, str]:
    try:
        data = json.loads(_probes_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}


def _write_probes(known: dict[str, str]) -> None:
    path = _probes_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(known), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return  # a cache: the next build probes again


def build(builder: BuildKitBuilder, folder: Path, *, dockerfile: str,
          tags: Sequence[str], buildargs: dict[str, str], network: str, iidfile: Path
          ) -> tuple[str, list[str]]:
    """Build the context `folder` (brain.envs.docker_stage) with its Dockerfile at
    `dockerfile` inside it, giving the image every tag in `tags` (no tagging calls after);
    (image id, log lines), the id also left in `iidfile`. BuildKitFailed when it fails."""
    from brain.process import run_checked, scrubbed_environment

    iidfile.unlink(missing_ok=True)  # an earlier build's id must never be read as this one's
    argv = [*builder.argv, "--progress=plain", f"--iidfile={iidfile}",
            "--file", str(folder / dockerfile), f"--network={network}"]
    for tag in tags:
        argv += ["--tag", tag]
    for name, value in sorted(buildargs.items()):
        argv += ["--build-arg", f"{name}={value}"]
    argv += ["--", str(folder)]
    try:
        completed = run_checked(argv, env=scrubbed_environment(builder.env), what="image build")
    except EnvironmentFailure as failure:
        # The tail of the output: BuildKit ends a failure with the failed step and its last
        # lines (" > [4/7] RUN ...:"), then the error.
        _, _, output = failure.message.partition("\n")
        reason = _last_error(classic_lines(output), output)
        raise BuildKitFailed(reason, failure_lines(output)) from None
    return iidfile.read_text(encoding="utf-8").strip(), classic_lines(completed.stderr)


def classic_lines(plain: str) -> list[str]:
    """BuildKit's plain progress as the classic builder would have said it."""
    lines = []
    for raw in plain.splitlines():
        line = raw.rstrip()
        if step := _STEP.match(line):
            lines.append(f"Step {step.group(1)}/{step.group(2)} : {step.group(3)}")
        elif _CACHED.match(line):
            lines.append(" ---> Using cache")
        elif error := _ERROR.match(line):
            lines.append(f"ERROR: {error.group(2)}")
        elif printed := _OUTPUT.match(line):
            lines.append(printed.group(2))
        elif line.strip(" -") and not line.startswith("#"):
            lines.append(line)
    return lines


def failure_lines(tail: str) -> list[str]:
    """The failed step and what it printed, from the tail of a failed build.

    BuildKit names the failed step after its output (` > [ 3/10] RUN ...:`); the classic
    order (step, output, error) is what `brain.envs.docker` summarises. No failed step (the
    base image could not be resolved): the lines as they are.
    """
    lines = tail.splitlines()
    failed = next((match for line in lines if (match := _FAILED_STEP.match(line.rstrip()))),
                  None)
    number = next((match.group(1) for line in lines if (match := _ERROR.match(line))), None)
    if failed is None or number is None:
        return classic_lines(tail)
    printed = [match.group(2) for line in lines
               if (match := _OUTPUT.match(line.rstrip())) and match.group(1) == number]
    return [f"Step {failed.group(1)}/{failed.group(2)} : {failed.group(3)}", *printed]


def _last_error(log: list[str], output: str) -> str:
    """The error of a failed build in one line, exit code included when a step failed."""
    for line in reversed(log):
        if line.startswith(("ERROR:", "error:", "failed to solve")):
            reason = line.removeprefix("ERROR:").removeprefix("error:").strip()
            return re.sub(r"exit code: (\d+)", r"returned a non-zero code: \1", reason)
    tail = output.strip().splitlines()
    return tail[-1] if tail else "the build failed"

"""The ray backend: an entry point runs as a Ray Job on a cluster (Ray's Jobs SDK).

brain runs locally what it always runs, a child process whose output it streams and logs
and whose exit code it passes through; here that child is brain.envs.ray_job, which ships
the project to the cluster as the job's working directory, follows the job's logs, exits
with the job's exit code and stops the job when brain forwards a Ctrl-C. So the runner, the
run record and sweeps work unchanged. Ray itself is the optional extra `brain-cli[ray]`.

The cluster's address: `--address`, else BRAIN_RAY_ADDRESS, else the `ray_address` setting,
else DEFAULT_ADDRESS.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from brain.errors import EnvironmentFailure, InvalidInput

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult, Environment, Invocation, Progress
    from brain.envs.select import Backend, EnvironmentOptions
    from brain.spec.loader import Project

DEFAULT_ADDRESS = "http://127.0.0.1:8265"
ADDRESS_VARIABLE = "BRAIN_RAY_ADDRESS"
JOB_FILE = "ray-job.json"  # in the run's own folder: what brain.envs.ray_job submits
_REACH_TIMEOUT = 10.0


def ray_address() -> str:
    """The cluster address in force (see the module docstring), checked."""
    from brain import settings

    address = settings.text(ADDRESS_VARIABLE) or ""
    if not address:
        from brain.config import get_setting

        setting = get_setting("ray_address")
        address = setting.strip() if isinstance(setting, str) else ""
    address = (address or DEFAULT_ADDRESS).rstrip("/")
    parts = urlsplit(address if "://" in address else f"http://{address}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or \
            any(ord(ch) < 33 for ch in address):
        raise InvalidInput(f"{address!r} is not a Ray dashboard address",
                           hint="write http://HOST:8265 (--address, BRAIN_RAY_ADDRESS or "
                           "`brain config set ray_address URL`)")
    return parts.geturl()


def require_ray() -> None:
    """MissingExtra (exit 3) naming the `ray` extra when Ray's job client is not installed."""
    from brain.extras import require_extra

    require_extra("ray", "the ray backend")


def check_reachable(address: str) -> None:
    """EnvironmentFailure (exit 3) unless a Ray dashboard answers at `address`."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{address}/api/version",  # http(s), checked
                                    timeout=_REACH_TIMEOUT) as answer:
            answer.read(65536)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise EnvironmentFailure(f"cannot reach the Ray cluster at {address}: {reason}",
                                 hint="start one with `ray start --head` or pass --address "
                                 "http://HEAD:8265") from None


class RayEnvironment:
    """A Ray cluster as the place entry points run; the job's runtime environment is built
    by Ray from the project's requirements (its lock when fresh)."""

    name = "ray"

    def __init__(self, project: Project, options: EnvironmentOptions) -> None:
        self.project = project
        self.options = options
        self.address = ray_address()

    def requirements(self) -> list[str]:
        """What Ray installs for the job (`runtime_env={"pip": ...}`): the lock's pins when
        the lock is fresh, else the spec's requirements and requirements file."""
        from brain.envs.identity import collect_inputs
        from brain.envs.lock import locked_packages, read_lock

        inputs = collect_inputs(self.project)
        lock = read_lock(self.project.root)
        if lock is not None and lock.is_fresh(inputs):
            return locked_packages(lock)
        lines = list(inputs.lines)
        for _path, text in inputs.files:
            lines += [line.strip() for line in text.splitlines()
                      if line.strip() and not line.lstrip().startswith(("#", "-"))]
        return lines

    def index_options(self) -> list[str]:
        """pip's index options for the job: the project's index settings (brain.config)."""
        from brain.envs.identity import collect_inputs

        inputs = collect_inputs(self.project)
        options = ["--index-url", inputs.index_url] if inputs.index_url else []
        for url in inputs.extra_index_urls:
            options += ["--extra-index-url", url]
        return options

    def resources(self) -> dict[str, Any]:
        """`hardware` as the job's entrypoint resources (what Ray schedules it by)."""
        from brain.envs.image_names import memory_bytes

        hardware = self.project.spec.hardware
        found: dict[str, Any] = {}
        if hardware.cpu is not None:
            found["entrypoint_num_cpus"] = hardware.cpu
        if hardware.gpu:
            found["entrypoint_num_gpus"] = hardware.gpu
        if hardware.memory is not None:
            found["entrypoint_memory"] = memory_bytes(hardware.memory)
        return found

    def identity(self) -> str:
        """What the job is made of: the address, the requirements and the resources."""
        import hashlib

        text = json.dumps([self.address, self.requirements(), self.index_options(),
                           self.resources()])
        return "ray-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def is_ready(self) -> bool:
        """Ray builds the job's environment itself: ready when the client is installed."""
        try:
            require_ray()
        except EnvironmentFailure:
            return False
        return True

    def ensure(self, progress: Progress | None = None) -> EnsureResult:
        """Checks only: the client is installed and the cluster answers."""
        from brain.envs.base import EnsureResult

        started = time.monotonic()
        require_ray()
        if progress is not None:
            progress(f"reaching the Ray cluster at {self.address}")
        check_reachable(self.address)
        return EnsureResult(self.identity(), False, self.address, time.monotonic() - started)

    def invocation(self, argv: Sequence[str], variables: Mapping[str, str]) -> Invocation:
        """brain.envs.ray_job, given the job to submit in a file of the run's own folder."""
        from brain import settings
        from brain.envs.base import Invocation
        from brain.process import scrubbed_environment
        from brain.run_plan import RUN_DIR_VARIABLE

        run_dir = variables.get(RUN_DIR_VARIABLE)
        run_id = variables.get("BRAIN_RUN_ID", "")
        job = {
            "address": self.address,
            "submission_id": submission_id(run_id) if run_id else None,
            "argv": list(argv),
            # On the cluster the job's working directory is the project (a copy of its own).
            "variables": {**variables, "BRAIN_PROJECT_DIR": ".", RUN_DIR_VARIABLE: "."},
            "pip": self.requirements(),
            "pip_options": self.index_options(),
            "resources": self.resources(),
            "root": str(self.project.root),
            "metrics": self._metrics_files(),
            "run_dir": run_dir,
            "start_timeout": settings.seconds("BRAIN_RAY_START_TIMEOUT"),
        }
        described = json.dumps(job)
        if run_dir:  # a real run: the job is kept with the run's logs
            job_file = Path(run_dir) / JOB_FILE
            job_file.write_text(described, encoding="utf-8")
            described = str(job_file)
        # (a dry run writes nothing: the job is shown inline)
        child = [sys.executable, "-m", "brain.envs.ray_job", described]
        return Invocation(child, scrubbed_environment({"PYTHONUNBUFFERED": "1"}))

    def record_details(self, run_id: str) -> dict[str, Any]:
        """What the run record keeps of the job: where it ran and its submission id."""
        return {"ray": {"address": self.address, "submission_id": submission_id(run_id)}}

    def _metrics_files(self) -> list[str]:
        """Every declared metrics file: the job sends back those the run wrote (the entry
        point is the plan's business, not the environment's; brain reads the one it named)."""
        return sorted({entry.metrics for entry in self.project.spec.entry_points.values()
                       if entry.metrics})


def submission_id(run_id: str) -> str:
    """The Ray submission id of run `run_id` (so the record names the job before it exists)."""
    return f"brain-{run_id}"


class RayBackend:
    """Jobs run on the cluster, in a copy of the project: files they write stay there."""

    name = "ray"
    keeps_run_files = False

    def environment(self, project: Project, options: EnvironmentOptions) -> Environment:
        """A RayEnvironment at the address in force."""
        return RayEnvironment(project, options)

    def quick_result(self, root: Path, options: EnvironmentOptions) -> EnsureResult | None:
        """Never: only the cluster can say it is there."""
        return None

    def ensure_from_plan(self, root: Path, options: EnvironmentOptions,
                         progress: Progress | None) -> EnsureResult | None:
        """Never: the job's requirements come from the loaded spec."""
        return None

    def python_version(self, environment: Environment) -> str | None:
        """The cluster's, not known before the job runs."""
        return None


RAY: Backend = RayBackend()

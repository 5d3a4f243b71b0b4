"""`onebrain.lock`: the resolved dependency set with hashes, written by `brain lock` (uv);
and how brain calls uv (its binary, its environment, its errors made readable).

The lock is a requirements file (`uv pip compile --universal --generate-hashes` output) under
a header that records the digest of the spec's requirement inputs, so a lock that no longer
matches `onebrain.yml` is detected without network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from brain.envs.identity import LOCK_FILENAME, RequirementInputs
from brain.errors import EnvironmentFailure
from brain.paths import cache_dir

if TYPE_CHECKING:
    from brain.envs.base import Progress
    from brain.spec.loader import Project

LOCK_FORMAT = 1
_DIGEST_LINE = re.compile(r"^# requirements-sha256: ([0-9a-f]{64})$", re.MULTILINE)
_SPEC_INPUT = "requirements-from-spec.in"


@dataclass(frozen=True)
class LockFile:
    """A lock on disk: its text and the spec digest its header records (None: no header)."""

    path: Path
    text: str
    requirements_digest: str | None

    def is_fresh(self, inputs: RequirementInputs) -> bool:
        """True when the lock was resolved from exactly these requirement inputs."""
        return self.requirements_digest == inputs.digest()


def lock_path(root: Path) -> Path:
    """Where a project's lock lives: `<project>/onebrain.lock`."""
    return root / LOCK_FILENAME


def read_lock(root: Path) -> LockFile | None:
    """The project's lock, or None when it has none."""
    path = lock_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise EnvironmentFailure(f"cannot read {path}: {error}") from None
    match = _DIGEST_LINE.search(text)
    return LockFile(path, text, match[1] if match else None)


def write_lock(root: Path, inputs: RequirementInputs, *, upgrade: bool = False,
               progress: Progress | None = None) -> LockFile:
    """Resolve `inputs` with uv and write the lock atomically; keeps existing pins unless
    `upgrade`. The caller holds the project lock."""
    import shutil
    import tempfile

    from brain.process import run_checked
    from brain.statefs import project_state, write_atomic

    # A fresh private folder (mkdir fails on anything already there): uv writes its output
    # file by name, so no name it writes may be one a repository could have committed.
    scratch = Path(tempfile.mkdtemp(prefix="lock-", dir=project_state(root)))
    source = scratch / _SPEC_INPUT
    write_atomic(source, spec_requirements_text(inputs))
    output = scratch / "onebrain.lock.tmp"
    previous = read_lock(root)
    # uv prefers the versions already pinned in its output file: re-locking after a spec
    # change moves only what must move.
    write_atomic(output, "" if upgrade or previous is None else previous.text)
    if progress is not None:
        progress(f"resolving the requirements for Python {inputs.python}")
    argv = [uv_executable(), "pip", "compile", "--universal", "--generate-hashes",
            "--no-header", "--quiet", f"--python-version={inputs.python}",
            f"--output-file={output}", *index_arguments(inputs), "--",
            *(requirement_files(source.relative_to(root), inputs) or [os.devnull])]
    target = lock_path(root)
    try:
        run_checked(argv, cwd=root, env=uv_environment(), what="resolving the dependencies",
                    contained=True)
        # Annotations name the spec, not brain's scratch file.
        body = output.read_text(encoding="utf-8").replace(
            f"-r {source.relative_to(root)}", "onebrain.yml")
        text = (
            "# onebrain.lock: the resolved dependencies, written by `brain lock`; do not edit.\n"
            f"# format: {LOCK_FORMAT}\n"
            f"# python: {inputs.python}\n"
            f"# requirements-sha256: {inputs.digest()}\n"
            f"{body}"
        )
        write_atomic(target, text)  # the old lock stays whole until the new one is complete
    except EnvironmentFailure as error:
        raise installer_failure(error, "resolving the dependencies") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return LockFile(target, text, inputs.digest())


def spec_requirements_text(inputs: RequirementInputs) -> str:
    """The spec's `env.python.pip` lines as the text of a requirements file."""
    return "".join(f"{line}\n" for line in inputs.lines)


def requirement_files(spec_file: Path | None, inputs: RequirementInputs) -> list[str]:
    """The requirement files to install: the spec's lines (written to `spec_file`) and the
    project's requirements file (relative: the installer runs in the project folder, and the
    lock's annotations stay portable); nested `-r` paths then resolve as written."""
    files = [str(spec_file)] if spec_file is not None and inputs.lines else []
    if inputs.requirements_file:
        files.append(inputs.requirements_file)
    return files


def requirement_arguments(spec_file: Path | None, inputs: RequirementInputs) -> list[str]:
    """`requirement_files` as `--requirement=` options (the `=` form: never read as a flag)."""
    return [f"--requirement={path}" for path in requirement_files(spec_file, inputs)]


def index_arguments(inputs: RequirementInputs) -> list[str]:
    """`--index-url=` / `--extra-index-url=` options (the `=` form: a value is never a flag)."""
    arguments = [f"--index-url={inputs.index_url}"] if inputs.index_url else []
    arguments += [f"--extra-index-url={url}" for url in inputs.extra_index_urls]
    return arguments


def lock_project(project: Project, *, upgrade: bool = False, timeout: float | None = None,
                 progress: Progress | None = None) -> LockFile:
    """`brain lock`: resolve the project's requirements into onebrain.lock, under its lock."""
    from brain.envs.identity import collect_inputs
    from brain.envs.locking import ProjectLock
    from brain.paths import project_lock_file
    from brain.statefs import project_state

    inputs = collect_inputs(project)
    project_state(project.root)  # refuses a `.brain/` that brain did not create
    with ProjectLock(project_lock_file(project.root), command="brain lock", timeout=timeout,
                     on_wait=progress):
        return write_lock(project.root, inputs, upgrade=upgrade, progress=progress)


def locked_packages(lock: LockFile) -> list[str]:
    """The `name==version` pins in a lock, in order."""
    return [line.split(" ", 1)[0].rstrip("\\").strip() for line in lock.text.splitlines()
            if line and not line[0].isspace() and not line.startswith(("#", "-"))]


def uv_executable() -> str:
    """The uv binary shipped by the `uv` package (brain never downloads one)."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        raise EnvironmentFailure("uv is not installed alongside brain",
                                 hint="`pip install uv`, or use `--installer pip`") from None


def uv_environment() -> dict[str, str]:
    """The variables uv runs with: brain's cache (beside the envs, so installs hardlink), no
    interpreter downloads, no progress bars."""
    from brain.process import scrubbed_environment

    return scrubbed_environment({
        "UV_CACHE_DIR": str(cache_dir() / "uv"), "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    })


def installer_failure(error: EnvironmentFailure, what: str) -> EnvironmentFailure:
    """`error` from an installer, condensed to one readable line plus a hint."""
    _, _, detail = error.message.partition("\n")
    pieces = []
    for line in detail.splitlines():
        text = line.strip().lstrip("×╰─▶│├ ").strip()
        for noise in ("error:", "Caused by:", "cause:"):
            text = text.removeprefix(noise).strip()
        if text.startswith(("hint:", "Using Python", "Using CPython")) or text in pieces:
            continue  # uv's chatter about which interpreter it uses
        if text:
            pieces.append(text)
    summary = ": ".join(piece.rstrip(":.") for piece in pieces) or error.message
    if len(summary) > 600:
        summary = summary[:600] + "..."
    return EnvironmentFailure(
        f"{what} failed: {summary}",
        hint="check env.python.pip / env.python.requirements in onebrain.yml (names, versions, "
        "index URL) and the network; then run `brain setup-deps` again",
    )

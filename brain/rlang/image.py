"""R in a project image (the docker backend): the Dockerfile steps and context files that give
an image R and the packages of `env.r`, as the venv backend's project library does on the host.

R comes from the base image's package manager: `r-base-core`, plus the Debian `r-cran-*`
package of each requirement whose version fits; the rest is installed from `env.r.repos` into
an image library that R_LIBS names. Two steps, so that a new package published to brain's
local repository re-runs only the second one, and both come before the project's code.

Names and specifiers never appear in the Dockerfile: they go in a JSON file
(`_brain/r/requirements.json`) that brain.rlang.image_setup reads inside the build.
`repos: [local]` is brain's own CRAN-like repository, copied into the build context (builds
cannot see the host's folders; no server needs to run).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.spec.loader import Project

R_BUILD_DIR = "/opt/brain/build/r"
R_REPOSITORY_DIR = "/opt/brain/build/r-repo"
R_LIBRARY_DIR = "/opt/brain/r-library"
_HERE = Path(__file__).resolve().parent
# brain's files the build runs: (name in the context, file beside this module)
_SCRIPTS = (("setup.py", "image_setup.py"), ("specifiers.py", "specifiers.py"),
            ("install.R", "install.R"), ("probe.R", "probe.R"))
ContextItem = tuple[str, bytes | Path]  # a file of the build context: its name, bytes or source


def dockerfile_lines(project: Project, *, ca_bundle: str | None) -> list[str]:
    """The R steps of the Dockerfile (none without `env.r`)."""
    declared = project.spec.env.r
    if declared is None:
        return []
    ca = f" --ca {ca_bundle}" if ca_bundle else ""
    lines = [
        "",
        "# R (env.r): r-base-core and the Debian r-cran-* packages whose version fits, from the",
        "# base image's package manager.",
        f"COPY _brain/r/ {R_BUILD_DIR}/",
        f"RUN python3 {R_BUILD_DIR}/setup.py system{ca}",
        "# The other R packages, from env.r.repos, into the image's R library.",
    ]
    if "local" in declared.repos:
        lines.append(f"COPY _brain/r-repo/ {R_REPOSITORY_DIR}/")
    lines += [
        f"RUN python3 {R_BUILD_DIR}/setup.py packages{ca}",
        f"ENV R_LIBS={R_LIBRARY_DIR} R_LIBS_USER={R_LIBRARY_DIR}",
    ]
    return lines


def context_files(project: Project) -> list[ContextItem]:
    """The files the R steps read: brain's scripts, the requirements, the local repository."""
    declared = project.spec.env.r
    if declared is None:
        return []
    files: list[ContextItem] = [(f"_brain/r/{name}", _HERE / source)
                                for name, source in _SCRIPTS]
    files.append(("_brain/r/requirements.json", requirements_json(project).encode()))
    if "local" in declared.repos:
        files += _local_repository()
    return files


def requirements_json(project: Project) -> str:
    """What the build installs: each requirement (pinned by a fresh onebrain.r.lock), the
    repositories as the build sees them, the R version and the library folder."""
    from brain.rlang.library import r_inputs
    from brain.rlang.specifiers import SpecifierError, check_name, parse_specifier

    inputs = r_inputs(project.spec, project.root)
    declared = project.spec.env.r
    assert inputs is not None and declared is not None
    requirements = inputs.requirements()
    for name, text in requirements:  # checked at load already; this file goes into a build
        try:
            check_name(name)
            parse_specifier(text)
        except SpecifierError as error:
            raise InvalidInput(f"env.r.packages: {error}") from None
    data = {"format": 1, "version": declared.version, "library": R_LIBRARY_DIR,
            "repos": [_repository_in_build(url) for url in declared.repos],
            "requirements": [list(pair) for pair in requirements]}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _repository_in_build(url: str) -> str:
    from brain.rlang.specifiers import LOCAL_REPOSITORY

    if url == LOCAL_REPOSITORY:
        return f"file://{R_REPOSITORY_DIR}"
    if url.startswith("file:"):
        raise InvalidInput(f"env.r.repos: {url} is a folder of this machine, which an image "
                           "build cannot see",
                           hint="publish the packages to brain's index and write `local`, or "
                           "serve the folder over http(s)")
    return url


def _local_repository() -> list[ContextItem]:
    """brain's CRAN-like repository as context files (plain files only, never a link); an
    empty PACKAGES when nothing was published yet, so R reads an empty repository."""
    from brain.rlang.repository import r_repository_root

    contrib = r_repository_root() / "src" / "contrib"
    found: list[ContextItem] = []
    try:
        names = sorted(os.listdir(contrib))
    except FileNotFoundError:
        names = []
    except OSError as error:
        raise InvalidInput(f"cannot read brain's R repository {contrib}: {error.strerror}"
                           ) from None
    for name in names:
        path = contrib / name
        if name.startswith(".") or not stat.S_ISREG(os.lstat(path).st_mode):
            continue  # lock files, uploads in progress, anything brain did not write
        found.append((f"_brain/r-repo/src/contrib/{name}", path))
    if not any(name.endswith("/PACKAGES") for name, _ in found):
        found.append(("_brain/r-repo/src/contrib/PACKAGES", b""))
    return found

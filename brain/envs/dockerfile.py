"""The generated Dockerfile and .dockerignore of a project image, and the build settings.

The Dockerfile is layered from the least to the most often changed input, so a code-only
change rebuilds only the last layer:

  base image -> build settings (index, CA) -> dispatcher venv -> apt packages
  -> R and its packages (env.r, brain.rlang.image) -> project dependencies (lock, else
  requirement lines) -> image settings (ENV, WORKDIR, ENTRYPOINT) -> brain's source
  -> project code -> provenance labels (added at build time)

The build context is assembled by `brain.envs.docker` as a tar with three parts: the
generated files under `_brain/` (this Dockerfile, requirements, CA bundle, brain's source)
and the project's own files under `project/`. Nothing is written into the project folder.

Settings (environment variables, documented in docs/docker.md):
  BRAIN_DOCKER_BASE_IMAGE  base image when the spec sets none (default python:X.Y-slim)
  BRAIN_DOCKER_NETWORK     network mode of builds (default host)
  BRAIN_DOCKER_CA_BUNDLE   CA bundle passed into builds (default the system bundle; "none")
The host's pip index settings (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST, or the
same keys in pip's config files) are passed as build arguments; local paths are not, since
they do not exist inside the build.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.spec.loader import Project

APP_DIR = "/app"
VENV_DIR = "/opt/venv"
BRAIN_DIR = "/opt/brain"
BUILD_DIR = "/opt/brain/build"
CA_IN_IMAGE = f"{BUILD_DIR}/ca-certificates.crt"
DEFAULT_NETWORK = "host"
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LOCK_FILENAME = "onebrain.lock"

# What never belongs in an image: brain's own state (at any depth, folder or link: a state
# folder a repository committed is never used), environments, caches, VCS metadata.
# Declared outputs of entry points are added per project.
BASE_IGNORES = (
    ".brain", "**/.brain", ".git/", ".hg/", ".svn/", ".venv/", "venv/", ".tox/", ".nox/",
    "**/__pycache__/", "**/*.pyc", "**/*.pyo", ".pytest_cache/", ".mypy_cache/",
    ".ruff_cache/", ".ipynb_checkpoints/", "**/.ipynb_checkpoints/", ".DS_Store",
    "**/.DS_Store", "*.egg-info/", "dist/", "mlruns/", ".dvc/cache/",
)
_APT_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~_-]+)?$")
_IMAGE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}$")  # no space, no newline
_PIP_KEYS = ("index-url", "extra-index-url", "trusted-host")


class BuildSettings(NamedTuple):
    """Machine settings for image builds, read from the environment and pip's config."""

    base_image: str | None = None  # BRAIN_DOCKER_BASE_IMAGE: replaces the default only
    network_mode: str = DEFAULT_NETWORK
    ca_bundle: Path | None = None
    pip_args: dict[str, str] = {}  # noqa: RUF012 (PIP_* build arguments; never changed)

    @classmethod
    def from_environment(cls) -> BuildSettings:
        """The settings of this machine."""
        from brain import settings

        ca_setting = settings.text("BRAIN_DOCKER_CA_BUNDLE") or ""
        ca_bundle: Path | None
        if ca_setting.lower() == "none":
            ca_bundle = None
        elif ca_setting:
            ca_bundle = Path(ca_setting)
            if not ca_bundle.is_file():
                raise InvalidInput(f"BRAIN_DOCKER_CA_BUNDLE={ca_setting}: no such file",
                                   hint="point it at a PEM bundle, or set it to none")
        else:
            ca_bundle = SYSTEM_CA_BUNDLE if SYSTEM_CA_BUNDLE.is_file() else None
        return cls(
            base_image=settings.text("BRAIN_DOCKER_BASE_IMAGE"),
            network_mode=settings.text("BRAIN_DOCKER_NETWORK") or DEFAULT_NETWORK,
            ca_bundle=ca_bundle,
            pip_args=host_pip_settings(),
        )


def host_pip_settings() -> dict[str, str]:
    """The host's pip index settings as PIP_* build arguments (URLs only, no local paths).

    Read the way pip reads them: config files (global, user, PIP_CONFIG_FILE), then the
    environment; the `[install]` section overrides `[global]`.
    """
    import configparser  # only when the settings are read: not on a quick rebuild

    found: dict[str, str] = {}
    for path in _pip_config_files():
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue  # pip would refuse this file too; the build then runs without it
        for section in ("global", "install"):
            for key in _PIP_KEYS:
                if parser.has_option(section, key):
                    found[key] = parser.get(section, key)
    for key in _PIP_KEYS:
        value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
        if value is not None:
            found[key] = value
    args: dict[str, str] = {}
    for key, value in found.items():
        words = value.split()
        if key != "trusted-host":
            words = [w for w in words if w.startswith(("http://", "https://"))]
        if words:
            args["PIP_" + key.upper().replace("-", "_")] = " ".join(words)
    return args


def _pip_config_files() -> list[Path]:
    home = Path.home()
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d] + [Path("/etc/pip.conf")]
    files += [home / ".pip" / "pip.conf",
              Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    return [f for f in files if f.is_file()]


def default_base_image(project: Project, settings: BuildSettings) -> str:
    """The spec's base image, else the machine setting, else python:X.Y-slim."""
    configured = project.spec.env.docker.base_image or settings.base_image
    if configured:
        if not _IMAGE_REFERENCE.fullmatch(configured):
            where = ("env.docker.base_image" if project.spec.env.docker.base_image
                     else "BRAIN_DOCKER_BASE_IMAGE")
            raise InvalidInput(f"{where}: {configured!r} is not an image reference",
                               hint="write e.g. python:3.11-slim or registry:5000/team/py:3.11")
        return configured
    version = project.spec.env.python.version or "{}.{}".format(*sys.version_info[:2])
    return f"python:{'.'.join(version.split('.')[:2])}-slim"


def requirements_text(project: Project) -> str:
    """What the dependency layer installs: the lock when there is one, else the spec's lines.

    The spec's own index settings become pip options at the top of the file.
    """
    python = project.spec.env.python
    lock = project.root / LOCK_FILENAME
    lines: list[str] = []
    if python.index_url:
        lines.append(f"--index-url {python.index_url}")
    lines += [f"--extra-index-url {url}" for url in python.extra_index_urls]
    if lock.is_file():
        lines.append(_read_text(lock, LOCK_FILENAME, project.root))
    else:
        lines += python.requirement_lines()
        if python.requirements:
            lines.append(_read_text(project.root / python.requirements,
                                    f"env.python.requirements ({python.requirements})",
                                    project.root))
    for line in lines:
        if "\x00" in line:
            raise InvalidInput("a requirement contains a NUL byte",
                               hint="fix env.python in onebrain.yml")
    text = "\n".join(line.rstrip("\n") for line in lines)
    return text + "\n" if text else ""


def _read_text(path: Path, what: str, root: Path) -> str:
    """A project file that goes into the build context: never one outside `root` (a symlink
    to ~/.ssh/id_rsa named as the requirements would send the key to the daemon)."""
    from brain.inputfs import InputRefused, contained

    try:
        return contained(path, root).read_text(encoding="utf-8")
    except InputRefused as refused:
        raise InvalidInput(f"{what}: {refused.message}", hint=refused.hint) from None
    except FileNotFoundError:
        raise InvalidInput(f"{what}: {path} does not exist",
                           hint="create the file or remove the setting from onebrain.yml") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{what}: cannot read {path}: {error}") from None


def apt_packages(project: Project) -> list[str]:
    """`env.docker.apt`, each checked to be a Debian package name (optionally `=version`)."""
    packages = list(project.spec.env.docker.apt)
    for package in packages:
        if not _APT_NAME.fullmatch(package):
            raise InvalidInput(
                f"env.docker.apt: {package!r} is not a Debian package name",
                hint="write names such as libgomp1 or curl=7.88.1-10 (lowercase, no spaces)",
            )
    return packages


def dispatcher_requirements() -> str:
    """What the dispatcher's own venv needs: brain's runtime libraries at the host's versions,
    so the image parses specs exactly as the brain that built it."""
    from importlib.metadata import PackageNotFoundError, version

    lines = []
    for name in ("pydantic", "PyYAML", "Jinja2", "packaging"):
        try:
            lines.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def dockerfile_text(project: Project, settings: BuildSettings, *, brain_version: str) -> str:
    """The generated Dockerfile for `project` (what `--print-dockerfile` shows)."""
    import shlex

    spec = project.spec
    base = default_base_image(project, settings)
    has_ca = settings.ca_bundle is not None
    cert = f"PIP_CERT={CA_IN_IMAGE} " if has_ca else ""
    out = [
        f"# Generated by brain {brain_version} for {spec.namespace}/{spec.name} {spec.version}.",
        "# Layers go from the least to the most often changed: a code-only change rebuilds",
        "# only the last one. Show it with `brain build --docker --print-dockerfile`.",
        f"FROM {base}",
        "ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "
        "PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore",
        "",
        "# Build-time only: the host's package index and CA bundle (needed behind a proxy).",
    ]
    out += [f"ARG {name}" for name in sorted(settings.pip_args)]
    if has_ca:
        out.append(f"COPY _brain/ca-certificates.crt {CA_IN_IMAGE}")
    if spec.env.python.version:
        out += ["", "# The base image must carry the Python version the spec asks for.",
                f"RUN {_python_check(spec.env.python.version, base)}"]
    out += [
        "",
        "# The dispatcher's own venv (brain's runtime libraries), apart from the project's.",
        f"COPY _brain/dispatcher-requirements.txt {BUILD_DIR}/dispatcher-requirements.txt",
        f"RUN python3 -m venv {BRAIN_DIR} \\",
        f" && {cert}{BRAIN_DIR}/bin/pip install --quiet "
        f"-r {BUILD_DIR}/dispatcher-requirements.txt \\",
        f" && echo {BRAIN_DIR}/src > \"$({BRAIN_DIR}/bin/python -c "
        "'import sysconfig; print(sysconfig.get_path(\"purelib\"))')/brain-src.pth\" \\",
        # pip is only needed to fill this venv: dropping it saves ~15 MB per image.
        f" && {BRAIN_DIR}/bin/python -m pip uninstall --quiet --yes pip setuptools",
    ]
    packages = apt_packages(project)
    if packages:
        ca_opt = f" -o Acquire::https::CAInfo={CA_IN_IMAGE}" if has_ca else ""
        out += [
            "",
            "# System packages (env.docker.apt).",
            f"RUN apt-get{ca_opt} update \\",
            f" && DEBIAN_FRONTEND=noninteractive apt-get{ca_opt} install -y "
            f"--no-install-recommends {shlex.join(packages)} \\",
            " && rm -rf /var/lib/apt/lists/*",
        ]
    from brain.rlang.image import dockerfile_lines as r_lines

    out += r_lines(project, ca_bundle=CA_IN_IMAGE if has_ca else None)
    out += [
        "",
        f"# Python dependencies ({LOCK_FILENAME} when present, else env.python).",
        f"COPY _brain/requirements.txt {BUILD_DIR}/requirements.txt",
        f"RUN python3 -m venv {VENV_DIR} \\",
        f" && if grep -q '[^[:space:]]' {BUILD_DIR}/requirements.txt; then "
        f"{cert}{VENV_DIR}/bin/pip install --quiet -r {BUILD_DIR}/requirements.txt; fi",
        "",
        # Settings before brain's source: each uncached settings step costs a container.
        f"ENV PATH={VENV_DIR}/bin:$PATH VIRTUAL_ENV={VENV_DIR} BRAIN_PROJECT_DIR={APP_DIR}",
        f"WORKDIR {APP_DIR}",
        "# `docker run IMAGE ENTRY -P k=v`; `docker run IMAGE --help` lists the entry points.",
        f'ENTRYPOINT ["{BRAIN_DIR}/bin/python", "-I", "-m", "brain.dispatch"]',
        "CMD []",
        "",
        "# brain's source, for the dispatcher (copied from the brain that built the image).",
        f"COPY _brain/src/ {BRAIN_DIR}/src/",
        "",
        "# The project's code, last: it is what changes most often.",
        f"COPY project/ {APP_DIR}/",
    ]
    return "\n".join(out) + "\n"


def _python_check(version: str, base: str) -> str:
    wanted = tuple(int(part) for part in version.split("."))
    script = (
        "import sys; "
        f"have = sys.version_info[:{len(wanted)}]; "
        f"sys.exit(0 if have == {wanted!r} else "
        f"'brain: the base image {base} has Python %s, the spec asks for {version}: set "
        "env.docker.base_image or BRAIN_DOCKER_BASE_IMAGE' % '.'.join(map(str, have)))"
    )
    import shlex

    return f"python3 -c {shlex.quote(script)}"


def dockerignore_patterns(project: Project) -> list[str]:
    """What stays out of the build context: brain's defaults, the declared outputs, then the
    project's own .dockerignore (last, so its `!` lines can bring a file back)."""
    patterns = list(BASE_IGNORES)
    for entry in project.spec.entry_points.values():
        patterns += [output for output in entry.outputs if output.strip()]
    own = project.root / ".dockerignore"
    if own.is_file():
        for line in _read_text(own, ".dockerignore", project.root).splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                patterns.append(line.strip())
    return patterns


def dockerignore_text(project: Project) -> str:
    """The .dockerignore brain applies, as a file."""
    return "# Generated by brain: what stays out of the image.\n" + "\n".join(
        dockerignore_patterns(project)) + "\n"


def label_instruction(labels: Mapping[str, str]) -> str:
    """One LABEL line for every label (one build step, where the API's `labels` makes one
    step per label), each value quoted so that no text from the spec is read as syntax."""
    def quoted(value: str) -> str:
        value = " ".join(value.splitlines())
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'

    pairs = " ".join(f"{quoted(key)}={quoted(value)}" for key, value in sorted(labels.items()))
    return f"\n# Provenance, added at build time.\nLABEL {pairs}\n"

"""Every setting brain reads, declared once: its environment variable or config key, its type,
its default and what it means, and one error for a bad value.

Two sources: `BRAIN_*` environment variables (machine and session settings, listed in
ENVIRONMENT with MLflow's own `MLFLOW_TRACKING_*`, which brain reads as MLflow does) and
the user file `config.toml` (keys declared in brain.config.KEYS, written by
`brain config set`). Locations (`BRAIN_HOME`, `BRAIN_STORE`, ...) are declared here and
resolved by brain.paths. `brain config list` shows them all with where each value came from
(brain.config.describe).

Variables brain sets for its own children (BRAIN_RUN_ID, BRAIN_PORT, BRAIN_PROJECT_DIR,
BRAIN_RUN_DIR, BRAIN_CONTAINER_REQUEST) are a protocol, not settings, and are not listed.

This module is imported on every `brain run`: standard library only.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Literal, NamedTuple

from brain.errors import InvalidInput

Kind = Literal["path", "paths", "seconds", "count", "flag", "text", "secret", "store"]
_KIND_WORDS = {
    "path": "a path", "paths": f"paths separated by {os.pathsep!r}",
    "seconds": "a number of seconds (0 or more)", "count": "a whole number (0 or more)",
    "flag": "1/true/yes or 0/false/no",
    "store": "a file path or a postgresql:// URL (its password never shown)",
    "text": "text", "secret": "text (never shown)",
}
_FALSE = ("", "0", "false", "no", "off")
_TRUE = ("1", "true", "yes", "on")


class Variable(NamedTuple):
    """One `BRAIN_*` environment variable."""

    name: str
    kind: Kind
    default: str  # as shown to people ("" = none)
    help: str


ENVIRONMENT: dict[str, Variable] = {v.name: v for v in (
    Variable("BRAIN_HOME", "path", "~/.brain", "Root of brain's user state."),
    Variable("BRAIN_STORE", "store", "BRAIN_HOME/brain.db",
             "The run store: a SQLite file, or postgresql://USER:PASSWORD@HOST/DB for a "
             "shared one (else the `store` setting)."),
    Variable("BRAIN_CONFIG", "path", "BRAIN_HOME/config.toml", "The user settings file."),
    Variable("BRAIN_CACHE_DIR", "path", "BRAIN_HOME/cache",
             "Caches: the package cache, fetched repositories, workspace indexes."),
    Variable("BRAIN_DATA_CACHE", "path", "",
             "A dataset cache shared by projects (default: each project's .brain/data)."),
    Variable("BRAIN_INDEX_DIR", "path", "BRAIN_HOME/index",
             "The local package index `brain publish` writes."),
    Variable("BRAIN_TEMPLATES_PATH", "paths", "",
             "Folders of user templates for `brain generate`, searched after the built-ins."),
    Variable("BRAIN_LOCK_TIMEOUT", "seconds", "900",
             "How long a command waits for a busy project before giving up."),
    Variable("BRAIN_STORE_TIMEOUT", "seconds", "10",
             "How long a write waits for another writer of the run store."),
    Variable("BRAIN_STORE_RETRIES", "count", "5",
             "Attempts at a PostgreSQL store whose connection is lost or refused (then exit 4)."),
    Variable("BRAIN_STORE_RETRY_SECONDS", "seconds", "10",
             "The most time those attempts may take in all (backoff 0.25 s, 0.5 s, 1 s, ...)."),
    Variable("BRAIN_DEBUG", "flag", "0", "Show tracebacks of errors (same as --debug)."),
    Variable("BRAIN_SCHEMA_URL", "text", "",
             "The JSON schema address written into new specs, `{version}` for brain's "
             "version (default: a copy of the schema in the project)."),
    Variable("BRAIN_HUB_SECRET", "secret", "",
             "The secret that signs launch links (`generate-url --sign`, `brain hub`)."),
    Variable("BRAIN_DOCKER_BASE_IMAGE", "text", "",
             "Base image of project images (default: python:X.Y-slim per project)."),
    Variable("BRAIN_DOCKER_NETWORK", "text", "host", "Network mode of image builds."),
    Variable("BRAIN_DOCKER_CA_BUNDLE", "text", "",
             "CA bundle copied into images: a PEM file, or `none` (default: the system's)."),
    Variable("BRAIN_DOCKER_PUBLISH_HOST", "text", "127.0.0.1",
             "The host address a container's app port is published on."),
    Variable("BRAIN_DOCKER_BUILDER", "text", "",
             "`sdk` builds images with the Docker SDK's classic builder instead of BuildKit."),
    Variable("BRAIN_RAY_ADDRESS", "text", "",
             "The Ray cluster of --backend ray (default: the ray_address setting, else "
             "http://127.0.0.1:8265)."),
    Variable("BRAIN_RAY_START_TIMEOUT", "seconds", "600",
             "How long a Ray job may wait for resources and its runtime environment."),
    Variable("BRAIN_REMOTES", "path", "BRAIN_HOME/remotes.json",
             "The remotes `brain remote add` keeps."),
    Variable("BRAIN_SSH_CONFIG", "path", "", "An ssh config file passed to ssh as -F."),
    Variable("BRAIN_CI_MAIN_BRANCH", "text", "main",
             "`brain ci run` publishes libraries and renders reports on this branch only."),
    Variable("BRAIN_CI_SINCE", "text", "",
             "`brain ci run --since` when not given: the base ref (empty = every project)."),
    Variable("BRAIN_CI_BRANCH", "text", "",
             "`brain ci run --branch` when not given (default: the checked-out branch)."),
    Variable("BRAIN_MLFLOW_TIMEOUT", "seconds", "10",
             "How long each request to the MLflow tracking server may take."),
    # MLflow's own variables, read as MLflow reads them (docs/mlflow.md).
    Variable("MLFLOW_TRACKING_URI", "text", "",
             "An MLflow tracking server (http/https): every `brain run` starts an MLflow run "
             "there and hands it to the entry point (default: the mlflow_tracking_uri "
             "setting)."),
    Variable("MLFLOW_TRACKING_TOKEN", "secret", "",
             "Bearer token sent to the MLflow tracking server."),
    Variable("MLFLOW_TRACKING_USERNAME", "text", "",
             "User name sent to the MLflow tracking server (with MLFLOW_TRACKING_PASSWORD)."),
    Variable("MLFLOW_TRACKING_PASSWORD", "secret", "",
             "Password sent to the MLflow tracking server."),
)}


def raw(name: str) -> str:
    """The environment's text for variable `name` ("" when unset); `name` must be declared."""
    if name not in ENVIRONMENT:
        raise KeyError(f"undeclared setting {name}")  # a bug in brain, not a user error
    return os.environ.get(name, "")


def text(name: str) -> str | None:
    """A text variable, stripped; None when unset or blank."""
    value = raw(name).strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise _bad(name, value)
    return value or None


def expand_user(value: str | os.PathLike[str]) -> Path:
    """`value` with a leading `~` or `~user` expanded; left as it is when that user is
    unknown (pathlib's expanduser raises RuntimeError there: a traceback for a typo)."""
    return Path(os.path.expanduser(os.fspath(value)))


def path(name: str) -> Path | None:
    """A path variable (`~` expanded); None when unset."""
    value = text(name)
    return expand_user(value) if value else None


def paths(name: str) -> list[Path]:
    """A list-of-paths variable, in order; blank parts are skipped."""
    return [expand_user(part) for part in raw(name).split(os.pathsep) if part.strip()]


def seconds(name: str) -> float:
    """A duration variable; its declared default when unset; InvalidInput when not a finite
    number of seconds, 0 or more."""
    value = raw(name).strip() or ENVIRONMENT[name].default
    try:
        number = float(value)
    except ValueError:
        raise _bad(name, value) from None
    if not (number >= 0 and math.isfinite(number)):
        raise _bad(name, value)
    return number


def count(name: str) -> int:
    """A whole-number variable; its declared default when unset; InvalidInput otherwise."""
    value = raw(name).strip() or ENVIRONMENT[name].default
    if not value.isdigit() or len(value) > 9:
        raise _bad(name, value)
    return int(value)


def flag(name: str) -> bool:
    """A yes/no variable; InvalidInput for anything but the usual spellings."""
    value = raw(name).strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise _bad(name, value)


def _bad(name: str, value: str) -> InvalidInput:
    variable = ENVIRONMENT[name]
    return InvalidInput(f"{name} must be {_KIND_WORDS[variable.kind]}, got {value[:80]!r}",
                        hint=f"{name}: {variable.help} Unset it for the default"
                        + (f" ({variable.default})." if variable.default else "."))


# Set by brain for its own children (entry points, installers, apps): a protocol they read,
# not a setting a user changes, so `brain config list` does not show them.
PROTOCOL = frozenset({
    "BRAIN_RUN_ID", "BRAIN_PORT", "BRAIN_PROJECT_DIR", "BRAIN_CONTAINER_REQUEST", "BRAIN_DIR",
    "BRAIN_RUN_DIR",  # the run's own folder (outputs, metrics) under .brain/runs/<id>
    "BRAIN_BASE_PATH",  # the path prefix the hub serves an app under
    "BRAIN_APP_HOST",  # the address an app listens on (0.0.0.0 inside a container)
    "BRAIN_BUILD_FOLDER",  # the build an installer writes (stops leftovers of a killed brain)
    "BRAIN_PARAM_TYPES",  # r entry points: parameter types for brain.R (plus BRAIN_PARAM_<name>)
    "BRAIN_R_LIB", "BRAIN_R_REPOS", "BRAIN_R_PINNED", "BRAIN_R_PACKAGES", "BRAIN_R_CONTRIB",
    "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID",  # the MLflow run brain started (mlflow_link)
})

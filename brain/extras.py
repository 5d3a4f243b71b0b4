"""Optional parts of brain, installed as extras (`pip install 'brain-cli[hub]'`).

The core install carries what validate, setup-deps, run and runs need; the Docker SDK, the
hub's web server and the publishing tools come with extras. A command that needs one calls
`require_extra` first, so a missing extra is one line naming it, never an ImportError.
"""

from __future__ import annotations

from importlib.util import find_spec

from brain.errors import EnvironmentFailure

DISTRIBUTION = "brain-cli"

# extra -> the top-level modules it provides (as pyproject.toml's optional-dependencies say)
EXTRAS: dict[str, tuple[str, ...]] = {
    "data": ("dvc_data", "dvc_objects", "sshfs", "s3fs"),
    "docker": ("docker",),
    "hub": ("fastapi", "uvicorn"),
    "postgres": ("psycopg",),
    "publish": ("twine", "hatchling"),
    "ray": ("ray",),
    "r": ("debian",),
}


class MissingExtra(EnvironmentFailure):
    """A command needs an extra that is not installed (exit 3)."""


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here."""
    return [module for module in EXTRAS[extra] if find_spec(module) is None]


def require_extra(extra: str, user: str) -> None:
    """Raise MissingExtra ("`user` needs the 'extra' extra: pip install ...") if it is absent.

    `user` names what needs it, as the user knows it: "brain hub", "the docker backend".
    """
    if missing_modules(extra):
        raise MissingExtra(f"{user} needs the {extra!r} extra: "
                           f"pip install '{DISTRIBUTION}[{extra}]'")

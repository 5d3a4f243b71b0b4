"""What the user answered, the names derived from it, and the answers file that records it."""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.spec.schema import schema_location

ANSWERS_FILE = ".brain-answers.yml"
_NAME_HINT = ("use lowercase letters, digits, '-', '_' or '.', starting and ending with a "
              "letter or digit (at most 64 characters), e.g. churn-model")


def check_name(value: str, *, what: str = "name") -> str:
    """`value` if it is a valid project name or namespace (the spec's slug rule)."""
    from brain.spec.models import NAME_PATTERN

    if not re.fullmatch(NAME_PATTERN, value):
        close = slugify(value)
        guess = f" (did you mean {close!r}?)" if close and re.fullmatch(NAME_PATTERN, close) \
            else ""
        raise InvalidInput(f"invalid {what} {value!r}{guess}", hint=_NAME_HINT)
    return value


def slugify(text: str) -> str:
    """A best-effort project name from free text (a folder name, say)."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower())
    return re.sub(r"^[^a-z0-9]+|[^a-z0-9]+$", "", slug)[:64]


def package_name(name: str) -> str:
    """The Python package/module name for a project name: `churn-model` -> `churn_model`."""
    identifier = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "project"
    if identifier[0].isdigit():
        identifier = "p_" + identifier
    if keyword.iskeyword(identifier) or identifier in sys.stdlib_module_names:
        identifier += "_project"
    return identifier


def current_python_version() -> str:
    """The running interpreter's version as the spec writes it ("3.11")."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Answers:
    """The answers a project is generated from; built-in ones are validated on creation."""

    name: str
    namespace: str = "default"
    description: str = ""
    author: str = ""
    python_version: str = field(default_factory=current_python_version)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name(self.name)
        check_name(self.namespace, what="namespace")
        for what, value in (("description", self.description), ("author", self.author)):
            if "\n" in value or "\r" in value:
                raise InvalidInput(f"the {what} must be a single line")
        if not re.fullmatch(r"3\.\d{1,2}(\.\d{1,2})?", self.python_version):
            raise InvalidInput(f"invalid python_version {self.python_version!r}",
                               hint='write a Python version like "3.11"')

    def context(self, template: str) -> dict[str, Any]:
        """The names a template can use."""
        return {
            **dict(self.extra),
            "name": self.name,
            "namespace": self.namespace,
            "description": self.description or f"The {self.name} project.",
            "author": self.author,
            "python_version": self.python_version,
            "package": package_name(self.name),
            "title": title(self.name),
            "schema_url": schema_location(),
            "template": template,
        }

    def as_dict(self) -> dict[str, Any]:
        """Every answer, for the answers file."""
        return {"name": self.name, "namespace": self.namespace, "description": self.description,
                "author": self.author, "python_version": self.python_version,
                **{key: _plain(value) for key, value in self.extra.items()}}


def title(name: str) -> str:
    """`churn-model` -> `Churn Model`."""
    return " ".join(word.capitalize() for word in re.split(r"[-_.]+", name) if word)


def default_author() -> str:
    """`Name <email>` from git config, or "" when git or the settings are missing."""
    from brain.vcs.verbs import user_setting

    name, email = user_setting("user.name"), user_setting("user.email")
    if name and email:
        return f"{name} <{email}>"
    return name or email


def write_answers_file(root: Path, *, origin: Mapping[str, Any], answers: Answers) -> Path:
    """Write `.brain-answers.yml`: where the project came from and what was answered."""
    import yaml

    from brain import __version__

    record = {
        "origin": {key: _plain(value) for key, value in origin.items() if value is not None},
        "answers": answers.as_dict(),
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "brain_version": __version__,
    }
    path = root / ANSWERS_FILE
    header = ("# Written by `brain generate`: where this project came from and the answers it\n"
              "# was generated with, so it can be updated from its origin later. Keep it.\n")
    path.write_text(header + yaml.safe_dump(record, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

"""The `data:` section of onebrain.yml: datasets kept out of git and the remotes holding them.

A dataset is a file or a folder inside the project; git holds its pointer file
(`<path>.dvc`, as DVC writes it) and the bytes live in a cache and on a remote. Remote
URLs name where, never who: credentials come from the environment (AWS_* variables, the
ssh agent, keys and ssh config), so a spec can be shared as it is.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

# Dataset and remote names: printed in tables, used in messages and run records.
DATA_NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$"
_SCHEMES = ("ssh", "s3")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def dataset_path_problem(value: str) -> str | None:
    """Why `value` cannot be a dataset path (relative, inside the project), or None."""
    if not value or value != value.strip() or "\x00" in value or "\\" in value:
        return "expected a relative path inside the project, like data/train.csv"
    if any(not char.isprintable() for char in value):
        return "the path holds a control character"
    pure = PurePosixPath(value)
    if pure.is_absolute() or value.startswith("~"):
        return "the path is absolute; give it relative to the project folder"
    if ".." in pure.parts:
        return "the path leads out of the project ('..')"
    if not pure.parts or pure.parts[0] in (".", ".brain", ".git") or value.endswith(".dvc"):
        return "the path must name a file or folder of the project (not .brain, .git or a .dvc)"
    return None


def _dataset_shorthand(value: Any) -> Any:
    """`train: data/train.csv` means `train: {path: data/train.csv}`."""
    return {"path": value} if isinstance(value, str) else value


class Dataset(_Model):
    """A file or folder tracked by content hash; its pointer file `<path>.dvc` is in git."""

    path: str = Field(description="A file or folder inside the project, e.g. data/train.csv.")
    remote: str | None = Field(
        None, description="The remote it is pushed to and pulled from (default: the only "
        "remote, or the one named `default`).")

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        problem = dataset_path_problem(value)
        if problem:
            raise ValueError(problem)
        return PurePosixPath(value).as_posix()


def remote_url_problem(url: str) -> str | None:
    """Why `url` cannot be a remote (a folder, ssh://user@host[:port]/path, s3://bucket/x)."""
    if not url or url != url.strip() or any(not char.isprintable() for char in url):
        return "expected a folder path, ssh://user@host:port/path or s3://bucket/prefix"
    if "://" not in url:
        return None  # a folder: absolute, or relative to the project folder
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        return f"unknown scheme {parts.scheme!r}; use a folder, ssh:// or s3://"
    if parts.password is not None:
        return "the URL holds a password; credentials never go in the spec (use an ssh key " \
               "or agent, or AWS_* environment variables)"
    host = parts.hostname or ""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", host):
        return "the URL names no valid host (or bucket)"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "the URL's port is not a number"
    if parts.query or parts.fragment:
        return "the URL may not have a query or fragment"
    if parts.scheme == "ssh" and not parts.path.startswith("/"):
        return "an ssh remote needs an absolute path: ssh://user@host:port/srv/data"
    return None


class Remote(_Model):
    """Where datasets are stored: a folder, an SSH host or an S3-compatible bucket."""

    url: str = Field(description="A folder (absolute, or relative to the project), "
                     "ssh://user@host:port/path or s3://bucket/prefix. Never credentials.")
    endpoint_url: str | None = Field(
        None, description="s3: the endpoint of an S3-compatible server (MinIO, Ceph...).")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = remote_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.password:
                raise ValueError("expected an http(s) URL without credentials, like "
                                 "https://storage.example.com")
        return value

    @model_validator(mode="after")
    def _endpoint_for_s3(self) -> Remote:
        if self.endpoint_url is not None and not self.url.startswith("s3://"):
            raise ValueError("endpoint_url is for s3:// remotes only")
        return self

    @property
    def kind(self) -> str:
        """folder, ssh or s3."""
        return self.url.split("://", 1)[0] if "://" in self.url else "folder"


DatasetEntry = Annotated[Dataset, BeforeValidator(_dataset_shorthand,
                                                  json_schema_input_type=str | Dataset)]


class DataSection(_Model):
    """Datasets stored apart from git (`brain data add|push|pull|status`; docs/data.md)."""

    datasets: dict[str, DatasetEntry] = Field(
        default_factory=dict,
        description="Dataset name -> {path, remote} (or just the path).",
        json_schema_extra={"propertyNames": {"pattern": DATA_NAME_PATTERN}})
    remotes: dict[str, Remote] = Field(
        default_factory=dict, description="Remote name -> {url, endpoint_url}.",
        json_schema_extra={"propertyNames": {"pattern": DATA_NAME_PATTERN}})

    @field_validator("datasets", "remotes")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not re.fullmatch(DATA_NAME_PATTERN, name):
                raise ValueError(f"{name!r} is not a valid name: use letters, digits, '.', "
                                 "'_' and '-', starting and ending with a letter or digit")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DataSection:
        seen: dict[str, str] = {}
        for name, dataset in self.datasets.items():
            if dataset.remote is not None and dataset.remote not in self.remotes:
                known = ", ".join(self.remotes) or "none declared"
                raise ValueError(f"dataset {name!r} names the remote {dataset.remote!r}, which "
                                 f"is not under data.remotes ({known})")
            for other_path, other in seen.items():
                if _overlap(dataset.path, other_path):
                    raise ValueError(f"datasets {other!r} and {name!r} overlap "
                                     f"({other_path}, {dataset.path})")
            seen[dataset.path] = name
        return self

    def remote_of(self, name: str) -> str | None:
        """The remote dataset `name` uses: its own, the only one, or the one named default."""
        remote = self.datasets[name].remote
        if remote is not None:
            return remote
        if len(self.remotes) == 1:
            return next(iter(self.remotes))
        return "default" if "default" in self.remotes else None


def _overlap(a: str, b: str) -> bool:
    first, second = PurePosixPath(a).parts, PurePosixPath(b).parts
    shortest = min(len(first), len(second))
    return first[:shortest] == second[:shortest]


__all__ = ["DataSection", "Dataset", "Remote"]

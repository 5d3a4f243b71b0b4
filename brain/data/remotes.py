"""Remotes as object stores: a folder, an SSH host (sshfs) or an S3-compatible bucket (s3fs).

Each is an fsspec filesystem behind dvc-objects' FileSystem, holding a dvc-data object
database laid out as DVC 3 lays out its remotes (`<remote>/files/md5/ab/cdef...`): a DVC
user can `dvc pull` from a remote brain pushed to. Credentials come from where the
libraries look for them (the ssh agent, keys and `BRAIN_SSH_CONFIG`; AWS_* variables and
~/.aws), never from the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from brain.data.launch_policy import check_remote_allowed
from brain.errors import EnvironmentFailure, InvalidInput

if TYPE_CHECKING:
    from dvc_data.hashfile.db import HashFileDB

    from brain.spec.data_models import Remote

HASH_NAME = "md5"
OBJECTS = ("files", "md5")  # DVC 3's object folder under a cache or a remote


class RemoteUnavailable(EnvironmentFailure):
    """A remote could not be reached or used (exit 3)."""


def open_remote(name: str, remote: Remote, root: Path) -> HashFileDB:
    """The object database of remote `name` (folders relative to the project `root`)."""
    from brain.extras import require_extra

    require_extra("data", "brain data")
    check_remote_allowed(name, remote.url)
    kind = remote.kind
    if kind == "folder":
        return _folder(remote.url, root)
    if kind == "ssh":
        return _ssh(name, remote.url)
    return _s3(name, remote)


def _folder(url: str, root: Path) -> HashFileDB:
    from dvc_data.hashfile.db import get_odb
    from dvc_objects.fs.local import LocalFileSystem

    from brain.settings import expand_user

    folder = expand_user(url)
    folder = folder if folder.is_absolute() else root / folder
    path = Path(folder, *OBJECTS).absolute()
    return get_odb(LocalFileSystem(), str(path), hash_name=HASH_NAME)


def _ssh(name: str, url: str) -> HashFileDB:
    from dvc_data.hashfile.db import HashFileDB

    from brain.data.sshfs_atomic import AtomicSSHFileSystem
    from brain.settings import path as setting_path

    parts = urlsplit(url)
    options: dict[str, Any] = {"skip_instance_cache": True}
    if parts.port is not None:
        options["port"] = parts.port
    if parts.username:
        options["username"] = parts.username
    config = setting_path("BRAIN_SSH_CONFIG")
    if config is not None:
        options["config"] = [str(config)]  # asyncssh reads OpenSSH's config format
    try:
        fs = AtomicSSHFileSystem(parts.hostname, **options)
    except Exception as error:  # asyncssh raises many types, all meaning "cannot connect"
        raise RemoteUnavailable(f"remote {name!r}: cannot connect to {parts.hostname}: "
                                f"{_reason(error)}",
                                hint="check the host, your ssh key or agent, and "
                                "BRAIN_SSH_CONFIG") from None
    base = _object_path(parts.path)
    return HashFileDB(_wrap(fs, "ssh"), base, hash_name=HASH_NAME)


def _s3(name: str, remote: Remote) -> HashFileDB:
    from dvc_data.hashfile.db import HashFileDB
    from s3fs import S3FileSystem

    parts = urlsplit(remote.url)
    options: dict[str, Any] = {"skip_instance_cache": True}
    if remote.endpoint_url:
        options["client_kwargs"] = {"endpoint_url": remote.endpoint_url}
    fs = S3FileSystem(**options)
    base = _object_path(f"{parts.hostname}{parts.path}")
    return HashFileDB(_wrap(fs, "s3"), base, hash_name=HASH_NAME)


def _object_path(path: str) -> str:
    return "/".join([path.rstrip("/"), *OBJECTS])


def _wrap(fs: Any, protocol: str) -> Any:
    """An fsspec filesystem as dvc-objects' FileSystem (what dvc-data's databases take)."""
    from dvc_objects.fs.base import FileSystem

    class Wrapped(FileSystem):
        PARAM_CHECKSUM = HASH_NAME

    wrapped = Wrapped(fs=fs)
    wrapped.protocol = protocol
    return wrapped


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def remote_error(name: str, error: BaseException) -> RemoteUnavailable:
    """A transfer failure on remote `name` as one line."""
    return RemoteUnavailable(f"remote {name!r}: {_reason(error)}")


def check_remote_url(url: str) -> None:
    """InvalidInput when `url` is not a usable remote URL (the spec's rule)."""
    from brain.spec.data_models import remote_url_problem

    problem = remote_url_problem(url)
    if problem:
        raise InvalidInput(f"remote URL {url!r}: {problem}")

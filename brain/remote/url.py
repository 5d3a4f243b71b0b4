"""`ssh://[user@]host[:port][/path]` remote URLs, parsed strictly.

A remote URL ends up in ssh and rsync argv, so every part is checked against a narrow
grammar: a host or user that starts with `-` (`-oProxyCommand=...`) or holds whitespace or
control characters is refused, and brain still passes `--` before the host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from brain.errors import InvalidInput

DEFAULT_PORT = 22
DEFAULT_PARENT = "brain-projects"  # home-relative folder a remote without a path uses

_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]{2,45}\]")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,31}")
_PORT = re.compile(r"[0-9]{1,5}")
_URL = re.compile(r"ssh://(?:(?P<user>[^@/]*)@)?(?P<host>\[[^\]/]*\]|[^:/]*)"
                  r"(?::(?P<port>[^/]*))?(?P<path>/.*)?", re.DOTALL)
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
MAX_PATH = 1024
EXAMPLE = "ssh://user@box.example.com:2222/srv/projects/demo"


@dataclass(frozen=True)
class RemoteUrl:
    """A checked remote: host, optional user, port, and the folder there (absolute, or
    relative to the remote user's home; None = `brain-projects/<project name>`)."""

    host: str
    user: str | None = None
    port: int = DEFAULT_PORT
    path: str | None = None

    @property
    def destination(self) -> str:
        """`user@host` or `host`, as shown to people (argv passes `-l user` separately)."""
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def ssh_host(self) -> str:
        """The host as ssh and rsync take it (no IPv6 brackets)."""
        return self.host[1:-1] if self.host.startswith("[") else self.host

    def folder(self, project_name: str) -> str:
        """The project's folder on the remote."""
        return self.path if self.path is not None else f"{DEFAULT_PARENT}/{project_name}"

    def __str__(self) -> str:
        port = f":{self.port}" if self.port != DEFAULT_PORT else ""
        path = ""
        if self.path is not None:
            path = self.path if self.path.startswith("/") else f"/~/{self.path}"
        return f"ssh://{self.destination}{port}{path}"


def parse_remote_url(text: str) -> RemoteUrl:
    """Check `text` and return its parts; InvalidInput (exit 2) says what is wrong."""
    if not isinstance(text, str) or not text.startswith("ssh://"):
        raise _bad(text, "it must start with ssh://")
    if any(ord(ch) < 32 or ord(ch) == 127 or ch.isspace() for ch in text):
        raise _bad(text, "it contains whitespace or control characters")
    found = _URL.fullmatch(text)
    if found is None:
        raise _bad(text, "it is not ssh://[user@]host[:port][/path]")
    user, host, port_text, path = found.group("user", "host", "port", "path")
    if user is not None and not _USER.fullmatch(user):
        raise _bad(text, f"user {user!r} is not a valid user name")
    if not (_HOST_NAME.fullmatch(host) or _IPV6.fullmatch(host)):
        raise _bad(text, f"host {host!r} is not a host name or IP address")
    port = DEFAULT_PORT
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            raise _bad(text, f"port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    return RemoteUrl(host=host, user=user, port=port, path=_remote_folder(text, path))


def _remote_folder(text: str, path: str | None) -> str | None:
    """`/abs` stays absolute; `/~/rel` is relative to the remote home; `/` or none = default."""
    if path is None or path in ("/", "/~", "/~/"):
        return None
    if len(path) > MAX_PATH:
        raise _bad(text, f"the path is longer than {MAX_PATH} characters")
    relative = path.startswith("/~/")
    body = path[3:] if relative else path
    parts = [part for part in body.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise _bad(text, "the path must not contain '..'")
    if any(part.startswith("~") for part in parts):
        raise _bad(text, "only a leading /~/ may name the home folder")
    if not parts:
        return None
    joined = "/".join(parts)
    return joined if relative else f"/{joined}"


def check_remote_name(name: str) -> str:
    """A remote's name: a lowercase slug (a-z, 0-9, `-`, `_`, `.`)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(f"remote name {name!r} is not a lowercase slug",
                           hint="use a-z, 0-9, '-', '_', '.', starting and ending with a letter "
                           "or digit, e.g. `gpu-box`")
    return name


def check_project_path(text: str) -> str:
    """A path inside the project as given on the command line: relative, no `..`, not an
    option, no control characters. Returns it normalised with `/` separators."""
    if not isinstance(text, str) or not text or len(text) > MAX_PATH:
        raise InvalidInput(f"path {text!r} must be a non-empty path inside the project")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidInput(f"path {text!r} contains control characters")
    pure = PurePosixPath(text.replace("\\", "/"))
    if pure.is_absolute() or text.startswith("~"):
        raise InvalidInput(f"path {text!r} is absolute; give a path inside the project",
                           hint="e.g. `brain remote pull box models/model.pkl`")
    if ".." in pure.parts:
        raise InvalidInput(f"path {text!r} leaves the project ('..')")
    parts = [part for part in pure.parts if part != "."]
    if not parts:
        raise InvalidInput(f"path {text!r} names the whole project; leave PATHS out for that")
    if parts[0] == ".brain" or parts[0] == ".git":
        raise InvalidInput(f"path {text!r} is brain's or git's own state and is never copied")
    normalised = "/".join(parts)
    if normalised.startswith("-"):
        normalised = f"./{normalised}"  # never an option, whatever reads it
    return normalised


def _bad(text: object, why: str) -> InvalidInput:
    shown = repr(text) if len(repr(text)) <= 200 else repr(text)[:200] + "..."
    return InvalidInput(f"remote URL {shown} is not accepted: {why}",
                        hint=f"use ssh://[user@]host[:port][/path], e.g. {EXAMPLE}")

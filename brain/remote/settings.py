"""The remotes a user added, kept in `BRAIN_HOME/remotes.json` (`BRAIN_REMOTES` overrides).

Its own small file, written atomically (temporary file + rename), so that editing remotes
never races with other user settings; a hand-edited file is checked field by field.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from brain import paths
from brain.errors import InvalidInput
from brain.remote.url import RemoteUrl, check_remote_name, parse_remote_url

DEFAULT_BRAIN = "brain"
_MAX_BYTES = 1 << 20
_FIELDS = {"url", "brain", "identity"}


@dataclass(frozen=True)
class Remote:
    """One remote: its name, URL, the brain command there, and an optional local key file."""

    name: str
    url: RemoteUrl
    brain: str = DEFAULT_BRAIN
    identity: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the URL as text)."""
        data = asdict(self)
        data["url"] = str(self.url)
        return data


def remotes_path() -> Path:
    """The remotes file: `BRAIN_REMOTES`, default `BRAIN_HOME/remotes.json`."""
    return Path(os.environ.get("BRAIN_REMOTES") or paths.brain_home() / "remotes.json")


def check_brain_command(value: str) -> str:
    """The brain command on the remote: a path or name, never an option or shell syntax."""
    if (not value or value.startswith("-") or len(value) > 1024
            or any(ord(ch) < 33 or ord(ch) == 127 for ch in value)):
        raise InvalidInput(f"remote brain command {value!r} must be a path or command name "
                           "without spaces, not starting with '-'",
                           hint="e.g. --brain /opt/brain/bin/brain")
    return value


def load_remotes() -> dict[str, Remote]:
    """Every remote in the file, by name; {} when there is no file."""
    path = remotes_path()
    try:
        with path.open("rb") as stream:
            raw = stream.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise InvalidInput(f"{path} is larger than {_MAX_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path} is not valid JSON: {error}",
                           hint="fix or delete the file; `brain remote add` rewrites it") from None
    entries = data.get("remotes") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise InvalidInput(f"{path} must hold {{\"remotes\": {{NAME: {{\"url\": ...}}}}}}")
    return {name: _remote_of(path, name, entry) for name, entry in entries.items()}


def get_remote(name: str) -> Remote:
    """The remote called `name`, or InvalidInput naming the ones there are."""
    remotes = load_remotes()
    if name not in remotes:
        known = ", ".join(sorted(remotes)) or "none yet"
        raise InvalidInput(f"no remote named {name!r} (known: {known})",
                           hint="add one: brain remote add NAME ssh://user@host/path")
    return remotes[name]


def add_remote(remote: Remote, *, replace: bool = False) -> None:
    """Save `remote`; an existing name is refused unless `replace`."""
    remotes = load_remotes()
    if remote.name in remotes and not replace:
        raise InvalidInput(f"a remote named {remote.name!r} already exists "
                           f"({remotes[remote.name].url})",
                           hint="pass --replace to change it, or `brain remote remove` it")
    remotes[remote.name] = remote
    _save(remotes)


def remove_remote(name: str) -> Remote:
    """Forget remote `name` and return what it was."""
    remotes = load_remotes()
    removed = remotes.pop(name, None)
    if removed is None:
        raise InvalidInput(f"no remote named {name!r}")
    _save(remotes)
    return removed


def _remote_of(path: Path, name: object, entry: object) -> Remote:
    where = f"{path}: remotes.{name}"
    if not isinstance(name, str) or not isinstance(entry, dict):
        raise InvalidInput(f"{where} must be an object with a url")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise InvalidInput(f"{where}: unknown key {sorted(unknown)[0]!r} "
                           f"(allowed: {', '.join(sorted(_FIELDS))})")
    url, brain, identity = entry.get("url"), entry.get("brain", DEFAULT_BRAIN), \
        entry.get("identity")
    if not isinstance(url, str) or not isinstance(brain, str) or \
            not isinstance(identity, str | None):
        raise InvalidInput(f"{where}: url, brain and identity must be strings")
    try:
        return Remote(check_remote_name(name), parse_remote_url(url),
                      check_brain_command(brain), identity)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error.message}", hint=error.hint) from None


def _save(remotes: dict[str, Remote]) -> None:
    data = {"remotes": {name: {key: value for key, value in remote.as_dict().items()
                               if key != "name" and value is not None}
                        for name, remote in sorted(remotes.items())}}
    path = remotes_path()
    from brain.statefs import write_atomic  # the one atomic writer (never through a link)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, indent=2) + "\n")
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror}") from None

"""Names and sizes the Docker backend checks: repositories, tags, registries, memory limits.

Pure text functions (no docker SDK), so `--tag`, `--push` and `hardware.memory` are refused
with a clear message before any daemon is reached.
"""

from __future__ import annotations

import re

from brain.errors import InvalidInput

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
                         r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_REGISTRY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?"
                       r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_MEMORY_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
                 "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def repository_name(namespace: str, name: str) -> str:
    """`namespace/name` made into a valid Docker repository (lowercase, clean separators)."""
    def clean(part: str) -> str:
        part = re.sub(r"[._-]{2,}", lambda m: m.group() if set(m.group()) == {"-"} or
                      m.group() == "__" else "-", part.lower())
        return part.strip("._-") or "x"

    return f"{clean(namespace)}/{clean(name)}"


def tag_text(version: str) -> str:
    """A PEP 440 version as a Docker tag (`1.0+local` -> `1.0-local`)."""
    text = re.sub(r"[^A-Za-z0-9_.-]", "-", version)
    return text if _TAG.fullmatch(text) else "v" + text[:127]


def parse_reference(text: str, default_repository: str) -> str:
    """A `--tag` value: a bare tag (`latest`) or a full `repository:tag`; checked."""
    text = text.strip()
    repository, colon, tag = text.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = default_repository, text
    if not _TAG.fullmatch(tag) or not _valid_repository(repository):
        raise InvalidInput(f"{text!r} is not a valid image tag",
                           hint="write a tag such as latest, or repository:tag in lowercase")
    return f"{repository}:{tag}"


def parse_registry(text: str) -> str:
    """A `--push` target, checked: host[:port][/path]."""
    registry = text.strip().rstrip("/")
    if not _REGISTRY.fullmatch(registry):
        raise InvalidInput(f"{text!r} is not a registry address",
                           hint="write host[:port][/path], e.g. registry.example.com:5000/team")
    return registry


def _valid_repository(repository: str) -> bool:
    first, slash, rest = repository.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):  # a registry host
        return bool(_REGISTRY.fullmatch(first)) and bool(_REPOSITORY.fullmatch(rest))
    return bool(_REPOSITORY.fullmatch(repository))


def memory_bytes(text: str) -> int:
    """`hardware.memory` in bytes: 4Gi = 4 * 2**30, 4G = 4 * 10**9, 512Mi, 1024 (bytes)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?)?[bB]?", text.strip())
    if match is None:
        raise InvalidInput(f"hardware.memory: {text!r} is not a size", hint='write e.g. "4Gi"')
    return int(float(match.group(1)) * _MEMORY_UNITS[(match.group(2) or "").lower()])


LABEL = "brain"  # every label brain sets starts with "brain."


def image_tags(repository: str, version_tag: str, commit: str | None,
               dirty: bool | None) -> list[str]:
    """`repository:version`, then `repository:<short sha>` (`-dirty` when uncommitted)."""
    found = [f"{repository}:{version_tag}"]
    if commit is not None:
        found.append(f"{repository}:{commit[:12]}{'-dirty' if dirty else ''}")
    return found


def revision_labels(commit: str | None, dirty: bool | None, identity: str,
                    env_identity: str) -> dict[str, str]:
    """The labels that change from build to build: the code's state and the identities."""
    return {
        "org.opencontainers.image.revision": commit or "",
        f"{LABEL}.commit": commit or "",
        f"{LABEL}.dirty": "" if dirty is None else str(dirty).lower(),
        f"{LABEL}.identity": identity,
        f"{LABEL}.env-identity": env_identity,
    }

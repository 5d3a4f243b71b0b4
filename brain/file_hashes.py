"""Content hashes of a run's declared files (inputs, outputs, a notebook).

Kept apart from the runner so entry point types and the run cache hash files the same way
without importing the run core.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _hashlib import HASH
    from collections.abc import Callable

_HASH_CHUNK = 1 << 20


def small_sha256(data: bytes = b"") -> HASH:
    """A sha256 object for the few bytes of a stamp or a cache key, from Python's own
    implementation: importing hashlib loads OpenSSL, about 3 ms of every `brain run` and
    `brain setup-deps`. Same digests; files go to hashlib (`hash_files`), faster on large data.
    """
    return _builtin_sha256()(data)


@cache
def _builtin_sha256() -> Callable[[bytes], HASH]:
    from importlib import import_module

    for name in ("_sha2", "_sha256"):  # Python 3.12+, 3.11
        try:
            constructor: Callable[[bytes], HASH] = import_module(name).sha256
        except (ImportError, AttributeError):
            continue
        return constructor
    from hashlib import sha256  # a Python built without its own hashes

    return sha256


def hash_files(root: Path, relative: tuple[str, ...] | list[str]) -> dict[str, str | None]:
    """sha256 of each declared file under `root` (None when missing; folders hash their files)."""
    import hashlib  # OpenSSL's: these files may be large (and most runs declare none)

    hashes: dict[str, str | None] = {}
    for name in relative:
        target = root / name
        if target.is_file():
            hashes[name] = _sha256(target)
        elif target.is_dir():
            digest = hashlib.sha256()
            for path in sorted(p for p in target.rglob("*") if p.is_file()):
                digest.update(path.relative_to(target).as_posix().encode() + b"\0")
                digest.update(_sha256(path).encode())
            hashes[name] = digest.hexdigest()
        else:
            hashes[name] = None
    return hashes


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sizes(root: Path, relative: tuple[str, ...] | list[str]) -> dict[str, int | None]:
    """Bytes of each declared file under `root` (folders: of their files; None when missing)."""
    sizes: dict[str, int | None] = {}
    for name in relative:
        target = root / name
        if target.is_file():
            sizes[name] = target.stat().st_size
        elif target.is_dir():
            sizes[name] = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        else:
            sizes[name] = None
    return sizes

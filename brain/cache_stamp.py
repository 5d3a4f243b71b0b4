"""The one rule deciding when a cache of validated specs is stale, and its file format.

A cached result of validation (the run path's spec snapshot, the environment's requirement
plan, a workspace's project index) is reused only while brain would validate the same way:
same brain version, same code of the spec models and entry point types, same registered
entry point types (a type added at run time makes `type: x` valid in that process only).
Each cache also keys its record by the content it was computed from; that check is its own.
Files are written whole (temporary file, then rename); a cache that cannot be read or
written only costs speed.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

FORMAT = 1  # bump when the record layout below changes
_VALIDATING_PACKAGES = ("spec", "entrypoints")


# validation_stamp() by the registered type names. The files are read once a process: its
# code is what it imported then, and one `brain run` asks two or three caches.
_stamps: dict[str, str] = {}


def validation_stamp() -> str:
    """Changes whenever brain could validate a spec differently."""
    from brain.entrypoints import type_names

    also = ",".join(type_names())
    stamp = _stamps.get(also)
    if stamp is None:
        package = os.path.dirname(os.path.realpath(__file__))
        # An edited checkout of brain (same version) validates differently too.
        sources = tuple(f"{folder}/{name}" for folder in _VALIDATING_PACKAGES
                        for name in sorted(_python_files(os.path.join(package, folder))))
        stamp = _stamps[also] = files_stamp(sources, also=also)
    return stamp


def _python_files(folder: str) -> list[str]:
    try:
        return [name for name in os.listdir(folder) if name.endswith(".py")]
    except OSError:
        return []


def files_stamp(sources: tuple[str, ...], *, also: str = "") -> str:
    """Changes with brain's version, with `also`, and whenever one of `sources` (paths under
    brain/) is edited: for caches of what that code computes."""
    from brain import __version__
    from brain.file_hashes import small_sha256

    package = os.path.dirname(os.path.realpath(__file__))
    digest = small_sha256(f"{FORMAT}\0{__version__}\0{also}\0".encode())
    for name in sources:
        try:
            status = os.stat(os.path.join(package, name))
        except OSError:
            continue
        digest.update(f"{name}\0{status.st_mtime_ns}\0{status.st_size}\0".encode())
    return digest.hexdigest()[:32]


def read_cached(path: Path) -> dict[str, Any] | None:
    """The record cached at `path` when brain still validates as it did; else None."""
    from brain.statefs import UnsafeState, read_text

    try:
        record = json.loads(read_text(path))
    except (OSError, ValueError, UnsafeState):
        return None  # missing, damaged, or not brain's (a link): validate again
    if not isinstance(record, dict) or record.get("stamp") != validation_stamp():
        return None
    data = record.get("data")
    return data if isinstance(data, dict) else None


def write_cached(path: Path, data: dict[str, Any]) -> None:
    """Cache `data` at `path`, stamped; best effort."""
    from brain.paths import cache_dir
    from brain.statefs import UnsafeState, safe_dir, write_atomic

    record = {"stamp": validation_stamp(), "data": data}
    base = cache_dir()
    try:
        parts = path.parent.relative_to(base).parts
    except ValueError:
        base, parts = path.parent.parent, (path.parent.name,)
    # A read-only cache, or one that is not brain's, only costs speed; readers see the old
    # file or the whole new one.
    with suppress(OSError, UnsafeState):
        write_atomic(safe_dir(base, *parts) / path.name, json.dumps(record))

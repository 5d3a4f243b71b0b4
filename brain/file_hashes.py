"""Content hashes of a run's declared files (inputs, outputs, a notebook).

Kept apart from the runner so entry point types and the run cache hash files the same way
without importing the run core.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from brain.settled import RACY_SECONDS
from brain.small_hash import small_sha256 as small_sha256  # where stamps have long found it

_HASH_CHUNK = 1 << 20


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


class DigestMemo:
    """sha256 digests of files, remembered by their stat (device, inode, size, mtime, ctime)
    in a JSON file, as git's index remembers what it hashed: an unchanged file is not read
    again. A file changed within the last two seconds could change again within the same
    time tick, so its digest is not remembered (the racy case git handles the same way).
    Best effort: an unreadable record only costs reading the files."""

    _SETTLED_NS = int(RACY_SECONDS * 1e9)  # git's racy rule, brain.settled's window
    _LIMIT = 64 * 2**20

    def __init__(self, record: Path) -> None:
        import json

        from brain.statefs import UnsafeState, read_text

        self.record = record
        try:
            known = json.loads(read_text(record, limit=self._LIMIT))
        except (OSError, ValueError, UnsafeState):
            known = {}
        self.known: dict[str, list[object]] = known if isinstance(known, dict) else {}
        self.seen: dict[str, list[object]] = {}

    def digest(self, path: Path) -> bytes:
        """The sha256 of the file at `path` (opened without following a final link)."""
        import hashlib  # OpenSSL's: these files may be large

        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(handle, "rb") as reader:
            info = os.fstat(reader.fileno())
            stamp = [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
            key = str(path)
            found = self.known.get(key)
            if isinstance(found, list) and len(found) == 6 and found[:5] == stamp:
                try:
                    content = bytes.fromhex(str(found[5]))
                except ValueError:
                    content = b""  # a damaged record: read the file
                if len(content) == 32:
                    self.seen[key] = found
                    return content
            content = hashlib.file_digest(reader, "sha256").digest()
        if max(info.st_mtime_ns, info.st_ctime_ns) < time.time_ns() - self._SETTLED_NS:
            self.seen[key] = [*stamp, content.hex()]
        return content

    def save(self) -> None:
        """Keep what this memo saw (only that: files gone since are forgotten)."""
        import json
        from contextlib import suppress

        from brain.statefs import UnsafeState, safe_dir, write_atomic

        if self.seen == self.known:
            return
        with suppress(OSError, UnsafeState):
            write_atomic(safe_dir(self.record.parent) / self.record.name, json.dumps(self.seen))

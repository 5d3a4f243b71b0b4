"""sha256 for the few bytes of a stamp or a cache key, from Python's own implementation.

Importing hashlib loads OpenSSL, about 3 ms of every `brain run` and `brain setup-deps`; the
digests are the same. Files go to hashlib (brain.file_hashes.hash_files), faster on large
data. Standard library only and nothing else imported: brain.settled is on the fast path.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs the fast path a few ms
if TYPE_CHECKING:
    from _hashlib import HASH
    from collections.abc import Callable

_constructor: Callable[[bytes], HASH] | None = None


def small_sha256(data: bytes = b"") -> HASH:
    """A sha256 object holding `data` (update it for more)."""
    global _constructor  # found once a process: the lookup imports a module
    if _constructor is None:
        _constructor = _builtin_sha256()
    return _constructor(data)


def _builtin_sha256() -> Callable[[bytes], HASH]:
    for name in ("_sha2", "_sha256"):  # Python 3.12+, 3.11
        try:
            constructor: Callable[[bytes], HASH] = __import__(name).sha256
        except (ImportError, AttributeError):
            continue
        return constructor
    from hashlib import sha256  # a Python built without its own hashes

    return sha256

"""sha256 of small inputs (the spec, requirement and lock files) without loading OpenSSL.

`import hashlib` loads OpenSSL's libcrypto, about 3 ms of every `brain run`, and that path
hashes only a few small files (the spec for its snapshot and the record, the inputs of the
environment's quick key). CPython ships its own sha256 too, the one hashlib falls back to
without OpenSSL, with the same digests; it loads in well under a millisecond. Large files
(declared inputs and outputs, source trees) still go through hashlib, which is faster on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hashlib import _Hash


def _builtin() -> Callable[[bytes], Any]:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # CPython 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12+
        except ImportError:
            from hashlib import sha256  # an interpreter built without them: OpenSSL's
    constructor: Callable[[bytes], Any] = sha256
    return constructor


_SHA256 = _builtin()


def sha256(data: bytes = b"") -> _Hash:
    """A sha256 object over `data`: the digests of `hashlib.sha256`."""
    found: _Hash = _SHA256(data)
    return found

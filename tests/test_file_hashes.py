"""brain.file_hashes.small_sha256: Python's own sha256, the digests of hashlib's."""

from __future__ import annotations

import hashlib

import pytest

from brain.file_hashes import small_sha256


@pytest.mark.parametrize("data", [b"", b"abc", b"\0" * 1000, "onebrain.yml é".encode()])
def test_small_sha256_agrees_with_hashlib(data: bytes) -> None:
    assert small_sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    grown = small_sha256()
    grown.update(data)
    grown.update(b"more")
    assert grown.digest() == hashlib.sha256(data + b"more").digest()

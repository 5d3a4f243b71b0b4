"""brain.file_hashes.small_sha256: Python's own sha256, the digests of hashlib's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from brain.file_hashes import small_sha256


@pytest.mark.parametrize("data", [b"", b"abc", b"\0" * 1000, "onebrain.yml é".encode()])
def test_small_sha256_agrees_with_hashlib(data: bytes) -> None:
    assert small_sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    grown = small_sha256()
    grown.update(data)
    grown.update(b"more")
    assert grown.digest() == hashlib.sha256(data + b"more").digest()


def test_a_digest_memo_reads_a_file_once_while_it_is_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from brain.file_hashes import DigestMemo

    monkeypatch.setattr(DigestMemo, "_SETTLED_NS", 0)  # no waiting for the clock here
    record = tmp_path / "memo" / "digests.json"
    data = tmp_path / "data.csv"
    data.write_bytes(b"a,b\n1,2\n")
    first = DigestMemo(record)
    assert first.digest(data) == hashlib.sha256(b"a,b\n1,2\n").digest()
    first.save()

    def no_reading(*_: object) -> None:
        raise AssertionError("an unchanged file was read again")

    with monkeypatch.context() as patch:
        patch.setattr(hashlib, "file_digest", no_reading)
        assert DigestMemo(record).digest(data) == hashlib.sha256(b"a,b\n1,2\n").digest()
    data.write_bytes(b"a,b\n1,3\n")  # the same size: the stat's time and ctime tell
    assert DigestMemo(record).digest(data) == hashlib.sha256(b"a,b\n1,3\n").digest()


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", '{"%s": [1, 2, 3, 4, 5, "zz"]}',
                                    '{"%s": "text"}'])
def test_a_damaged_memo_only_costs_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            damage: str) -> None:
    import hashlib

    from brain.file_hashes import DigestMemo

    monkeypatch.setattr(DigestMemo, "_SETTLED_NS", 0)
    data = tmp_path / "data.csv"
    data.write_bytes(b"x")
    info = data.stat()
    record = tmp_path / "digests.json"
    text = damage.replace("%s", str(data)) if "%s" in damage else damage
    record.write_text(text.replace("[1, 2, 3, 4, 5,", json.dumps(
        [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns])[:-1] + ","))
    assert DigestMemo(record).digest(data) == hashlib.sha256(b"x").digest()


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    from brain.file_hashes import DigestMemo

    data = tmp_path / "fresh.txt"
    data.write_text("written this instant")
    memo = DigestMemo(tmp_path / "digests.json")
    memo.digest(data)
    assert str(data) not in memo.seen  # it could change again within the same time tick


def test_a_link_is_not_followed(tmp_path: Path) -> None:
    from brain.file_hashes import DigestMemo

    secret = tmp_path / "secret"
    secret.write_text("outside")
    link = tmp_path / "link"
    link.symlink_to(secret)
    with pytest.raises(OSError):
        DigestMemo(tmp_path / "digests.json").digest(link)

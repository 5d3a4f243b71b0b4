"""brain.settled: an answer kept under stat guards is given back only while every guarded file,
setting and brain itself is as it was; anything else (a changed file, a racy one, a card that
does not read back whole) is a miss, never an error."""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain import settled
from brain.settled import FOLDER, FOLLOW, LINK, forget, recall, remember


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # Files a test has just written are racy for RACY_SECONDS (their ctime is now); the rule
    # itself has its own test below.
    monkeypatch.setattr(settled, "RACY_SECONDS", 0.0)


@pytest.fixture
def cache(tmp_path: Path) -> str:
    return str(tmp_path / "cache")


@pytest.fixture
def files(tmp_path: Path) -> list[tuple[str, str]]:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "spec.yml").write_text("name: a\n")
    (folder / "link").symlink_to("spec.yml")
    return [(str(folder / "spec.yml"), FOLLOW), (str(folder / "link"), LINK),
            (str(folder), FOLDER), (str(folder / "absent"), FOLLOW)]


def test_an_answer_comes_back_while_nothing_changed(cache: str, files: list[tuple[str, str]],
                                                    no_racy_window: None) -> None:
    assert remember(cache, "kind", "key", {"line": "up to date"}, files)
    assert recall(cache, "kind", "key") == {"line": "up to date"}
    assert recall(cache, "kind", "other key") is None
    assert recall(cache, "other kind", "key") is None
    forget(cache, "kind", "key")
    assert recall(cache, "kind", "key") is None


@pytest.mark.parametrize("change", ["rewrite", "same size", "remove", "create", "relink",
                                    "replace folder"])
def test_any_change_to_a_guarded_file_is_a_miss(cache: str, files: list[tuple[str, str]],
                                                no_racy_window: None, change: str) -> None:
    spec, link, folder, absent = (Path(path) for path, _ in files)
    assert remember(cache, "kind", "key", {"line": "x"}, files)
    if change == "rewrite":
        spec.write_text("name: b, and longer\n")
    elif change == "same size":
        before = os.stat(spec)
        time.sleep(0.05)  # past the clock tick of the first write: no test of the racy rule
        spec.write_text("name: b\n")
        os.utime(spec, ns=(before.st_atime_ns, before.st_mtime_ns))  # even the mtime put back
    elif change == "remove":
        spec.unlink()
    elif change == "create":
        absent.write_text("now here\n")
    elif change == "relink":
        link.unlink()
        link.symlink_to("absent")
    else:
        folder.rename(folder.with_name("moved"))
        folder.mkdir()
        (folder / "spec.yml").write_text("name: a\n")
    assert recall(cache, "kind", "key") is None


def test_a_settings_variable_or_another_brain_is_a_miss(
        cache: str, files: list[tuple[str, str]], no_racy_window: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert remember(cache, "kind", "key", {"line": "x"}, files)
    monkeypatch.setenv("BRAIN_STORE", "sqlite:///elsewhere.db")
    assert recall(cache, "kind", "key") is None
    monkeypatch.delenv("BRAIN_STORE")
    assert recall(cache, "kind", "key") == {"line": "x"}
    monkeypatch.setattr(settled, "__version__", "0.0.0-other")
    assert recall(cache, "kind", "key") is None


def test_a_file_changed_within_the_racy_window_keeps_nothing(
        cache: str, files: list[tuple[str, str]]) -> None:
    # Just written: two writes in one clock tick could look alike, so no answer is kept.
    assert not remember(cache, "kind", "key", {"line": "x"}, files)
    assert recall(cache, "kind", "key") is None
    # A folder's identity is guarded, not its times: a fresh folder alone is not racy.
    folder = [(path, how) for path, how in files if how == FOLDER]
    assert remember(cache, "kind", "key", {"line": "x"}, folder)


def test_an_unwritable_cache_keeps_nothing(tmp_path: Path, files: list[tuple[str, str]],
                                           no_racy_window: None) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be\n")
    assert not remember(str(blocked), "kind", "key", {"line": "x"}, files)
    assert recall(str(blocked), "kind", "key") is None


def _sealed(body: bytes) -> bytes:
    """`body` as a card holds it: after its digest (a card brain itself could have written)."""
    return hashlib.sha256(body).digest() + body


def _card(cache: str) -> Path:
    (card,) = Path(cache, "settled").iterdir()
    return card


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "huge", "symlink",
                                    "fifo", "wrong shape", "unsealed",
                                    "foreign guard"])
def test_a_damaged_or_foreign_card_is_a_miss(cache: str, files: list[tuple[str, str]],
                                             no_racy_window: None, tmp_path: Path,
                                             damage: str) -> None:
    assert remember(cache, "kind", "key", {"line": "x"}, files)
    card = _card(cache)
    whole = card.read_bytes()
    card.unlink()
    if damage == "truncated":
        card.write_bytes(whole[: len(whole) // 2])
    elif damage == "empty":
        card.write_bytes(b"")
    elif damage == "garbage":
        card.write_bytes(b"\xff" * 64)
    elif damage == "huge":
        card.write_bytes(whole + b"\0" * (1 << 17))
    elif damage == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.write_bytes(whole)
        card.symlink_to(elsewhere)  # never read through a link
    elif damage == "fifo":
        os.mkfifo(card)  # a read would block: opened non-blocking, it is simply no card
    elif damage == "wrong shape":
        card.write_bytes(_sealed(marshal.dumps(["not", "a", "card"])))
    elif damage == "unsealed":
        card.write_bytes(whole[32:])  # a card without its digest
    else:
        kept = marshal.loads(whole[32:])
        kept["guards"] = [("/", 3, None)]  # a guard of no known shape matches nothing
        card.write_bytes(_sealed(marshal.dumps(kept)))
    assert recall(cache, "kind", "key") is None


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=512))
def test_any_damage_to_a_card_is_a_miss_never_an_error(tmp_path: Path, data: bytes) -> None:
    # What a damaged card holds never reaches marshal (which would trust the sizes in it):
    # the digest in front of it no longer matches.
    cache = tmp_path / "any-bytes"
    card = Path(settled._card_path(str(cache), "kind", "key"))
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_bytes(data)
    assert recall(str(cache), "kind", "key") is None
    card.write_bytes(b"(\x00\x00\x00\x7f" + data)  # marshal would make 2**31 items of it
    assert recall(str(cache), "kind", "key") is None


def test_a_card_is_kept_for_its_owner_only(cache: str, files: list[tuple[str, str]],
                                           no_racy_window: None) -> None:
    assert remember(cache, "kind", "key", {"line": "x"}, files)
    assert _card(cache).stat().st_mode & 0o077 == 0
    assert not [name for name in os.listdir(Path(cache, "settled")) if name.endswith(".tmp")]


def test_a_relative_cache_folder_has_no_cards(files: list[tuple[str, str]], tmp_path: Path,
                                              no_racy_window: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # No home folder: "~/.brain/cache" stays relative, the working directory's, which may be
    # a project that ships a card of its own.
    monkeypatch.chdir(tmp_path)
    assert not remember("~/.brain/cache", "kind", "key", {"line": "x"}, files)
    assert remember(str(tmp_path / "~/.brain/cache"), "kind", "key", {"line": "x"}, files)
    assert recall("~/.brain/cache", "kind", "key") is None


def test_a_file_changed_after_the_answer_began_keeps_nothing(
        cache: str, files: list[tuple[str, str]], no_racy_window: None) -> None:
    began = time.time_ns()
    time.sleep(0.05)
    Path(files[0][0]).write_text("name: changed while the answer was computed\n")
    assert not remember(cache, "kind", "key", {"line": "x"}, files, computed_at=began)
    assert remember(cache, "kind", "key", {"line": "x"}, files, computed_at=time.time_ns())

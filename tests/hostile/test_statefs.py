"""brain.statefs on its own: each primitive against what a hostile `.brain/` can hold."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brain.statefs import (
    MARKER,
    UnsafeState,
    open_append,
    project_state,
    read_text,
    remove,
    safe_dir,
    write_atomic,
)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("keep me\n")
    return path


def test_write_atomic_refuses_a_link_and_keeps_its_target(tmp_path: Path, victim: Path) -> None:
    os.symlink(victim, tmp_path / "stamp.json")
    with pytest.raises(UnsafeState, match="is a symlink"):
        write_atomic(tmp_path / "stamp.json", "{}")
    assert victim.read_text() == "keep me\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_open_append_refuses_links_hard_links_and_fifos(tmp_path: Path, victim: Path) -> None:
    os.symlink(victim, tmp_path / "soft.log")
    os.link(victim, tmp_path / "hard.log")
    os.mkfifo(tmp_path / "fifo.log")
    for name, what in (("soft.log", "symlink"), ("hard.log", "hard link"),
                       ("fifo.log", "not a folder")):
        with pytest.raises(UnsafeState, match=what):
            open_append(tmp_path / name)
    with pytest.raises(UnsafeState):
        read_text(tmp_path / "fifo.log")  # would block forever without O_NONBLOCK
    assert victim.read_text() == "keep me\n"


def test_safe_dir_refuses_a_linked_component(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "runs")
    with pytest.raises(UnsafeState, match="is a symlink"):
        safe_dir(tmp_path, "runs", "1234")
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(UnsafeState):
        safe_dir(tmp_path, "../escape")


def test_remove_deletes_only_marked_folders_and_never_through_links(
        tmp_path: Path, victim: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    state = project_state(root)
    assert (state / MARKER).is_file()
    unmarked = state / "mine"
    unmarked.mkdir()
    with pytest.raises(UnsafeState, match="brain did not create it"):
        remove(unmarked)
    marked = safe_dir(state, "runs", mark=True)
    os.symlink(victim, marked / "inside")
    os.symlink(victim.parent, marked / "folder-inside")
    assert remove(marked) and not marked.exists()
    assert victim.read_text() == "keep me\n"
    os.symlink(victim.parent, state / "link")
    with pytest.raises(UnsafeState, match="is a symlink"):
        remove(state / "link")


def test_a_state_folder_brain_did_not_make_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".brain").mkdir()
    with pytest.raises(UnsafeState, match=f"has no {MARKER} marker") as refused:
        project_state(tmp_path)
    assert refused.value.hint == f"remove {tmp_path / '.brain'}: brain did not create it"
    assert refused.value.exit_code == 3


def test_making_the_state_folder_never_shows_git_an_unignored_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A run's provenance (`git status`) runs while brain makes `.brain/` for the first time:
    # at every write into the staging folder the project must still look clean.
    import subprocess

    import brain.statefs as statefs
    from brain.statefs import project_state

    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    seen: list[str] = []
    real_write = statefs.write_atomic

    def watched(path: Path, text: str) -> None:
        seen.append(subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain",
                                    "--untracked-files=normal"], capture_output=True,
                                   text=True, check=True).stdout)
        real_write(path, text)

    monkeypatch.setattr(statefs, "write_atomic", watched)
    project_state(tmp_path)
    assert seen and all(status == "" for status in seen), seen

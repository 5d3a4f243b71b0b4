"""Hostile data: pointer files and dataset paths leading out of the project, damaged blobs
in the cache and on the remote, transfers killed midway."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

POINTER = "outs:\n- md5: {md5}\n  size: 3\n  hash: md5\n  path: {path}\n"
SOME_MD5 = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("path", ["../../outside.csv", "/etc/passwd", "sub/../../x.csv"])
def test_a_pointer_naming_a_path_outside_is_refused(
        brain: Callable[..., Result], data_project: Callable[..., Path], path: str) -> None:
    root = data_project()
    (root / "onebrain.yml").write_text((root / "onebrain.yml").read_text().replace(
        "data:\n", "data:\n  datasets:\n    train: data/train.csv\n"))
    (root / "data" / "train.csv").unlink()
    (root / "data" / "train.csv.dvc").write_text(POINTER.format(md5=SOME_MD5, path=path))
    result = brain("data", "pull", cwd=root)
    assert result.exit_code == 2, result.output
    assert "data/train.csv.dvc" in result.stderr and "outs.path" in result.stderr
    assert not (root / "data" / "train.csv").exists()


def test_a_pointer_file_linking_out_of_the_project_is_refused(
        brain: Callable[..., Result], data_project: Callable[..., Path], tmp_path: Path) -> None:
    root = data_project()
    (root / "onebrain.yml").write_text((root / "onebrain.yml").read_text().replace(
        "data:\n", "data:\n  datasets:\n    train: data/train.csv\n"))
    elsewhere = tmp_path / "elsewhere.dvc"
    elsewhere.write_text(POINTER.format(md5=SOME_MD5, path="train.csv"))
    (root / "data" / "train.csv.dvc").symlink_to(elsewhere)
    result = brain("data", "status", cwd=root)
    assert result.exit_code == 2 and "symlink" in result.stderr, result.output


@pytest.mark.parametrize("where", ["file", "folder", "inside"])
def test_datasets_that_are_or_hold_symlinks_out_are_refused(
        brain: Callable[..., Result], data_project: Callable[..., Path], tmp_path: Path,
        where: str) -> None:
    root = data_project()
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key").write_text("host secret\n")
    if where == "file":
        (root / "data" / "link.csv").symlink_to(secret / "key")
        target = "data/link.csv"
    elif where == "folder":
        (root / "data" / "linked").symlink_to(secret)
        target = "data/linked"
    else:
        (root / "data" / "folder").mkdir()
        (root / "data" / "folder" / "ok.txt").write_text("fine\n")
        (root / "data" / "folder" / "key").symlink_to(secret / "key")
        target = "data/folder"
    result = brain("data", "add", target, cwd=root)
    assert result.exit_code == 2 and "symlink" in result.stderr, result.output
    assert not list(root.glob("data/*.dvc"))
    cache = root / ".brain" / "data" / "cache"
    assert not cache.exists() or not any(path.is_file() for path in cache.rglob("*"))


def test_a_spec_dataset_outside_the_project_is_invalid(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    (root / "onebrain.yml").write_text((root / "onebrain.yml").read_text().replace(
        "data:\n", "data:\n  datasets:\n    up: ../elsewhere.csv\n    abs: /etc/passwd\n"))
    result = brain("validate", cwd=root)
    assert result.exit_code == 2
    assert "data.datasets.up" in result.output and "data.datasets.abs" in result.output


def _object(store: Path, md5: str) -> Path:
    return store / "files" / "md5" / md5[:2] / md5[2:]


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_a_damaged_blob_in_the_cache_is_refused_and_fetched_again(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    assert brain("data", "push", cwd=root).exit_code == 0
    md5 = _md5(root / "data" / "train.csv")
    blob = _object(root / ".brain" / "data" / "cache", md5)
    blob.chmod(0o644)
    blob.write_text("x,y\n6,6\n6,6\n")  # same size, other bytes
    (root / "data" / "train.csv").unlink()
    refused = brain("data", "pull", cwd=root)
    assert refused.exit_code == 3 and "does not match its hash" in refused.stderr
    assert not (root / "data" / "train.csv").exists()  # nothing damaged put in place
    again = brain("data", "pull", cwd=root)  # the damaged blob was dropped: fetched anew
    assert again.exit_code == 0, again.output
    assert (root / "data" / "train.csv").read_text() == "x,y\n1,2\n3,4\n"


def test_a_damaged_blob_on_the_remote_is_refused_and_nothing_overwritten(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    assert brain("data", "push", cwd=root).exit_code == 0
    md5 = _md5(root / "data" / "train.csv")
    remote_blob = _object(root.parent / "remote-store", md5)
    remote_blob.chmod(0o644)
    remote_blob.write_text("tampered on the remote\n")
    shutil.rmtree(root / ".brain" / "data")
    (root / "data" / "train.csv").unlink()
    result = brain("data", "pull", cwd=root)
    assert result.exit_code == 3 and "could not be fetched intact" in result.stderr
    assert not (root / "data" / "train.csv").exists()
    assert not _object(root / ".brain" / "data" / "cache", md5).exists()


def test_changes_in_no_cache_are_never_overwritten(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    (root / "data" / "train.csv").write_text("my unsaved edit\n")
    result = brain("data", "pull", "train.csv", cwd=root)
    assert result.exit_code == 3 and "in no cache" in result.stderr
    assert (root / "data" / "train.csv").read_text() == "my unsaved edit\n"


def _big_project(data_project: Callable[..., Path], remote: str | None = None,
                 size: int = 200 << 20) -> Path:
    root = data_project(remote)
    with open(root / "data" / "train.csv", "wb") as big:
        chunk = os.urandom(1 << 20)
        for _ in range(size >> 20):
            big.write(chunk)
    return root


def _kill_when(command: list[str], cwd: Path, started: Callable[[], bool]) -> None:
    """Run brain `command`, SIGKILL it once `started()` holds (the transfer is under way)."""
    process = subprocess.Popen([sys.executable, "-m", "brain", *command], cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not started():
            assert process.poll() is None, "the transfer ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def _partials(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*.tmp")] if folder.exists() else []


def _objects_intact(store: Path) -> None:
    """Every object under `store` (temporary files aside) holds the bytes its name says."""
    for path in (store / "files" / "md5").rglob("*"):
        if path.is_file() and not path.name.endswith(".tmp"):
            name = path.parent.name + path.name
            assert _md5(path) == name.removesuffix(".dir"), f"{path} looks complete but is not"


@pytest.mark.parametrize("kind", ["folder", "ssh"])
def test_a_killed_push_leaves_no_object_that_looks_complete(
        brain: Callable[..., Result], data_project: Callable[..., Path], tmp_path: Path,
        request: pytest.FixtureRequest, kind: str) -> None:
    remote = request.getfixturevalue("ssh_remote") if kind == "ssh" else None
    root = _big_project(data_project, remote)
    store = tmp_path / ("ssh-store" if kind == "ssh" else "remote-store")
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    env_config = os.environ.get("BRAIN_SSH_CONFIG")
    assert kind == "folder" or env_config  # the subprocess finds the test sshd's keys
    _kill_when(["data", "push"], root, lambda: bool(_partials(store)))
    _objects_intact(store)
    assert "not pushed" in brain("data", "status", cwd=root).output
    pushed = brain("data", "push", cwd=root)
    assert pushed.exit_code == 0, pushed.output
    _objects_intact(store)
    assert "up to date" in brain("data", "status", cwd=root).output


def test_a_killed_pull_leaves_no_dataset_that_looks_complete(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = _big_project(data_project)
    expected = _md5(root / "data" / "train.csv")
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    assert brain("data", "push", cwd=root).exit_code == 0
    shutil.rmtree(root / ".brain" / "data")
    (root / "data" / "train.csv").unlink()
    cache = root / ".brain" / "data" / "cache"
    _kill_when(["data", "pull"], root, lambda: bool(_partials(cache)))
    dataset = root / "data" / "train.csv"
    status = brain("data", "status", "--no-remote", cwd=root).output
    assert "up to date" not in status  # missing (or changed), never taken for complete
    _objects_intact(cache)
    pulled = brain("data", "pull", cwd=root)
    assert pulled.exit_code == 0, pulled.output
    assert _md5(dataset) == expected

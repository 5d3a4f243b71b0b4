"""brain data add/push/pull/status against real remotes: a folder, the test sshd, and an
S3-compatible server on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result


def _round_trip(brain: Callable[..., Result], root: Path) -> None:
    images = root / "data" / "images"
    images.mkdir()
    for index in range(5):
        (images / f"{index}.bin").write_bytes(bytes([index]) * (1000 + index))
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    added = brain("data", "add", "data/images", "--name", "images", cwd=root)
    assert added.exit_code == 0, added.output
    status = brain("data", "status", cwd=root)
    assert status.exit_code == 0 and status.output.count("not pushed") == 2, status.output
    pushed = brain("data", "push", cwd=root)
    assert pushed.exit_code == 0, pushed.output
    assert "images: 6 object(s) pushed to storage" in pushed.output  # 5 files + the listing
    assert "up to date" in brain("data", "status", cwd=root).output
    # A fresh machine: no cache, no data.
    shutil.rmtree(root / ".brain" / "data")
    shutil.rmtree(images)
    (root / "data" / "train.csv").unlink()
    assert "missing, not cached" in brain("data", "status", "--no-remote", cwd=root).output
    pulled = brain("data", "pull", cwd=root)
    assert pulled.exit_code == 0, pulled.output
    assert (root / "data" / "train.csv").read_text() == "x,y\n1,2\n3,4\n"
    assert sorted(path.name for path in images.iterdir()) == [f"{i}.bin" for i in range(5)]
    assert (images / "3.bin").read_bytes() == bytes([3]) * 1003
    final = brain("data", "status", "--json", cwd=root)
    assert '"problems": []' in final.output and '"pushed": true' in final.output


def test_a_folder_remote_round_trip(brain: Callable[..., Result],
                                    data_project: Callable[..., Path]) -> None:
    root = data_project()
    _round_trip(brain, root)
    store = root.parent / "remote-store" / "files" / "md5"
    assert store.is_dir()  # DVC 3's remote layout: a DVC user can pull from it


def test_an_ssh_remote_round_trip(brain: Callable[..., Result],
                                  data_project: Callable[..., Path], ssh_remote: str) -> None:
    _round_trip(brain, data_project(ssh_remote))


def test_an_s3_remote_round_trip(brain: Callable[..., Result],
                                 data_project: Callable[..., Path], s3_remote: str) -> None:
    _round_trip(brain, data_project(s3_remote))


def test_an_unreachable_remote_is_one_line_exit_3(
        brain: Callable[..., Result], data_project: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_project("{url: 'ssh://nobody@127.0.0.1:1/srv/data'}")
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    result = brain("data", "push", cwd=root)
    assert result.exit_code == 3 and "remote 'storage'" in result.stderr
    assert "Traceback" not in result.output

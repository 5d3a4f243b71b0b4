"""The `data:` section: what it accepts, what it refuses (located), and `brain data add`
editing the spec without losing what the user wrote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

HEAD = "name: demo\nversion: 0.1.0\n"


@pytest.mark.parametrize(("data", "expected"), [
    ("  remotes:\n    r: {url: 'ssh://me:secret@box.example.com/srv'}\n", "password"),
    ("  remotes:\n    r: {url: 'ftp://box.example.com/srv'}\n", "unknown scheme"),
    ("  remotes:\n    r: {url: 'ssh://me@box.example.com:22'}\n", "absolute path"),
    ("  remotes:\n    r: {url: /srv, endpoint_url: 'http://x.example.com'}\n", "s3:// remotes"),
    ("  remotes:\n    r: {url: 's3://b/p', endpoint_url: 'file:///etc'}\n", "http(s) URL"),
    ("  datasets:\n    a: {path: data/x.csv, remote: nowhere}\n", "not under data.remotes"),
    ("  datasets:\n    a: data\n    b: data/x.csv\n", "overlap"),
    ("  datasets:\n    a: .git/config\n", "not .brain, .git"),
    ("  datasets:\n    'bad name!': data/x.csv\n", "not a valid name"),
    ("  datasets:\n    a: {path: data/x.csv, remot: r}\n", "unknown key 'remot'"),
])
def test_a_bad_data_section_is_a_located_error(
        brain: Callable[..., Result], make_project: Callable[..., Path], data: str,
        expected: str) -> None:
    root = make_project({"onebrain.yml": HEAD + "data:\n" + data})
    result = brain("validate", str(root))
    assert result.exit_code == 2 and expected in result.output, result.output
    assert "onebrain.yml:" in result.output and ": data" in result.output


def test_a_good_data_section_validates(brain: Callable[..., Result],
                                       make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": HEAD + (
        "data:\n  datasets:\n    train.csv: data/train.csv\n"
        "    images: {path: data/images, remote: s3}\n"
        "  remotes:\n    s3: {url: 's3://bucket/prefix', endpoint_url: 'http://127.0.0.1:9000'}\n"
        "    box: {url: 'ssh://me@box.example.com:2222/srv/data'}\n")})
    assert brain("validate", str(root)).exit_code == 0


def test_add_keeps_the_users_comments_and_layout(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    spec = root / "onebrain.yml"
    spec.write_text(spec.read_text().replace(
        "data:\n", "data:  # kept out of git\n  datasets:\n    # the raw file\n"
        "    raw: data/raw.csv\n"))
    (root / "data" / "raw.csv").write_text("r\n")
    result = brain("data", "add", "data/train.csv", "--remote", "storage", cwd=root)
    assert result.exit_code == 0, result.output
    text = spec.read_text()
    assert "data:  # kept out of git" in text and "# the raw file" in text
    assert "    train.csv: {path: data/train.csv, remote: storage}\n" in text
    again = brain("data", "add", "data/train.csv", cwd=root)  # a new version: spec unchanged
    assert again.exit_code == 0 and "declared" not in again.output
    assert spec.read_text() == text
    assert (root / "data" / ".gitignore").read_text() == "/train.csv\n"


def test_add_refuses_what_is_not_in_the_project(
        brain: Callable[..., Result], data_project: Callable[..., Path], tmp_path: Path) -> None:
    root = data_project()
    (tmp_path / "outside.csv").write_text("x\n")
    result = brain("data", "add", str(tmp_path / "outside.csv"), cwd=root)
    assert result.exit_code == 2 and "not inside the project" in result.stderr
    missing = brain("data", "add", "data/nothing.csv", cwd=root)
    assert missing.exit_code == 2 and "does not exist" in missing.stderr

"""`brain generate-url`: pins HEAD, carries the sub-folder, validates, warns, refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from brain.share.url import parse_link
from tests.conftest import Result
from tests.share.conftest import SPEC, Remote, git


def test_link_pins_head_folder_entry_and_params(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    result = brain("generate-url", "-e", "main", "-P", "alpha=0.7", "--json", cwd=remote.project)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["warnings"] == []
    link = parse_link(data["url"])
    assert link.repo == remote.url
    assert link.commit == remote.commit and len(link.commit) == 40
    assert link.path == "projects/hello"
    assert link.entry == "main"
    assert link.params == {"alpha": "0.7"}
    plain = brain("generate-url", "--hub", "https://hub.example", cwd=remote.project)
    assert plain.stdout.strip().startswith("https://hub.example/launch?v=1&repo=file://")


def test_no_remote_is_a_clear_error(brain: Callable[..., Result],
                                    make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    git(remote.work, "remote", "remove", "origin")
    result = brain("generate-url", cwd=remote.project)
    assert result.exit_code == 2
    assert "has no remote" in result.stderr
    assert "git remote add origin" in result.stderr
    assert "Traceback" not in result.output


def test_not_a_git_repository(brain: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "onebrain.yml").write_text(SPEC)
    result = brain("generate-url", cwd=tmp_path)
    assert result.exit_code == 2
    assert "is not in a git repository" in result.stderr


def test_dirty_tree_warns_and_strict_refuses(brain: Callable[..., Result],
                                             make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    (remote.project / "notes.txt").write_text("not committed\n")
    warned = brain("generate-url", cwd=remote.project)
    assert warned.exit_code == 0
    assert "uncommitted changes" in warned.stderr
    assert parse_link(warned.stdout.strip()).commit == remote.commit
    strict = brain("generate-url", "--strict", cwd=remote.project)
    assert strict.exit_code == 2
    assert "--strict" in strict.stderr and "uncommitted changes" in strict.stderr
    assert strict.stdout == ""


def test_unpushed_commit_warns_and_strict_refuses(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    (remote.project / "more.txt").write_text("x\n")
    git(remote.work, "add", "-A")
    git(remote.work, "commit", "-qm", "local only")
    warned = brain("generate-url", cwd=remote.project)
    assert warned.exit_code == 0
    assert "is not on any remote branch" in warned.stderr
    assert brain("generate-url", "--strict", cwd=remote.project).exit_code == 2


def test_parameters_are_validated_before_printing(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    ill_typed = brain("generate-url", "-P", "alpha=lots", cwd=remote.project)
    assert ill_typed.exit_code == 2 and "alpha" in ill_typed.stderr
    assert ill_typed.stdout == ""
    out_of_range = brain("generate-url", "-P", "alpha=3", cwd=remote.project)
    assert out_of_range.exit_code == 2
    unknown = brain("generate-url", "-P", "alpah=0.1", cwd=remote.project)
    assert unknown.exit_code == 2 and "did you mean 'alpha'" in unknown.stderr
    entry = brain("generate-url", "-e", "nope", cwd=remote.project)
    assert entry.exit_code == 2 and "unknown entry point" in entry.stderr


def test_sign_needs_the_secret(brain: Callable[..., Result], make_remote: Callable[..., Remote],
                               monkeypatch: object) -> None:
    remote = make_remote()
    refused = brain("generate-url", "--sign", cwd=remote.project)
    assert refused.exit_code == 2 and "BRAIN_HUB_SECRET" in refused.stderr
    monkeypatch.setenv("BRAIN_HUB_SECRET", "s3cret")  # type: ignore[attr-defined]
    signed = brain("generate-url", "--sign", cwd=remote.project)
    assert signed.exit_code == 0
    parse_link(signed.stdout.strip()).verify("s3cret")


def test_project_at_repository_root_has_no_path(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote(subdir="")
    link = parse_link(brain("generate-url", cwd=remote.project).stdout.strip())
    assert link.path == ""


def test_credentials_in_the_remote_never_reach_the_link(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    git(remote.work, "remote", "set-url", "origin", "https://jane:s3cr3t-token@git.example/x.git")
    result = brain("generate-url", cwd=remote.project)
    assert "s3cr3t-token" not in result.output
    assert parse_link(result.stdout.strip()).repo == "https://git.example/x.git"


def test_a_value_for_a_prerequisite_is_accepted_and_checked(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    spec = ("name: steps\nversion: 0.1.0\nentry_points:\n"
            "  prepare:\n    type: bash\n    command: echo {{ rows }}\n"
            "    parameters: {rows: {type: int, default: 3}}\n"
            "  train:\n    type: bash\n    command: echo trained\n    depends_on: [prepare]\n")
    remote = make_remote({"onebrain.yml": spec})
    made = brain("generate-url", "-e", "train", "-P", "rows=5", "--json", cwd=remote.project)
    assert made.exit_code == 0, made.output
    assert parse_link(json.loads(made.stdout)["url"]).params == {"rows": "5"}
    wrong = brain("generate-url", "-e", "train", "-P", "rows=many", cwd=remote.project)
    assert wrong.exit_code == 2 and "rows" in wrong.stderr
    unknown = brain("generate-url", "-e", "train", "-P", "rowz=5", cwd=remote.project)
    assert unknown.exit_code == 2 and "rowz" in unknown.stderr

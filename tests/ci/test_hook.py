"""`brain ci hook install`: a real bare repository, real pushes, the hook runs for real."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.ci.hook import hook_script, parse_updates
from tests.ci.conftest import LIB, write
from tests.workspace.helpers import commit_all, git

SHA_A, SHA_B = "a" * 40, "b" * 40
NULL = "0" * 40


@pytest.fixture
def server(tmp_path: Path) -> Path:
    bare = tmp_path / "server.git"
    subprocess.run(["git", "init", "--bare", "--quiet", "-b", "main", str(bare)], check=True)
    return bare


def status_of(home: Path, sha: str) -> dict:
    return json.loads((home / "ci" / "commits" / f"{sha}.json").read_text())


@pytest.mark.slow
def test_a_push_runs_ci_publishes_and_records(brain, server: Path, workspace: Path,
                                              isolated: Path) -> None:
    installed = brain("ci", "hook", "install", str(server))
    assert installed.exit_code == 0, installed.output
    hook = server / "hooks" / "post-receive"
    assert hook.stat().st_mode & stat.S_IXUSR
    git(workspace, "remote", "add", "origin", str(server))

    first = subprocess.run(["git", "push", "--quiet", "origin", "main"], cwd=workspace,
                           capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
    assert "brain ci: main passed" in first.stderr  # the pusher sees the hook's report
    head = git(workspace, "rev-parse", "HEAD")
    recorded = status_of(isolated, head)
    assert recorded["status"] == "passed" and recorded["ref"] == "refs/heads/main"
    assert recorded["repository"] == str(server.resolve())
    steps = {(r["project"], r["step"]): r["status"] for r in recorded["results"]}
    assert steps[(f"default/{LIB}", "publish")] == "passed"
    assert steps[("default/weekly-report", "report:report")] == "passed"
    assert (isolated / "index" / "simple" / LIB).is_dir()
    # The report's run folder outlives the temporary checkout.
    report = next(r for r in recorded["results"] if r["kind"] == "report")
    run_id = report["note"].removeprefix("run ")
    kept = Path(recorded["artifacts"]) / "reports" / "weekly" / "runs" / run_id
    assert kept.is_dir() and any(kept.iterdir())

    # A second push touching the report alone runs only that project, for that commit.
    write(workspace, "reports/weekly/notes.md", "more\n")
    second_head = commit_all(workspace, "notes")
    second = subprocess.run(["git", "push", "--quiet", "origin", "main"], cwd=workspace,
                            capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stderr
    recorded = status_of(isolated, second_head)
    assert recorded["since"] == head
    assert {r["project"] for r in recorded["results"]} == {"default/weekly-report"}
    assert brain("ci", "hook", "install", str(server)).exit_code == 2  # kept without --force


def test_hostile_stdin_never_reaches_a_shell_or_git(brain, server: Path,
                                                    tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    lines = [f"{NULL} $(touch {marker}) refs/heads/main",
             f"{NULL} {SHA_A} refs/heads/--upload-pack=touch {marker}",
             f"{NULL} {SHA_A} refs/heads/a..b",
             f"`touch {marker}` {SHA_A} refs/heads/main",
             "x" * 100_000]
    done = subprocess.run(
        [sys.executable, "-m", "brain", "ci", "hook", "receive", "--git-dir", str(server)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert done.stderr.count("left out") == 5


def test_the_hook_script_quotes_its_fixed_arguments(tmp_path: Path) -> None:
    bare = tmp_path / "it's $(here).git"
    script = hook_script(bare, "http://127.0.0.1:1/?a=$(x)")
    assert script.startswith("#!/bin/sh\n")
    run = subprocess.run(["sh", "-n", "-c", script], capture_output=True)  # parses as shell
    assert run.returncode == 0
    # The shell sees exactly the arguments given, nothing expanded.
    exec_line = script.splitlines()[-1]
    assert shlex.split(exec_line) == ["exec", sys.executable, "-m", "brain", "ci", "hook",
                                      "receive", "--git-dir", str(bare),
                                      "--hub", "http://127.0.0.1:1/?a=$(x)"]


def test_install_refuses_a_non_bare_folder_and_a_symlinked_hook(
        brain, server: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert brain("ci", "hook", "install", str(plain)).exit_code == 2
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    os.symlink(victim, server / "hooks" / "post-receive")
    assert brain("ci", "hook", "install", str(server), "--force").exit_code == 2
    assert victim.read_text() == "keep\n"


def test_parse_updates_sorts_branches_from_the_rest() -> None:
    updates, notes = parse_updates([
        f"{NULL} {SHA_A} refs/heads/main\n", f"{SHA_A} {SHA_B} refs/heads/feature/x\n",
        f"{SHA_A} {NULL} refs/heads/gone\n", f"{NULL} {SHA_A} refs/tags/v1\n"])
    assert [(u.old, u.new, u.branch) for u in updates] == [
        (None, SHA_A, "main"), (SHA_A, SHA_B, "feature/x")]
    assert len(notes) == 2


@given(st.lists(st.text(max_size=200), max_size=30))
def test_parse_updates_accepts_only_well_formed_branch_updates(lines: list[str]) -> None:
    updates, _ = parse_updates(lines)
    for update in updates:
        assert len(update.new) in (40, 64) and set(update.new) <= set("0123456789abcdef")
        assert update.ref.startswith("refs/heads/") and not update.branch.startswith("-")
        assert not any(c.isspace() for c in update.ref) and ".." not in update.ref

"""`brain remote add/list/remove/push/pull` against a real sshd and rsync on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.remote.conftest import Sshd

Brain = Callable[..., Result]


@pytest.fixture
def added(brain: Brain, sshd: Sshd, remote_folder: Path, project: Path) -> Path:
    result = brain("remote", "add", "box", sshd.url(remote_folder))
    assert result.exit_code == 0, result.output
    return remote_folder


def test_add_list_remove(brain: Brain, sshd: Sshd, remote_folder: Path) -> None:
    url = sshd.url(remote_folder)
    assert brain("remote", "add", "box", url).exit_code == 0
    again = brain("remote", "add", "box", url)
    assert again.exit_code == 2 and "already exists" in again.stderr
    listed = json.loads(brain("remote", "list", "--json").stdout)
    assert listed == [{"name": "box", "url": url, "brain": "brain", "identity": None}]
    assert brain("remote", "remove", "box").exit_code == 0
    assert json.loads(brain("remote", "list", "--json").stdout) == []
    assert brain("remote", "remove", "box").exit_code == 2


def test_push_honours_gitignore_and_never_copies_brain_state(
        brain: Brain, added: Path, project: Path) -> None:
    result = brain("remote", "push", "box", "--json", cwd=project)
    assert result.exit_code == 0, result.output
    moved = {change["path"] for change in json.loads(result.stdout)["changes"]}
    assert {"onebrain.yml", "fit.py", "data/train.csv"} <= moved
    assert (added / "fit.py").read_text() == (project / "fit.py").read_text()
    assert (added / "data" / "train.csv").exists()
    assert not (added / ".brain").exists()
    assert not (added / "debug.log").exists()  # git-ignored
    again = json.loads(brain("remote", "push", "box", "--json", cwd=project).stdout)
    assert again["changes"] == []  # nothing changed, nothing moves


def test_dry_run_moves_nothing(brain: Brain, added: Path, project: Path) -> None:
    result = brain("remote", "push", "box", "--dry-run", cwd=project)
    assert result.exit_code == 0, result.output
    assert "+ fit.py" in result.stdout
    assert "would move" in result.stderr
    assert not (added / "fit.py").exists()


def test_deletions_only_with_delete(brain: Brain, added: Path, project: Path) -> None:
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    (project / "fit.py").unlink()
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    assert (added / "fit.py").exists()
    shown = brain("remote", "push", "box", "--delete", "--dry-run", cwd=project)
    assert "- fit.py" in shown.stdout and (added / "fit.py").exists()
    assert brain("remote", "push", "box", "--delete", cwd=project).exit_code == 0
    assert not (added / "fit.py").exists()
    assert (added / "onebrain.yml").exists()


def test_remote_state_survives_delete(brain: Brain, added: Path, project: Path) -> None:
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    (added / ".brain").mkdir()
    (added / ".brain" / "venv-marker").write_text("remote env")
    assert brain("remote", "push", "box", "--delete", cwd=project).exit_code == 0
    assert (added / ".brain" / "venv-marker").exists()


def test_pull_paths_and_whole_project(brain: Brain, added: Path, project: Path) -> None:
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    (added / "models").mkdir()
    (added / "models" / "model.txt").write_text("trained")
    (added / "notes.md").write_text("written remotely")
    (added / ".brain").mkdir()
    (added / ".brain" / "remote-only").write_text("x")
    result = brain("remote", "pull", "box", "models/model.txt", cwd=project)
    assert result.exit_code == 0, result.output
    assert (project / "models" / "model.txt").read_text() == "trained"  # git-ignored, named
    assert not (project / "notes.md").exists()
    whole = brain("remote", "pull", "box", cwd=project)
    assert whole.exit_code == 0, whole.output
    assert (project / "notes.md").read_text() == "written remotely"
    assert not (project / ".brain" / "remote-only").exists()


def test_pull_deletes_only_with_delete(brain: Brain, added: Path, project: Path) -> None:
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    (added / "data" / "train.csv").unlink()
    assert brain("remote", "pull", "box", "data", cwd=project).exit_code == 0
    assert (project / "data" / "train.csv").exists()
    assert brain("remote", "pull", "box", "data", "--delete", cwd=project).exit_code == 0
    assert not (project / "data" / "train.csv").exists()


@pytest.mark.parametrize("path", ["../outside", "/etc/passwd", "~/x", "models/../../x",
                                  ".brain/db", ".git/config", "a\nb", ".", ""])
def test_hostile_pull_paths_refused(brain: Brain, added: Path, project: Path,
                                    path: str) -> None:
    result = brain("remote", "pull", "box", path, cwd=project)
    assert result.exit_code == 2, result.output
    assert "path" in result.stderr


def test_pull_refuses_a_local_symlink_leaving_the_project(
        brain: Brain, added: Path, project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "models").symlink_to(outside)
    result = brain("remote", "pull", "box", "models/model.txt", cwd=project)
    assert result.exit_code == 2
    assert "symlink" in result.stderr
    assert list(outside.iterdir()) == []


def test_symlinks_pointing_outside_are_not_copied(
        brain: Brain, added: Path, project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (project / "leak").symlink_to(secret)
    (project / "inside").symlink_to("fit.py")
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    assert not (added / "leak").exists() and not (added / "leak").is_symlink()
    assert (added / "inside").is_symlink()
    # and on the way back, a hostile remote symlink to an outside file is skipped too
    (added / "evil").symlink_to("/etc/passwd")
    assert brain("remote", "pull", "box", cwd=project).exit_code == 0
    assert not (project / "evil").is_symlink()


def test_missing_remote_path_on_pull_is_clear(brain: Brain, added: Path, project: Path) -> None:
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    result = brain("remote", "pull", "box", "models/nothing.txt", cwd=project)
    assert result.exit_code == 2, result.output
    assert "not on the remote" in result.stderr


def test_unreachable_host_is_exit_3_with_the_fix(brain: Brain, sshd: Sshd, project: Path,
                                                 remote_folder: Path) -> None:
    closed = sshd.port + 1 if sshd.port < 65535 else sshd.port - 1
    url = f"ssh://{sshd.user}@127.0.0.1:{closed}{remote_folder}"
    assert brain("remote", "add", "down", url).exit_code == 0
    result = brain("remote", "push", "down", cwd=project)
    assert result.exit_code == 3
    assert "cannot be reached" in result.stderr
    assert f"ssh -p {closed}" in result.stderr


def test_refused_key_is_exit_3_with_the_fix(brain: Brain, sshd: Sshd, project: Path,
                                            remote_folder: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    config = tmp_path / "ssh_config"
    config.write_text("".join(line for line in sshd.client_config.read_text().splitlines(True)
                              if "IdentityFile" not in line))
    monkeypatch.setenv("BRAIN_SSH_CONFIG", str(config))
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True)
    url = sshd.url(remote_folder)
    assert brain("remote", "add", "box", url, "--identity", str(other)).exit_code == 0
    result = brain("remote", "push", "box", cwd=project)
    assert result.exit_code == 3
    assert "refused the key" in result.stderr
    assert "ssh-copy-id" in result.stderr


def test_missing_rsync_on_the_remote(brain: Brain, sshd: Sshd, project: Path,
                                     remote_folder: Path) -> None:
    # This key's sessions get a PATH with mkdir only: a box without rsync (or brain).
    url = sshd.url(remote_folder)
    assert brain("remote", "add", "bare", url, "--identity", str(sshd.bare_key)).exit_code == 0
    result = brain("remote", "push", "bare", cwd=project)
    assert result.exit_code == 3, result.output
    assert "rsync is not installed" in result.stderr
    assert "apt-get install -y rsync" in result.stderr


def test_pull_before_any_push_is_clear(brain: Brain, added: Path, project: Path) -> None:
    result = brain("remote", "pull", "box", cwd=project)
    assert result.exit_code == 3
    assert "cannot be used" in result.stderr and "push first" in result.stderr
    assert not added.exists()


def test_progress_is_shown_and_changes_still_read(sshd: Sshd, remote_folder: Path,
                                                  project: Path) -> None:
    import io

    from brain.remote.settings import Remote
    from brain.remote.sync import pull, push
    from brain.remote.url import parse_remote_url

    remote = Remote("box", parse_remote_url(sshd.url(remote_folder)))
    shown = io.StringIO()
    result = push(remote, project, str(remote_folder), progress=shown)
    assert "100%" in shown.getvalue()  # rsync's own progress, as a terminal would show it
    assert {"onebrain.yml", "fit.py", "data/train.csv"} <= {c.path for c in result.changes}
    (remote_folder / "notes.md").write_text("x" * 100_000)
    back = pull(remote, project, str(remote_folder), ["notes.md"], progress=io.StringIO())
    assert [change.path for change in back.changes] == ["notes.md"]
    assert (project / "notes.md").stat().st_size == 100_000


def test_whole_pull_never_writes_through_a_local_symlink(
        brain: Brain, added: Path, project: Path, tmp_path: Path) -> None:
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "results").symlink_to(outside)
    (added / "results").mkdir()
    (added / "results" / "x.txt").write_text("from the remote")
    assert brain("remote", "pull", "box", cwd=project).exit_code == 0
    assert list(outside.iterdir()) == []


def test_key_and_config_paths_with_spaces(brain: Brain, sshd: Sshd, remote_folder: Path,
                                          project: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    keys = tmp_path / "my keys"
    keys.mkdir()
    key = keys / "id key"
    shutil.copy(sshd.folder / "client_key", key)
    key.chmod(0o600)
    config = keys / "ssh config"
    config.write_text("".join(line for line in sshd.client_config.read_text().splitlines(True)
                              if "IdentityFile" not in line))
    monkeypatch.setenv("BRAIN_SSH_CONFIG", str(config))
    assert brain("remote", "add", "box", sshd.url(remote_folder),
                 "--identity", str(key)).exit_code == 0
    result = brain("remote", "push", "box", cwd=project)
    assert result.exit_code == 0, result.output
    assert (remote_folder / "fit.py").exists()


@pytest.mark.parametrize("code", [255, 12])
def test_a_key_refused_under_rsync_is_named_whichever_way_rsync_exits(
        code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # ssh refusing the key makes rsync exit 255 or, when its stream closes first, 12; which
    # one is a race on a real server (the test above meets either), so both are fed here.
    import subprocess

    from brain.errors import EnvironmentFailure
    from brain.remote import sync
    from brain.remote.settings import Remote
    from brain.remote.url import parse_remote_url

    said = ("root@127.0.0.1: Permission denied (publickey).\r\nrsync: connection unexpectedly "
            "closed (0 bytes received so far) [sender]\nrsync error: error in rsync protocol "
            f"data stream (code {code}) at io.c(231) [sender=3.2.7]\n")
    monkeypatch.setattr(sync, "_rsync", lambda argv, progress: subprocess.CompletedProcess(
        argv, code, "", said))
    remote = Remote("box", parse_remote_url("ssh://root@127.0.0.1:2222/srv/p"))
    with pytest.raises(EnvironmentFailure, match="refused the key") as raised:
        sync._run_rsync(remote, ["rsync"], "/srv/p", what="pushing to box", progress=None)
    assert "ssh-copy-id" in (raised.value.hint or "")

"""`brain generate` options, answers and prompts."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .helpers import git, snapshot


def _spec(project: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((project / "onebrain.yml").read_text())


def test_name_defaults_to_the_folder(brain, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "My_Project", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert _spec(tmp_path / "My_Project")["name"] == "my_project"


def test_into_the_current_empty_folder(brain, tmp_path: Path) -> None:
    here = tmp_path / "here-project"
    here.mkdir()
    inode = here.stat().st_ino
    result = brain("generate", "--no-input", "-t", "pipeline", ".", cwd=here)
    assert result.exit_code == 0, result.output
    assert here.stat().st_ino == inode  # filled in place: a shell sitting in it keeps working
    assert _spec(here)["name"] == "here-project"
    assert "brain run -e train" in result.stdout  # no `main` here: the last step is suggested
    assert "cd " not in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["here-project"]


def test_every_answer_can_come_from_set(brain, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "--set", "name=from-set", "--set", "namespace=team",
                   "--set", "description=a=b: c", "--set", "author=Ann <ann@example.com>",
                   "--set", "template=api", "--set", "port=9001", "--set", "python_version=3.12",
                   cwd=tmp_path)
    assert result.exit_code == 0, result.output
    spec = _spec(tmp_path / "from-set")
    assert (spec["name"], spec["namespace"], spec["description"]) == ("from-set", "team",
                                                                       "a=b: c")
    assert spec["authors"] == ["Ann <ann@example.com>"]
    assert spec["env"]["python"]["version"] == "3.12"
    assert spec["entry_points"]["main"]["parameters"]["port"]["default"] == 9001


def test_json_output(brain, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "--name", "j", "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["target"] == str(tmp_path / "j")
    assert "onebrain.yml" in data["files"]
    assert data["commit"] == git("rev-parse", "HEAD", cwd=tmp_path / "j")


def test_no_git(brain, tmp_path: Path) -> None:
    assert brain("generate", "--no-input", "--name", "n", "--no-git", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "n" / "onebrain.yml").is_file()
    assert not (tmp_path / "n" / ".git").exists()


def test_inside_an_existing_repository_no_nested_repository(brain, tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    result = brain("generate", "--no-input", "--name", "inner", "projects/inner", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "projects" / "inner" / ".git").exists()
    assert "no nested repository" in result.stderr


def test_missing_parent_folders_are_created(brain, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "--name", "deep", "a/b/deep", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "b" / "deep" / "onebrain.yml").is_file()


def test_bad_answers_write_nothing(brain, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    cases = [
        (["--name", "Bad Name"], "invalid name 'Bad Name'"),
        (["--name", "-rf"], "invalid name '-rf'"),
        (["--name", "x" * 65], "invalid name"),
        (["--name", "ok", "--namespace", "Team A"], "invalid namespace"),
        (["--name", "ok", "--set", "description=two\nlines"], "single line"),
        (["--name", "ok", "--set", "python_version=2.7.1x"], "invalid python_version"),
        (["--name", "ok", "--set", "novalue"], "key=value"),
        (["--name", "ok", "--set", "colour=blue"], "unknown answer 'colour'"),
        (["--name", "ok", "-t", "api", "--set", "port=80"], "port"),
        (["--name", "ok", "-t", "api", "--set", "port=abc"], "port"),
        (["--name", "ok", "--ref", "main"], "--ref applies only"),
        (["--name", "ok", "-t", "basic", "--project", "x"], "exclude each other"),
        ([], "a project name is needed"),
    ]
    for args, message in cases:
        result = brain("generate", "--no-input", *args, cwd=tmp_path)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before


def test_prompts_on_a_terminal(tmp_path: Path) -> None:
    """A real pseudo-terminal: an invalid name is asked again, defaults are offered."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "brain", "generate", "--no-git"], cwd=tmp_path,
        stdin=terminal, stdout=terminal, stderr=terminal, env=dict(os.environ))
    os.close(terminal)
    transcript = b""
    answers = iter([b"Bad Name", b"good-name", b"", b"Prompted: yes", b"", b"apu", b"api",
                    b"99999", b"9100"])
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            transcript += chunk
            if transcript.endswith(b": "):  # a prompt waiting (an echoed answer ends in \n)
                os.write(controller, next(answers, b"") + b"\n")
    process.wait(timeout=30)
    os.close(controller)
    text = transcript.decode()
    assert process.returncode == 0, text
    assert "Project name:" in text and "invalid name 'Bad Name'" in text
    assert "Author [Test User <test@example.com>]:" in text
    assert "Template (api, app, basic," in text and "unknown template 'apu'" in text
    assert "port (Default port the API listens on) [8880]:" in text
    assert "above the maximum" in text or "65535" in text
    spec = _spec(tmp_path / "good-name")
    assert spec["description"] == "Prompted: yes"
    assert spec["namespace"] == "default"
    assert spec["authors"] == ["Test User <test@example.com>"]
    assert spec["entry_points"]["main"]["parameters"]["port"]["default"] == 9100


def test_a_folder_name_made_into_a_project_name_is_said(brain, tmp_path: Path) -> None:
    result = brain("generate", "Bad_Name", "--no-input", "-t", "basic", "--no-git",
                   cwd=tmp_path)
    assert result.exit_code == 0, result.output
    said = [line for line in result.stdout.splitlines() if line.startswith("project name:")]
    assert said == ["project name: bad_name (the folder name 'Bad_Name' is not a valid name; "
                    "--name sets another)"]
    assert "name: bad_name\n" in (tmp_path / "Bad_Name" / "onebrain.yml").read_text()
    same = brain("generate", "good-name", "--no-input", "-t", "basic", "--no-git", cwd=tmp_path)
    assert same.exit_code == 0 and "project name:" not in same.stdout  # nothing to say
    here = tmp_path / "fine-folder"
    here.mkdir()
    dot = brain("generate", ".", "--no-input", "-t", "basic", "--no-git", "--force", cwd=here)
    assert dot.exit_code == 0, dot.output
    assert "project name:" not in dot.stdout


def test_an_invalid_name_suggests_a_valid_one(brain, tmp_path: Path) -> None:
    result = brain("generate", "--name", "Bad_Name", "--no-input", "-t", "basic", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == \
        "error: invalid name 'Bad_Name' (did you mean 'bad_name'?)"
    assert list(tmp_path.iterdir()) == []

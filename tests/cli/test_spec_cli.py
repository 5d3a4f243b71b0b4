"""`brain validate`, `brain info`, `brain schema` and the global options, through the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from brain import __version__

VALID = """\
name: demo
version: 0.1.0
description: A demo project
tags: [a, b]
entry_points:
  fit models:
    type: bash
    command: python fit.py --alpha {{ alpha }}
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1, help: Ridge penalty}
      mode: {type: choice, choices: [fast, full], default: fast}
      ds: {type: date, help: Day of data}
    depends_on: [prepare]
  prepare:
    command: python prepare.py
"""
INVALID = "name: Demo\nversion: 0.1.0\nbuild_enabled: maybe\n"
ANSI = re.compile(r"\x1b\[")


def test_validate_a_file(brain, make_project) -> None:
    root = make_project({"onebrain.yml": VALID})
    result = brain("validate", "onebrain.yml", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: onebrain.yml\n"
    assert result.stderr == ""


def test_validate_defaults_to_the_current_project_and_its_parents(brain, make_project) -> None:
    root = make_project({"onebrain.yml": VALID, "src/deep/x.py": ""})
    assert brain("validate", cwd=root).exit_code == 0
    result = brain("validate", cwd=root / "src" / "deep")
    assert result.exit_code == 0, result.output
    assert "ok:" in result.stdout and "onebrain.yml" in result.stdout


def test_validate_an_invalid_file_lists_every_problem(brain, make_project) -> None:
    root = make_project({"onebrain.yml": INVALID})
    result = brain("validate", cwd=root)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("onebrain.yml:1:7: name: expected a lowercase slug")
    assert lines[1] == ("onebrain.yml:3:16: build_enabled: expected true or false, "
                        "got 'maybe'")
    assert lines[2] == "1 spec checked: 0 valid, 1 invalid (2 problems)"
    assert "Traceback" not in result.output


def test_validate_a_tree_summarises(brain, make_project, tmp_path: Path) -> None:
    make_project({"onebrain.yml": VALID}, name="repo/a")
    make_project({"onebrain.yml": VALID.replace("demo", "other")}, name="repo/b/nested")
    make_project({"onebrain.yml": INVALID}, name="repo/c")
    make_project({"onebrain.yml": INVALID}, name="repo/.venv/skipped")
    make_project({"onebrain.yml": INVALID}, name="repo/node_modules/skipped")
    result = brain("validate", str(tmp_path / "repo"))
    assert result.exit_code == 2
    assert result.stdout.count("ok: ") == 2
    assert "c/onebrain.yml:1:7: name:" in result.stderr
    assert "skipped" not in result.output
    assert result.stderr.splitlines()[-1] == "3 specs checked: 2 valid, 1 invalid (2 problems)"


def test_validate_several_paths_all_valid(brain, make_project) -> None:
    one = make_project({"onebrain.yml": VALID})
    two = make_project({"onebrain.yaml": VALID})
    result = brain("validate", str(one), str(two / "onebrain.yaml"), str(one))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "2 specs checked: 2 valid, 0 invalid"


def test_validate_json(brain, make_project) -> None:
    good = make_project({"onebrain.yml": VALID})
    bad = make_project({"onebrain.yml": INVALID})
    result = brain("validate", "--json", str(good), str(bad))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert (report["valid"], report["invalid"]) == (1, 1)
    first, second = report["specs"]
    assert first["valid"] and first["problems"] == []
    assert not second["valid"]
    assert [(p["line"], p["column"], p["field"]) for p in second["problems"]] == [
        (1, 7, "name"), (3, 16, "build_enabled")]
    assert second["problems"][1]["message"] == "expected true or false, got 'maybe'"


@pytest.mark.parametrize(("args", "message"), [
    (["validate", "nowhere"], "nowhere: no such file or folder"),
    (["info", "nowhere"], "nowhere: no such file or folder"),
    (["validate", "."], "no onebrain.yml in or under"),
    (["info"], "no onebrain.yml here or in any parent folder"),
])
def test_missing_projects_are_one_clear_line(brain, tmp_path: Path, args: list[str],
                                             message: str) -> None:
    result = brain(*args, cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_info_table(brain, make_project) -> None:
    root = make_project({"onebrain.yml": VALID})
    result = brain("info", cwd=root)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("default/demo 0.1.0\n  A demo project\n")
    assert "fit models [bash] (after prepare): python fit.py --alpha {{ alpha }}" in out
    assert "prepare [shell]: python prepare.py" in out
    rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
    assert rows[0] == ["entry", "parameter", "type", "default", "help"]
    assert ["fit models", "alpha", "float [0, 1]", "0.5", "Ridge penalty"] in rows
    assert ["fit models", "mode", "choice (fast | full)", "fast", ""] in rows
    assert ["fit models", "ds", "date", "(required)", "Day of data"] in rows
    assert not ANSI.search(result.output)


def test_info_json(brain, make_project) -> None:
    root = make_project({"onebrain.yml": VALID})
    result = brain("info", "--json", str(root))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["name"], data["version"], data["namespace"]) == ("demo", "0.1.0", "default")
    assert data["path"] == str(root.resolve())
    assert len(data["spec_hash"]) == 64
    entry = data["entry_points"]["fit models"]
    assert entry["depends_on"] == ["prepare"]
    assert entry["parameters"]["alpha"] == {
        "type": "float", "default": 0.5, "required": False, "help": "Ridge penalty",
        "min": 0.0, "max": 1.0, "choices": None}
    assert entry["parameters"]["ds"]["required"] is True


def test_info_on_an_invalid_project_exits_2_with_the_problems(brain, make_project) -> None:
    root = make_project({"onebrain.yml": INVALID})
    result = brain("info", cwd=root)
    assert result.exit_code == 2
    assert "onebrain.yml:3:16: build_enabled:" in result.stderr
    assert "error: 2 problems found" in result.stderr
    assert "hint: " in result.stderr


def test_schema_to_stdout_and_to_a_file(brain, tmp_path: Path) -> None:
    from brain.spec.schema import schema_text

    printed = brain("schema")
    assert printed.exit_code == 0
    assert printed.stdout == schema_text()
    assert json.loads(printed.stdout)["title"] == "onebrain.yml"
    target = tmp_path / "schema.json"
    written = brain("schema", "-o", str(target))
    assert written.exit_code == 0
    assert target.read_text() == schema_text()
    assert "wrote" in written.stdout


def test_schema_to_an_unwritable_place_is_a_clear_error(brain, tmp_path: Path) -> None:
    result = brain("schema", "-o", str(tmp_path / "missing" / "dir" / "schema.json"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write ")
    assert "Traceback" not in result.output


def test_project_option_changes_folder(brain, make_project, tmp_path: Path) -> None:
    root = make_project({"onebrain.yml": VALID})
    result = brain("-C", str(root), "info", "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "demo"
    missing = brain("-C", str(tmp_path / "nope"), "validate")
    assert missing.exit_code == 2
    assert "cannot enter" in missing.stderr


def test_version(brain) -> None:
    result = brain("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"brain, version {__version__}"


def test_debug_shows_the_traceback_only_when_asked(brain, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = brain("info", "nowhere", cwd=tmp_path)
    assert quiet.exit_code == 2 and "Traceback" not in quiet.output
    loud = brain("--debug", "info", "nowhere", cwd=tmp_path)
    assert loud.exit_code == 2
    assert "Traceback (most recent call last)" in loud.stderr
    assert "error: " in loud.stderr
    monkeypatch.setenv("BRAIN_DEBUG", "1")
    by_env = brain("info", "nowhere", cwd=tmp_path)
    assert "Traceback (most recent call last)" in by_env.stderr


def test_plain_output_without_no_color_when_not_a_terminal(brain, make_project,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    good = make_project({"onebrain.yml": VALID})
    bad = make_project({"onebrain.yml": INVALID})
    for args in (["validate", str(good), str(bad)], ["info", str(good)], ["info", str(bad)]):
        result = brain(*args)
        assert not ANSI.search(result.output), args


def test_no_color_is_honoured_on_a_terminal(make_project) -> None:
    """Under a real pseudo-terminal rich styling appears, and NO_COLOR turns it off."""
    import os
    import pty

    root = make_project({"onebrain.yml": VALID})

    def run_in_pty(env: dict[str, str]) -> str:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "brain", "info", str(root)], stdin=follower,
            stdout=follower, stderr=follower, env=env, close_fds=True)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        os.close(leader)
        return b"".join(chunks).decode(errors="replace")

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    coloured = run_in_pty(env)
    assert ANSI.search(coloured), coloured
    plain = run_in_pty({**env, "NO_COLOR": "1"})
    assert "demo" in plain and not ANSI.search(plain), plain


def test_help_texts_carry_examples(brain) -> None:
    for command in ("validate", "info", "schema"):
        result = brain(command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.stdout and f"brain {command}" in result.stdout


def test_help_imports_no_heavy_library() -> None:
    """`brain --help` stays fast: no pydantic, jinja2, rich, yaml, docker or git imported."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['brain', '--help']\n"
        "try:\n    runpy.run_module('brain', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('pydantic', 'jinja2', 'rich', 'yaml', 'docker', 'git')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def test_validate_lists_five_mistakes_of_five_kinds(brain, make_project) -> None:
    root = make_project({"onebrain.yml": """\
        name: demo
        version: 0.1.0
        entry_points:
          train:
            command: python train.py --lr {{ lr }} --epochs {{ epochs }}
            parameters:
              lr: {type: float, default: 1.5, max: 1}
              seed: {type: int, defualt: 1}
            depends_on: [prepare]
          prepare:
            command: python prepare.py
            depends_on: [train]
        hardware: {gpu: many}
        """})
    result = brain("validate", cwd=root)
    assert result.exit_code == 2
    located = [line.split(": ")[0:2] for line in result.stderr.splitlines()[:-1]]
    assert located == [
        ["onebrain.yml:5:14", "entry_points.train.command"],
        ["onebrain.yml:7:34", "entry_points.train.parameters.lr.default"],
        ["onebrain.yml:8:25", "entry_points.train.parameters.seed.defualt"],
        ["onebrain.yml:12:17", "entry_points.prepare.depends_on"],
        ["onebrain.yml:13:17", "hardware.gpu"],
    ]
    assert result.stderr.splitlines()[-1].endswith("(5 problems)")

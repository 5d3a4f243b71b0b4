"""`brain ide vscode` and `brain ide ssh-config`: files written, merged without losing what
was there, and refused when they cannot be merged safely."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Brain = Callable[..., Result]

SPEC = """
name: editor-demo
version: 1.2.0
namespace: team
entry_points:
  train:
    type: python
    script: src/train.py
    parameters:
      alpha: {type: float, default: 0.5}
      ds: {type: date}
  tool:
    type: python
    module: demo.tool
  main:
    type: shell
    command: python -c "print(1)" {{ mode }}
    parameters:
      mode: {type: choice, choices: [fast, full], default: fast}
"""


def make(make_project: Callable[..., Path]) -> Path:
    return make_project({"onebrain.yml": SPEC, "src/train.py": "print('train')\n"})


def read(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())


def test_vscode_files(brain: Brain, make_project: Callable[..., Path]) -> None:
    root = make(make_project)
    result = brain("ide", "vscode", "--json", cwd=root)
    assert result.exit_code == 0, result.output
    assert [item["action"] for item in json.loads(result.stdout)] == ["created"] * 3
    settings = read(root / ".vscode" / "settings.json")
    assert settings["python.defaultInterpreterPath"] == \
        "${workspaceFolder}/.brain/venv/bin/python"
    launch = {config["name"]: config for config in
              read(root / ".vscode" / "launch.json")["configurations"]}
    assert set(launch) == {"brain: train", "brain: tool", "brain: main"}
    assert launch["brain: train"]["program"] == "${workspaceFolder}/src/train.py"
    assert launch["brain: train"]["args"] == ["--alpha", "0.5"]  # defaults only
    assert launch["brain: tool"]["module"] == "demo.tool"
    assert launch["brain: main"]["args"] == ["run", "-e", "main", "-P", "mode=fast"]
    container = read(root / ".devcontainer" / "devcontainer.json")
    assert container["image"] == "team/editor-demo:1.2.0"
    again = json.loads(brain("ide", "vscode", "--json", cwd=root).stdout)
    assert [item["action"] for item in again] == ["unchanged"] * 3


def test_existing_keys_and_configurations_are_kept(brain: Brain,
                                                   make_project: Callable[..., Path]) -> None:
    root = make(make_project)
    (root / ".vscode").mkdir()
    (root / ".vscode" / "settings.json").write_text(json.dumps(
        {"python.defaultInterpreterPath": "/opt/mine/python", "editor.tabSize": 2}))
    mine = {"name": "brain: train", "type": "debugpy", "request": "launch", "program": "x.py"}
    (root / ".vscode" / "launch.json").write_text(json.dumps(
        {"version": "0.2.0", "configurations": [mine]}))
    result = brain("ide", "vscode", cwd=root)
    assert result.exit_code == 0, result.output
    settings = read(root / ".vscode" / "settings.json")
    assert settings["python.defaultInterpreterPath"] == "/opt/mine/python"
    assert settings["editor.tabSize"] == 2
    assert "python.terminal.activateEnvironment" in settings
    configurations = read(root / ".vscode" / "launch.json")["configurations"]
    assert configurations[0] == mine
    assert [config["name"] for config in configurations] == \
        ["brain: train", "brain: tool", "brain: main"]


def test_commented_file_is_refused_and_left_alone(brain: Brain,
                                                  make_project: Callable[..., Path]) -> None:
    root = make(make_project)
    (root / ".vscode").mkdir()
    text = '{\n  // my setting\n  "editor.tabSize": 2,\n}\n'
    (root / ".vscode" / "settings.json").write_text(text)
    result = brain("ide", "vscode", cwd=root)
    assert result.exit_code == 2
    assert "not plain JSON" in result.stderr
    assert (root / ".vscode" / "settings.json").read_text() == text


def test_symlinked_file_is_not_written_through(brain: Brain, make_project: Callable[..., Path],
                                               tmp_path: Path) -> None:
    root = make(make_project)
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    (root / ".vscode").mkdir()
    (root / ".vscode" / "settings.json").symlink_to(outside)
    assert brain("ide", "vscode", cwd=root).exit_code == 2
    assert outside.read_text() == "{}"


def test_ssh_config_block(brain: Brain) -> None:
    assert brain("remote", "add", "gpu-box", "ssh://me@gpu.example.com:2222/srv/x",
                 "--identity", "/keys/id_gpu").exit_code == 0
    result = brain("ide", "ssh-config", "gpu-box")
    assert result.exit_code == 0
    assert result.stdout == ("Host brain-gpu-box\n    HostName gpu.example.com\n    User me\n"
                             "    Port 2222\n    IdentityFile /keys/id_gpu\n"
                             "    IdentitiesOnly yes\n")
    assert brain("ide", "ssh-config", "nope").exit_code == 2


def test_help_lists_the_remote_work_commands(brain: Brain) -> None:
    result = brain("--help")
    assert "Remote work:" in result.stdout
    for name in ("remote", "lab", "kernel", "ide"):
        assert brain(name, "--help").exit_code == 0


def test_any_existing_settings_file_merges_or_is_refused(make_project: Callable[..., Path]
                                                         ) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from brain.errors import InvalidInput
    from brain.ide import write_vscode_files

    root = make(make_project)
    target = root / ".vscode" / "settings.json"
    target.parent.mkdir()

    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
              deadline=None)
    @given(st.one_of(st.binary(max_size=200),
                     st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                                  lambda inner: st.lists(inner, max_size=3)
                                  | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                                  max_leaves=8).map(lambda v: json.dumps(v).encode())))
    def check(content: bytes) -> None:
        target.write_bytes(content)
        try:
            write_vscode_files(root)
        except InvalidInput:
            assert target.read_bytes() == content  # refused: left exactly as it was
            return
        merged = json.loads(target.read_text())
        before = json.loads(content)
        assert all(merged[key] == value for key, value in before.items())  # nothing lost

    check()

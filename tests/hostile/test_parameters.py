"""Parameters stay data: `path` values stay inside the project, nothing a user passes becomes
an option, and text fields keep the text as written (YAML 1.2 reading, no silent change)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.errors import InvalidInput
from brain.params import ParameterError, coerce, format_value, resolve
from brain.runs.plan import plan_run
from brain.spec.loader import load_project, problems_for
from brain.spec.models import Parameter
from tests.conftest import Result
from tests.hostile.conftest import SENTINEL

SPEC = """
name: params
version: 0.1.0
entry_points:
  read:
    type: shell
    command: cat {{ data }}
    parameters:
      data: {type: path, default: data/in.csv}
  anywhere:
    type: shell
    command: cat {{ data }}
    parameters:
      data: {type: path, outside_project: true}
  say:
    type: shell
    command: echo {{ msg }}
    parameters:
      msg: {type: str}
      where: {type: uri, default: "s3://bucket/key"}
      n: {type: int, default: 1}
"""


@pytest.fixture
def project(make_project: Callable[..., Path], tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SENTINEL)
    root = make_project({"onebrain.yml": SPEC, "data/in.csv": "a,b\n"})
    (root / "escape").symlink_to(outside)
    (root / "inner").symlink_to("data")
    return root


@pytest.mark.parametrize(("value", "why"), [
    ("/etc/passwd", "is absolute"),
    ("../../x", "leads out of the project"),
    ("data/../../x", "leads out of the project"),
    ("escape/secret.txt", "through a symlink"),
    ("escape", "through a symlink"),
])
def test_path_leaving_the_project_is_refused(brain: Callable[..., Result], project: Path,
                                             value: str, why: str) -> None:
    for args in (["run", str(project), "--no-setup", "-e", "read", "-P", f"data={value}"],
                 ["run", str(project), "--no-setup", "--dry-run", "-e", "read", "-P",
                  f"data={value}"],
                 ["generate-url", str(project), "-e", "read", "-P", f"data={value}"]):
        result = brain(*args)
        assert result.exit_code == 2, (args, result.output)
        assert why in result.stderr, result.stderr
        assert SENTINEL not in result.output


def test_path_inside_the_project_runs(project: Path) -> None:
    loaded = load_project(project)
    for value in ("data/in.csv", "inner/in.csv", "./data/../data/in.csv", "new/out.csv"):
        assert plan_run(loaded, "read", {"data": value}).argv[0] == "cat"


def test_outside_project_opts_out_per_parameter(project: Path) -> None:
    plan = plan_run(load_project(project), "anywhere", {"data": "/etc/passwd"})
    assert plan.argv == ("cat", "/etc/passwd")
    plan = plan_run(load_project(project), "anywhere", {"data": "escape/secret.txt"})
    assert plan.argv == ("cat", "escape/secret.txt")


def test_outside_project_applies_only_to_paths(tmp_path: Path) -> None:
    spec = tmp_path / "onebrain.yml"
    spec.write_text("name: p\nversion: 0.1.0\nentry_points:\n  m:\n    command: echo\n"
                    "    parameters:\n      s: {type: str, outside_project: true}\n")
    problems, _ = problems_for(spec)
    assert [p.format("onebrain.yml") for p in problems] == [
        "onebrain.yml:7:22: entry_points.m.parameters.s.outside_project: "
        "'outside_project' applies to type path, not str"]


def test_a_path_starting_with_a_dash_is_never_an_option(project: Path) -> None:
    plan = plan_run(load_project(project), "read", {"data": "-rf"})
    assert plan.argv == ("cat", "./-rf")
    plan = plan_run(load_project(project), "read", {"data": "--help"})
    assert plan.argv == ("cat", "./--help")


@pytest.mark.parametrize("value", ["-rf", "--help", "-", "-1"])
def test_text_starting_with_a_dash_is_refused(brain: Callable[..., Result], project: Path,
                                              value: str) -> None:
    result = brain("run", str(project), "--no-setup", "-e", "say", "-P", f"msg={value}")
    assert result.exit_code == 2
    assert "begins with '-'" in result.stderr
    uri = brain("run", str(project), "--no-setup", "-e", "say", "-P", "msg=x", "-P",
                f"where={value}x://a")
    assert uri.exit_code == 2


def test_negative_numbers_are_numbers(project: Path) -> None:
    plan = plan_run(load_project(project), "say", {"msg": "x", "n": "-3"})
    assert plan.parameters["n"] == -3


YAML_1_1 = """
name: yaml-text
version: 1.10
description: "quoted"
env:
  variables: {TZ: on, A: NO, B: 1.10, C: 0x1F, D: True, E: ~, F: 2024-01-01, G: y}
entry_points:
  main:
    command: python show.py {{ a }} {{ b }} {{ c }} {{ d }} {{ e }}
    parameters:
      a: {type: str, default: NO}
      b: {type: str, default: 1.10}
      c: {type: str, default: 0x1F}
      d: {type: choice, choices: [1.10, 2, yes, True], default: 1.10}
      e: {type: str, default: off}
      f: {type: date, default: 2024-01-01}
      g: {type: bool, default: no}
"""


def test_yaml_1_1_scalars_keep_the_text_as_written(make_project: Callable[..., Path]) -> None:
    project = load_project(make_project({"onebrain.yml": YAML_1_1}))
    assert project.spec.version == "1.10"
    assert dict(project.spec.env.variables) == {
        "TZ": "on", "A": "NO", "B": "1.10", "C": "0x1F", "D": "True", "E": "~",
        "F": "2024-01-01", "G": "y"}
    plan = plan_run(project, "main", {})
    assert plan.argv[2:7] == ("NO", "1.10", "0x1F", "1.10", "off")
    assert plan.parameters["f"] == date(2024, 1, 1)
    assert plan.parameters["g"] is False
    assert plan.variables["TZ"] == "on"
    assert plan.parameters["d"] == "1.10"
    assert project.spec.entry_points["main"].parameters["d"].choices == ("1.10", 2, "yes", "True")


@pytest.mark.parametrize(("line", "message"), [
    ("description: yes\n", None),
    ("description: true\n", "expected text, got true, which YAML reads as true/false: "
                            "write 'true' in quotes"),
    ("tags: [on, 12]\n", "expected text, got 12, which YAML reads as a number: write '12'"),
    ("entry_points:\n  m:\n    command: echo\n    parameters:\n      s: {type: str, default: ~}\n",
     "~ is YAML's null (no default) for a str parameter: write '~' in quotes"),
    ("entry_points:\n  m:\n    command: echo\n    parameters:\n      s: {type: str, default: -x}\n",
     "begins with '-'"),
])
def test_ambiguous_scalars_are_located_errors_asking_for_quotes(
        tmp_path: Path, line: str, message: str | None) -> None:
    spec = tmp_path / "onebrain.yml"
    spec.write_text("name: p\nversion: 0.1.0\n" + line)
    problems, project = problems_for(spec)
    if message is None:
        assert problems == [] and project is not None
        assert project.spec.description == "yes"
        return
    assert len(problems) == 1 and problems[0].mark is not None, problems
    assert message in problems[0].message


def test_env_variable_reaches_the_child_as_written(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": (
        "name: envtext\nversion: 0.1.0\nenv:\n  variables: {TZ: on, V: 1.10, N: NO}\n"
        "entry_points:\n  main: {type: bash, command: 'echo \"$TZ $V $N\" > out.txt'}\n")})
    result = brain("run", str(root), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)
    text = json.dumps(planned)
    assert '"TZ": "on"' in text and '"V": "1.10"' in text and '"N": "NO"' in text


# -- coercion, property-based -------------------------------------------------------------

KINDS = ["str", "int", "float", "bool", "path", "uri", "date", "choice"]
raw_values = st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(),
                       st.dates(), st.none(), st.lists(st.integers(), max_size=2))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), raw=raw_values, outside=st.booleans(),
       nan=st.booleans())
def test_coercion_round_trips_or_says_why(kind: str, raw: Any, outside: bool,
                                          nan: bool) -> None:
    param = Parameter(type=kind, choices=("a", 1, 2.5) if kind == "choice" else None,
                      outside_project=outside and kind == "path", allow_nan=nan)  # type: ignore[arg-type]
    try:
        value = coerce(param, raw)
    except ParameterError:
        return
    assert coerce(param, format_value(value)) == value or value != value  # nan != nan
    if kind in ("str", "uri", "path"):
        assert not format_value(value).startswith("-")
    if kind == "path" and not outside:
        assert not format_value(value).startswith("/")
        assert os.path.normpath(format_value(value)).split("/")[0] != ".."


@settings(max_examples=300, deadline=None)
@given(given=st.dictionaries(st.sampled_from(["msg", "n", "where", "zzz"]),
                             st.text(max_size=20), max_size=4))
def test_resolve_raises_only_invalid_input(given: dict[str, str]) -> None:
    declared = {"msg": Parameter(type="str"), "n": Parameter(type="int", default=1),  # type: ignore[arg-type]
                "where": Parameter(type="uri", default="s3://b/k")}  # type: ignore[arg-type]
    try:
        values = resolve(declared, given, entry="say")
    except InvalidInput:
        return
    assert set(values) == set(declared)


# -- the same rules through `brain launch` and the hub's API

SHARED_SPEC = """\
name: shared
version: 0.1.0
entry_points:
  read:
    type: bash
    command: cat {{ data }}
    parameters:
      data: {type: path, default: in.csv}
      msg: {type: str, default: hi}
"""


@pytest.mark.parametrize(("param", "why"), [
    ("data=/etc/passwd", "is absolute"),
    ("data=../../x", "leads out of the project"),
    ("data=escape/secret.txt", "through a symlink"),
    ("msg=-rf", "begins with '-'"),
])
def test_launch_and_hub_refuse_parameters_that_leave_the_project(
        brain: Callable[..., Result], make_remote: Callable[..., Any],
        start_hub: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        param: str, why: str) -> None:
    import httpx

    from brain.share.url import make_link
    from tests.share.conftest import git

    monkeypatch.setenv("BRAIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BRAIN_HUB_SECRET", raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SENTINEL)
    remote = make_remote({"onebrain.yml": SHARED_SPEC, "in.csv": "a\n"}, push=False)
    (remote.project / "escape").symlink_to(outside)
    git(remote.work, "add", "-A")
    git(remote.work, "commit", "-qm", "project")
    git(remote.work, "push", "-q", "-u", "origin", "main")
    commit = git(remote.work, "rev-parse", "HEAD")
    name, value = param.split("=", 1)
    link = make_link(remote.url, commit, path="projects/hello", entry="read",
                     params={name: value})
    launched = brain("launch", link.to_url())
    assert launched.exit_code == 2, launched.output
    assert why in launched.stderr and SENTINEL not in launched.output
    hub = start_hub()
    with httpx.Client(base_url=hub.url, timeout=60) as client:
        answer = client.post("/api/launches", json={"link": link.to_url()})
    assert answer.status_code == 400, answer.text
    assert why in answer.json()["error"] and SENTINEL not in answer.text

"""Hostile parameter values never become shell syntax and reach the child verbatim, as one
argument, for every entry type; bad values stop with exit 2 and one clear line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.run.conftest import DUMP_SCRIPT, build_environment, write_files

HOSTILE = [
    "0.5; touch SENTINEL",
    "$(touch SENTINEL)",
    "`touch SENTINEL`",
    "'; touch SENTINEL; '",
    '"; touch SENTINEL; "',
    "x\ntouch SENTINEL",
    "a && touch SENTINEL || touch SENTINEL",
    "> SENTINEL",
    "ünïcödé ☃ 日本語",
    "a=b=c",
    "  spaces  ",
    "*",
    "~",
    "$HOME",
    "back\\slash",
    "",
]

SPEC = """
name: hostile
version: 0.1.0
entry_points:
  shell: {type: shell, command: "python dump.py {{ v }}", parameters: {v: {type: str}}}
  bash: {type: bash, command: "python dump.py {{ v }}", parameters: {v: {type: str}}}
  python: {type: python, script: dump.py, parameters: {v: {type: str}}}
  appended: {type: shell, command: python dump.py, parameters: {v: {type: str}}}
  typed:
    type: shell
    command: python dump.py
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1}
      ds: {type: date}
      mode: {type: choice, choices: [fast, full], default: fast}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, module_home: None) -> Path:
    root = write_files(tmp_path_factory.mktemp("hostile"),
                       {"onebrain.yml": SPEC, "dump.py": DUMP_SCRIPT})
    build_environment(root)
    return root


def run_json(brain: Callable[..., Result], project: Path, *args: str) -> dict[str, object]:
    result = brain("run", str(project), "--no-setup", "--json", *args)
    assert result.exit_code == 0, result.output
    record: dict[str, object] = json.loads(result.stdout)
    return record


def received(project: Path, record: dict[str, object]) -> list[str]:
    argv: list[str] = json.loads((project / "dumps" / f"{record['id']}.json").read_text())
    return argv


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["shell", "bash", "python", "appended"])
@pytest.mark.parametrize("value", HOSTILE)
def test_value_arrives_verbatim_as_one_argument(brain: Callable[..., Result], project: Path,
                                                entry: str, value: str) -> None:
    record = run_json(brain, project, "-e", entry, "-P", f"v={value}")
    argv = received(project, record)
    if entry in ("shell", "bash"):
        assert argv == [value]
    else:
        assert argv == ["--v", value]
    assert not (project / "SENTINEL").exists()
    assert record["parameters"] == {"v": value}
    assert record["status"] == "succeeded"


@pytest.mark.parametrize("entry", ["shell", "bash", "python", "appended"])
@pytest.mark.parametrize("value", ["-rf", "--help", "-"])
def test_text_that_would_read_as_an_option_is_refused(brain: Callable[..., Result],
                                                      project: Path, entry: str,
                                                      value: str) -> None:
    """A `str` value starting with '-' would be an option of the command: refused, exit 2."""
    dumps = project / "dumps"
    before = sorted(dumps.iterdir()) if dumps.exists() else []
    result = brain("run", str(project), "--no-setup", "-e", entry, "-P", f"v={value}")
    assert result.exit_code == 2, result.output
    assert "begins with '-'" in result.stderr
    assert (sorted(dumps.iterdir()) if dumps.exists() else []) == before  # nothing ran


@pytest.mark.parametrize(("args", "message"), [
    (["-e", "typed", "-P", "ds=2022-01-01", "-P", "alhpa=0.5"],
     "unknown parameter 'alhpa' (did you mean 'alpha'? declared: alpha, ds, mode)"),
    (["-e", "typed", "-P", "ds=2022-01-01", "-P", "alpha=abc"],
     "parameter 'alpha': expected a number, got 'abc'"),
    (["-e", "typed", "-P", "ds=2022-01-01", "-P", "alpha=nan"],
     "parameter 'alpha': 'nan' is not a finite number"),
    (["-e", "typed", "-P", "ds=2022-01-01", "-P", "alpha=1.5"],
     "parameter 'alpha': 1.5 is above the maximum 1"),
    (["-e", "typed", "-P", "ds=01/02/2022"],
     "parameter 'ds': expected an ISO date (YYYY-MM-DD), got '01/02/2022'"),
    (["-e", "typed", "-P", "ds=2022-01-01", "-P", "mode=slow"],
     "parameter 'mode': expected one of fast, full, got 'slow'"),
    (["-e", "typed"], "missing required ds (date)"),
    (["-e", "typed", "-P", "ds"], "parameter 'ds' is not in the form name=value"),
    (["-e", "typed", "-P", "=2022-01-01"], "is not in the form name=value"),
    (["-e", "shell", "-P", "v=a\x00b"], "parameter 'v': a value cannot contain a NUL byte"),
    (["-e", "shell", "-P", "v=\udcff"], "parameter 'v': '\\udcff' is not valid UTF-8 text"),
    (["-e", "shel"], "unknown entry point 'shel' (did you mean 'shell'?"),
])
def test_bad_input_exits_2_with_one_clear_line(brain: Callable[..., Result], project: Path,
                                               args: list[str], message: str) -> None:
    result = brain("run", str(project), "--no-setup", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_every_problem_is_reported_at_once(brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "--no-setup", "-e", "typed", "-P", "alpha=x",
                   "-P", "nope=1")
    assert result.exit_code == 2
    line = result.stderr.splitlines()[0]
    assert "unknown parameter 'nope'" in line and "'alpha': expected a number" in line
    assert "missing required ds (date)" in line


def test_bad_input_records_nothing(brain: Callable[..., Result], project: Path,
                                   isolated: Path) -> None:
    brain("run", str(project), "--no-setup", "-e", "typed", "-P", "alpha=nan")
    assert not (isolated / "brain.db").exists()


def test_typed_values_reach_the_child_in_canonical_form(brain: Callable[..., Result],
                                                        project: Path) -> None:
    record = run_json(brain, project, "-e", "typed", "-P", "ds=2022-01-01", "-P", "alpha=.25")
    assert received(project, record) == ["--alpha", "0.25", "--ds", "2022-01-01",
                                         "--mode", "fast"]
    assert record["parameters"] == {"alpha": 0.25, "ds": "2022-01-01", "mode": "fast"}

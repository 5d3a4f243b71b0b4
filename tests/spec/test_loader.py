"""Loading specs: the seed spec as written, aliases, versions, every problem at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from brain.errors import InvalidInput, SpecInvalid
from brain.spec.loader import load_project, problems_for

# The spec from the original Onebrain material (issue 2), comment line and `tag:` included.
SEED = """\
name: my-cool-api
version: 0.0.2
namespace: prototypes
description: I'm making a cool API
tag: [llm]
authors:
  - Jane Doe <jane.doe@airbnb.com>
build_enabled: true
entry_points:
  main:
    type: shell
    command: uvicorn app.main:app --host 0.0.0.0 --port {{ port }}
    parameters:
      port:
        type: int
        default: 8880
env:
  python:
    pip:
      fastapi: ==0.100.0
      # https://github.com/tiangolo/fastapi/discussions/9709#discussioncomment-6396226
      pydantic: ==1.10.11
      uvicorn[standard]: ==0.22.0
"""

# Five mistakes of five kinds, in file order: an unknown key, a bad type, a template naming an
# undeclared parameter, a default outside its range, a depends_on cycle.
FIVE_MISTAKES = """\
name: demo
version: 0.1.0
descripton: typo in a key
build_enabled: sometimes
entry_points:
  train:
    command: python train.py --lr {{ lr }} --epochs {{ epochs }}
    parameters:
      lr: {type: float, default: 1.5, min: 0, max: 1}
    depends_on: [prepare]
  prepare:
    command: python prepare.py
    depends_on: [train]
"""


def write(tmp_path: Path, text: str, name: str = "onebrain.yml") -> Path:
    spec = tmp_path / name
    spec.write_text(textwrap.dedent(text))
    return spec


def test_seed_spec_validates_exactly_as_written(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, SEED))
    spec = project.spec
    assert (spec.name, spec.version, spec.namespace) == ("my-cool-api", "0.0.2", "prototypes")
    assert spec.tags == ("llm",)
    assert spec.authors == ("Jane Doe <jane.doe@airbnb.com>",)
    assert spec.build_enabled is True
    port = spec.entry_points["main"].parameters["port"]
    assert (port.type, port.default) == ("int", 8880)
    assert spec.env.python.requirement_lines() == [
        "fastapi==0.100.0", "pydantic==1.10.11", "uvicorn[standard]==0.22.0"]
    assert project.root == tmp_path.resolve()
    assert len(project.spec_hash) == 64


def test_five_mistakes_are_all_listed_with_their_lines_in_file_order(tmp_path: Path) -> None:
    problems, project = problems_for(write(tmp_path, FIVE_MISTAKES))
    assert project is None
    found = [(p.mark.line if p.mark else 0, p.field) for p in problems]
    assert found == [
        (3, "descripton"),
        (4, "build_enabled"),
        (7, "entry_points.train.command"),
        (9, "entry_points.train.parameters.lr.default"),
        (13, "entry_points.prepare.depends_on"),
    ]
    messages = [p.message for p in problems]
    assert "did you mean 'description'?" in messages[0]
    assert messages[1] == "expected true or false, got 'sometimes'"
    assert "{{ epochs }}" in messages[2] and "declared: lr" in messages[2]
    assert messages[3] == "the default does not fit: 1.5 is above the maximum 1"
    assert messages[4].startswith("dependency cycle: train -> prepare -> train")


def test_load_project_raises_one_line_per_problem(tmp_path: Path) -> None:
    write(tmp_path, FIVE_MISTAKES)
    with pytest.raises(SpecInvalid) as raised:
        load_project(tmp_path)
    assert raised.value.message == "5 problems found"
    assert [line.split(":")[1] for line in raised.value.problems] == ["3", "4", "7", "9", "13"]
    assert all(line.startswith(str(tmp_path / "onebrain.yml")) or
               line.startswith("onebrain.yml") for line in raised.value.problems)


def test_a_broken_entry_point_does_not_hide_problems_in_the_others(tmp_path: Path) -> None:
    problems, _ = problems_for(write(tmp_path, """\
        name: demo
        version: 1.0
        entry_points:
          a:
            type: nonsense
            command: run {{ x }}
          b:
            command: run {{ y }}
            parameters:
              y: {type: int, default: 2, max: 1}
              z: {type: floaty}
            depends_on: [c]
        """))
    assert [(p.mark.line if p.mark else 0, p.field) for p in problems] == [
        (5, "entry_points.a.type"),
        (10, "entry_points.b.parameters.y.default"),
        (11, "entry_points.b.parameters.z.type"),
        (12, "entry_points.b.depends_on.0"),
    ]


def test_an_invalid_parameter_still_counts_as_declared(tmp_path: Path) -> None:
    problems, _ = problems_for(write(tmp_path, """\
        name: demo
        version: 1.0
        entry_points:
          main:
            command: run {{ alpha }}
            parameters:
              alpha: {type: float, default: 0.5, colour: red}
        """))
    assert [p.field for p in problems] == ["entry_points.main.parameters.alpha.colour"]


@pytest.mark.parametrize(("written", "meant"), [
    ("0.1", "0.1"), ("'0.1'", "0.1"), ("1", "1"), ("1.0", "1.0"), ("0.10", "0.10"),
    ("2024.1.0", "2024.1.0"), ('"1.2.3rc1"', "1.2.3rc1"),
])
def test_versions_keep_their_written_form(tmp_path: Path, written: str, meant: str) -> None:
    project = load_project(write(tmp_path, f"name: demo\nversion: {written}\n"))
    assert project.spec.version == meant


@pytest.mark.parametrize(("written", "meant"), [("3.10", "3.10"), ("'3.11'", "3.11"),
                                                ("3.12.1", "3.12.1"), ("3.9", "3.9")])
def test_python_version_unquoted_keeps_its_digits(tmp_path: Path, written: str,
                                                  meant: str) -> None:
    project = load_project(write(tmp_path, f"name: demo\nversion: 1.0\n"
                                           f"env:\n  python:\n    version: {written}\n"))
    assert project.spec.env.python.version == meant


def test_tag_and_tags_are_the_same_key(tmp_path: Path) -> None:
    assert load_project(write(tmp_path, "name: a\nversion: '1'\ntag: x\n")).spec.tags == ("x",)
    assert load_project(write(tmp_path, "name: a\nversion: '1'\ntags: [x, y]\n")).spec.tags == (
        "x", "y")
    problems, _ = problems_for(write(tmp_path, "name: a\nversion: '1'\ntags: [x]\ntag: [y]\n"))
    assert [(p.mark.line if p.mark else 0, p.field) for p in problems] == [(4, "tag")]
    assert problems[0].message == "'tag' and 'tags' are the same key; keep only one of them"


def test_yaml_extension_and_folder_lookup(tmp_path: Path) -> None:
    write(tmp_path, "name: demo\nversion: 1.0\n", name="onebrain.yaml")
    assert load_project(tmp_path).spec_file.name == "onebrain.yaml"


def test_missing_targets_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"no onebrain\.yml in"):
        load_project(tmp_path)
    with pytest.raises(InvalidInput, match="no such file or folder"):
        load_project(tmp_path / "nowhere")


def test_entry_point_lookup_ignores_spelling(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, """\
        name: demo
        version: 1.0
        entry_points:
          fit models: {command: python fit.py}
        """))
    for spelling in ("fit models", "fit-models", "fit_models", "Fit-Models"):
        found = project.spec.entry_point(spelling)
        assert found is not None and found[0] == "fit models"
    assert project.spec.entry_point("fit") is None


def test_multiline_template_error_names_the_line_within_the_command(tmp_path: Path) -> None:
    problems, _ = problems_for(write(tmp_path, """\
        name: demo
        version: 1.0
        entry_points:
          main:
            type: bash
            command: |
              echo start
              echo {{ oops
        """))
    assert len(problems) == 1
    assert problems[0].field == "entry_points.main.command"
    assert "line 2 of the command" in problems[0].message


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    spec = tmp_path / "onebrain.yml"
    spec.write_bytes(b"name: demo\nversion: 1.0\ndescription: " + b"x" * 2_100_000 + b"\n")
    problems, _ = problems_for(spec)
    assert len(problems) == 1 and "may be at most" in problems[0].message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    problems, _ = problems_for(write(tmp_path, "name: demo\nversion: 1.0\ndescription: "
                                     + "[" * 100 + "]" * 100 + "\n"))
    assert len(problems) == 1 and "nesting deeper than" in problems[0].message


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "onebrain.yml"
    folder.mkdir()
    problems, project = problems_for(folder)
    assert project is None and "cannot read the file" in problems[0].message

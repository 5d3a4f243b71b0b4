"""A generated workspace of 1,000 projects: list, validate, graph and affected are correct.

(Timings are measured by benchmarks/bench_workspace.py, not asserted here.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import generate_workspace, git, spec_text, write_project

COUNT = 1000


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("thousand")
    generate_workspace(root, COUNT)
    git(root, "init", "--quiet")
    git(root, "-c", "user.name=T", "-c", "user.email=t@example.com", "add", "-A")
    git(root, "-c", "user.name=T", "-c", "user.email=t@example.com",
        "commit", "--quiet", "-m", "generated")
    return root


def test_list_finds_every_project(thousand: Path, brain) -> None:
    result = brain("list", "--json", cwd=thousand)
    assert result.exit_code == 0, result.output
    projects = json.loads(result.stdout)["projects"]
    assert len(projects) == COUNT
    assert len({p["key"] for p in projects}) == COUNT
    assert json.loads(result.stdout)["problems"] == []
    again = brain("list", "--json", cwd=thousand)  # from the cache now: the same answer
    assert json.loads(again.stdout)["projects"] == projects
    team3 = json.loads(brain("list", "--namespace", "team3", "--tag", "t2", "--json",
                             cwd=thousand).stdout)["projects"]
    assert {p["name"] for p in team3} == {f"p{i}" for i in range(10, COUNT)
                                         if i % 10 == 3 and i % 7 == 2}


def test_validate_checks_every_spec(thousand: Path, brain) -> None:
    result = brain("validate", str(thousand), "--json")
    assert result.exit_code == 0, result.output[-2000:]
    data = json.loads(result.stdout)
    assert (data["valid"], data["invalid"]) == (COUNT, 0)
    broken = thousand / "projects/team1/p11/onebrain.yml"
    original = broken.read_text()
    broken.write_text(original.replace("version: 0.1.0", "version: not-a-version"))
    try:
        result = brain("validate", str(thousand))
        assert result.exit_code == 2
        assert "p11/onebrain.yml:2:10: version:" in result.stderr
    finally:
        broken.write_text(original)


def test_graph_has_every_edge(thousand: Path, brain) -> None:
    data = json.loads(brain("graph", "--json", cwd=thousand).stdout)
    # 990 projects each need their namespace's library; lib-1..lib-9 need the previous one.
    assert len(data["edges"]) == (COUNT - 10) + 9
    assert ["team4/p14", "team4/lib-4"] in data["edges"]
    assert ["team5/lib-5", "team4/lib-4"] in data["edges"]
    assert data["cycles"] == []


def test_affected_by_the_root_library_is_everything(thousand: Path, brain) -> None:
    (thousand / "libs/lib-0/util.py").write_text("X = 1\n")
    try:
        data = json.loads(brain("affected", "--since", "HEAD", "--json", cwd=thousand).stdout)
        assert len(data["projects"]) == COUNT
        assert data["projects"][0] == {"key": "team0/lib-0", "path": "libs/lib-0",
                                       "reason": "changed", "changed_files": ["libs/lib-0/util.py"]}
    finally:
        (thousand / "libs/lib-0/util.py").unlink()
    (thousand / "projects/team7/p17/run.py").write_text("print('changed')\n")
    try:
        data = json.loads(brain("affected", "--since", "HEAD", "--json", cwd=thousand).stdout)
        assert [p["key"] for p in data["projects"]] == ["team7/p17"]
    finally:
        git(thousand, "checkout", "--quiet", "--", "projects/team7/p17/run.py")
    # lib-8 is needed by lib-9 and by the 99 projects of team8 and team9.
    (thousand / "libs/lib-8/onebrain.yml").write_text(
        (thousand / "libs/lib-8/onebrain.yml").read_text() + "# touched\n")
    try:
        data = json.loads(brain("affected", "--since", "HEAD", "--json", cwd=thousand).stdout)
        assert len(data["projects"]) == 2 + 2 * 99
    finally:
        git(thousand, "checkout", "--quiet", "--", "libs/lib-8/onebrain.yml")


def test_a_duplicate_among_a_thousand_is_found(thousand: Path, brain) -> None:
    extra = write_project(thousand, "zz/copy", spec_text("p500", namespace="team0"))
    try:
        result = brain("list", cwd=thousand)
        assert result.exit_code == 2
        assert "two projects are named team0/p500" in result.stderr
        assert "projects/team0/p500" in result.stderr and "zz/copy" in result.stderr
    finally:
        for child in extra.iterdir():
            child.unlink()
        extra.rmdir()
    assert brain("list", cwd=thousand).exit_code == 0


"""`brain graph` and `brain affected` on real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import commit_all, git, spec_text, write_project


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """core (a library) <- features (a library) <- model; report stands alone."""
    root = tmp_path / "mono"
    write_project(root, "libs/core", spec_text("core", namespace="shared", build_enabled=True))
    write_project(root, "libs/features", spec_text(
        "features", namespace="shared", build_enabled=True, pip={"Core": ">=0.1"}))
    write_project(root, "projects/model", spec_text(
        "model", namespace="ml", pip={"features": "==0.1.0", "numpy": ">=1"}))
    write_project(root, "projects/report", spec_text("report", namespace="bi"))
    (root / "README.md").write_text("top\n")
    git(root, "init", "--quiet")
    commit_all(root, "first")
    git(root, "branch", "base")
    return root


def test_graph_links_pip_names_pep503_normalised(monorepo: Path, brain) -> None:
    result = brain("graph", "--json", cwd=monorepo)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["edges"] == [["ml/model", "shared/features"], ["shared/features", "shared/core"]]
    assert data["cycles"] == []
    text = brain("graph", cwd=monorepo).stdout
    assert "shared/core\t\tshared/features" in text
    dot = brain("graph", "--dot", cwd=monorepo).stdout
    assert dot.startswith("digraph brain {") and '"ml/model" -> "shared/features";' in dot


def test_graph_reports_cycles(monorepo: Path, brain) -> None:
    write_project(monorepo, "libs/core", spec_text(
        "core", namespace="shared", build_enabled=True, pip={"model": ">=0"}))
    result = brain("graph", cwd=monorepo)
    assert result.exit_code == 0
    assert "dependency cycle: ml/model -> shared/core -> shared/features -> ml/model" \
        in result.stderr


def test_a_library_change_marks_its_dependents(monorepo: Path, brain) -> None:
    (monorepo / "libs/core/util.py").write_text("X = 1\n")
    commit_all(monorepo, "core: add util")
    result = brain("affected", "--since", "base", "--json", cwd=monorepo)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["changed_files"] == ["libs/core/util.py"]
    assert [(p["key"], p["reason"]) for p in data["projects"]] == [
        ("shared/core", "changed"),
        ("shared/features", "depends on shared/core"),
        ("ml/model", "depends on shared/features"),
    ]
    assert data["projects"][0]["changed_files"] == ["libs/core/util.py"]


def test_uncommitted_and_untracked_changes_count(monorepo: Path, brain) -> None:
    (monorepo / "projects/report/new.py").write_text("untracked\n")
    (monorepo / "projects/model/run.py").write_text("print('edited')\n")
    (monorepo / "README.md").write_text("outside any project\n")
    result = brain("affected", "--since", "HEAD", cwd=monorepo)
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert rows == [["bi/report", "projects/report", "changed"],
                    ["ml/model", "projects/model", "changed"]]


def test_changes_since_a_merge_base_only(monorepo: Path, brain) -> None:
    # A commit on `base` after the fork point is not a change of this branch (REF...HEAD).
    git(monorepo, "switch", "--quiet", "base")
    (monorepo / "projects/report/late.py").write_text("x\n")
    commit_all(monorepo, "report on base")
    git(monorepo, "switch", "--quiet", "-")
    result = brain("affected", "--since", "base", "--json", cwd=monorepo)
    assert json.loads(result.stdout)["projects"] == []


def test_nothing_changed(monorepo: Path, brain) -> None:
    result = brain("affected", "--since", "HEAD", cwd=monorepo)
    assert result.exit_code == 0 and result.stdout == ""
    assert "no project changed since HEAD" in result.stderr


@pytest.mark.parametrize("ref", ["-x", "--output=/tmp/pwned", "--", "base..HEAD", "nope",
                                 "HEAD~5", "a b", "HEAD:README.md", ""])
def test_hostile_or_unknown_refs_are_clear_exit_2_errors(monorepo: Path, brain, ref: str,
                                                         tmp_path: Path) -> None:
    result = brain("affected", "--since", ref, cwd=monorepo)
    assert result.exit_code == 2, result.output
    assert result.stderr.lower().startswith("error: ")  # ours, or click's usage error
    assert "Traceback" not in result.output
    assert not Path("/tmp/pwned").exists()


def test_affected_outside_git_is_a_clear_error(tmp_path: Path, brain) -> None:
    write_project(tmp_path, "a", spec_text("a"))
    result = brain("affected", "--since", "main", cwd=tmp_path)
    assert result.exit_code == 2
    assert "not inside a git repository" in result.stderr


def test_graph_and_json_flags_conflict(monorepo: Path, brain) -> None:
    result = brain("graph", "--dot", "--json", cwd=monorepo)
    assert result.exit_code == 2 and "choose one" in result.output


def test_a_workspace_below_the_git_root(tmp_path: Path, brain) -> None:
    top = tmp_path / "big"
    workspace = top / "ds"
    (workspace).mkdir(parents=True)
    (workspace / "brain-workspace.yml").write_text("projects: ['**']\n")
    write_project(workspace, "a", spec_text("a"))
    write_project(top, "elsewhere", spec_text("elsewhere"))  # outside the workspace
    git(top, "init", "--quiet")
    commit_all(top, "first")
    (workspace / "a/run.py").write_text("print('a2')\n")
    (top / "elsewhere/run.py").write_text("print('e2')\n")
    listed = json.loads(brain("list", "--json", cwd=workspace / "a").stdout)
    assert [p["key"] for p in listed["projects"]] == ["default/a"]
    data = json.loads(brain("affected", "--since", "HEAD", "--json", cwd=workspace).stdout)
    assert data["changed_files"] == ["a/run.py"]
    assert [p["path"] for p in data["projects"]] == ["a"]


def _graph_of(edges: dict[str, set[str]]):
    from brain.workspace.graph import ProjectGraph
    from brain.workspace.index import ProjectEntry

    projects = {key: ProjectEntry("ns", key.split("/")[1], "0.1.0", key) for key in edges}
    dependents: dict[str, set[str]] = {key: set() for key in edges}
    for key, deps in edges.items():
        for dep in deps:
            dependents[dep].add(key)
    return ProjectGraph(projects, edges, dependents)


def test_cycles_are_whole_groups_and_only_groups() -> None:
    """Two separate circles, one with a chord; projects that merely hang off a circle (or
    that a circle needs) are not part of it; a 2,000-long chain needs no recursion."""
    edges: dict[str, set[str]] = {
        "ns/a": {"ns/b"}, "ns/b": {"ns/c"}, "ns/c": {"ns/a", "ns/b"},
        "ns/x": {"ns/y"}, "ns/y": {"ns/x", "ns/leaf"}, "ns/leaf": set(),
        "ns/user": {"ns/a"},
    }
    chain = [f"ns/n{i}" for i in range(2000)]
    edges |= {key: {chain[i + 1]} if i + 1 < len(chain) else set()
              for i, key in enumerate(chain)}
    assert _graph_of(edges).cycles() == [["ns/a", "ns/b", "ns/c"], ["ns/x", "ns/y"]]
    edges[chain[-1]] = {chain[0]}
    assert _graph_of(edges).cycles() == [["ns/a", "ns/b", "ns/c"], sorted(chain), ["ns/x", "ns/y"]]

"""Workspace root detection, settings, the project index and `brain list`."""

from __future__ import annotations

import json
from pathlib import Path

from brain.workspace.discovery import find_workspace_root, glob_match
from brain.workspace.index import canonical_name, load_index

from .helpers import git, spec_text, write_project


def test_root_is_the_nearest_workspace_file_else_git_root_else_start(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    inner = outer / "team" / "deep"
    inner.mkdir(parents=True)
    assert find_workspace_root(inner) == inner.resolve()  # nothing: the start itself
    git(outer, "init", "--quiet")
    assert find_workspace_root(inner) == outer.resolve()  # the git root
    (outer / "team" / "brain-workspace.yml").write_text("projects: ['**']\n")
    assert find_workspace_root(inner) == (outer / "team").resolve()  # nearest settings file


def test_list_shows_projects_sorted_and_filtered(tmp_path: Path, brain) -> None:
    write_project(tmp_path, "b", spec_text("beta", namespace="ml", tags=("llm",)))
    write_project(tmp_path, "a", spec_text("alpha", namespace="ml"))
    write_project(tmp_path, "z/c", spec_text("gamma", namespace="bi", tags=("llm", "daily")))
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == ["bi/gamma", "ml/alpha", "ml/beta"]
    assert rows[0] == ["bi/gamma", "0.1.0", "llm, daily", "z/c"]
    result = brain("list", "--namespace", "ml", "--tag", "llm", "--json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert [p["key"] for p in data["projects"]] == ["ml/beta"]
    assert data["projects"][0]["path"] == "b"


def test_list_skips_state_venv_and_node_modules(tmp_path: Path, brain) -> None:
    write_project(tmp_path, "real", spec_text("real"))
    for hidden in ("real/.brain/x", "node_modules/pkg", ".venv/lib", ".git/y"):
        write_project(tmp_path, hidden, spec_text("hidden"))
    result = brain("list", "--json", cwd=tmp_path)
    assert [p["key"] for p in json.loads(result.stdout)["projects"]] == ["default/real"]


def test_duplicate_namespace_and_name_is_an_error_naming_both(tmp_path: Path, brain) -> None:
    write_project(tmp_path, "one/x", spec_text("same", namespace="ml"))
    write_project(tmp_path, "two/y", spec_text("same", namespace="ml"))
    write_project(tmp_path, "three", spec_text("same", namespace="other"))  # other namespace: ok
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 2
    assert "two projects are named ml/same" in result.stderr
    assert "one/x" in result.stderr and "two/y" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_specs_are_left_out_with_a_located_warning(tmp_path: Path, brain) -> None:
    write_project(tmp_path, "good", spec_text("good"))
    write_project(tmp_path, "bad", "name: bad\nversion: 1.0\nnamspace: x\n")
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 0
    assert "default/good" in result.stdout and "bad" not in result.stdout
    assert "onebrain.yml:3:1" in result.stderr and "namspace" in result.stderr
    assert "brain validate" in result.stderr


def test_workspace_settings_select_projects(tmp_path: Path, brain) -> None:
    (tmp_path / "brain-workspace.yml").write_text(
        "projects: ['projects/**', 'libs/*']\nexclude: ['projects/old/**']\n"
        "index: http://127.0.0.1:8080/simple\nhub: http://hub.local\n")
    write_project(tmp_path, "projects/a", spec_text("a"))
    write_project(tmp_path, "projects/team/b", spec_text("b"))
    write_project(tmp_path, "projects/old/c", spec_text("c"))
    write_project(tmp_path, "libs/d", spec_text("d"))
    write_project(tmp_path, "libs/nested/e", spec_text("e"))
    write_project(tmp_path, "scratch/f", spec_text("f"))
    index = load_index(tmp_path / "projects")  # found from below, through the settings file
    assert [p.name for p in index.projects] == ["a", "b", "d"]
    assert index.workspace.settings.hub == "http://hub.local"


def test_invalid_workspace_settings_are_located(tmp_path: Path, brain) -> None:
    (tmp_path / "brain-workspace.yml").write_text("projects: ['**']\nprojets: [x]\n")
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 2
    assert "brain-workspace.yml:2:1: projets: unknown key 'projets' (did you mean 'projects'?)" \
        in result.stderr
    (tmp_path / "brain-workspace.yml").write_text("projects: 3\nhub: [a]\n")
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 2
    assert "brain-workspace.yml:1:11: projects:" in result.stderr
    assert "brain-workspace.yml:2:6: hub:" in result.stderr
    (tmp_path / "brain-workspace.yml").write_text("projects: [\n")
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 2 and "brain-workspace.yml:" in result.stderr
    assert "Traceback" not in result.output


def test_the_index_cache_follows_edits_and_deletions(tmp_path: Path) -> None:
    write_project(tmp_path, "a", spec_text("a", version="1.0"))
    write_project(tmp_path, "b", spec_text("b"))
    assert [p.version for p in load_index(tmp_path).projects] == ["1.0", "0.1.0"]
    write_project(tmp_path, "a", spec_text("a", version="2.0"))
    (tmp_path / "b" / "onebrain.yml").unlink()
    assert [(p.name, p.version) for p in load_index(tmp_path).projects] == [("a", "2.0")]
    # An edit that breaks a cached spec is reported, not served from the cache.
    (tmp_path / "a" / "onebrain.yml").write_text("name: a\n")
    index = load_index(tmp_path)
    assert index.projects == [] and "required field 'version'" in index.problems[0]


def test_names_and_globs() -> None:
    assert canonical_name("My_Lib.Core") == "my-lib-core"
    assert glob_match("**", ".") and glob_match("projects/**", "projects/a/b")
    assert glob_match("projects/*", "projects/a") and not glob_match("projects/*", "projects/a/b")
    assert not glob_match("libs/*", "other/x")


def test_a_damaged_cache_is_ignored(tmp_path: Path, brain) -> None:
    from brain.workspace.index import _cache_file

    write_project(tmp_path, "a", spec_text("a"))
    assert len(load_index(tmp_path).projects) == 1
    cache = _cache_file(tmp_path.resolve())
    data = json.loads(cache.read_text())
    data["entries"]["a"]["entry"] = {"bogus": 1}
    cache.write_text(json.dumps(data))
    assert [p.name for p in load_index(tmp_path).projects] == ["a"]
    cache.write_text("{not json")
    result = brain("list", cwd=tmp_path)
    assert result.exit_code == 0 and "default/a" in result.stdout


def test_requirement_names_follow_pep_508_and_503() -> None:
    from brain.workspace.index import requirement_names

    lines = ["My_Lib.Core>=1", "numpy[extra] ==1.26.4 ; python_version>'3'", "pandas",
             "dep @ https://example.com/dep.whl", "git+https://example.com/x.git", "./local",
             "-r other.txt", "", "Lib_0>=0.1"]
    assert requirement_names(lines) == ("dep", "lib-0", "my-lib-core", "numpy", "pandas")

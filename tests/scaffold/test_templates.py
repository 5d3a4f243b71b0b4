"""Every built-in template generates a valid, committed project whose own tests pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from brain.scaffold.catalog import builtin_templates_dir, list_templates

from .helpers import git

TEMPLATES = ["basic", "api", "app", "notebook-report", "library", "pipeline"]
R_TEMPLATES = ["r-basic", "r-package", "r-shiny"]  # generated and run by tests/r
# templates whose tests need nothing beyond pytest and the standard library
STDLIB_ONLY = ["basic", "notebook-report", "library", "pipeline"]


def test_the_builtin_templates_are_found() -> None:
    names = [t.name for t in list_templates() if t.builtin]
    assert names == sorted(TEMPLATES + R_TEMPLATES)
    assert builtin_templates_dir().name == "templates"


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_generates_a_valid_committed_project(brain, tmp_path: Path,
                                                      template: str) -> None:
    result = brain("generate", "--no-input", "-t", template, "--name", f"my-{template}",
                   "--description", "Made: by a test", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    project = tmp_path / f"my-{template}"
    assert f"created my-{template} from template {template}" in result.stdout
    assert os.listdir(tmp_path) == [f"my-{template}"]  # no staging folder left beside it

    validated = brain("validate", str(project))
    assert validated.exit_code == 0, validated.output
    schema = json.loads((Path(__file__).resolve().parents[2] / "onebrain.schema.json").read_text())
    jsonschema.validate(_as_editors_read_it((project / "onebrain.yml").read_text()), schema)

    spec_text = (project / "onebrain.yml").read_text()
    assert spec_text.startswith("# yaml-language-server: $schema=")
    spec = yaml.safe_load(spec_text)
    assert spec["name"] == f"my-{template}"
    assert spec["description"] == "Made: by a test"
    assert spec["authors"] == ["Test User <test@example.com>"]  # from git config
    assert ".brain/" in (project / ".gitignore").read_text().splitlines()
    assert (project / "README.md").read_text().startswith(f"# my-{template}\n")
    assert list((project / "tests").glob("test_*.py"))
    assert not list(project.rglob("*.jinja"))
    assert not (project / "template.yml").exists()

    assert git("rev-list", "--count", "HEAD", cwd=project) == "1"
    assert git("status", "--porcelain", cwd=project) == ""
    tracked = git("ls-files", cwd=project).splitlines()
    assert "onebrain.yml" in tracked and ".brain-answers.yml" in tracked

    answers = yaml.safe_load((project / ".brain-answers.yml").read_text())
    assert answers["origin"] == {"kind": "template", "template": template, "source": "builtin"}
    assert answers["answers"]["name"] == f"my-{template}"


def _as_editors_read_it(text: str) -> object:
    """YAML as the YAML language server reads it: 1.2 core schema, so dates stay strings."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        key: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: safe


@pytest.mark.parametrize("template", STDLIB_ONLY)
def test_template_tests_pass_with_the_system_python(brain, tmp_path: Path,
                                                    template: str) -> None:
    assert brain("generate", "--no-input", "-t", template, "--name", "demo-project",
                 "--no-git", cwd=tmp_path).exit_code == 0
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=tmp_path / "demo-project", capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout


def test_library_package_folder_is_named_after_the_project(brain, tmp_path: Path) -> None:
    assert brain("generate", "--no-input", "-t", "library", "--name", "air.forecaster",
                 cwd=tmp_path).exit_code == 0
    project = tmp_path / "air.forecaster"
    assert (project / "src" / "air_forecaster" / "__init__.py").is_file()
    spec = yaml.safe_load((project / "onebrain.yml").read_text())
    assert spec["build_enabled"] is True
    assert spec["entry_points"]["main"]["module"] == "air_forecaster"


def test_api_port_answer_reaches_the_spec_and_command_stays_a_template(brain,
                                                                        tmp_path: Path) -> None:
    assert brain("generate", "--no-input", "-t", "api", "--name", "api", "--set", "port=9123",
                 cwd=tmp_path).exit_code == 0
    main = yaml.safe_load((tmp_path / "api" / "onebrain.yml").read_text())["entry_points"]["main"]
    assert main["type"] == "app"
    assert main["command"] == "uvicorn app.main:app --host 127.0.0.1 --port {{ port }}"
    assert main["parameters"]["port"]["default"] == 9123


def test_pipeline_joins_two_steps(brain, tmp_path: Path) -> None:
    assert brain("generate", "--no-input", "-t", "pipeline", "--name", "pipe",
                 cwd=tmp_path).exit_code == 0
    entries = yaml.safe_load((tmp_path / "pipe" / "onebrain.yml").read_text())["entry_points"]
    assert entries["train"]["depends_on"] == ["prepare"]
    assert entries["prepare"]["outputs"] == entries["train"]["inputs"]


def test_notebook_report_ships_a_parameterised_notebook(brain, tmp_path: Path) -> None:
    assert brain("generate", "--no-input", "-t", "notebook-report", "--name", "rep",
                 cwd=tmp_path).exit_code == 0
    project = tmp_path / "rep"
    entry = yaml.safe_load((project / "onebrain.yml").read_text())["entry_points"]["main"]
    notebook = json.loads((project / entry["notebook"]).read_text())
    assert notebook["nbformat"] == 4
    tagged = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    for name in entry["parameters"]:
        assert f"{name} = " in "".join(tagged[0]["source"])


def test_templates_command_lists_builtin_and_user_templates(brain, user_templates) -> None:
    user_templates("team-etl", {"onebrain.yml.jinja": "name: {{ name }}\n"},
                   metadata="description: Our ETL skeleton\nquestions:\n"
                            "  table: {type: str, default: events}\n")
    user_templates("broken", {}, metadata="descripton: typo\n")
    listed = brain("templates", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(TEMPLATES) <= set(rows)
    assert rows["basic"]["source"] == "built-in"
    assert rows["team-etl"]["description"] == "Our ETL skeleton"
    assert rows["team-etl"]["questions"] == {"table": "events"}
    assert "descripton" in rows["broken"]["problem"]
    plain = brain("templates")
    assert "team-etl" in plain.stdout and "BROKEN" in plain.stdout


def test_user_template_with_a_question(brain, user_templates, tmp_path: Path) -> None:
    user_templates("etl", {
        "onebrain.yml.jinja": """
            name: {{ name }}
            version: 0.1.0
            entry_points:
              load:
                type: shell
                command: echo {{ table }}
            """,
        "sql/{{ table }}.sql": "select 1\n",
    }, metadata="questions:\n  table: {type: str, default: events}\n")
    out = tmp_path / "out"
    result = brain("generate", "--no-input", "-t", "etl", "--name", "x", "--set", "table=clicks",
                   str(out))
    assert result.exit_code == 0, result.output
    assert (out / "sql" / "clicks.sql").read_text() == "select 1\n"
    assert "echo clicks" in (out / "onebrain.yml").read_text()


def test_a_template_folder_given_by_path(brain, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    (folder / "notes").mkdir(parents=True)
    (folder / "template.yml").write_text("description: by path\n")
    (folder / "onebrain.yml.jinja").write_text(
        "name: {{ name }}\nversion: 0.1.0\nnamespace: {{ namespace }}\n")
    (folder / "notes" / "{{ package }}.md.jinja").write_text("# {{ title }}\n")
    result = brain("generate", "--no-input", "-t", "./tpl", "--name", "by-path",
                   "--namespace", "lab", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "by-path" / "notes" / "by_path.md").read_text() == "# By Path\n"
    origin = yaml.safe_load((tmp_path / "by-path" / ".brain-answers.yml").read_text())["origin"]
    assert origin == {"kind": "template", "template": "tpl", "source": str(folder)}
    missing = brain("generate", "--no-input", "-t", "./nope", "--name", "x", cwd=tmp_path)
    assert missing.exit_code == 2 and "not a template folder" in missing.stderr


@pytest.mark.slow
def test_the_api_template_answers_at_the_address_it_prints(brain, tmp_path: Path) -> None:
    """`brain run -e main` prints where the API is up, and the README names the same address:
    both answer (not FastAPI's 404 for `/`)."""
    import re
    import signal
    import urllib.request

    from tests.run.conftest import free_port, start_brain, wait_for

    port = free_port()
    assert brain("generate", "--no-input", "-t", "api", "--name", "served-api",
                 "--set", f"port={port}", cwd=tmp_path).exit_code == 0
    project = tmp_path / "served-api"
    readme = re.search(r"serves on (http://\S+)", (project / "README.md").read_text())
    assert readme is not None and readme.group(1) == f"http://127.0.0.1:{port}"
    process = start_brain("run", str(project), "-e", "main")
    lines: list[str] = []
    try:
        assert process.stderr is not None
        def up() -> bool:
            lines.append(process.stderr.readline())  # type: ignore[union-attr]
            return "is up at" in lines[-1] or process.poll() is not None
        wait_for(up, 600, "the API to answer")
        printed = re.search(r"is up at (\S+)", lines[-1])
        assert printed is not None, "".join(lines)
        for address in (printed.group(1), readme.group(1)):
            with urllib.request.urlopen(address, timeout=30) as page:
                assert page.status == 200 and "swagger" in page.read().decode().lower()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)

"""`brain publish` builds: metadata from the spec, layouts, a project's own pyproject.toml,
and every way a build is refused."""

from __future__ import annotations

import json
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.publish.conftest import LIB_A, LIB_A_IMPORT, library_spec


def wheel_metadata(wheel: Path) -> tuple[dict[str, list[str]], list[str]]:
    """(headers of METADATA, every member name) of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        member = next(n for n in names if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(member).decode())
    headers: dict[str, list[str]] = {}
    for key, value in message.items():
        headers.setdefault(key, []).append(value)
    return headers, names


def built(project: Path, kind: str) -> Path:
    suffix = ".whl" if kind == "wheel" else ".tar.gz"
    (found,) = [p for p in (project / "dist").iterdir() if p.name.endswith(suffix)]
    return found


def test_src_layout_metadata_comes_from_the_spec(brain, make_project) -> None:
    project = make_project({
        "onebrain.yml": library_spec(extra=(
            "tags: [forecasting]\n"
            "env:\n  python:\n    version: '3.11'\n"
            "    pip: {packaging: '>=20', pyyaml: 6.0.1}\n")),
        f"src/{LIB_A_IMPORT}/__init__.py": "VALUE = 1\n",
        f"src/{LIB_A_IMPORT}/core.py": "X = 2\n",
        "src/helpers.py": "Y = 3\n",
        "tests/test_x.py": "def test(): pass\n",
        "README.md": "# Alpha\n\nlong description\n",
    })
    result = brain("publish", str(project))
    assert result.exit_code == 0, result.output
    headers, names = wheel_metadata(built(project, "wheel"))
    assert headers["Name"] == [LIB_A]
    assert headers["Version"] == ["0.1.0"]
    assert headers["Summary"] == ["A test library"]
    assert headers["Author-email"] == ["Jane Doe <jane@example.com>"]
    assert sorted(headers["Requires-Dist"]) == ["packaging>=20", "pyyaml==6.0.1"]
    assert headers["Requires-Python"] == [">=3.11"]
    assert headers["Keywords"] == ["forecasting"]
    assert f"{LIB_A_IMPORT}/core.py" in names and "helpers.py" in names
    assert not any(name.startswith("tests/") for name in names)
    with tarfile.open(built(project, "sdist")) as sdist:
        members = sdist.getnames()
    # the sdist carries the generated pyproject.toml, so it rebuilds anywhere
    assert any(name.endswith("/pyproject.toml") for name in members)
    assert any(name.endswith("/README.md") for name in members)


def test_flat_layout_ships_packages_but_not_tooling(brain, make_project) -> None:
    project = make_project({
        "onebrain.yml": library_spec(),
        f"{LIB_A_IMPORT}/__init__.py": "VALUE = 1\n",
        "tests/__init__.py": "",
        "scripts/__init__.py": "",
        "setup.py": "",
        "notes.py": "",
    })
    assert brain("publish", str(project)).exit_code == 0
    _, names = wheel_metadata(built(project, "wheel"))
    shipped = {name.split("/")[0] for name in names if ".dist-info" not in name}
    assert shipped == {LIB_A_IMPORT}


def test_own_pyproject_is_used_as_is(brain, make_project) -> None:
    project = make_project({
        "onebrain.yml": library_spec(),
        "pyproject.toml": (
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            f'[project]\nname = "{LIB_A}"\nversion = "0.1.0"\n'
            'description = "from pyproject"\n'
            f'[tool.hatch.build.targets.wheel]\npackages = ["lib/{LIB_A_IMPORT}"]\n'),
        f"lib/{LIB_A_IMPORT}/__init__.py": "VALUE = 1\n",
    })
    result = brain("publish", str(project), "--json")
    assert result.exit_code == 0, result.output
    headers, names = wheel_metadata(built(project, "wheel"))
    assert headers["Summary"] == ["from pyproject"]
    assert f"{LIB_A_IMPORT}/__init__.py" in names


def test_own_pyproject_with_another_version_is_reported(brain, make_project) -> None:
    project = make_project({
        "onebrain.yml": library_spec(version="0.1.0"),
        "pyproject.toml": (
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            f'[project]\nname = "{LIB_A}"\nversion = "0.9.0"\n'
            f'[tool.hatch.build.targets.wheel]\npackages = ["{LIB_A_IMPORT}"]\n'),
        f"{LIB_A_IMPORT}/__init__.py": "",
    })
    result = brain("publish", str(project))
    assert result.exit_code == 0, result.output
    assert "pyproject.toml builds" in result.stderr and "0.9.0" in result.stderr
    assert "published zz-brain-pubtest-alpha 0.9.0" in result.stdout


def test_not_build_enabled_says_what_to_do(brain, make_library) -> None:
    project = make_library(build_enabled=False)
    result = brain("publish", str(project))
    assert result.exit_code == 2
    assert "is not build_enabled" in result.stderr
    assert "build_enabled: true" in result.stderr
    assert not (project / "dist").exists()


def test_nothing_importable_says_what_to_do(brain, make_project) -> None:
    project = make_project({"onebrain.yml": library_spec(), "notebooks/x.py": "",
                            "src/not-importable/__init__.py": ""})
    result = brain("publish", str(project))
    assert result.exit_code == 2
    assert "nothing importable to package" in result.stderr
    assert f"src/{LIB_A_IMPORT}/__init__.py" in result.stderr


@pytest.mark.parametrize("version", ["1.0-beta!!", "latest", "1.0; touch pwned"])
def test_invalid_version_is_refused(brain, make_project, version: str) -> None:
    project = make_project({"onebrain.yml": library_spec(version=f'"{version}"'),
                            f"src/{LIB_A_IMPORT}/__init__.py": ""})
    result = brain("publish", str(project))
    assert result.exit_code == 2
    assert "PEP 440" in result.stderr
    assert not (project / "pwned").exists()


def test_invalid_requirement_names_its_source(brain, make_project) -> None:
    project = make_project({
        "onebrain.yml": library_spec(extra="env:\n  python:\n    requirements: req.txt\n"),
        "req.txt": "# deps\n--index-url https://example.invalid/simple\nnumpy>=1\nnot a req!!\n",
        f"src/{LIB_A_IMPORT}/__init__.py": "",
    })
    result = brain("publish", str(project))
    assert result.exit_code == 2
    assert "req.txt: 'not a req!!' is not a valid requirement" in result.stderr


def test_option_lines_are_left_out_with_a_warning(brain, make_project) -> None:
    project = make_project({
        "onebrain.yml": library_spec(extra="env:\n  python:\n    requirements: req.txt\n"),
        "req.txt": "--index-url https://example.invalid/simple\npackaging>=20  # why\n",
        f"src/{LIB_A_IMPORT}/__init__.py": "",
    })
    result = brain("publish", str(project))
    assert result.exit_code == 0, result.output
    assert "option line" in result.stderr
    headers, _ = wheel_metadata(built(project, "wheel"))
    assert headers["Requires-Dist"] == ["packaging>=20"]


def test_hostile_metadata_never_reaches_a_shell(brain, make_project, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = f'$(touch {marker}) `touch {marker}`; touch {marker} \\" \\n'
    project = make_project({
        "onebrain.yml": library_spec(extra="").replace(
            "description: A test library",
            f'description: "{evil}"').replace(
            "authors: [Jane Doe <jane@example.com>]",
            f'authors: ["O\'Brien \\"; rm -rf / <ob@example.com>", "{evil}"]'),
        f"src/{LIB_A_IMPORT}/__init__.py": "",
    })
    result = brain("publish", str(project))
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    headers, _ = wheel_metadata(built(project, "wheel"))
    assert "$(touch" in headers["Summary"][0]


def test_symlink_out_of_the_project_is_refused(brain, make_project, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not ship")
    project = make_project({"onebrain.yml": library_spec(),
                            f"src/{LIB_A_IMPORT}/__init__.py": ""})
    (project / "src" / LIB_A_IMPORT / "leak.txt").symlink_to(secret)
    result = brain("publish", str(project))
    assert result.exit_code == 2
    assert "outside the project" in result.stderr


def test_no_project_here(brain, tmp_path: Path) -> None:
    result = brain("publish", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no onebrain.yml" in result.stderr


def test_publish_finds_the_project_from_a_subfolder(brain, make_library) -> None:
    project = make_library()
    result = brain("publish", cwd=project / "src")
    assert result.exit_code == 0, result.output
    assert (project / "dist").is_dir()



@pytest.mark.parametrize("name", ["lib;touch pwned", "$(touch pwned)", "../escape", "Lib A"])
def test_hostile_project_names_are_refused_before_any_build(brain, make_project,
                                                              name: str) -> None:
    project = make_project({"onebrain.yml": library_spec(name=f'"{name}"'),
                            f"src/{LIB_A_IMPORT}/__init__.py": ""})
    result = brain("publish", str(project), cwd=project)
    assert result.exit_code == 2
    assert "name" in result.stderr
    assert not (project / "pwned").exists() and not (project / "dist").exists()


def test_a_broken_own_pyproject_is_a_build_failure(brain, make_project) -> None:
    project = make_project({"onebrain.yml": library_spec(),
                            "pyproject.toml": "[project\nname = 'x'\n",
                            f"{LIB_A_IMPORT}/__init__.py": ""})
    result = brain("publish", str(project))
    assert result.exit_code == 3
    assert "building zz-brain-pubtest-alpha 0.1.0 failed" in result.stderr


def test_build_wheel_command(brain, make_library) -> None:
    project = make_library()
    result = brain("build", "--wheel", str(project))
    assert result.exit_code == 0, result.output
    assert "built zz-brain-pubtest-alpha 0.1.0" in result.stdout
    assert sorted(p.name for p in (project / "dist").iterdir()) == [
        "zz_brain_pubtest_alpha-0.1.0-py3-none-any.whl", "zz_brain_pubtest_alpha-0.1.0.tar.gz"]
    refused = brain("build", "--wheel", str(make_library(build_enabled=False)))
    assert refused.exit_code == 2 and "build_enabled: true" in refused.stderr


def test_emoji_and_astral_text_build_a_real_wheel(brain, make_project) -> None:
    """Characters outside the BMP (an emoji) must reach the metadata as they are: a JSON
    escape would be a surrogate pair, which TOML refuses, and the build would fail."""
    description = "Forecasts 📈 with café data 🚀, tab\there \"quoted\" \\ and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    quoted = json.dumps(description, ensure_ascii=False)  # a YAML double-quoted string
    project = make_project({
        "onebrain.yml": library_spec(extra="tags: [ml, 'naïve-🙂']\n").replace(
            "description: A test library", f"description: {quoted}").replace(
            "authors: [Jane Doe <jane@example.com>]",
            "authors: [Zoë 🦊 <zoe@example.com>, Anonymous 🙈]"),
        f"src/{LIB_A_IMPORT}/__init__.py": "",
    })
    result = brain("build", "--wheel", str(project))
    assert result.exit_code == 0, result.output
    headers, _ = wheel_metadata(built(project, "wheel"))
    assert headers["Summary"] == [" ".join(description.split())]
    assert "Zoë 🦊 <zoe@example.com>" in headers["Author-email"][0]
    assert "naïve-🙂" in headers["Keywords"][0]


def test_generated_pyproject_is_valid_toml_for_any_text() -> None:
    import tomllib

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from brain.publish.build import Layout, generate_pyproject
    from brain.spec.models import Spec

    @settings(max_examples=60, deadline=None)
    @given(st.text(min_size=1, max_size=60).filter(str.strip))
    def check(text: str) -> None:
        from pydantic import ValidationError

        try:
            spec = Spec.model_validate({"name": "demo", "version": "0.1.0",
                                        "description": text, "authors": [text]})
        except ValidationError:
            return  # the spec refuses it before any build
        document = tomllib.loads(generate_pyproject(spec, Layout("", ("demo",)), None, []))
        assert document["project"]["description"] == " ".join(text.split())

    check()

"""`brain build --docker` after a code-only change, from the kept plan (brain.envs.docker_plan):
taken only while every input of the environment part is unchanged, refused for links and
files outside the project, and building exactly the image the full path builds."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import NAMESPACE, environment_of, git, spec_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.envs.docker_plan import Declined, inputs_key, plan_file

HELLO = "  hello:\n    type: python\n    script: src/hello.py\n"
DEPS = "env:\n  python:\n    pip: {six: ==1.16.0}\n    requirements: deps/extra.txt\n"


def project_files() -> dict[str, str]:
    return {"onebrain.yml": spec_text("planned", HELLO, extra=DEPS),
            "deps/extra.txt": "idna==3.7\n",
            "src/hello.py": f"# {uuid.uuid4().hex}\nprint('v1')\n"}


def keep_of(environment: Any, done: Any) -> None:
    """What DockerEnvironment.build keeps after a build."""
    from brain.envs.docker_plan import keep

    keep(environment.project, environment.context(), environment.settings,
         environment.static_labels(), done)


def key(root: Path) -> str:
    return inputs_key(root, root / "onebrain.yml", "deps/extra.txt")


def test_every_environment_input_changes_the_key(make_project: Callable[..., Path],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    root = make_project(project_files())
    first = key(root)
    (root / "src/hello.py").write_text("print('code only')\n")
    assert key(root) == first  # code is hashed into the identity, not into the key

    def changed(edit: Callable[[], None], undo: Callable[[], None]) -> None:
        edit()
        assert key(root) != first
        undo()
        assert key(root) == first

    spec = (root / "onebrain.yml").read_text()
    changed(lambda: (root / "onebrain.yml").write_text(spec + "description: x\n"),
            lambda: (root / "onebrain.yml").write_text(spec))
    changed(lambda: (root / "onebrain.lock").write_text("six==1.16.0\n"),
            lambda: (root / "onebrain.lock").unlink())
    changed(lambda: (root / ".dockerignore").write_text("data/\n"),
            lambda: (root / ".dockerignore").unlink())
    changed(lambda: (root / "deps/extra.txt").write_text("idna==3.6\n"),
            lambda: (root / "deps/extra.txt").write_text("idna==3.7\n"))
    bundle = tmp_path / "ca.pem"
    bundle.write_text("one\n")
    for name, value in (("BRAIN_DOCKER_BASE_IMAGE", "other:1"), ("PIP_INDEX_URL",
                        "https://index.example.com/simple"), ("BRAIN_DOCKER_NETWORK", "none"),
                        ("BRAIN_DOCKER_CA_BUNDLE", str(bundle))):
        old = os.environ.get(name)
        changed(lambda name=name, value=value: monkeypatch.setenv(name, value),
                lambda name=name, old=old: (monkeypatch.setenv(name, old) if old is not None
                                            else monkeypatch.delenv(name)))
    monkeypatch.setenv("BRAIN_DOCKER_CA_BUNDLE", str(bundle))
    with_bundle = key(root)
    bundle.write_text("two\n")
    assert key(root) != with_bundle  # the bundle's bytes, not only its name
    monkeypatch.delenv("BRAIN_DOCKER_CA_BUNDLE")
    config = tmp_path / "pip.conf"
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    without = key(root)
    config.write_text("[global]\nindex-url = https://index.example.com/simple\n")
    assert key(root) != without


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=64), st.binary(max_size=64))
def test_the_key_follows_the_bytes_of_the_inputs(make_project: Callable[..., Path],
                                                 first: bytes, second: bytes) -> None:
    root = make_project(project_files(), name=f"p{uuid.uuid4().hex}")
    (root / ".dockerignore").write_bytes(first)
    before = key(root)
    (root / ".dockerignore").write_bytes(second)
    assert (key(root) == before) == (first == second)


@pytest.mark.parametrize("name", ["onebrain.lock", ".dockerignore", "deps/extra.txt"])
def test_links_special_and_outside_files_are_left_to_the_full_path(
        make_project: Callable[..., Path], tmp_path: Path, name: str) -> None:
    root = make_project(project_files())
    target = root / name
    target.unlink(missing_ok=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("not the project's\n")
    target.symlink_to(secret)
    with pytest.raises(Declined):
        key(root)
    target.unlink()
    os.mkfifo(target)  # a reader would wait forever: never opened for reading and kept
    with pytest.raises(Declined):
        key(root)


def test_a_requirements_file_reached_through_a_linked_folder_is_declined(
        make_project: Callable[..., Path], tmp_path: Path) -> None:
    root = make_project(project_files())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "extra.txt").write_text("idna==3.7\n")
    (root / "deps/extra.txt").unlink()
    (root / "deps").rmdir()
    (root / "deps").symlink_to(elsewhere)
    with pytest.raises(Declined, match="outside"):
        key(root)




@pytest.mark.docker
@pytest.mark.slow
def test_a_code_only_rebuild_skips_the_spec_and_builds_what_the_full_path_would(
        docker_client: Any, git_project: Callable[..., Path], brain: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = git_project(project_files())
    first = brain("build", "--docker", str(root))
    assert first.exit_code == 0, first.output
    assert plan_file(root.resolve()).is_file()

    # New content each session: an image of equal content from an earlier session would be
    # found (rightly) instead of built, with that session's commit in its labels.
    (root / "src/hello.py").write_text(f"# {uuid.uuid4().hex}\nprint('v2')\n")
    import brain.spec.loader as loader

    def refuse(*_: object) -> None:
        raise AssertionError("the spec was loaded on a code-only rebuild")

    with monkeypatch.context() as patch:
        patch.setattr(loader, "load_project", refuse)
        second = brain("build", "--docker", str(root))
    assert second.exit_code == 0, second.output
    assert "built brain-test/planned:0.1.0" in second.stdout
    commit = git(root, "rev-parse", "HEAD")
    tags = [f"{NAMESPACE}/planned:0.1.0", f"{NAMESPACE}/planned:{commit[:12]}-dirty"]
    assert f"tags: {', '.join(tags)}" in second.stdout
    full = environment_of(root)
    image = docker_client.images.get(tags[0])
    assert image.labels == full.labels()  # every label, identities included
    assert docker_client.images.get(tags[1]).id == image.id
    output = docker_client.containers.run(image.id, ["hello"], remove=True)
    assert output.decode().strip() == "v2"

    again = brain("build", "--docker", str(root))  # nothing changed: found, not built
    assert again.exit_code == 0 and "image up to date: brain-test/planned:0.1.0" in again.stdout


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("damage", ["garbage", "types", "spec"])
def test_a_damaged_plan_or_a_changed_spec_goes_the_full_way(
        docker_client: Any, git_project: Callable[..., Path], brain: Callable[..., Any],
        damage: str) -> None:
    root = git_project(project_files())
    assert brain("build", "--docker", str(root)).exit_code == 0
    kept = plan_file(root.resolve())
    if damage == "garbage":
        kept.write_text("{not json")
    elif damage == "types":
        record = json.loads(kept.read_text())
        record["data"]["texts"] = 5
        record["data"]["labels"] = ["not", "a", "mapping"]
        kept.write_text(json.dumps(record))
    else:
        spec = (root / "onebrain.yml").read_text().replace("version: 0.1.0", "version: 0.2.0")
        (root / "onebrain.yml").write_text(spec)
    (root / "src/hello.py").write_text(f"# {uuid.uuid4().hex}\nprint('v3')\n")
    result = brain("build", "--docker", str(root))
    assert result.exit_code == 0, result.output
    version = "0.2.0" if damage == "spec" else "0.1.0"
    image = docker_client.images.get(f"{NAMESPACE}/planned:{version}")
    assert image.labels == environment_of(root).labels()
    output = docker_client.containers.run(image.id, ["hello"], remove=True)
    assert output.decode().strip() == "v3"


def test_only_builds_with_this_machines_settings_are_kept(make_project: Callable[..., Path]
                                                          ) -> None:
    from brain.envs.docker import DockerEnvironment, ImageBuild
    from brain.envs.dockerfile import BuildSettings
    from brain.spec.loader import load_project

    root = make_project(project_files())
    plan_file(root).unlink(missing_ok=True)  # the cache outlives tests: a path may come back
    project = load_project(root)
    done = ImageBuild("sha256:" + "0" * 64, (f"{NAMESPACE}/planned:0.1.0",), "i", True, 0.1)
    keep_of(DockerEnvironment(project, settings=BuildSettings(network_mode="none")), done)
    assert not plan_file(root).exists()  # the next command reads the machine's own
    keep_of(DockerEnvironment(project), done)
    assert plan_file(root).is_file()
    r_project = make_project({"onebrain.yml": spec_text("rplanned", HELLO, extra=(
        "env:\n  r:\n    packages: {jsonlite: \"*\"}\n"))})
    plan_file(r_project).unlink(missing_ok=True)
    keep_of(DockerEnvironment(load_project(r_project)), done)
    assert not plan_file(r_project).exists()  # R inputs are not in the key


def test_clean_all_forgets_the_plan_and_the_build_folder(
        make_project: Callable[..., Path], brain: Callable[..., Any], tmp_path: Path) -> None:
    from brain.envs.build_context import DOCKERFILE_PATH, ContextFile, assemble
    from brain.envs.docker import DockerEnvironment, ImageBuild
    from brain.envs.docker_stage import stage_key, staged
    from brain.spec.loader import load_project

    root = make_project(project_files()).resolve()
    done = ImageBuild("sha256:" + "0" * 64, (f"{NAMESPACE}/planned:0.1.0",), "i", True, 0.1)
    keep_of(DockerEnvironment(load_project(root)), done)
    context = assemble("FROM scratch\n", [ContextFile(DOCKERFILE_PATH, data=b"FROM scratch\n")],
                       {}, "host", [ContextFile("project/a.txt", data=b"a")])
    with staged(context, stage_key(root)) as tree:
        folder = tree.parent
    assert plan_file(root).is_file() and folder.is_dir()

    result = brain("clean", str(root), "--all", "--json")
    assert result.exit_code == 0, result.output
    assert {str(plan_file(root)), str(folder)} <= set(json.loads(result.stdout)["removed"])
    assert not plan_file(root).exists() and not folder.exists()

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not brain's")
    folder.symlink_to(outside)  # a link where the folder was: only the link goes
    assert brain("clean", str(root), "--all").exit_code == 0
    assert not os.path.lexists(folder) and (outside / "keep.txt").is_file()

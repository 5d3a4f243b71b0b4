"""Building project images against the real daemon: tags, labels, no-op rebuilds, layer reuse
after a code-only change, and the failures a user can meet."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import NAMESPACE, environment_of, git, spec_text

from brain.errors import EnvironmentFailure
from brain.spec.loader import load_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = "  hello:\n    type: python\n    script: src/hello.py\n"


def fresh() -> str:
    """Content no earlier test session built: images (and their identities) outlive a run."""
    return f"# {uuid.uuid4().hex}\n"


def test_build_tags_and_provenance_labels(docker_client: Any,
                                          git_project: Callable[..., Path]) -> None:
    root = git_project({"onebrain.yml": spec_text("tagged", HELLO),
                        "src/hello.py": fresh() + "print('hello')\n"})
    environment = environment_of(root)
    result = environment.build()
    commit = git(root, "rev-parse", "HEAD")
    assert result.built
    assert result.tags == (f"{NAMESPACE}/tagged:0.1.0", f"{NAMESPACE}/tagged:{commit[:12]}")
    image = docker_client.images.get(result.tags[1])
    assert image.id == result.image_id
    labels = image.labels
    assert labels["brain.commit"] == commit
    assert labels["brain.dirty"] == "false"
    assert labels["brain.spec-hash"] == load_project(root).spec_hash
    assert labels["brain.identity"] == environment.identity()
    assert labels["brain.entry-points"] == "hello"
    assert labels["org.opencontainers.image.revision"] == commit
    assert environment.is_ready()


def test_ensure_is_a_no_op_when_nothing_changed(docker_client: Any,
                                                git_project: Callable[..., Path]) -> None:
    root = git_project({"onebrain.yml": spec_text("noop", HELLO),
                        "src/hello.py": fresh() + "print('hello')\n"})
    first = environment_of(root).ensure()
    again = environment_of(root).ensure()
    assert first.changed and not again.changed
    assert again.identity == first.identity and again.location == f"{NAMESPACE}/noop:0.1.0"


def test_dirty_tree_gets_a_dirty_tag(docker_client: Any,
                                     git_project: Callable[..., Path]) -> None:
    root = git_project({"onebrain.yml": spec_text("dirty", HELLO),
                        "src/hello.py": "print('hello')\n"})
    (root / "src/hello.py").write_text("print('changed')\n")
    result = environment_of(root).build()
    commit = git(root, "rev-parse", "HEAD")
    assert result.tags[1] == f"{NAMESPACE}/dirty:{commit[:12]}-dirty"
    assert docker_client.images.get(result.image_id).labels["brain.dirty"] == "true"


@pytest.fixture(params=["buildkit", "sdk"])
def builder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both builders: BuildKit through the docker CLI (when one here can), and the SDK's."""
    from brain.envs.buildkit import SETTING, buildkit_builder

    if request.param == "sdk":
        monkeypatch.setenv(SETTING, "sdk")
    buildkit_builder.cache_clear()
    if request.param == "buildkit" and buildkit_builder() is None:
        pytest.skip("no docker CLI here builds with BuildKit")
    yield request.param
    buildkit_builder.cache_clear()


def test_code_only_change_reuses_the_dependency_layers(
        docker_client: Any, git_project: Callable[..., Path], builder: str) -> None:
    root = git_project({
        "onebrain.yml": spec_text("cached", HELLO, extra=(
            "env: {python: {pip: {six: ==1.16.0}}}\n")),
        "src/hello.py": "import six\nprint('v1', six.__version__)\n",
        "src/token.py": fresh(),
    })
    first = environment_of(root).build()
    (root / "src/hello.py").write_text("import six\nprint('v2', six.__version__)\n")
    second = environment_of(root).build()
    assert second.built and second.image_id != first.image_id
    assert second.cached_steps > 0
    steps = [line for line in second.log if line.startswith("Step ")]
    copy_code = next(i for i, line in enumerate(steps) if "COPY project/" in line)
    # Every step before the code copy came from the cache (FROM has nothing to say).
    before_code = second.log[:next(i for i, line in enumerate(second.log)
                                   if "COPY project/" in line)]
    assert sum("Using cache" in line for line in before_code) == copy_code - 1  # FROM: none
    old_layers = docker_client.images.get(first.image_id).attrs["RootFS"]["Layers"]
    new_layers = docker_client.images.get(second.image_id).attrs["RootFS"]["Layers"]
    assert new_layers[:-1] == old_layers[:-1]  # same dependency layers, byte for byte
    assert new_layers[-1] != old_layers[-1]  # only the code layer differs
    output = docker_client.containers.run(second.image_id, ["hello"], remove=True)
    assert output.decode().strip() == "v2 1.16.0"


def test_python_version_mismatch_is_a_clear_failure(
        docker_client: Any, make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("py312", HELLO, extra=(
        "env: {python: {version: '3.12'}}\n")), "src/hello.py": ""})
    with pytest.raises(EnvironmentFailure, match=r"has Python 3\.11, the spec asks for 3\.12"):
        environment_of(root).build()


def test_missing_base_image_names_the_setting(
        docker_client: Any, brain: Callable[..., Any], make_project: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_DOCKER_BASE_IMAGE", "brain-test/no-such-base:1")
    root = make_project({"onebrain.yml": spec_text("nobase", HELLO), "src/hello.py": ""})
    result = brain("build", "--docker", str(root))
    assert result.exit_code == 3
    assert "base image brain-test/no-such-base:1 is not on this machine" in result.output
    assert "BRAIN_DOCKER_BASE_IMAGE" in result.output


def test_failing_dependency_install_is_exit_3(
        docker_client: Any, brain: Callable[..., Any], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("baddep", HELLO, extra=(
        "env: {python: {pip: {brain-no-such-package-xyz: ==0.0.1}}}\n")), "src/hello.py": ""})
    result = brain("build", "--docker", str(root))
    assert result.exit_code == 3
    assert "image build of baddep failed at Step" in result.output
    assert "brain-no-such-package-xyz" in result.output  # pip's own words reach the user
    assert docker_client.containers.list(all=True, filters={"ancestor": "brain-base:bookworm",
                                                             "status": "exited"}) == []


def test_cli_build_and_setup_deps(docker_client: Any, brain: Callable[..., Any],
                                  git_project: Callable[..., Path]) -> None:
    root = git_project({"onebrain.yml": spec_text("cli", HELLO), "src/hello.py": ""})
    built = brain("build", "--docker", "--tag", "latest", "--json", str(root))
    assert built.exit_code == 0, built.output
    assert f'"{NAMESPACE}/cli:latest"' in built.stdout
    assert docker_client.images.get(f"{NAMESPACE}/cli:latest")
    again = brain("setup-deps", "--backend", "docker", str(root))
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output


def test_hostile_description_is_a_label_verbatim(docker_client: Any,
                                                 make_project: Callable[..., Path]) -> None:
    description = 'He said "hi" $HOME ${PATH} `id` back\\slash\\" end\\'
    root = make_project({"onebrain.yml": spec_text("described", HELLO, extra=(
        f"description: '{description.replace(chr(39), chr(39) * 2)}'\n")),
        "src/hello.py": ""})
    result = environment_of(root).build()
    labels = docker_client.images.get(result.image_id).labels
    assert labels["org.opencontainers.image.description"] == description

"""What a project controls about its image build cannot send files outside it to the daemon:
symlinks, `..` and absolute paths in the spec, a .dockerignore reaching out, huge files.

The build context (the tar brain hands the daemon) is checked directly; one test builds for
real and looks inside the image.
"""

from __future__ import annotations

import os
import tarfile
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import spec_text

from brain.envs.build_context import BuildContext, build_context
from brain.envs.dockerfile import BuildSettings
from brain.errors import InvalidInput
from brain.spec.loader import load_project

HELLO = "  hello:\n    type: python\n    script: src/hello.py\n"
SETTINGS = BuildSettings(base_image="brain-base:bookworm")
MARK = f"secret-{uuid.uuid4().hex}"  # in no file of brain's own source


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the projects holding a secret no image may carry."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(MARK + "\n")
    (folder / "nested").mkdir()
    (folder / "nested" / "key.pem").write_text(MARK + "-key\n")
    return folder


def context_of(root: Path) -> BuildContext:
    return build_context(load_project(root), SETTINGS, brain_version="test")


def members(context: BuildContext) -> tuple[dict[str, tarfile.TarInfo], bytes]:
    """The tar's members by name, and its raw bytes (what the daemon would receive)."""
    archive = context.tar()
    raw = archive.read()
    archive.seek(0)
    with tarfile.open(fileobj=archive) as opened:
        found = {member.name: member for member in opened.getmembers()}
    return found, raw


def assert_nothing_from(outside: Path, found: dict[str, tarfile.TarInfo], raw: bytes) -> None:
    assert MARK.encode() not in raw
    for name, member in found.items():
        assert not name.startswith(("/", "../")) and "/../" not in f"/{name}", name
        assert member.isfile() or member.issym() or member.isdir(), name


def test_symlinks_out_of_the_project_travel_as_links_not_content(
        make_project: Callable[..., Path], outside: Path) -> None:
    root = make_project({"onebrain.yml": spec_text("links", HELLO),
                         "src/hello.py": "print('hello')\n"})
    (root / "data").mkdir()
    (root / "data" / "secret.txt").symlink_to(outside / "secret.txt")
    (root / "data" / "relative.txt").symlink_to("../../outside/secret.txt")
    (root / "shared").symlink_to(outside, target_is_directory=True)
    found, raw = members(context_of(root))
    assert found["project/data/secret.txt"].issym()
    assert found["project/data/relative.txt"].issym()
    assert found["project/shared"].issym()  # the folder link is not walked into
    assert not any(name.startswith("project/shared/") for name in found)
    assert_nothing_from(outside, found, raw)


@pytest.mark.parametrize("setting", [
    "requirements: ../outside/secret.txt",
    "requirements: /etc/hostname",
])
def test_dot_dot_and_absolute_spec_paths_are_refused(
        make_project: Callable[..., Path], brain: Callable[..., Any], outside: Path,
        setting: str) -> None:
    root = make_project({"onebrain.yml": spec_text("paths", HELLO, extra=(
        f"env:\n  python:\n    {setting}\n")), "src/hello.py": ""})
    result = brain("build", "--docker", str(root))
    assert result.exit_code == 2
    assert "inside the project" in result.output


@pytest.mark.parametrize("name", ["reqs.txt", "onebrain.lock", ".dockerignore"])
def test_a_project_file_read_into_the_build_may_not_link_outside(
        make_project: Callable[..., Path], brain: Callable[..., Any], outside: Path,
        name: str) -> None:
    root = make_project({"onebrain.yml": spec_text("linked", HELLO, extra=(
        "env:\n  python:\n    requirements: reqs.txt\n")), "src/hello.py": ""})
    if name != "reqs.txt":
        (root / "reqs.txt").write_text("six==1.16.0\n")
    (root / name).symlink_to(outside / "secret.txt")
    with pytest.raises(InvalidInput, match="symlink to a file outside"):
        context_of(root)
    result = brain("build", "--docker", str(root))
    assert result.exit_code == 2 and "outside" in result.output
    assert MARK not in result.output


def test_a_dockerignore_cannot_bring_in_files_outside_the_project(
        make_project: Callable[..., Path], outside: Path) -> None:
    root = make_project({
        "onebrain.yml": spec_text("ignore", HELLO),
        "src/hello.py": "print('hello')\n",
        ".dockerignore": "*\n!src/\n!../outside/secret.txt\n!../**\n!/etc/hostname\n"
                         "!**/../../outside/**\n!" + str(outside / "secret.txt") + "\n",
    })
    found, raw = members(context_of(root))
    project_files = {name for name in found if name.startswith("project/")}
    assert "project/src/hello.py" in project_files
    assert project_files <= {"project/src/hello.py", "project/onebrain.yml",
                             "project/.dockerignore"}
    assert Path("/etc/hostname").read_bytes() not in raw
    assert_nothing_from(outside, found, raw)


def test_a_huge_file_is_streamed_not_held_in_memory(
        make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("huge", HELLO), "src/hello.py": ""})
    size = 112 * 2**20  # well past the 64 MiB a context may keep in memory
    with (root / "data.bin").open("wb") as handle:
        handle.truncate(size)  # sparse: no disk used, read back as zeros
    tracemalloc.start()
    try:
        context = context_of(root)
        archive = context.tar()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 88 * 2**20  # the tar spills to disk past 64 MiB; hashing reads in chunks
    with tarfile.open(fileobj=archive) as opened:
        assert opened.getmember("project/data.bin").size == size
    archive.close()


def test_an_outside_link_in_the_image_dangles(
        docker_client: Any, git_project: Callable[..., Path], outside: Path) -> None:
    from docker_helpers import environment_of

    root = git_project({"onebrain.yml": spec_text("dangling", HELLO),
                        "src/hello.py": f"# {uuid.uuid4().hex}\nprint('hello')\n"})
    os.symlink(outside / "secret.txt", root / "src" / "secret.txt")
    built = environment_of(root).build()
    listing = docker_client.containers.run(
        built.image_id, ["-c", "ls -l /app/src; cat /app/src/secret.txt || true"],
        entrypoint=["/bin/sh"], remove=True, stderr=True).decode()
    assert "secret.txt ->" in listing and MARK not in listing

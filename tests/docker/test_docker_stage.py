"""The build context kept as a folder between builds (brain.envs.docker_stage): it always holds
exactly the context, rewrites only what changed, and never writes outside itself, whatever
the project's links, an interrupted sync or a damaged manifest left behind. No daemon needed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.envs.build_context import DOCKERFILE_PATH, BuildContext, ContextFile, assemble
from brain.envs.docker_stage import stage_key, staged

KEY = stage_key(Path("/projects/example"))


def context_of(files: list[ContextFile]) -> BuildContext:
    dockerfile = "FROM scratch\n"
    return assemble(dockerfile, [ContextFile(DOCKERFILE_PATH, data=dockerfile.encode())],
                    {}, "host", files)


def stage(files: list[ContextFile], suffix: str = "") -> Path:
    with staged(context_of(files), KEY, dockerfile_suffix=suffix) as tree:
        return tree


def contents(tree: Path) -> dict[str, object]:
    """Every entry under `tree`: a file's bytes and executable bit, a link's target, and the
    folders (so an empty one shows)."""
    found: dict[str, object] = {}
    for folder, subfolders, names in os.walk(tree):
        for name in subfolders + names:
            path = Path(folder, name)
            relative = path.relative_to(tree).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = "folder"
            else:
                found[relative] = (path.read_bytes(), bool(info.st_mode & 0o111))
    return found


def expected(files: list[ContextFile], suffix: str = "") -> dict[str, object]:
    found: dict[str, object] = {DOCKERFILE_PATH: (b"FROM scratch\n" + suffix.encode(), False)}
    for member in files:
        if member.link is not None:
            found[member.name] = ("link", member.link)
        elif member.data is not None:
            found[member.name] = (member.data, member.executable)
        else:
            assert member.source is not None
            found[member.name] = (member.source.read_bytes(), member.executable)
    for name in list(found):
        parts = name.split("/")
        for depth in range(1, len(parts)):
            found["/".join(parts[:depth])] = "folder"
    return found


def test_the_tree_holds_the_context_and_follows_its_changes(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text("print('v1')\n")
    files = [ContextFile("project/src/main.py", source=source),
             ContextFile("project/run.sh", data=b"#!/bin/sh\n", executable=True),
             ContextFile("project/old/gone.txt", data=b"x"),
             ContextFile("project/data", link="../elsewhere")]
    tree = stage(files, "LABEL a=1\n")
    assert contents(tree) == expected(files, "LABEL a=1\n")
    before = (tree / "project/run.sh").stat().st_ino

    source.write_text("print('v2')\n")  # the same length: only the bytes tell
    files = [member for member in files if member.name != "project/old/gone.txt"]
    tree = stage(files, "LABEL a=2\n")
    assert contents(tree) == expected(files, "LABEL a=2\n")  # no empty project/old left
    assert (tree / "project/run.sh").stat().st_ino == before  # unchanged: not rewritten


def test_a_link_in_the_project_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = stage([ContextFile("project/d", link=str(outside))])
    # The next build has a real folder where the link was, with a file in it.
    files = [ContextFile("project/d/x.txt", data=b"inside")]
    tree = stage(files)
    assert contents(tree) == expected(files)
    assert list(outside.iterdir()) == []


def test_a_tampered_tree_is_made_again_without_writing_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    files = [ContextFile("project/src/a.py", data=b"a"), ContextFile("project/src/b.py",
                                                                     data=b"b")]
    tree = stage(files)
    for child in (tree / "project/src").iterdir():
        child.unlink()
    (tree / "project/src").rmdir()
    (tree / "project/src").symlink_to(outside)  # the manifest still says it is a folder
    files[0] = ContextFile("project/src/a.py", data=b"changed")
    tree = stage(files)
    assert contents(tree) == expected(files)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("manifest", [None, "not json", json.dumps({"format": 1, "files": {
    "../../escaped": "f:0"}}), json.dumps({"format": 1, "files": {"/etc/passwd": "f:0"}})])
def test_a_missing_or_damaged_manifest_starts_the_tree_anew(tmp_path: Path,
                                                            manifest: str | None) -> None:
    files = [ContextFile("project/a.txt", data=b"a")]
    tree = stage(files)
    (tree / "project/stale.txt").write_text("left by a sync cut short")
    record = tree.parent / "manifest.json"
    record.unlink()
    if manifest is not None:
        record.write_text(manifest)
    tree = stage(files)
    assert contents(tree) == expected(files)
    assert json.loads(record.read_text())["files"].keys() == {DOCKERFILE_PATH, "project/a.txt"}


def test_a_file_gone_before_it_is_copied_is_named(tmp_path: Path) -> None:
    from brain.errors import InvalidInput

    source = tmp_path / "vanishing.py"
    source.write_text("x")
    context = context_of([ContextFile("project/vanishing.py", source=source)])
    source.unlink()
    with pytest.raises(InvalidInput, match=r"vanishing\.py"), \
            staged(context, KEY):
        pass


NAMES = st.lists(st.sampled_from(["a", "b", "c.py", "d"]), min_size=1, max_size=3).map(
    lambda parts: "project/" + "/".join(parts))
MEMBER = st.tuples(st.sampled_from(["file", "exec", "link"]), st.binary(max_size=8))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(NAMES, MEMBER, max_size=6), min_size=1, max_size=4))
def test_any_sequence_of_contexts_leaves_exactly_the_last(
        steps: list[dict[str, tuple[str, bytes]]]) -> None:
    import uuid

    key = uuid.uuid4().hex  # each example its own folder
    for step in steps:
        # A name cannot be both a file and a folder of other files: drop the folders.
        names = sorted(name for name in step
                       if not any(other.startswith(name + "/") for other in step))
        files = []
        for name in names:
            kind, data = step[name]
            files.append(ContextFile(name, link=data.hex() or "x") if kind == "link" else
                         ContextFile(name, data=data, executable=kind == "exec"))
        with staged(context_of(files), key) as tree:
            assert contents(tree) == expected(files)

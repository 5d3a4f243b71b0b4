"""A project's build context as a folder kept between builds, for BuildKit.

Sent as a tar on stdin, the whole context is unpacked and checksummed by the daemon on every
build (brain's own source included): about 0.1 s more than a folder on a code-only rebuild of
a small project, the whole gap to a hand-written `docker build .` (benchmarks/compare.py).
From a folder, BuildKit sends only the files that changed since the last build of that
folder. So each project has one, `<cache>/docker-stage/<key>/tree`, made to hold exactly the
context (same names, bytes, links and executable bits) by rewriting only what changed, as a
manifest of content keys says.

The folder is brain's, under the user's cache; its names come from the context, and every
write goes through folders opened without following links, so a project's symlink copied in
as a link is never written through. A manifest that is missing or unreadable (a sync cut
short) means the folder is made again from nothing. Builds of one project take turns (a lock).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from brain.envs.build_context import DOCKERFILE_PATH, BuildContext, ContextFile
from brain.envs.build_context import project_key as stage_key
from brain.errors import EnvironmentFailure, InvalidInput

if TYPE_CHECKING:
    from brain.envs.buildkit import BuildKitBuilder

_FORMAT = 1
_MANIFEST_LIMIT = 256 * 2**20
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


@contextmanager
def staged(context: BuildContext, key: str, *, dockerfile_suffix: str = "",
           on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """The context as a folder (the Dockerfile with `dockerfile_suffix` appended), held for
    this build alone until the block ends. `key` names the project (a hash of its folder)."""
    from brain.envs.locking import ProjectLock
    from brain.paths import cache_dir
    from brain.statefs import safe_dir, write_atomic

    folder = safe_dir(cache_dir(), "docker-stage", key)
    with ProjectLock(folder / "lock", command="brain build --docker", what="the build context",
                     on_wait=on_wait):
        entries = _wanted(context, dockerfile_suffix)
        manifest = folder / "manifest.json"
        kept = _read_manifest(manifest)
        manifest.unlink(missing_ok=True)  # a sync cut short leaves none: the next starts anew
        if kept is None:
            _wipe(folder / "tree")
            kept = {}
        tree = safe_dir(folder, "tree")
        try:
            _sync(tree, kept, entries)
        except OSError:
            # The folder is not as its manifest says (a link where a folder was, a file
            # gone): made again from nothing, once.
            _wipe(tree)
            try:
                _sync(safe_dir(folder, "tree"), {}, entries)
            except OSError as error:
                raise EnvironmentFailure(f"cannot prepare the build context in {tree}: "
                                         f"{error.strerror or error}",
                                         hint="check the free space and permissions of "
                                         "brain's cache (BRAIN_CACHE_DIR)") from None
        write_atomic(manifest, json.dumps({"format": _FORMAT, "files": {
            name: key for name, (key, _) in entries.items()}}))
        yield tree


def _wanted(context: BuildContext, suffix: str) -> dict[str, tuple[str, ContextFile]]:
    """Each member by name, with its content key (the Dockerfile's with the suffix)."""
    import hashlib

    wanted = {}
    for member, content_key in zip(context.files, context.keys, strict=True):
        if member.name == DOCKERFILE_PATH and suffix:
            data = (context.dockerfile + suffix).encode()
            member = ContextFile(member.name, data=data)
            content_key = hashlib.sha256(data).hexdigest()
        kind = "l" if member.link is not None else ("x" if member.executable else "f")
        wanted[member.name] = (f"{kind}:{content_key}", member)
    return wanted


def _wipe(tree: Path) -> None:
    import shutil

    shutil.rmtree(tree, ignore_errors=True)  # never follows a link


def _read_manifest(path: Path) -> dict[str, str] | None:
    from brain.statefs import UnsafeState, read_text

    try:
        data = json.loads(read_text(path, limit=_MANIFEST_LIMIT))
    except (OSError, ValueError, UnsafeState):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("format") == _FORMAT else None
    if not isinstance(files, dict) or not all(
            isinstance(key, str) and _parts(name) for name, key in files.items()):
        return None
    return files


def _parts(name: object) -> list[str] | None:
    """The components of a member's name, or None for one that could leave the folder."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\0" in name:
        return None
    parts = name.split("/")
    return None if any(part in ("", ".", "..") for part in parts) else parts


def _sync(tree: Path, kept: dict[str, str], wanted: dict[str, tuple[str, ContextFile]]) -> None:
    """Make `tree` hold `wanted`, given that it holds `kept` (name -> content key)."""
    root = os.open(tree, _DIRECTORY)
    try:
        for name in kept:
            if name not in wanted:  # a changed file is written over in its place below
                _remove(root, name)
        for name, (key, member) in wanted.items():
            if kept.get(name) != key:
                _write(root, member)
    finally:
        os.close(root)


def _open_parent(root: int, parts: list[str], *, create: bool) -> int:
    """The folder holding `parts[-1]`, opened below `root` without following any link."""
    current = os.dup(root)
    try:
        for part in parts[:-1]:
            try:
                found = os.open(part, _DIRECTORY, dir_fd=current)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o755, dir_fd=current)
                found = os.open(part, _DIRECTORY, dir_fd=current)
            os.close(current)
            current = found
    except BaseException:
        os.close(current)
        raise
    return current


def _remove(root: int, name: str) -> None:
    """Remove the file or link `name`, then each folder above it left empty."""
    parts = _parts(name)
    assert parts is not None  # checked when the manifest was read
    try:
        parent = _open_parent(root, parts, create=False)
    except FileNotFoundError:
        return
    try:
        with suppress(FileNotFoundError):  # already gone: what was wanted
            os.unlink(parts[-1], dir_fd=parent)
    finally:
        os.close(parent)
    for depth in range(len(parts) - 1, 0, -1):  # empty folders are not in a context
        try:
            parent = _open_parent(root, parts[:depth], create=False)
        except FileNotFoundError:
            continue
        try:
            os.rmdir(parts[depth - 1], dir_fd=parent)
        except OSError:
            return  # not empty: nor are the folders above it
        finally:
            os.close(parent)


def _write(root: int, member: ContextFile) -> None:
    """Write `member` in place of whatever has its name."""
    parts = _parts(member.name)
    if parts is None:
        raise InvalidInput(f"a file of the build context has a name brain cannot use: "
                           f"{member.name!r}", hint="rename it, or list it in .dockerignore")
    parent = _open_parent(root, parts, create=True)
    try:
        with suppress(FileNotFoundError):
            os.unlink(parts[-1], dir_fd=parent)
        if member.link is not None:
            os.symlink(member.link, parts[-1], dir_fd=parent)
            return
        written = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                          0o755 if member.executable else 0o644, dir_fd=parent)
        with os.fdopen(written, "wb") as target:
            if member.data is not None:
                target.write(member.data)
            else:
                assert member.source is not None
                _copy(member.source, target)
            target.flush()
            # The time stays the write's own: BuildKit sends a file again only when its size
            # or time changed, so a fixed time would hide an edit of the same length.
            os.fchmod(target.fileno(), 0o755 if member.executable else 0o644)
    finally:
        os.close(parent)


def _copy(source: Path, target: BinaryIO) -> None:
    """`source`'s bytes into `target`, never through a link put in the file's place since the
    context was gathered."""
    try:
        handle = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise InvalidInput(f"cannot read {source} for the image: "
                           f"{error.strerror or error} (changed while building?)",
                           hint="build again, or list it in .dockerignore") from None
    with os.fdopen(handle, "rb") as reader:
        while chunk := reader.read(2**20):
            target.write(chunk)


def stage_folder(root: Path) -> Path:
    """The folder kept for the project at `root` (made by the first build)."""
    from brain.paths import cache_dir

    return cache_dir() / "docker-stage" / stage_key(root)


def build_staged(builder: BuildKitBuilder, context: BuildContext, root: Path, *,
                 dockerfile_suffix: str, tags: list[str], buildargs: dict[str, str],
                 network: str, on_wait: Callable[[str], None] | None = None
                 ) -> tuple[str, list[str]]:
    """Build `context` (of the project at `root`) with BuildKit from its kept folder:
    (image id, log lines); BuildKitFailed when the build fails."""
    from brain.envs.buildkit import build

    with staged(context, stage_key(root), dockerfile_suffix=dockerfile_suffix,
                on_wait=on_wait) as tree:
        # The image id file goes beside the tree (never in it: it would be sent), in the
        # folder this build holds alone.
        return build(builder, tree, dockerfile=DOCKERFILE_PATH, tags=tags,
                     buildargs=buildargs, network=network, iidfile=tree.parent / "image-id")

"""Where `brain generate --project X` starts from: a workspace project, a folder, or git URL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.vcs.urls import is_git_url


@dataclass(frozen=True)
class Source:
    """A project folder to copy, and the record of where it came from."""

    root: Path
    origin: dict[str, Any] = field(default_factory=dict)


@contextmanager
def open_source(text: str, *, ref: str | None = None, cwd: Path | None = None) -> Iterator[Source]:
    """The project named by `text`; a git URL is cloned into a folder removed afterwards."""
    from brain.paths import find_spec_file
    from brain.settings import expand_user
    from brain.vcs import verbs as git

    cwd = cwd or Path.cwd()
    if not text.strip():
        raise InvalidInput("--project needs a project name, a path or a git URL")
    candidate = expand_user(cwd / text)
    if not is_git_url(text) or candidate.exists():
        if ref is not None:
            raise InvalidInput("--ref applies only when --project is a git URL")
        root = _local_root(text, candidate, cwd)
        origin: dict[str, Any] = {"kind": "project", "source": text, "path": str(root),
                  "commit": git.head_commit(root)}
        if origin["commit"] is not None:
            origin["dirty"] = git.is_dirty(root)
        yield Source(root, origin)
        return
    with tempfile.TemporaryDirectory(prefix="brain-clone-") as folder:
        clone = Path(folder) / "project"
        commit = git.clone(text, clone, ref=ref)
        if find_spec_file(clone) is None:
            raise InvalidInput(f"{text}: no onebrain.yml at the top of the repository",
                               hint="point --project at a repository whose root is a project")
        yield Source(clone, {"kind": "project", "source": text, "url": text, "ref": ref,
                             "commit": commit})


def _local_root(text: str, candidate: Path, cwd: Path) -> Path:
    from brain.paths import find_spec_file
    from brain.spec.loader import is_spec_file

    if candidate.is_file() and is_spec_file(candidate):
        return candidate.parent.resolve()
    if candidate.is_dir():
        if find_spec_file(candidate) is None:
            raise InvalidInput(f"{text}: no onebrain.yml in this folder",
                               hint="pass a project folder, a workspace project name or a git URL")
        return candidate.resolve()
    return find_in_workspace(text, cwd)


def find_in_workspace(name: str, cwd: Path) -> Path:
    """The folder of the project called `name` or `namespace/name` in the workspace."""
    from brain.workspace.index import find_project, load_index

    index = load_index(cwd)
    return (index.workspace.root / find_project(index, name).path).resolve()


def check_unique_in_workspace(target: Path, namespace: str, name: str) -> None:
    """Refuse a project whose namespace/name another project of the target's workspace has.

    Only inside a real workspace (a `brain-workspace.yml` or a git repository): outside one,
    there is nothing to collide with and no reason to walk the disk.
    """
    from brain.workspace.discovery import WORKSPACE_FILENAME, find_workspace_root

    start = target
    while not start.exists():
        start = start.parent
    root = find_workspace_root(start)
    if not ((root / WORKSPACE_FILENAME).is_file() or (root / ".git").exists()):
        return
    wanted = f"{namespace}/{name}"
    own = target.resolve()
    for full, folder in _workspace_projects(root):
        if full == wanted and folder != own:
            raise InvalidInput(f"the workspace {root} already has a project {wanted} in {folder}",
                               hint="choose another --name or --namespace")


def _workspace_projects(workspace: Path) -> Iterator[tuple[str, Path]]:
    from brain.errors import InvalidInput
    from brain.inputfs import read_spec_bytes
    from brain.spec.document import YamlProblem, decode, parse
    from brain.workspace.discovery import discover_spec_files

    for spec_file in discover_spec_files(workspace):
        try:
            data = parse(decode(read_spec_bytes(spec_file))).data
        except (InvalidInput, YamlProblem):
            continue  # an unreadable spec is `brain validate`'s business, not ours
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            namespace = data.get("namespace")
            namespace = namespace if isinstance(namespace, str) else "default"
            yield f"{namespace}/{data['name']}", spec_file.parent.resolve()

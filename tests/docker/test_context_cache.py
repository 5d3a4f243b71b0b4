"""The remembered list of a project's files in its build context: reused while no folder
changed (so a code-only rebuild does not import the docker SDK), never once one has."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from docker_helpers import spec_text

from brain.envs.build_context import BuildContext, build_context
from brain.envs.dockerfile import BuildSettings
from brain.spec.loader import load_project

HELLO = "  hello:\n    type: python\n    script: src/hello.py\n"


def settle(root: Path) -> None:
    """Date every folder a minute back, as if the tree had not changed for a while."""
    past = time.time() - 60
    for folder, _, _ in os.walk(root):
        os.utime(folder, (past, past))


def project_names(root: Path) -> set[str]:
    context: BuildContext = build_context(load_project(root), BuildSettings(),
                                          brain_version="test")
    return {member.name.removeprefix("project/") for member in context.files
            if member.name.startswith("project/")}


def test_added_removed_and_renamed_files_are_seen(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("cache", HELLO),
                         "src/hello.py": "print('hello')\n", "src/old.py": "",
                         "notes/a.txt": "a\n"})
    settle(root)
    assert project_names(root) >= {"src/hello.py", "src/old.py", "notes/a.txt"}
    settle(root)
    assert "src/old.py" in project_names(root)  # remembered now
    (root / "src/new.py").write_text("")
    (root / "src/old.py").rename(root / "src/renamed.py")
    (root / "notes/a.txt").unlink()
    names = project_names(root)
    assert {"src/new.py", "src/renamed.py"} <= names
    assert not {"src/old.py", "notes/a.txt"} & names
    settle(root)
    (root / ".dockerignore").write_text("notes/\nsrc/new.py\n")
    assert "src/new.py" not in project_names(root)  # the patterns are part of the key
    (root / "src/secret.txt").symlink_to("/etc/hostname")
    assert "src/secret.txt" in project_names(root)  # still a link member, as ever


def test_a_settled_project_is_listed_without_the_docker_sdk(
        make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("light", HELLO),
                         "src/hello.py": "print('hello')\n"})
    settle(root)
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from brain.envs.build_context import build_context
        from brain.envs.dockerfile import BuildSettings
        from brain.spec.loader import load_project
        build_context(load_project(Path({str(root)!r})), BuildSettings(), brain_version="t")
        print("docker" in sys.modules)
    """)
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env=os.environ.copy()).stdout.strip()
            for _ in range(2)]
    assert runs == ["True", "False"]  # the first lists with docker's matcher, then remembers

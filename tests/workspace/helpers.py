"""Helpers for workspace and vcs tests: real git repositories, projects, generated monorepos."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` (test setup only; brain itself goes through brain.vcs.gateway)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def spec_text(name: str, *, namespace: str = "default", version: str = "0.1.0",
              tags: tuple[str, ...] = (), pip: dict[str, str] | None = None,
              build_enabled: bool = False) -> str:
    """A small valid onebrain.yml."""
    lines = [f"name: {name}", f"version: {version}", f"namespace: {namespace}"]
    if tags:
        lines.append(f"tags: [{', '.join(tags)}]")
    if build_enabled:
        lines.append("build_enabled: true")
    lines += ["entry_points:", "  main:", "    type: bash",
              "    command: python run.py --alpha {{ alpha }}",
              "    parameters:", "      alpha: {type: float, default: 0.5}"]
    if pip:
        lines += ["env:", "  python:", "    pip:"]
        lines += [f"      {dep}: '{spec}'" for dep, spec in pip.items()]
    return "\n".join(lines) + "\n"


def write_project(root: Path, folder: str, text: str) -> Path:
    """Write `text` as `root/folder/onebrain.yml`; the project folder."""
    target = root / folder
    target.mkdir(parents=True, exist_ok=True)
    (target / "onebrain.yml").write_text(text)
    (target / "run.py").write_text("print('hi')\n")
    return target


def generate_workspace(root: Path, count: int) -> None:
    """`count` projects in 10 namespaces: every 10th is a library (lib-K, published), and
    every other project depends on the library of its namespace; lib-K for K > 0 depends on
    lib-(K-1), so a change to lib-0 affects everything."""
    for i in range(count):
        namespace = f"team{i % 10}"
        if i < 10:
            pip = {f"Lib_{i - 1}": ">=0.1"} if i else {"numpy": "==1.26.4"}
            write_project(root, f"libs/lib-{i}", spec_text(
                f"lib-{i}", namespace=namespace, build_enabled=True, pip=pip, tags=("lib",)))
        else:
            write_project(root, f"projects/{namespace}/p{i}", spec_text(
                f"p{i}", namespace=namespace, tags=(f"t{i % 7}",),
                pip={f"lib.{i % 10}": ">=0.1", "pandas": ">=2"}))


def commit_all(root: Path, message: str = "commit") -> str:
    """Commit every file; the new SHA."""
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")

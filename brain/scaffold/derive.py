"""`brain generate --project X`: a new project from an existing one, renamed, without its state.

Copied: code, data and spec. Left behind: `.git`, `.brain/`, virtual environments, caches,
build folders and every declared output. The project's name is replaced everywhere (spec,
paths, Python package and module names, identifiers, README title) and its version reset.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from brain.errors import InvalidInput
from brain.inputfs import read_input
from brain.scaffold.answers import ANSWERS_FILE, Answers, package_name, write_answers_file
from brain.scaffold.generate import GenerateResult, commit_new_project, validate_generated
from brain.scaffold.origin import check_unique_in_workspace, open_source
from brain.scaffold.placement import (
    check_target,
    is_empty_folder,
    move_into_place,
    staged_files,
    staging_folder,
)
from brain.scaffold.sandbox import yaml_scalar
from brain.scaffold.tree import MAX_MAPPED_BYTES, TreeWriter, is_inside
from brain.spec.schema import place_schema, repoint_schema

RESET_VERSION = "0.1.0"
STATE_DIRS = frozenset({".git", ".hg", ".svn", ".brain", "__pycache__", ".pytest_cache",
                        ".mypy_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
                        ".tox", ".nox", ".venv", "venv", ".eggs", "node_modules", "htmlcov",
                        ".benchmarks"})
TOP_LEVEL_BUILD_DIRS = frozenset({"dist", "build"})
STATE_FILES = ("*.pyc", "*.pyo", ".DS_Store", ".coverage", ".coverage.*", ".git",
               ANSWERS_FILE)


class Renamer:
    """Replaces every spelling of one project name by the same spelling of another."""

    def __init__(self, old: str, new: str) -> None:
        pairs: dict[str, tuple[str, str]] = {}  # old spelling -> (new spelling, lookahead)
        old_words, new_words = _words(old), _words(new)
        any_alnum, lower_alnum = "[A-Za-z0-9]", "[a-z0-9]"
        for old_form, new_form in (
            (old, new),
            (package_name(old), package_name(new)),
            ("_".join(old_words), package_name(new)),
            ("-".join(old_words), "-".join(new_words)),
        ):
            pairs.setdefault(old_form, (new_form, any_alnum))
        if len(old_words) > 1:  # one-word names would also hit ordinary words
            pairs.setdefault("".join(w.capitalize() for w in old_words),
                             ("".join(w.capitalize() for w in new_words), lower_alnum))
            pairs.setdefault("_".join(old_words).upper(),
                             ("_".join(new_words).upper(), any_alnum))
            pairs.setdefault(" ".join(w.capitalize() for w in old_words),
                             (" ".join(w.capitalize() for w in new_words), any_alnum))
            pairs.setdefault("".join(old_words), ("".join(new_words), any_alnum))
        self.replacements = {old_form: new_form for old_form, (new_form, _) in pairs.items()}
        alternatives = [f"(?:{re.escape(form)})(?!{ahead})" for form, (_, ahead) in
                        sorted(pairs.items(), key=lambda item: -len(item[0]))]
        self.pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(alternatives) + ")")

    def text(self, text: str) -> str:
        """`text` with every spelling of the old name replaced."""
        return self.pattern.sub(lambda match: self.replacements[match.group(0)], text)

    def content(self, rel: str, data: bytes) -> bytes:
        """File content: text files renamed, binary files untouched."""
        if b"\x00" in data:
            return data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        return self.text(text).encode("utf-8")


def _moved_paths(source: Path, target: Path, renamer: Renamer) -> Callable[[bytes], bytes]:
    """Rewrites the source's path in its repository (`examples/fit-model`, in a README's
    `brain run examples/fit-model ...`) to where the copy lives: its path in its own
    repository, else `.` (commands read from the project folder). Renaming alone would
    leave `examples/my-fit`, a folder that does not exist."""
    from brain.vcs.verbs import work_tree_of

    top = work_tree_of(source)
    old = Path(os.path.relpath(source.resolve(), top.resolve())).as_posix() if top else "."
    if old == "." or old.startswith(".."):
        return lambda data: data
    existing = next(folder for folder in (target, *target.parents) if folder.is_dir())
    new_top = work_tree_of(existing)
    new = Path(os.path.relpath(target, new_top.resolve())).as_posix() if new_top else "."
    pattern = re.compile(rb"(?<![\w./-])" + re.escape(renamer.text(old).encode()) + rb"(?![\w.-])")
    replacement = new.encode()

    def rewrite(data: bytes) -> bytes:
        if b"\x00" in data:
            return data
        return pattern.sub(lambda _: replacement, data)

    return rewrite


def _words(name: str) -> list[str]:
    return [word for word in re.split(r"[-_.]+", name) if word]


def generate_from_project(
    source_text: str, target: Path, *, name: str, namespace: str | None = None,
    description: str | None = None, author: str | None = None, ref: str | None = None,
    force: bool = False, git: bool = True, cwd: Path | None = None,
) -> GenerateResult:
    """Copy the project `source_text` to `target` as the project `name` (module docstring)."""
    from brain.settings import expand_user
    from brain.spec.loader import load_project

    target = expand_user(target).absolute()
    with open_source(source_text, ref=ref, cwd=cwd) as source:
        project = load_project(source.root)
        spec = project.spec
        if is_inside(str(target.resolve()), str(source.root)):
            raise InvalidInput(f"{target}: the new project cannot be inside the project it "
                               "copies", hint="choose a folder outside it")
        renamer = Renamer(spec.name, name)
        # The copied spec's description is renamed like every other file: record it so.
        answers = Answers(
            name=name, namespace=namespace or spec.namespace,
            description=description if description is not None else renamer.text(" ".join(
                (spec.description or "").split())),
            author=author or "", python_version=spec.env.python.version or Answers(
                name=name).python_version)
        check_target(target, force=force)
        check_unique_in_workspace(target, answers.namespace, answers.name)
        fresh = is_empty_folder(target)
        outputs = [posixpath.normpath(out) for entry in spec.entry_points.values()
                   for out in entry.outputs]
        origin = {**source.origin, "name": f"{spec.namespace}/{spec.name}",
                  "version": spec.version}
        with staging_folder(target) as staging:
            moved = _moved_paths(source.root, target, renamer)
            writer = TreeWriter(source.root, staging, _path_mapper(renamer, outputs),
                                lambda rel, data: moved(renamer.content(rel, data)),
                                _skip_dir, kind="project")
            writer.run()
            spec_file = staging / renamer.text(project.spec_file.name)
            _rewrite_spec(spec_file, answers, description=description, author=author)
            _ignore_state(staging / ".gitignore")
            write_answers_file(staging, origin=origin, answers=answers)
            _reset_versions(staging, staged_files(staging), spec.version)
            entries = validate_generated(staging, what=f"the copy of {spec.name!r}")
            files = staged_files(staging)
            replaced = move_into_place(staging, target)
    result = GenerateResult(target, files, origin, replaced, entry_points=entries)
    if git:
        commit_new_project(result, f"New project {name} from {origin['name']}",
                           everything=fresh)
    return result


def _path_mapper(renamer: Renamer, outputs: list[str]) -> Callable[[str], str | None]:
    def map_path(rel: str) -> str | None:
        name = rel.rpartition("/")[2]
        if any(fnmatch.fnmatch(name, pattern) for pattern in STATE_FILES):
            return None
        if any(rel == out or rel.startswith(out + "/") or fnmatch.fnmatch(rel, out)
               for out in outputs):
            return None
        return "/".join(renamer.text(part) for part in rel.split("/"))

    return map_path


def _skip_dir(rel: str, path: Path) -> bool:
    return (path.name in STATE_DIRS or path.name.endswith(".egg-info")
            or (rel in TOP_LEVEL_BUILD_DIRS) or (path / "pyvenv.cfg").exists())


def _rewrite_spec(spec_file: Path, answers: Answers, *, description: str | None,
                  author: str | None) -> None:
    from brain.inputfs import read_spec_bytes

    text = read_spec_bytes(spec_file).decode("utf-8")
    text, repointed = repoint_schema(text)  # a local path pointed where the source lived
    if repointed:
        place_schema(spec_file.parent)
    text = set_top_level(text, "name", yaml_scalar(answers.name))
    text = set_top_level(text, "version", RESET_VERSION)
    text = set_top_level(text, "namespace", yaml_scalar(answers.namespace))
    if description is not None:
        text = set_top_level(text, "description", yaml_scalar(description))
    if author:
        text = set_top_level(text, "authors", "\n  - " + yaml_scalar(author), alias="author")
    spec_file.write_text(text, encoding="utf-8")


def set_top_level(text: str, key: str, value: str, *, alias: str | None = None) -> str:
    """Set a top-level YAML key (replacing its value lines, block values included)."""
    lines = text.splitlines(keepends=True)
    keys = {key, alias} - {None}
    for index, line in enumerate(lines):
        found = re.match(r"^([A-Za-z_]+)\s*:(\s|$)", line)
        if found and found.group(1) in keys:
            end = index + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t-#"):
                end += 1
            while end > index + 1 and not lines[end - 1].strip():
                end -= 1  # keep blank lines that separate this key from the next one
            lines[index:end] = [f"{key}: {value}".replace(": \n", ":\n") + "\n"]
            return "".join(lines)
    after = next((i + 1 for i, line in enumerate(lines) if line.startswith("name:")), len(lines))
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(after, f"{key}: {value}\n")
    return "".join(lines)


def _reset_versions(root: Path, files: list[str], old: str) -> None:
    """The old version in pyproject.toml and in `__version__ = "..."` becomes RESET_VERSION."""
    quoted = rf"""(["']){re.escape(old)}(["'])"""
    in_pyproject = re.compile(rf"^(version\s*=\s*){quoted}", re.MULTILINE)
    in_python = re.compile(rf"^(__version__\s*=\s*){quoted}", re.MULTILINE)
    for rel in files:
        path = root / rel
        pattern = in_pyproject if rel == "pyproject.toml" else (
            in_python if rel.endswith(".py") else None)
        if pattern is None or path.is_symlink():
            continue
        try:
            text = read_input(path, root=root, cap=MAX_MAPPED_BYTES).decode(
                "utf-8", errors="surrogateescape")
        except InvalidInput:
            continue  # not a regular file, or data: no version line to reset there
        edited = pattern.sub(rf"\g<1>\g<2>{RESET_VERSION}\g<3>", text)
        if edited != text:
            path.write_text(edited, encoding="utf-8", errors="surrogateescape")


def _ignore_state(gitignore: Path) -> None:
    """Make sure brain's per-project state stays out of git."""
    existing = gitignore.read_text(encoding="utf-8") if gitignore.is_file() else ""
    if any(line.strip() in (".brain", ".brain/", "/.brain/", "/.brain") for line in
           existing.splitlines()):
        return
    separator = "" if not existing or existing.endswith("\n") else "\n"
    gitignore.write_text(f"{existing}{separator}# brain's per-project state\n.brain/\n",
                         encoding="utf-8")

"""`brain generate`: a project from a template, staged, validated, moved in, committed."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brain.errors import BrainError, InvalidInput, SpecInvalid
from brain.scaffold.answers import Answers, write_answers_file
from brain.scaffold.catalog import METADATA_FILE, Template
from brain.scaffold.origin import check_unique_in_workspace
from brain.scaffold.placement import (
    check_target,
    is_empty_folder,
    move_into_place,
    staged_files,
    staging_folder,
)
from brain.scaffold.sandbox import needs_rendering, render_text
from brain.scaffold.tree import TreeWriter, is_inside
from brain.spec.schema import place_schema

TEMPLATE_SUFFIX = ".jinja"
_SKIPPED_DIRS = frozenset({".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                           ".brain", ".ipynb_checkpoints"})
_SKIPPED_FILES = frozenset({".DS_Store"})


@dataclass
class GenerateResult:
    """What `generate_*` did."""

    target: Path
    files: list[str]
    origin: dict[str, Any]
    replaced: list[Path] = field(default_factory=list)
    commit: str | None = None
    git_note: str | None = None
    hooks_run: list[list[str]] = field(default_factory=list)
    hooks_skipped: list[list[str]] = field(default_factory=list)
    entry_points: list[str] = field(default_factory=list)

    @property
    def first_entry(self) -> str | None:
        """The entry point to suggest running first: `main`, else the last one declared."""
        if "main" in self.entry_points:
            return "main"
        candidates = [name for name in self.entry_points if name != "test"]
        return candidates[-1] if candidates else None


def template_answers(template: Template, given: Mapping[str, Any]) -> dict[str, Any]:
    """The template's own answers, typed: from `given` (text or values) or the defaults."""
    from brain.params import ParameterError, coerce

    questions = template.info.questions
    values: dict[str, Any] = {}
    problems = []
    for key in given:
        if key not in questions:
            known = ", ".join(questions) or "none"
            guess = difflib.get_close_matches(key, list(questions), n=1)
            tip = f"did you mean {guess[0]!r}? " if guess else ""
            problems.append(f"unknown answer {key!r} ({tip}template {template.name!r} "
                            f"asks: {known})")
    for key, question in questions.items():
        raw = given.get(key, question.default)
        if raw is None:
            problems.append(f"{key}: an answer is required ({question.help or question.type})")
            continue
        try:
            values[key] = coerce(question, raw)
        except ParameterError as error:
            problems.append(f"{key}: {error}")
    if problems:
        raise InvalidInput("; ".join(problems),
                           hint="give answers with --set key=value; `brain templates` lists them")
    return values


def planned_hooks(template: Template, answers: Answers) -> list[list[str]]:
    """The template's hooks with their arguments rendered: what --trust would run."""
    context = answers.context(template.name)
    where = f"{template.root / METADATA_FILE}: hooks"
    return [[render_text(arg, context, where=where) if needs_rendering(arg) else arg
             for arg in hook] for hook in template.info.hooks]


def generate_from_template(
    template: Template, answers: Answers, target: Path, *,
    force: bool = False, trust: bool = False, git: bool = True,
) -> GenerateResult:
    """Render `template` with `answers` into `target`: staged, validated, moved in, committed."""
    from brain.settings import expand_user

    target = expand_user(target).absolute()
    if is_inside(str(target.resolve()), str(template.root)):
        raise InvalidInput(f"{target}: the new project cannot be inside the template")
    check_target(target, force=force)
    check_unique_in_workspace(target, answers.namespace, answers.name)
    fresh = is_empty_folder(target)
    context = answers.context(template.name)
    hooks = planned_hooks(template, answers)
    origin = {"kind": "template", "template": template.name,
              "source": "builtin" if template.builtin else str(template.root)}
    if not template.builtin:
        from brain.vcs import verbs as vcs

        commit = vcs.head_commit(template.root)  # a template kept in git can be updated from
        if commit is not None:
            origin["commit"] = commit
    with staging_folder(target) as staging:
        render_tree(template, staging, context)
        if trust:
            run_hooks(hooks, staging)
        write_answers_file(staging, origin=origin, answers=answers)
        place_schema(staging)
        entries = validate_generated(staging, what=f"template {template.name!r}")
        files = staged_files(staging)
        replaced = move_into_place(staging, target)
    result = GenerateResult(target, files, origin, replaced,
                            hooks_run=hooks if trust else [],
                            hooks_skipped=[] if trust else hooks, entry_points=entries)
    if git:
        commit_new_project(result, f"New project from brain template {template.name}",
                           everything=fresh)
    return result


def render_tree(template: Template, staging: Path, context: Mapping[str, Any]) -> list[str]:
    """Render every template file into `staging`; returns the written paths."""
    def map_path(rel: str) -> str | None:
        name = rel.rpartition("/")[2]
        if rel == METADATA_FILE or name in _SKIPPED_FILES or name.endswith(".pyc"):
            return None
        out = render_text(rel, context, where=f"template path {rel}") if needs_rendering(
            rel) else rel
        return out.removesuffix(TEMPLATE_SUFFIX) if rel.endswith(TEMPLATE_SUFFIX) else out

    def map_content(rel: str, data: bytes) -> bytes:
        if not rel.endswith(TEMPLATE_SUFFIX):
            return data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{template.name}/{rel}: a .jinja file must be UTF-8 text") from None
        return render_text(text, context, where=f"{template.name}/{rel}").encode("utf-8")

    def skip_dir(rel: str, path: Path) -> bool:
        return path.name in _SKIPPED_DIRS

    writer = TreeWriter(template.root, staging, map_path, map_content, skip_dir)
    writer.run()
    for out, helper in template.info.helpers.items():
        writer.add(out, helper_bytes(helper), what=f"{template.name}: helper {out}")
    return sorted(writer.written)


def helper_bytes(name: str) -> bytes:
    """One of the files brain ships for projects to use (one copy, kept in the package)."""
    from importlib import resources

    return resources.files("brain.rlang").joinpath(name).read_bytes()


def run_hooks(hooks: list[list[str]], cwd: Path) -> None:
    """Run trusted hooks in the new project, in order; the first failure stops everything."""
    from brain.process import run_checked

    for hook in hooks:
        run_checked(hook, cwd=cwd, what=f"template hook `{' '.join(hook)}`", timeout=600)


def validate_generated(root: Path, *, what: str) -> list[str]:
    """The generated spec must load; a broken template is refused before anything is written.

    Returns the names of its entry points.
    """
    from brain.paths import find_spec_file
    from brain.spec.loader import load_project

    if find_spec_file(root) is None:
        raise InvalidInput(f"{what} did not produce an onebrain.yml")
    try:
        return list(load_project(root).spec.entry_points)
    except SpecInvalid as error:
        shown = [line.replace(str(root), "<new project>") for line in error.problems]
        raise SpecInvalid(shown, hint=f"{what} produced an invalid onebrain.yml; nothing was "
                                      "written") from None


def commit_new_project(result: GenerateResult, message: str, *, everything: bool) -> None:
    """`git init` and a first commit, unless the target already lives in a git work tree."""
    from brain.vcs import verbs as git

    outer = git.work_tree_of(result.target)
    if outer is not None:
        result.git_note = (f"inside the git repository {outer}: no nested repository was "
                           "created and nothing was committed")
        return
    try:
        result.commit = git.init_and_commit(result.target, message,
                                            paths=None if everything else result.files)
    except BrainError as error:
        hint = f"; {error.hint}" if error.hint else ""
        result.git_note = (f"the project was written but not committed: {error.message}{hint}"
                           f" (then commit it yourself: cd {result.target} && git init && "
                           "git add -A && git commit -m 'New project')")

"""Finding templates: the built-in ones shipped with brain, and the user's on BRAIN_TEMPLATES_PATH.

A template is a folder holding `template.yml` (description, questions, hooks) and the files
of the new project. Files ending in `.jinja` are rendered (and lose the suffix); path names
are rendered wherever they hold Jinja syntax; every other file is copied as it is.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brain.errors import BrainError, InvalidInput
from brain.spec.models import Parameter

METADATA_FILE = "template.yml"
TEMPLATES_PATH_VARIABLE = "BRAIN_TEMPLATES_PATH"
# Answers every template gets; a template's own questions may not reuse these names.
BUILT_IN_ANSWERS = ("name", "namespace", "description", "author", "python_version")
DERIVED_NAMES = ("package", "title", "schema_url", "template")


class TemplateInfo(BaseModel):
    """The contents of a template's `template.yml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    questions: dict[str, Parameter] = Field(
        default_factory=dict, description="Extra answers, typed like entry point parameters."
    )
    hooks: tuple[tuple[str, ...], ...] = Field(
        (), description="Commands (argv lists) run in the new project, only with --trust."
    )
    helpers: dict[str, Literal["brain.R"]] = Field(
        default_factory=dict,
        description="Files brain ships, written into the new project: path -> helper name.",
    )


@dataclass(frozen=True)
class Template:
    """A template found on disk."""

    name: str
    root: Path
    info: TemplateInfo
    builtin: bool
    problem: str | None = None  # why a template found on BRAIN_TEMPLATES_PATH cannot be used


def builtin_templates_dir() -> Path:
    """The built-in templates: `brain/templates` in a wheel, `templates/` in a source checkout."""
    from importlib.resources import files

    with contextlib.suppress(ModuleNotFoundError, OSError):  # not installed: the checkout's
        shipped = files("brain") / "templates"
        if isinstance(shipped, Path) and shipped.is_dir():
            return shipped
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise BrainError("brain's built-in templates are missing from this installation",
                     hint="reinstall brain (pip install --force-reinstall brain-cli)")


def user_template_dirs() -> list[Path]:
    """The folders named by BRAIN_TEMPLATES_PATH (os.pathsep-separated), in order."""
    from brain.paths import template_dirs

    return template_dirs()


def list_templates() -> list[Template]:
    """Built-in templates first, then user templates; a user template may shadow a built-in."""
    found: dict[str, Template] = {}
    for template in _scan(builtin_templates_dir(), builtin=True):
        found[template.name] = template
    for folder in user_template_dirs():
        for template in _scan(folder, builtin=False):
            found[template.name] = template
    return sorted(found.values(), key=lambda t: (not t.builtin, t.name))


def find_template(name_or_path: str) -> Template:
    """A template by name, or the template folder at a path."""
    from brain.settings import expand_user

    candidate = expand_user(name_or_path)
    if os.sep in name_or_path or "/" in name_or_path or name_or_path.startswith("."):
        if not (candidate / METADATA_FILE).is_file():
            raise InvalidInput(f"{name_or_path}: not a template folder (no {METADATA_FILE})",
                               hint="`brain templates` lists the available templates")
        return load_template(candidate, builtin=False)
    templates = {t.name: t for t in list_templates()}
    if name_or_path in templates:
        template = templates[name_or_path]
        if template.problem is not None:
            raise InvalidInput(template.problem, hint="fix the template's template.yml")
        return template
    guess = difflib.get_close_matches(name_or_path, list(templates), n=1)
    tip = f"did you mean {guess[0]!r}? " if guess else ""
    raise InvalidInput(f"unknown template {name_or_path!r}",
                       hint=f"{tip}available: {', '.join(templates)} (`brain templates`)")


def load_template(folder: Path, *, builtin: bool) -> Template:
    """Read and check `folder/template.yml`."""
    from brain.inputfs import MAX_SPEC_BYTES, read_input
    from brain.spec.document import YamlProblem, decode, parse

    root = folder.resolve()
    metadata = root / METADATA_FILE
    raw = read_input(metadata, root=root, cap=MAX_SPEC_BYTES)  # bounded, inside the template
    data: Any = {}
    if raw.strip():
        try:
            data = parse(decode(raw)).data  # brain's safe YAML: node budget, no tags
        except YamlProblem as problem:
            if problem.mark is not None or "empty" not in problem.message:  # comments only
                where = f":{problem.mark.line}:{problem.mark.column}" if problem.mark else ""
                raise InvalidInput(f"{metadata}{where}: {problem.message}") from None
    try:
        info = TemplateInfo.model_validate(data or {})
    except ValidationError as error:
        lines = [f"{'.'.join(str(p) for p in item['loc']) or '(top)'}: {item['msg']}"
                 for item in error.errors(include_url=False)]
        raise InvalidInput(f"{metadata}: " + "; ".join(lines),
                           hint="template.yml takes description, questions, hooks and "
                                "helpers") from None
    clashes = sorted(set(info.questions) & {*BUILT_IN_ANSWERS, *DERIVED_NAMES})
    if clashes:
        raise InvalidInput(f"{metadata}: questions may not be named {', '.join(clashes)} "
                           "(brain answers those itself)")
    for name in info.questions:
        if not name.isidentifier():
            raise InvalidInput(f"{metadata}: question {name!r} must be a valid identifier")
    for hook in info.hooks:
        if not hook:
            raise InvalidInput(f"{metadata}: hooks: an empty command")
    return Template(name=root.name, root=root, info=info, builtin=builtin)


def _scan(folder: Path, *, builtin: bool) -> list[Template]:
    if not folder.is_dir():
        return []
    templates = []
    for child in sorted(folder.iterdir()):
        if (child / METADATA_FILE).is_file():
            try:
                templates.append(load_template(child, builtin=builtin))
            except InvalidInput as error:
                # one broken user template must not hide the others
                templates.append(Template(child.name, child, TemplateInfo(), builtin,
                                          problem=error.message))
    return templates

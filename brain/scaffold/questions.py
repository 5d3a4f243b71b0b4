"""The answers of `brain generate`: flags and `--set` merged with what a person is asked.

The CLI supplies an `Ask` (prompts on a terminal, defaults otherwise); everything about which
answer wins, what is asked, what is checked and where the project goes lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.scaffold.answers import Answers
    from brain.scaffold.catalog import Template
    from brain.spec.models import Parameter


class Ask(Protocol):
    """Asks one question; returns the default (checked) when it cannot ask."""

    interactive: bool

    def __call__(self, label: str, default: Any,
                 check: Callable[[str], Any] | None = None) -> Any: ...


@dataclass(frozen=True)
class TemplateChoice:
    """What `generate` from a template will write, and where."""

    template: Template
    answers: Answers
    target: Path


@dataclass(frozen=True)
class ProjectChoice:
    """The new identity of a project copied with `generate --project`, and where it goes."""

    name: str
    namespace: str | None
    description: str | None
    author: str | None
    target: Path


def merge_given(assignments: dict[str, Any], flags: dict[str, str | None]) -> dict[str, Any]:
    """`--set` answers with the dedicated flags on top (a flag wins over `--set`)."""
    given = dict(assignments)
    given.update({key: value for key, value in flags.items() if value is not None})
    return given


def choose_template(directory: Path | None, given: dict[str, Any], ask: Ask) -> TemplateChoice:
    """The template, its checked answers and the target folder, from `given` and `ask`."""
    from brain.scaffold.answers import Answers
    from brain.scaffold.catalog import find_template, list_templates
    from brain.scaffold.generate import template_answers

    given = dict(given)
    common = _common_answers(directory, given, ask, keep_namespace=False)
    if "template" in given:
        chosen = find_template(given.pop("template"))
    else:
        names = ", ".join(t.name for t in list_templates() if t.problem is None)
        chosen = ask(f"Template ({names})", "basic", find_template)
    extra = {key: given.pop(key) for key in list(given) if key in chosen.info.questions}
    for key, question in chosen.info.questions.items():
        if key not in extra and ask.interactive:
            extra[key] = ask(f"{key}" + (f" ({question.help})" if question.help else ""),
                             question.default, _answer_check(key, question))
    if given:  # what is left is unknown: template_answers names it with a suggestion
        template_answers(chosen, given)
    answers = Answers(**{k: v for k, v in common.items() if v is not None},
                      extra=template_answers(chosen, extra))
    target = directory if directory is not None else Path.cwd() / answers.name
    return TemplateChoice(chosen, answers, target)


def choose_project_identity(directory: Path | None, given: dict[str, Any],
                            ask: Ask) -> ProjectChoice:
    """The copy's name, namespace, description, author and target folder."""
    given = dict(given)
    if "template" in given:
        raise InvalidInput("--template and --project exclude each other",
                           hint="use --template for a template, --project for a project")
    common = _common_answers(directory, given, ask, keep_namespace=True)
    given.pop("python_version", None)
    if given:
        raise InvalidInput(f"unknown answer(s) for --project: {', '.join(sorted(given))}",
                           hint="--project takes name, namespace, description and author")
    target = directory if directory is not None else Path.cwd() / common["name"]
    return ProjectChoice(common["name"], common["namespace"], common["description"] or None,
                         common["author"], target)


def _common_answers(directory: Path | None, given: dict[str, Any], ask: Ask,
                    *, keep_namespace: bool) -> dict[str, Any]:
    from brain.scaffold.answers import check_name, default_author, slugify

    name = given.pop("name", None)
    if name is not None:
        check_name(name)
    else:
        from_folder = slugify(directory.resolve().name) if directory is not None else None
        name = ask("Project name", from_folder or None, check_name)
    if name is None:
        raise InvalidInput("a project name is needed",
                           hint="pass --name NAME or a folder: brain generate my-project")
    namespace = given.pop("namespace", None)
    if namespace is None:
        namespace = ask("Namespace (empty: keep the original's)" if keep_namespace
                        else "Namespace", "" if keep_namespace else "default",
                        lambda text: check_name(text, what="namespace") if text else text)
    namespace = check_name(namespace, what="namespace") if namespace else None
    description = given.pop("description", None)
    if description is None:
        description = ask("Description", "" if ask.interactive else None)
    author = given.pop("author", None)
    if author is None:
        author = ask("Author", default_author())
    return {"name": name, "namespace": namespace, "description": description,
            "author": author, "python_version": given.pop("python_version", None)}


def _answer_check(key: str, question: Parameter) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        from brain.params import ParameterError, coerce

        try:
            return coerce(question, text)
        except ParameterError as error:
            raise InvalidInput(f"{key}: {error}") from None

    return check

"""`brain generate` and `brain templates`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from brain.cli import output
from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.scaffold.catalog import Template
    from brain.scaffold.generate import GenerateResult

_BUILT_IN_KEYS = ("name", "namespace", "description", "author", "template", "python_version")


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("-t", "--template", help="Template name (`brain templates`) or folder. "
              "Default: basic.")
@click.option("-p", "--project", "source", metavar="PROJECT",
              help="Start from an existing project instead: a workspace project "
                   "(namespace/name or name), a folder, or a git URL.")
@click.option("--ref", help="With a git URL: the branch, tag or commit to start from.")
@click.option("--name", help="Project name (lowercase slug). Default: the folder's name.")
@click.option("--namespace", help="Namespace grouping projects. Default: default (or the "
              "original project's).")
@click.option("--description", help="One line describing the project.")
@click.option("--author", help="`Name <email>`. Default: from git config.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Any answer, including a template's own questions (repeatable).")
@click.option("--no-input", is_flag=True, help="Never prompt: use flags, --set and defaults.")
@click.option("--force", is_flag=True, help="Write into a non-empty folder (its other files "
              "are kept).")
@click.option("--trust", is_flag=True, help="Run the template's hooks (commands it declares).")
@click.option("--no-git", is_flag=True, help="Do not create a git repository.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def generate(directory: Path | None, template: str | None, source: str | None, ref: str | None,
             name: str | None, namespace: str | None, description: str | None,
             author: str | None, assignments: tuple[str, ...], no_input: bool, force: bool,
             trust: bool, no_git: bool, as_json: bool) -> None:
    """Create a project from a template, or from an existing project.

    Asks for the name, namespace, description, author and template on a terminal; with
    --no-input (or when not on a terminal) flags, --set and defaults are used. The new
    project validates, has a README, tests and a .gitignore, and is a git repository with a
    first commit (unless --no-git, or when it is created inside an existing repository).

    With --project, the code and spec of an existing project are copied and renamed
    throughout; its version is reset to 0.1.0 and its local state (.git, .brain/, virtual
    environments, caches, declared outputs) is left behind. `.brain-answers.yml` records
    where every project came from.

    \b
    Examples:
      brain generate                                  # asks everything
      brain generate churn-model --template basic --no-input
      brain generate api-demo -t api --set port=9000 --no-input
      brain generate --project prototypes/churn-model my-new-model
      brain generate --project https://example.com/team/repo.git --ref v1.2 copy
    """
    from brain.params import parse_assignments
    from brain.scaffold.questions import merge_given

    given = merge_given(_parse_sets(assignments, parse_assignments), {
        "name": name, "namespace": namespace, "description": description, "author": author,
        "template": template})
    ask = _Asker(interactive=not no_input and sys.stdin.isatty() and not as_json)
    if source is not None:
        from brain.scaffold.derive import generate_from_project
        from brain.scaffold.questions import choose_project_identity

        copy = choose_project_identity(directory, given, ask)
        chosen_name = copy.name
        result = generate_from_project(
            source, copy.target, ref=ref, force=force, git=not no_git, name=copy.name,
            namespace=copy.namespace, description=copy.description, author=copy.author)
    else:
        if ref is not None:
            raise InvalidInput("--ref applies only with --project and a git URL")
        from brain.scaffold.generate import generate_from_template, planned_hooks
        from brain.scaffold.questions import choose_template

        chosen = choose_template(directory, given, ask)
        chosen_name = chosen.answers.name
        if trust:
            _announce_hooks(chosen.template, planned_hooks(chosen.template, chosen.answers))
        result = generate_from_template(chosen.template, chosen.answers, chosen.target,
                                        force=force, trust=trust, git=not no_git)
    # A folder name that is not a valid project name gave its name (Bad_Name -> bad_name):
    # say so, or the spec's name surprises later.
    folder = directory.resolve().name if directory is not None else None
    renamed = folder if folder is not None and name is None and chosen_name != folder else None
    _report(result, as_json, renamed_from=renamed, name=chosen_name)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
def templates(as_json: bool) -> None:
    """List the templates `brain generate` can use.

    Built-in templates come with brain; user templates are the subfolders (each with a
    template.yml) of the folders listed in BRAIN_TEMPLATES_PATH (separated by ':').

    \b
    Examples:
      brain templates
      BRAIN_TEMPLATES_PATH=~/my-templates brain templates --json
    """
    from brain.scaffold.catalog import list_templates

    found = list_templates()
    rows: list[dict[str, Any]] = [{
        "name": t.name,
        "source": "built-in" if t.builtin else str(t.root),
        "description": t.info.description,
        "questions": {key: q.default for key, q in t.info.questions.items()},
        "hooks": [list(hook) for hook in t.info.hooks],
        "problem": t.problem,
    } for t in found]
    if as_json:
        output.print_json(rows)
        return
    output.table("Templates", ["name", "source", "description", "answers (defaults)"], [
        [row["name"], row["source"],
         f"BROKEN: {row['problem']}" if row["problem"] else row["description"],
         ", ".join(f"{k}={v}" for k, v in row["questions"].items())] for row in rows])


class _Asker:
    """Prompts on a terminal; otherwise returns the default."""

    def __init__(self, *, interactive: bool) -> None:
        self.interactive = interactive

    def __call__(self, label: str, default: Any, check: Callable[[str], Any] | None = None) -> Any:
        if not self.interactive:
            return check(default) if check is not None and default is not None else default

        def validate(text: str) -> Any:
            try:
                return check(text) if check else text
            except InvalidInput as error:
                raise click.BadParameter(f"{error.message}" + (
                    f" ({error.hint})" if error.hint else "")) from None

        return click.prompt(label, default=default if default is not None else None,
                            value_proc=validate, show_default=default not in (None, ""))


def _parse_sets(assignments: tuple[str, ...], parse: Callable[..., dict[str, str]]) -> dict[
        str, Any]:
    try:
        return dict(parse(assignments))
    except InvalidInput as error:
        raise InvalidInput(error.message.replace("parameter", "--set"),
                           hint="write --set key=value") from None


def _announce_hooks(template: Template, hooks: list[list[str]]) -> None:
    if not hooks:
        return
    import shlex

    output.echo(f"template {template.name!r} will run {len(hooks)} hook(s) in the new project:",
                err=True)
    for hook in hooks:
        output.echo(f"  $ {shlex.join(hook)}", err=True)


def _report(result: GenerateResult, as_json: bool, *, renamed_from: str | None = None,
            name: str = "") -> None:
    import os
    import shlex

    if as_json:
        output.print_json({"target": str(result.target), "files": result.files,
                           "origin": result.origin, "commit": result.commit,
                           "git_note": result.git_note,
                           "replaced": [str(p) for p in result.replaced],
                           "hooks_run": result.hooks_run, "hooks_skipped": result.hooks_skipped,
                           "entry_points": result.entry_points})
        return
    if result.hooks_skipped:
        output.warn(f"{len(result.hooks_skipped)} template hook(s) not run (pass --trust to run "
                    "them): " + "; ".join(shlex.join(h) for h in result.hooks_skipped))
    if result.git_note:
        output.warn(result.git_note)
    where = os.path.relpath(result.target)
    where = where if not where.startswith("..") else str(result.target)
    origin = (f"template {result.origin['template']}" if result.origin["kind"] == "template"
              else f"project {result.origin['name']}")
    commit = f", commit {result.commit[:7]}" if result.commit else ""
    output.success(f"created {where} from {origin} ({len(result.files)} files{commit})")
    if renamed_from is not None:
        output.echo(f"project name: {name} (the folder name {renamed_from!r} is not a valid "
                    "name; --name sets another)")
    for path in result.replaced:
        output.echo(f"  replaced {os.path.relpath(path)}")
    output.echo("next:")
    if where != ".":
        output.echo(f"  cd {shlex.quote(where)}")
    output.echo("  brain setup-deps\n  brain info")
    if result.first_entry:
        output.echo(f"  brain run -e {shlex.quote(result.first_entry)}")


__all__ = ["generate", "templates"]

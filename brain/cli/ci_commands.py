"""`brain ci run`, `brain ci init`, `brain ci hook install`: continuous evaluation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.ci.runner import CiEvent, CiResult


@click.group()
def ci() -> None:
    """Continuous evaluation: test, build, publish and report what a change affects.

    \b
    Examples:
      brain ci run --since origin/main --junit junit.xml
      brain ci init --provider github
      brain ci hook install /srv/git/models.git
    """


@ci.command("run")
@click.option("--since", metavar="REF", envvar="BRAIN_CI_SINCE",
              help="Only projects changed since REF (and their dependents); default: all "
              "(also when REF is empty or git's all-zero id of a new branch).")
@click.option("--branch", metavar="NAME", envvar="BRAIN_CI_BRANCH",
              help="The branch this commit is on (default: the checked-out one); on the main "
              "branch (BRAIN_CI_MAIN_BRANCH, default main) libraries are published and reports "
              "rendered.")
@click.option("--index", metavar="PATH_OR_URL",
              help="Where libraries are published (as `brain publish --index`).")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JUnit XML file of every step.")
@click.option("--record", is_flag=True,
              help="Record the result as this commit's status under BRAIN_HOME/ci.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def run(since: str | None, branch: str | None, index: str | None, junit_file: Path | None,
        record: bool, as_json: bool) -> None:
    """Validate, set up, test and build every project the change affects.

    Tests are entry points named `test`, `tests` or `test-*`; on the main branch, libraries
    whose version is not yet in the index are published (never overwritten) and report entry
    points (notebooks, `report`, `report-*`) run. See docs/ci.md.

    \b
    Examples:
      brain ci run
      brain ci run --since origin/main --junit junit.xml
      brain ci run --since HEAD~1 --branch main --json

    Exit codes: 0 every step passed; 1 a step failed; 2 invalid input.
    """
    from brain.ci.junit import write_junit
    from brain.ci.plan import make_plan
    from brain.ci.runner import run_plan
    from brain.ci.status import record_status

    plan = make_plan(Path.cwd(), since=since, branch=branch)
    render = None if as_json else _render_event
    result = run_plan(plan, index=index, on_event=render or (lambda event: None))
    if junit_file is not None:
        write_junit(result, junit_file)
    if record:
        record_status(result, ref=plan.branch)
    if as_json:
        output.print_json(result.as_dict())
    else:
        _summary(result)
    if result.failed:
        sys.exit(1)


def _render_event(event: CiEvent) -> None:
    from brain.ci.runner import StepFinished

    if isinstance(event, StepFinished):  # a start says nothing the finish will not
        note = f" ({event.note})" if event.note else ""
        output.echo(f"{event.status:>7}  {event.project}  {event.step}  "
                    f"{event.seconds:.1f}s{note}", err=True)


def _summary(result: CiResult) -> None:
    rows: list[list[str]] = []
    for project in result.plan.projects:
        if project.skipped is not None:
            rows.append([project.key, "-", "skipped", "", project.skipped])
    rows += [[s.project, s.step.label, s.status, f"{s.seconds:.1f}s", s.note]
             for s in result.steps]
    for problem in result.plan.problems:
        output.warn(problem)
    title = f"brain ci ({result.plan.branch or 'detached'}"
    title += f", since {result.plan.since})" if result.plan.since else ", every project)"
    output.table(title, ["project", "step", "status", "time", "note"], rows)
    if result.failed:
        output.echo("ci failed", err=True)
    else:
        output.success("ci passed")


@ci.command("init")
@click.option("--provider", type=click.Choice(["github", "gitlab"]), default="github",
              show_default=True, help="The CI system to write a workflow for.")
@click.option("--force", is_flag=True, help="Replace an existing workflow file.")
def init(provider: str, force: bool) -> None:
    """Write a CI workflow file that installs brain and calls `brain ci run`.

    \b
    Examples:
      brain ci init                      # .github/workflows/brain-ci.yml
      brain ci init --provider gitlab    # .gitlab-ci.yml
    """
    from brain.ci.workflow import write_workflow
    from brain.workspace.discovery import find_workspace_root

    path = write_workflow(find_workspace_root(Path.cwd()), provider, force=force)
    output.success(f"wrote {path}")


@ci.group("hook")
def hook() -> None:
    """A git server hook that runs `brain ci run` on every push."""


@hook.command("install")
@click.argument("bare_repo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--hub", metavar="URL", help="The hub that shows this server's results.")
@click.option("--force", is_flag=True, help="Replace an existing post-receive hook.")
def hook_install(bare_repo: Path, hub: str | None, force: bool) -> None:
    """Install a post-receive hook in a bare repository: each push to a branch is checked
    out in a temporary folder and `brain ci run --since OLD --record` runs there.

    \b
    Examples:
      brain ci hook install /srv/git/models.git
    """
    from brain.ci.hook import install_hook

    path = install_hook(bare_repo, hub=hub, force=force)
    output.success(f"installed {path}")


@hook.command("receive", hidden=True)
@click.option("--git-dir", "git_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--hub", metavar="URL")
def hook_receive(git_dir: Path, hub: str | None) -> None:
    """What the post-receive hook runs: `old new ref` lines on stdin."""
    from brain.ci.hook import receive

    failed = False
    for line in receive(git_dir, sys.stdin, hub=hub):
        output.echo(line.text, err=True)
        failed = failed or line.failed
    if failed:
        sys.exit(1)


__all__ = ["ci"]

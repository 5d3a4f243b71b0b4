"""A run's data checks: input checks before the entry point starts, output checks after it
succeeds, each stage's results kept in the run record under `checks`.

The kinds of check and the driver live in brain.checks; this module only knows when a stage
runs and what its outcome does to the run (a failed check fails it with exit 5).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import EXIT_CHECK_FAILED

if TYPE_CHECKING:
    from brain.checks.base import CheckItem, CheckOutcome
    from brain.envs.base import Environment, Progress
    from brain.run_plan import RunPlan
    from brain.runs.journal import RunJournal
    from brain.runs.record import RunRecord
    from brain.runs.snapshot import ProjectSnapshot
    from brain.spec.loader import Project


def declared(plan: RunPlan) -> list[CheckItem]:
    """The entry point's declared data checks ([] without importing brain.checks' kinds)."""
    entry = plan.project.entry_points.get(plan.entry_name)
    checks = getattr(entry, "checks", ()) if entry is not None else ()
    if not checks:
        return []
    from brain.checks import declared_checks

    return declared_checks(checks, plan.inputs, plan.outputs)


def require_backend(plan: RunPlan, backend: str) -> None:
    """InvalidInput when checks are declared and `backend` cannot run them."""
    from brain.checks.running import require_local_files
    from brain.envs.select import backend as backend_named

    traits = backend_named(backend)
    require_local_files(bool(getattr(traits, "keeps_run_files", False)), backend,
                        plan.entry_name)


def run_checks(plan: RunPlan, env: Environment, items: list[CheckItem], when: str,
               variables: Mapping[str, str], folder: Path) -> CheckOutcome:
    """The checks of stage `when`, run in `env` like the entry point."""
    from brain.checks.running import run_stage

    return run_stage(items, when, root=plan.project.root, folder=folder,
                     invoke=env.invocation, variables=variables)


def record_extra(outcomes: list[CheckOutcome]) -> dict[str, Any]:
    """What the record keeps of the stages that ran."""
    results = [result.as_dict() for outcome in outcomes for result in outcome.results]
    return {"checks": results} if results else {}


def failed_exit(outcome: CheckOutcome) -> tuple[int, str]:
    """(exit code, message) of a run whose checks failed."""
    return EXIT_CHECK_FAILED, outcome.summary()


class RunChecks:
    """The run's data checks (brain.runs.checking): a stage before, a stage after."""

    def __init__(self, plan: RunPlan, env: Environment, items: list[CheckItem],
                 variables: Mapping[str, str], folder: Path) -> None:
        """InvalidInput now (before the run is recorded) for a check whose files leave the
        project or are missing."""
        from brain.checks import check_kind

        for item in items:
            check_kind(item.kind).job(item, plan.project.root)
        self.plan, self.env, self.items = plan, env, items
        self.variables, self.folder = variables, folder
        self.outcomes: list[CheckOutcome] = []

    def _stage(self, when: str) -> bool:
        if not any(item.when == when for item in self.items):
            return True
        outcome = run_checks(self.plan, self.env, self.items, when, self.variables,
                             self.folder)
        self.outcomes.append(outcome)
        return bool(outcome.ok)

    def before(self) -> bool:
        """Run the input checks; False when one failed (the entry point must not start)."""
        return self._stage("before")

    def after(self) -> bool:
        """Run the output checks of a succeeded run; False when one failed."""
        return self._stage("after")

    def extra(self) -> dict[str, Any]:
        """The record's `checks`, when any ran."""
        return record_extra(self.outcomes) if self.outcomes else {}

    def failure(self) -> tuple[int, str]:
        """(exit code, message) for the stage that failed last."""
        return failed_exit(self.outcomes[-1])

    def stopped(self, journal: RunJournal, record: RunRecord) -> RunRecord:
        """Finish the record of a run whose input checks failed (nothing of the entry point
        ran); the finished record."""
        code, message = self.failure()
        extra = {**self.extra(), "error": message}
        ended = time.time()
        journal.finish("failed", code, ended, extra=extra)
        return record._replace(status="failed", exit_code=code, ended_at=ended,
                       extra={**record.extra, **extra})


def check_project(project: ProjectSnapshot, entry_name: str | None, when: str | None, *,
                  progress: Progress | None = None) -> dict[str, CheckOutcome]:
    """Run the declared data checks of one entry point (or of every one that declares some)
    against the files as they are now, without running anything else; the stage `when`
    ("before" or "after") only, when given. Outcomes by entry point name."""
    from typing import cast

    from brain.checks import declared_checks
    from brain.checks.base import CheckOutcome as Outcome
    from brain.checks.running import run_stage
    from brain.envs.select import environment_for
    from brain.errors import InvalidInput
    from brain.runs.plan import find_entry
    from brain.statefs import state_folder

    if entry_name is not None:
        chosen = dict([find_entry(project, entry_name)])
    else:
        chosen = {name: entry for name, entry in project.entry_points.items() if entry.checks}
    chosen = {name: entry for name, entry in chosen.items() if entry.checks}
    if not chosen:
        raise InvalidInput(f"{project.name} declares no data checks"
                           + (f" on entry point {entry_name!r}" if entry_name else ""),
                           hint="add `checks:` to an entry point in onebrain.yml")
    env = environment_for(cast("Project", project), "venv")
    env.ensure(progress)
    folder = state_folder(project.root, "checks")
    variables = {**project.variables, "BRAIN_PROJECT_DIR": str(project.root)}

    outcomes: dict[str, CheckOutcome] = {}
    for name, entry in chosen.items():
        items = declared_checks(entry.checks, entry.inputs, entry.outputs)
        found = []
        for stage in ("before", "after"):
            if when in (None, stage):
                found += run_stage(items, stage, root=project.root, folder=folder,
                                   invoke=env.invocation, variables=variables).results
        outcomes[name] = Outcome(found)
    return outcomes

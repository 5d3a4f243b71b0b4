"""Running a CI plan: each step is the brain command a person would type, run as a child
process (so one project's failure or crash cannot take the others down), timed, its output
kept for the JUnit file. Progress is reported as typed events; the CLI renders them."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from brain.ci.plan import CiPlan, ProjectPlan, Step

Status = Literal["passed", "failed", "skipped"]
OUTPUT_KEPT = 64 * 1024  # characters of a step's output kept for the report


@dataclass(frozen=True)
class StepStarted:
    """A step began."""

    kind: ClassVar[str] = "step-started"
    project: str
    step: str


@dataclass(frozen=True)
class StepFinished:
    """A step ended: passed, failed or skipped (with why)."""

    kind: ClassVar[str] = "step-finished"
    project: str
    step: str
    status: Status
    seconds: float
    note: str = ""


CiEvent = StepStarted | StepFinished


@dataclass
class StepResult:
    """What one step did."""

    project: str
    step: Step
    status: Status
    seconds: float = 0.0
    note: str = ""
    output: str = ""
    metrics: dict[str, float | int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the output's tail only)."""
        return {"project": self.project, "step": self.step.label, "kind": self.step.kind,
                "entry": self.step.entry, "status": self.status,
                "seconds": round(self.seconds, 3), "note": self.note,
                "output_tail": self.output[-4000:], "metrics": dict(self.metrics)}


@dataclass
class CiResult:
    """Every step of a plan's run, plus the projects skipped whole."""

    plan: CiPlan
    commit: str | None
    steps: list[StepResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when any step failed or any spec of the workspace does not load."""
        return bool(self.plan.problems) or any(s.status == "failed" for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"commit": self.commit, "status": "failed" if self.failed else "passed",
                **self.plan.as_dict(), "results": [s.as_dict() for s in self.steps]}


def run_plan(plan: CiPlan, *, index: str | None = None,
             on_event: Callable[[CiEvent], None] = lambda event: None) -> CiResult:
    """Run every step of `plan`; after a project's failing step, its later steps are skipped.
    `index` is where libraries are published (`brain publish --index`)."""
    from brain.vcs.verbs import head_commit

    result = CiResult(plan, head_commit(plan.root))
    for project in plan.projects:
        if project.skipped is not None:
            continue
        failed_at: str | None = None
        for step in project.steps:
            on_event(StepStarted(project.key, step.label))
            if failed_at is not None:
                done = StepResult(project.key, step, "skipped", note=f"{failed_at} failed")
            else:
                done = _run_step(plan, project, step, index)
                if done.status == "failed":
                    failed_at = step.label
            result.steps.append(done)
            on_event(StepFinished(project.key, step.label, done.status, done.seconds,
                                  done.note))
    return result


def _run_step(plan: CiPlan, project: ProjectPlan, step: Step, index: str | None) -> StepResult:
    folder = str(plan.root / project.path)
    if step.kind == "publish":
        reason = _already_published(project, folder, index)
        if reason is not None:
            return StepResult(project.key, step, "skipped", note=reason)
    argv = _argv(step, folder, index)
    started = time.monotonic()
    from brain.process import run_captured

    try:
        completed = run_captured([sys.executable, "-m", "brain", *argv], cwd=plan.root,
                                 what=f"{project.key} {step.label}")
    except UnicodeDecodeError:
        return StepResult(project.key, step, "failed", time.monotonic() - started,
                          "its output is not UTF-8 text")
    seconds = time.monotonic() - started
    output = ((completed.stdout or "") + (completed.stderr or ""))[-OUTPUT_KEPT:]
    metrics = _metrics(step, completed.stdout)
    if completed.returncode == 0:
        return StepResult(project.key, step, "passed", seconds, _note(step, completed.stdout),
                          output, metrics)
    from brain.errors import EXIT_CHECK_FAILED

    note = f"exit {completed.returncode}"
    if completed.returncode == EXIT_CHECK_FAILED:
        note += ": a data check failed"
    return StepResult(project.key, step, "failed", seconds, note, output, metrics)


def _argv(step: Step, folder: str, index: str | None) -> list[str]:
    if step.kind == "validate":
        return ["validate", folder]
    if step.kind == "setup":
        return ["setup-deps", folder]
    if step.kind == "build":
        return ["build", "--wheel", folder]
    if step.kind == "publish":
        return ["publish", folder, "--json", *(["--index", index] if index else [])]
    assert step.entry is not None  # checks, test and report steps name their entry point
    if step.kind == "checks":
        return ["check", folder, "-e", step.entry, "--when", "before"]
    # --json: the run record on stdout (its id names the report), the entry's output on stderr.
    return ["run", folder, "-e", step.entry, "--no-setup", "--json"]


def _note(step: Step, stdout: str) -> str:
    """What a passed step leaves to say: the run id of a report, the files published."""
    try:
        data = json.loads(stdout) if step.kind in ("report", "publish") else None
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    if step.kind == "report":
        return f"run {data.get('run_id') or data.get('id') or '?'}"
    return f"published {data.get('name')} {data.get('version')}"


def _metrics(step: Step, stdout: str) -> dict[str, float | int]:
    """The numbers a test or report run recorded from its entry point's `metrics:` file
    (`brain run --json` prints the record, brain.runs.metrics has checked them)."""
    from brain.runs.metrics import parse_metrics

    if step.kind not in ("test", "report"):
        return {}
    try:
        data = json.loads(stdout)
    except ValueError:
        return {}
    found = data.get("metrics") if isinstance(data, dict) else None
    # Checked again: a status file is read by the hub, so only finite numbers go in.
    return parse_metrics(json.dumps(found)).values if isinstance(found, dict) else {}


def _already_published(project: ProjectPlan, folder: str, index: str | None) -> str | None:
    """Why publishing is skipped: the version is in the (local) index already."""
    from brain.errors import InvalidInput
    from brain.publish.index import LocalIndex
    from brain.publish.release import resolve_target
    from brain.spec.loader import load_project

    try:
        target = resolve_target(index)
        spec = load_project(Path(folder)).spec
    except InvalidInput:
        return None  # the publish step itself says what is wrong
    if target.kind == "local" and LocalIndex(Path(target.location)).has_version(
            spec.name, spec.version):
        return f"{spec.name} {spec.version} is already published; never overwritten"
    return None

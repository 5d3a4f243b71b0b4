"""Pipelines: an entry point's `depends_on` prerequisites run first, each through the cache.

`plan_pipeline` (in brain.runs.plan, re-exported here) resolves every step before anything
runs (so a bad `-P` fails at once), in dependency order, the asked-for entry point last.
`run_pipeline` then runs the steps one by one: a step whose declared outputs are up to date
is skipped (naming the run that produced them), and the first failure stops the pipeline.
Each step's entry point type prepares it and collects what it produced (a notebook's
report and provenance, say) through brain.entrypoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from brain.envs.select import DEFAULT_BACKEND
from brain.runs.plan import needs_pipeline, pipeline_order, plan_pipeline

if TYPE_CHECKING:
    from brain.envs.base import Progress
    from brain.run_plan import ProjectView, RunPlan
    from brain.runs.record import RunRecord

__all__ = ["PipelineResult", "Step", "StepHooks", "declared_outputs", "environment_identity",
           "needs_pipeline", "pipeline_order", "plan_pipeline", "run_pipeline", "run_step"]

RAN, CACHED, FAILED, NOT_RUN = "ran", "cached", "failed", "not run"


@dataclass(frozen=True)
class Step:
    """How one step of a pipeline went."""

    plan: RunPlan
    outcome: str  # RAN | CACHED | FAILED | NOT_RUN
    record: RunRecord | None = None  # the run made, or (CACHED) the earlier run reused
    exit_code: int = 0
    message: str | None = None  # why it failed, when brain knows more than the exit code
    report: Path | None = None  # a report the entry point's type rendered (notebook HTML)

    @property
    def cached(self) -> bool:
        """True when an earlier run stood in for this step."""
        return self.outcome == CACHED


@dataclass(frozen=True)
class PipelineResult:
    """Every step, in the order they were (or would have been) run."""

    steps: list[Step]
    exit_code: int

    @property
    def target(self) -> Step:
        """The step of the entry point that was asked for."""
        return self.steps[-1]


@dataclass
class StepHooks:
    """What the caller wants to hear while steps run (all optional)."""

    progress: Progress | None = None
    on_started: Callable[[RunPlan, RunRecord], None] | None = None
    on_cached: Callable[[RunPlan, RunRecord], None] | None = None
    on_finished: Callable[[Step], None] | None = None
    on_ready: Callable[[str], None] | None = None
    start_timeout: float | None = None
    stdout: IO[str] | None = None
    origin: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def run_pipeline(plans: list[RunPlan], *, backend: str = DEFAULT_BACKEND, setup: bool = True,
                 force: bool = False, hooks: StepHooks | None = None) -> PipelineResult:
    """Run every step in order, skipping up-to-date ones (unless `force`); stop at the first
    failure (the remaining steps are NOT_RUN). The exit code is the failed step's."""
    hooks = hooks or StepHooks()
    excluded = declared_outputs(plans[0].project)
    steps: list[Step] = []
    for index, plan in enumerate(plans):
        step = run_step(plan, backend=backend, setup=setup, force=force, hooks=hooks,
                        excluded=excluded)
        steps.append(step)
        if hooks.on_finished is not None:
            hooks.on_finished(step)
        if step.outcome == FAILED:
            steps += [Step(later, NOT_RUN) for later in plans[index + 1:]]
            return PipelineResult(steps, step.exit_code or 1)
    return PipelineResult(steps, 0)


def run_step(plan: RunPlan, *, backend: str = DEFAULT_BACKEND, setup: bool = True,
             force: bool = False, hooks: StepHooks | None = None,
             excluded: tuple[str, ...] = ()) -> Step:
    """One entry point through the cache: skipped when up to date, else run and recorded."""
    from brain.entrypoints import entry_type
    from brain.envs.select import backend as backend_named
    from brain.runs.cache import cache_key, cacheable, find_hit
    from brain.runs.runner import execute

    hooks = hooks or StepHooks()
    kind = entry_type(plan.entry_type)
    kind.prepare(plan, backend_named(backend))
    extra: dict[str, object] = dict(hooks.extra)
    if cacheable(plan):
        identity = environment_identity(plan, backend, setup, hooks.progress)
        key = cache_key(plan, identity, excluded)
        if not force:
            earlier = find_hit(plan, key)
            if earlier is not None:
                if hooks.on_cached is not None:
                    hooks.on_cached(plan, earlier)
                return Step(plan, CACHED, earlier)
        extra.update(key.extra())

    def started(record: RunRecord) -> None:
        if hooks.on_started is not None:
            hooks.on_started(plan, record)

    result = execute(plan, backend=backend, setup=setup, progress=hooks.progress,
                     on_started=started, on_ready=hooks.on_ready,
                     start_timeout=hooks.start_timeout, stdout=hooks.stdout,
                     origin=hooks.origin, extra=extra)
    record = result.record
    produced = kind.after_run(plan, record)
    message, report = produced.message or result.message, produced.report
    failed = record.status != "succeeded"
    # An interrupted step already carries 130 (Ctrl-C) or 128+signal (SIGTERM, SIGHUP).
    code = result.exit_code if not failed else (result.exit_code or 1)
    return Step(plan, FAILED if failed else RAN, record, code, message, report)


def environment_identity(plan: RunPlan, backend: str, setup: bool,
                         progress: Progress | None) -> str:
    """The identity of the environment `plan` runs in, built first when `setup` allows."""
    from brain.runs.runner import environment

    env = environment(plan, backend)
    if setup:
        return env.ensure(progress).identity
    from brain.envs.select import EnvironmentOptions
    from brain.envs.select import backend as backend_named

    result = backend_named(backend).quick_result(plan.project.root, EnvironmentOptions())
    if result is not None:
        return str(result.identity)
    return env.identity()  # not ready: execute() then fails with its --no-setup message


def declared_outputs(project: ProjectView) -> tuple[str, ...]:
    """Every declared output of the project: products, never counted as source code."""
    return tuple(sorted({output for entry in project.entry_points.values()
                         for output in entry.outputs}))

"""`brain run --dry-run`: the exact invocation a run would start, with nothing built, run or
recorded. Apart from brain.runs.runner so that a real run does not define what it never uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from brain.envs.select import DEFAULT_BACKEND

if TYPE_CHECKING:
    from brain.runs.plan import RunPlan


@dataclass(frozen=True)
class DryRun:
    """What `brain run --dry-run` shows: the exact argv, directory and variables set."""

    argv: list[str]
    cwd: Path
    variables: dict[str, str]  # the plan's own, and any the environment sets or changes


def dry_run(plan: RunPlan, backend: str = DEFAULT_BACKEND) -> DryRun:
    """The invocation `execute` would start, without building, running or recording anything."""
    from brain.process import scrubbed_environment
    from brain.runs.runner import environment

    invocation = environment(plan, backend).invocation(list(plan.argv), dict(plan.variables))
    base = scrubbed_environment()
    changed = {name: value for name, value in invocation.env.items()
               if name in plan.variables or base.get(name) != value}
    return DryRun(list(invocation.argv), plan.cwd, dict(sorted(changed.items())))

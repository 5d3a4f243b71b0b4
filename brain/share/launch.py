"""A launch: a link, followed. parse -> admit -> fetch -> load the spec at that commit ->
revalidate the parameters -> environment (reused when its identity is unchanged) -> run ->
record with the link as its origin.

Everything that can be refused without the repository (format, size, allowlist, signature) is
refused by `admit` before anything is fetched; parameters are revalidated against the spec
at the commit before anything is built or run.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult
    from brain.runs.plan import RunPlan
    from brain.runs.record import RunRecord
    from brain.runs.snapshot import ProjectSnapshot
    from brain.share.fetch import Checkout
    from brain.share.url import LaunchLink

PHASES = ("fetching", "environment", "running", "done")
Phase = Callable[[str], None]


@dataclass(frozen=True)
class Policy:
    """What a hub (or `brain launch`) accepts: repositories by pattern, a signing secret."""

    allow: tuple[str, ...] = ()  # fnmatch patterns on the repo URL; empty allows any
    secret: str | None = None  # when set, links must carry a valid signature
    # A hub serves strangers: a repository on its own disk (file://) is followed only when
    # `allow` names it, never by default.
    local_only_when_allowed: bool = False
    # Dataset remotes (fnmatch on their URL) the launched project may pull from; none by
    # default (brain.data.launch_policy).
    allow_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParameterField:
    """A declared parameter as a form shows it."""

    name: str
    type: str
    value: str  # from the link, else the default, else ""
    help: str | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class PreparedLaunch:
    """A link whose code is fetched and whose spec and parameters are valid at its commit."""

    link: LaunchLink
    checkout: Checkout
    project: ProjectSnapshot
    plans: tuple[RunPlan, ...]  # prerequisites first, the linked entry point last

    @property
    def plan(self) -> RunPlan:
        """The plan of the linked entry point."""
        return self.plans[-1]


@dataclass(frozen=True)
class ProjectPage:
    """What the hub's launch page shows about the project at the link's commit."""

    name: str
    namespace: str
    version: str
    description: str | None
    entry: str
    entry_type: str
    fields: list[ParameterField] = field(default_factory=list)
    entry_description: str | None = None


@dataclass(frozen=True)
class LaunchResult:
    """A finished launch: its run, whether the checkout and environment were reused, and
    (notebook entry points) the rendered report."""

    record: RunRecord
    exit_code: int
    message: str | None
    checkout: Checkout
    environment: EnsureResult
    report: Path | None = None


def admit(link: LaunchLink, policy: Policy) -> None:
    """Refuse a link the policy does not allow: checked before anything is fetched."""
    from brain.share.url import NotAllowed

    allowed = any(fnmatch.fnmatchcase(link.repo, pattern) for pattern in policy.allow)
    if policy.allow and not allowed:
        raise NotAllowed(f"repository {link.repo} is not allowed on this hub",
                         hint="allowed: " + ", ".join(policy.allow))
    if policy.local_only_when_allowed and _is_local(link.repo) and not allowed:
        raise NotAllowed("a link may not name a repository on this hub's own disk",
                         hint="to serve one, start the hub with --allow naming it "
                         "(e.g. --allow 'file:///srv/repos/*')")
    if policy.secret:
        link.verify(policy.secret)


def _is_local(repo: str) -> bool:
    """True for a repository on this machine's disk (file:// or a plain path)."""
    return repo.lower().startswith("file:") or repo.startswith(("/", "."))


def project_folder(checkout_root: Path, path: str) -> Path:
    """The project's folder inside the checkout; InvalidInput if it escapes (symlinks too)."""
    root = checkout_root.resolve()
    folder = (root / path).resolve() if path else root
    if folder != root and root not in folder.parents:
        raise InvalidInput(f"the link's path {path!r} leads outside the repository")
    if not folder.is_dir():
        raise InvalidInput(f"the link's path {path!r} is not a folder at this commit")
    return folder


def fetch_project(link: LaunchLink, *, progress: Callable[[str], None] | None = None,
                  checkout_root: Path | None = None) -> tuple[Checkout, ProjectSnapshot]:
    """Fetch the link's commit (or take `checkout_root`, a working copy of it the caller
    made) and load (validate) the spec in its folder."""
    from brain.paths import find_spec_file
    from brain.runs.snapshot import load_snapshot
    from brain.share.fetch import Checkout, fetch_commit

    checkout = (Checkout(checkout_root.resolve(), link.commit, fetched=False)
                if checkout_root is not None
                else fetch_commit(link.repo, link.commit, progress=progress))
    folder = project_folder(checkout.root, link.path)
    if find_spec_file(folder) is None:
        where = link.path or "the repository's root"
        raise InvalidInput(f"no onebrain.yml in {where} at commit {link.commit[:12]}",
                           hint="the link's path must name the project's folder")
    return checkout, load_snapshot(folder)


def prepare(link: LaunchLink, *, params: Mapping[str, str] | None = None,
            progress: Callable[[str], None] | None = None,
            checkout_root: Path | None = None) -> PreparedLaunch:
    """Fetch and validate: the spec at the commit, the entry point, every parameter."""
    from brain.runs.plan import plan_pipeline

    if params is not None:
        link = link.with_params(params)
    checkout, project = fetch_project(link, progress=progress, checkout_root=checkout_root)
    plans = plan_pipeline(project, link.entry, dict(link.params))
    return PreparedLaunch(link, checkout, project, tuple(plans))


def describe(prepared: PreparedLaunch) -> ProjectPage:
    """The project page of a prepared launch (loads the full spec for descriptions)."""
    from brain.params import format_value

    plan = prepared.plan
    spec = prepared.project.spec
    entry = spec.entry_points[plan.entry_name]
    declared = entry.parameters
    fields = []
    for name, param in declared.items():
        if name == "port" and plan.entry_type == "app":
            continue  # the hub chooses an app's port
        value = plan.parameters.get(name)
        fields.append(ParameterField(
            name=name, type=param.type, value="" if value is None else format_value(value),
            help=param.help, required=param.default is None,
            choices=tuple(format_value(c) for c in param.choices) if param.choices else None,
            min=param.min, max=param.max))
    return ProjectPage(name=spec.name, namespace=spec.namespace, version=str(spec.version),
                       description=spec.description, entry=plan.entry_name,
                       entry_type=plan.entry_type, fields=fields,
                       entry_description=entry.description)


def launch(link: LaunchLink, *, policy: Policy | None = None,
           on_phase: Phase | None = None, progress: Callable[[str], None] | None = None,
           on_ready: Callable[[str], None] | None = None, stdout: IO[str] | None = None,
           start_timeout: float | None = None,
           on_started: Callable[[RunPlan, RunRecord], None] | None = None,
           on_cached: Callable[[RunPlan, RunRecord], None] | None = None,
           checkout_root: Path | None = None) -> LaunchResult:
    """Follow `link` to a finished, recorded run (its origin is the link).

    Runs as `brain run` does: prerequisites (`depends_on`) first through the run cache, then
    the linked entry point itself, always (someone asked for it), with a notebook's report
    and provenance written beside the checkout's other reports. With `checkout_root` (a hub's
    working copy of the commit) nothing is fetched. Its dataset remotes open only where
    `policy.allow_data` names them.
    """
    from brain.data.launch_policy import launched

    phase = on_phase or (lambda _name: None)
    policy = policy or Policy()
    admit(link, policy)
    with launched(policy.allow_data):
        return _follow(link, phase, progress, on_ready, stdout, start_timeout, on_started,
                       on_cached, checkout_root)


def _follow(link: LaunchLink, phase: Phase, progress: Callable[[str], None] | None,
            on_ready: Callable[[str], None] | None, stdout: IO[str] | None,
            start_timeout: float | None,
            on_started: Callable[[RunPlan, RunRecord], None] | None,
            on_cached: Callable[[RunPlan, RunRecord], None] | None,
            checkout_root: Path | None) -> LaunchResult:
    from brain.envs.select import DEFAULT_BACKEND
    from brain.runs.pipeline import FAILED, StepHooks, declared_outputs, run_pipeline, run_step
    from brain.runs.runner import environment

    phase("fetching")
    prepared = prepare(link, progress=progress, checkout_root=checkout_root)
    phase("environment")
    ensured = environment(prepared.plan, DEFAULT_BACKEND).ensure(progress)
    phase("running")
    hooks = StepHooks(progress=progress, on_started=on_started, on_cached=on_cached,
                      on_ready=on_ready, start_timeout=start_timeout, stdout=stdout,
                      origin=prepared.link.to_url())
    plans = list(prepared.plans)
    before = run_pipeline(plans[:-1], hooks=hooks).steps if len(plans) > 1 else []
    failed = next((step for step in before if step.outcome == FAILED), None)
    # The same cache key as `brain run`: declared outputs are products, never source.
    step = failed or run_step(prepared.plan, force=True, hooks=hooks,
                              excluded=declared_outputs(prepared.project))
    phase("done")
    assert step.record is not None  # a step that ran or failed has its record
    return LaunchResult(step.record, step.exit_code, step.message, prepared.checkout, ensured,
                        step.report)


"""What the hub's CI pages say about a project, in words: its commits newest first, each with
its steps, its tests ("2 of 3 tests passed"), its reports and the metrics its runs recorded,
and each metric's trend across commits. Built from the status files of brain.ci.status; the
pages themselves are templates of the hub (autoescaped), so nothing here makes markup."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brain.spec.names import NAME_PATTERN

SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
RUN_ID = re.compile(r"[0-9a-f]{6,64}")
_NAME = re.compile(NAME_PATTERN)
TREND_POINTS = 50  # commits a trend line shows
_CHART = (240.0, 48.0, 4.0)  # width, height, padding of a trend chart (SVG user units)
_STEP_WORDS = {"validate": "spec checked", "setup": "environment ready", "build": "built",
               "publish": "published"}


def is_project_key(namespace: str, name: str) -> bool:
    """Whether `namespace`/`name` follows the one grammar of project names."""
    return bool(_NAME.fullmatch(namespace) and _NAME.fullmatch(name))


def split_key(key: str) -> tuple[str, str] | None:
    """(namespace, name) of a project key `namespace/name`; None when it is not one."""
    namespace, _, name = key.partition("/")
    return (namespace, name) if is_project_key(namespace, name) else None


@dataclass(frozen=True)
class StepView:
    """One step as a person reads it."""

    label: str  # the step's own name: test:unit, build
    words: str  # "tests “unit”", "published"
    status: str
    seconds: float
    note: str
    output: str = ""  # the last lines of a failed step's output


@dataclass(frozen=True)
class EntryTests:
    """The test entry points of one commit: counts and the names of those that failed."""

    passed: int
    failed: list[str]
    skipped: int

    @property
    def total(self) -> int:
        """Every test, run or not."""
        return self.passed + len(self.failed) + self.skipped

    @property
    def words(self) -> str:
        """`3 of 3 tests passed`, `1 of 2 tests failed: unit`, `no tests`."""
        if not self.total:
            return "no tests"
        noun = "test" if self.total == 1 else "tests"
        if self.failed:
            return (f"{len(self.failed)} of {self.total} {noun} failed: "
                    + ", ".join(self.failed))
        skipped = f" ({self.skipped} not run)" if self.skipped else ""
        return f"{self.passed} of {self.total} {noun} passed{skipped}"


@dataclass(frozen=True)
class ReportView:
    """A report entry point's run for one commit; `url` when its rendered page was kept."""

    entry: str
    status: str
    run_id: str | None
    url: str | None


@dataclass(frozen=True)
class CommitView:
    """One commit of one project."""

    sha: str
    subject: str
    author: str
    committed_at: float | None
    recorded_at: float
    branch: str
    status: str
    steps: list[StepView]
    tests: EntryTests
    reports: list[ReportView]
    metrics: dict[str, float | int]
    repository: str | None
    path: str

    @property
    def short(self) -> str:
        """The first 12 hex digits."""
        return self.sha[:12]


@dataclass(frozen=True)
class Trend:
    """One metric across commits, oldest first, as a small line chart."""

    name: str
    values: list[tuple[str, float | int]]  # (short commit, value)
    points: str  # the SVG polyline's points
    dots: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, tooltip
    width: float = _CHART[0]
    height: float = _CHART[1]

    @property
    def latest(self) -> str:
        """`0.91 ↑` (against the commit before), `0.91` for a single value."""
        last = self.values[-1][1]
        if len(self.values) < 2:
            return number(last)
        before = self.values[-2][1]
        arrow = "↑" if last > before else "↓" if last < before else "→"
        return f"{number(last)} {arrow}"

    @property
    def summary(self) -> str:
        """The chart in words, for people who cannot see it."""
        shown = ", ".join(number(value) for _, value in self.values[-10:])
        return f"{self.name} over the last {len(self.values)} commits, oldest first: {shown}"


def number(value: float | int) -> str:
    """A metric value as people read it: `0.9134` -> `0.9134`, `1234567.0` -> `1.235e+06`."""
    return f"{value:.4g}"


def project_keys(statuses: list[dict[str, Any]]) -> list[tuple[str, str, CommitView]]:
    """Every project with a recorded run: (namespace, name, its newest commit), by key."""
    seen: dict[str, CommitView] = {}
    for status in statuses:  # newest first
        for project in _projects(status):
            key = project["key"]
            if key not in seen and split_key(key) is not None:
                view = commit_view(status, key)
                if view is not None:
                    seen[key] = view
    return [(*split_key(key), seen[key]) for key in sorted(seen)]  # type: ignore[misc]


def project_commits(statuses: list[dict[str, Any]], key: str) -> list[CommitView]:
    """The commits whose CI ran project `key`, newest first."""
    found = (commit_view(status, key) for status in statuses)
    return [view for view in found if view is not None]


def commit_view(status: dict[str, Any], key: str, *, outputs: bool = False
                ) -> CommitView | None:
    """Project `key` in one commit's status; None when that commit did not run it."""
    sha = status.get("commit")
    project = next((p for p in _projects(status) if p["key"] == key), None)
    if not isinstance(sha, str) or not SHA.fullmatch(sha) or project is None \
            or project.get("skipped"):
        return None
    path = str(project.get("path") or "")
    results = [r for r in status.get("results", []) if isinstance(r, dict)
               and r.get("project") == key]
    steps = [_step(result, outputs) for result in results]
    metrics: dict[str, float | int] = {}
    for result in results:
        found = result.get("metrics")
        if isinstance(found, dict):
            metrics.update({str(name): value for name, value in found.items()
                            if isinstance(value, int | float) and not isinstance(value, bool)
                            and math.isfinite(value)})
    failed = any(step.status == "failed" for step in steps)
    return CommitView(
        sha=sha, subject=_text(status.get("subject")) or "(no message recorded)",
        author=_text(status.get("author")), committed_at=_number(status.get("committed_at")),
        recorded_at=_number(status.get("recorded_at")) or 0.0,
        branch=_text(status.get("ref")).removeprefix("refs/heads/"),
        status="failed" if failed else "passed", steps=steps, tests=_tests(results),
        reports=[_report(status, key, path, r) for r in results if r.get("kind") == "report"],
        metrics=metrics, repository=_text(status.get("repository")) or None, path=path)


def trends(commits: list[CommitView]) -> list[Trend]:
    """A trend per metric that at least one commit recorded (commits given newest first)."""
    names = sorted({name for commit in commits for name in commit.metrics})
    oldest_first = list(reversed(commits[:TREND_POINTS]))
    found = []
    for name in names:
        values = [(commit.short, commit.metrics[name]) for commit in oldest_first
                  if name in commit.metrics]
        found.append(_chart(name, values))
    return found


def _chart(name: str, values: list[tuple[str, float | int]]) -> Trend:
    width, height, pad = _CHART
    largest = max(abs(float(value)) for _, value in values) or 1.0
    numbers = [float(value) / largest for _, value in values]  # huge values: no inf span
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(1, len(numbers) - 1)
    coordinates = [(round(pad + index * step, 1),
                    round(height - pad - (value - low) / span * (height - 2 * pad)
                          if high != low else height / 2, 1))
                   for index, value in enumerate(numbers)]
    points = " ".join(f"{x},{y}" for x, y in coordinates)
    dots = [(x, y, f"{short}: {number(value)}")
            for (x, y), (short, value) in zip(coordinates, values, strict=True)]
    return Trend(name, values, points, dots)


def report_file(status: dict[str, Any], path: str, run_id: str) -> Path | None:
    """The rendered HTML of report run `run_id` of the project at `path`, as the git hook
    kept it under BRAIN_HOME/ci/artifacts/<commit>/ (brain.ci.hook); None when absent."""
    from brain.ci.status import status_folder
    from brain.notebooks.reports import read_report

    sha = status.get("commit")
    if not (isinstance(sha, str) and SHA.fullmatch(sha) and RUN_ID.fullmatch(run_id)):
        return None
    # The folder is derived from the commit, never taken from the file: only our own tree.
    kept = (status_folder(create=False).parent / "artifacts" / sha).resolve()
    folder = kept / path / "reports" / run_id
    report = read_report(folder) if folder.resolve().is_relative_to(kept) else None
    html = report.html if report is not None else None
    if html is None or not html.is_file() or not html.resolve().is_relative_to(kept):
        return None
    return html


def _projects(status: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in status.get("projects", []) if isinstance(p, dict)
            and isinstance(p.get("key"), str)]


def _step(result: dict[str, Any], outputs: bool) -> StepView:
    kind, entry = _text(result.get("kind")), _text(result.get("entry"))
    words = _STEP_WORDS.get(kind) or (f"{'test' if kind == 'test' else 'report'} “{entry}”")
    status = _text(result.get("status")) or "unknown"
    output = ""
    if outputs and status == "failed":
        output = "\n".join(_text(result.get("output_tail")).splitlines()[-20:])
    return StepView(_text(result.get("step")), words, status,
                    _number(result.get("seconds")) or 0.0, _text(result.get("note")), output)


def _tests(results: list[dict[str, Any]]) -> EntryTests:
    tests = [r for r in results if r.get("kind") == "test"]
    return EntryTests(passed=sum(r.get("status") == "passed" for r in tests),
                 failed=[_text(r.get("entry")) for r in tests if r.get("status") == "failed"],
                 skipped=sum(r.get("status") == "skipped" for r in tests))


def _report(status: dict[str, Any], key: str, path: str, result: dict[str, Any]
            ) -> ReportView:
    note = _text(result.get("note"))
    run_id = note.removeprefix("run ") if note.startswith("run ") else None
    url = None
    if run_id is not None and result.get("status") == "passed" and \
            report_file(status, path, run_id) is not None:
        url = f"/ci/projects/{key}/commits/{status['commit']}/reports/{run_id}"
    return ReportView(_text(result.get("entry")), _text(result.get("status")), run_id, url)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None

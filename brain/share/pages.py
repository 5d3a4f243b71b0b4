"""The hub's HTML: a project page per link, a page per launch, the history, errors.

Jinja templates (brain/share/templates, one layout) with autoescape on, so nothing a link, a
spec or a log carries becomes markup; data handed to scripts goes through `tojson`. No
external assets: the pages work offline and on a phone.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

    from brain.share.history import Launch
    from brain.share.launch import ParameterField, ProjectPage
    from brain.share.url import LaunchLink

PHASES = ("fetching", "environment", "running", "done")
FAVICON = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>"
           "<circle cx='16' cy='16' r='14' fill='#0969da'/>"
           "<path d='M10 17l4 4 8-10' stroke='#fff' stroke-width='3' fill='none'/></svg>")
_KIND_WORDS = {"app": "an interactive app", "notebook": "a notebook that makes a report",
               "python": "a Python program", "bash": "a script", "shell": "a command",
               "r": "an R script"}
_FAILURE_LINES = 8
# Where the hub is served (its path prefix behind a proxy) and who is signed in, for every
# link a page writes; set per request by the hub's gate (brain.share.hub_auth).
_CONTEXT: ContextVar[tuple[str, str | None]] = ContextVar("hub_page_context", default=("", None))


def set_context(root: str, who: str | None) -> None:
    """The path prefix links start with, and the signed-in name (None: no accounts)."""
    _CONTEXT.set((root, who))


def root() -> str:
    """The hub's path prefix for this request: '' or e.g. `/brain`."""
    return _CONTEXT.get()[0]


@cache
def _templates() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("brain.share", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _render(name: str, **values: Any) -> str:
    prefix, who = _CONTEXT.get()
    return _templates().get_template(name).render(root=prefix, who=who, **values)


def render_page(name: str, **values: Any) -> str:
    """Template `name` of the hub's layout, autoescaped (for pages other modules own)."""
    return _render(name, **values)


@dataclass(frozen=True)
class When:
    """A moment, as ISO text with its offset (for `<time datetime>`) and as words."""

    iso: str
    text: str


def when(timestamp: float) -> When:
    """`timestamp` in the hub's time zone, its zone named."""
    moment = datetime.fromtimestamp(timestamp).astimezone()
    return When(moment.isoformat(timespec="seconds"), moment.strftime("%Y-%m-%d %H:%M:%S %Z"))


def duration(seconds: float) -> str:
    """`75` -> `1 min 15 s`."""
    whole = max(0, round(seconds))
    minutes, rest = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def in_words(entry: str, entry_type: str, description: str | None = None) -> str:
    """What an entry point does, for people: its description, else its kind."""
    kind = _KIND_WORDS.get(entry_type, f"a {entry_type} entry point")
    return f"{description} ({kind}, “{entry}”)" if description else f"“{entry}”, {kind}"


def phase_states(status: str, phase: str | None) -> list[tuple[str, str]]:
    """Each phase pill's state: done, current, failed (where a launch stopped short) or
    skipped (after that)."""
    if status == "succeeded":
        return [(name, "done") for name in PHASES]
    # `done` follows a run that failed too: then the run is where it went wrong.
    at = PHASES.index("running" if phase == "done" else phase) if phase in PHASES else 0
    if status == "running":
        return [(name, "done" if index < at else "current" if index == at else "")
                for index, name in enumerate(PHASES)]
    if status == "stopped":  # an app stopped on request or when idle: nothing went wrong
        return [(name, "done" if index <= at else "skipped") for index, name in enumerate(PHASES)]
    return [(name, "done" if index < at else "failed" if index == at else "skipped")
            for index, name in enumerate(PHASES)]


@dataclass(frozen=True)
class Failure:
    """Why a launch failed: one sentence, and the last lines of its log that say more."""

    sentence: str
    lines: list[str] = field(default_factory=list)


def failure_of(launch: Launch, log: str, roots: list[str]) -> Failure | None:
    """The failure banner of a finished launch that did not succeed (None otherwise); paths
    under `roots` (the launch's working copy) are shown relative to the project."""
    if launch.status in ("succeeded", "running", "stopped"):
        return None
    entry = launch.entry or "the entry point"
    if launch.message:
        sentence = launch.message[0].upper() + launch.message[1:]
    elif launch.exit_code is not None:
        sentence = f"“{entry}” stopped with an error (exit code {launch.exit_code})."
    else:
        sentence = f"The launch ended as {launch.status}."
    return Failure(_relative(sentence, roots), meaningful_lines(log, roots))


def meaningful_lines(log: str, roots: list[str]) -> list[str]:
    """The last lines of a log that explain an error: brain's own progress lines left out,
    colours removed, paths relative to the project."""
    lines = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line).rstrip() for line in log.splitlines()]
    lines = [line for line in lines if line.strip() and not line.startswith("brain: ")]
    found = [index for index, line in enumerate(lines) if line.startswith("Traceback")]
    if found:  # a Python traceback: where it was raised and what was raised
        tail = lines[found[-1] + 1:]
        kept = [line for line in tail if line.lstrip().startswith("File ")][-2:]
        kept += [line for line in tail if not line.startswith((" ", "\t"))][-3:]
        lines = kept
    return [_relative(line, roots) for line in lines[-_FAILURE_LINES:]]


def _relative(text: str, roots: list[str]) -> str:
    for root in sorted((root.rstrip("/") for root in roots if root), key=len, reverse=True):
        text = text.replace(root + "/", "").replace(root, ".")
    return text


@dataclass(frozen=True)
class FormField:
    """A parameter as the form shows it: a label in words, the rule, the browser's checks."""

    name: str
    label: str
    kind: str
    value: str
    rule: str
    required: bool
    input_type: str = "text"
    choices: tuple[str, ...] | None = None
    attributes: dict[str, str] = field(default_factory=dict)


def form_field(item: ParameterField) -> FormField:
    """The form control of one parameter; its HTML checks match brain.params' own."""
    label = item.help or item.name.replace("_", " ").capitalize()
    attributes: dict[str, str] = {}
    input_type, rule = "text", "Text"
    span = _span(item.min, item.max)
    if item.type == "int":
        input_type, rule, attributes["step"] = "number", "A whole number" + span, "1"
    elif item.type == "float":
        input_type, rule, attributes["step"] = "number", "A number" + span, "any"
    elif item.type == "date":
        rule = "A date, written YYYY-MM-DD (for example 2024-01-31)"
        attributes.update(pattern=r"\d{4}-\d{2}-\d{2}", placeholder="YYYY-MM-DD",
                          inputmode="numeric")
    elif item.type == "bool":
        rule = "Tick for yes"
    elif item.type == "path":
        rule = "A file or folder of the project"
    elif item.type == "uri":
        rule = "An address, such as https://example.com/data.csv"
    elif item.type == "json":
        rule = 'JSON, such as [1, 2] or {"layers": 3}'
        attributes["spellcheck"] = "false"
    if item.choices:
        rule = "One of: " + ", ".join(item.choices)
    for key, value in (("min", item.min), ("max", item.max)):
        if value is not None and item.type in ("int", "float"):
            attributes[key] = f"{value:g}"
    if item.required:
        rule += " · required"
    return FormField(item.name, label, item.type, item.value, rule,
                     item.required and item.type != "bool", input_type, item.choices,
                     attributes)


def _span(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f", at least {low:g}"
    return f", at most {high:g}" if high is not None else ""


def error_page(status: int, message: str, hint: str | None = None,
               heading: str = "Cannot launch this link") -> str:
    """A refusal, with its reason."""
    return _render("error.html", title="refused", heading=heading, status=status,
                   message=message, hint=hint)


def project_page(link: LaunchLink, page: ProjectPage, description: str | None = None) -> str:
    """The page a launch link opens: the project, its parameters in a form, Launch."""
    from brain.ci.status import has_project

    key = f"{page.namespace}/{page.name}"
    return _render("project.html", title=page.name, page=page, link=link,
                   link_url=link.to_url(), fields=[form_field(item) for item in page.fields],
                   what=in_words(page.entry, page.entry_type, description),
                   ci_url=f"{root()}/ci/projects/{key}" if has_project(key) else None)


def launch_page(launch: Launch, summary: dict[str, Any], *, phase: str | None, log: str,
                roots: list[str], report: str | None, app_running: bool,
                checks: list[Any] | None = None) -> str:
    """A launch: what it runs, with which values, how far it got, why it failed, and how
    its data checks went."""
    import time

    from brain.checks.summary import check_rows
    from brain.share.history import FINAL_STATUSES

    finished = launch.status in FINAL_STATUSES
    helps = summary.get("helps") or {}
    found = summary.get("values")
    values: dict[str, Any] = found if isinstance(found, dict) else {}
    params = [{"name": name, "label": helps.get(name) or name, "value": value}
              for name, value in {**values, **launch.params}.items()
              if not (name == "port" and summary.get("entry_type") == "app")]
    what = in_words(launch.entry or summary.get("entry") or "default",
                    str(summary.get("entry_type") or "entry"), summary.get("entry_description"))
    return _render(
        "launch.html", title=summary.get("name") or f"launch {launch.id}", launch=launch,
        summary=summary, what=what, params=params, finished=finished, report=report,
        phases=phase_states(launch.status, phase), app_running=app_running and not finished,
        failure=failure_of(launch, log, roots) if finished else None,
        started=when(launch.created_at),
        duration=duration((launch.ended_at or time.time()) - launch.created_at),
        checks=check_rows(checks or []))


def index_page(launches: list[tuple[Launch, dict[str, Any]]]) -> str:
    """The hub's front page: recent launches, or what the hub is when there are none."""
    items = [{"id": launch.id, "status": launch.status, "started": when(launch.created_at),
              "title": summary.get("name") or launch.repo.rsplit("/", 1)[-1],
              "what": in_words(launch.entry or summary.get("entry") or "default",
                               str(summary.get("entry_type") or "entry"))}
             for launch, summary in launches]
    return _render("index.html", title="launches", launches=items)


def login_page(next_path: str, message: str | None = None) -> str:
    """The sign-in form: a token, sent once, for a session cookie."""
    return _render("login.html", title="sign in", next_path=next_path, message=message)


def app_waiting(launch: Launch, target: str) -> str:
    """The page of an app that is starting (again): it moves to the app once it answers."""
    again = target != launch.id
    message = ("This app was stopped because nobody used it for a while. It is starting "
               "again; this page opens it when it is ready." if again else
               "The app is starting; this page opens it when it is ready.")
    return _render("app_waiting.html", title="Starting the app", message=message,
                   target=target)

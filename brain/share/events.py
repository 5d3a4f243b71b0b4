"""Launch progress as typed events: what `brain launch` tells whoever runs it.

The CLI renders events for people (brain.cli.share_commands); a hub passes the child a file
descriptor (`brain launch --events-fd N`) on which every event arrives as one JSON line, and
reads them back as data. Nothing here is parsed from human text, so rewording a message never
changes what the hub understands; and only `brain launch` itself holds the descriptor (the
commands it runs do not inherit it), so a launched project cannot forge an event.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

MAX_EVENT_BYTES = 64 * 1024  # one line; longer ones are cut to their first bytes
MAX_EVENTS_FILE = 4 << 20  # what a reader looks at


@dataclass(frozen=True)
class Phase:
    """The launch reached a phase: fetching, environment, running, done."""

    kind: ClassVar[str] = "phase"
    name: str


@dataclass(frozen=True)
class Setup:
    """A step of fetching or building the environment."""

    kind: ClassVar[str] = "setup"
    text: str


@dataclass(frozen=True)
class RunStarted:
    """A run started (a prerequisite or the linked entry point)."""

    kind: ClassVar[str] = "run-started"
    run_id: str
    entry: str
    command: str


@dataclass(frozen=True)
class RunCached:
    """A prerequisite was up to date: its outputs come from an earlier run."""

    kind: ClassVar[str] = "run-cached"
    entry: str
    run_id: str


@dataclass(frozen=True)
class AppReady:
    """An app entry point answers at `url`."""

    kind: ClassVar[str] = "app-ready"
    url: str


@dataclass(frozen=True)
class Finished:
    """The linked run ended."""

    kind: ClassVar[str] = "finished"
    run_id: str
    status: str
    exit_code: int
    environment_reused: bool
    message: str | None = None
    report: str | None = None


@dataclass(frozen=True)
class Failed:
    """The launch was refused or failed before its run ended (no run record, or a broken one)."""

    kind: ClassVar[str] = "failed"
    message: str
    hint: str | None = None


Event = Phase | Setup | RunStarted | RunCached | AppReady | Finished | Failed
_KINDS: dict[str, type[Any]] = {cls.kind: cls for cls in
                                (Phase, Setup, RunStarted, RunCached, AppReady, Finished, Failed)}


def encode(event: Event) -> bytes:
    """One JSON line."""
    return json.dumps({"kind": event.kind, **asdict(event)}).encode() + b"\n"


def decode(line: bytes | str) -> Event | None:
    """The event of one JSON line, or None when the line is not a well-formed event."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = str(data.pop("kind", ""))
    cls = _KINDS.get(kind)
    if cls is None:
        return None
    hints = _hints(kind)
    if set(data) - set(hints) or not all(_fits(value, hints[name])
                                         for name, value in data.items()):
        return None
    try:
        event: Event = cls(**data)
    except TypeError:  # a required field is missing
        return None
    return event


@cache  # get_type_hints evaluates every annotation anew: the hub decodes events per poll
def _hints(kind: str) -> dict[str, Any]:
    from typing import get_type_hints

    return {name: hint for name, hint in get_type_hints(_KINDS[kind]).items()
            if name != "kind"}


def _fits(value: object, hint: Any) -> bool:
    """True when a JSON value has the field's type (a bool is not an int here)."""
    from typing import get_args

    return any(isinstance(value, option) and (option is bool or not isinstance(value, bool))
               for option in get_args(hint) or (hint,))


class EventWriter:
    """Writes events to a file descriptor (a hub's channel); silent when the reader is gone."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __call__(self, event: Event) -> None:
        data = encode(event)
        if len(data) > MAX_EVENT_BYTES:
            return
        try:
            os.write(self.fd, data)
        except OSError:
            self.fd = -1  # the hub went away or stopped reading; the run goes on


def read_events(path: Path) -> list[Event]:
    """Every well-formed event in a file of JSON lines (at most MAX_EVENTS_FILE bytes)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_EVENTS_FILE)
    except OSError:
        return []
    found = (decode(line) for line in data.splitlines() if line.strip())
    return [event for event in found if event is not None]


@dataclass(frozen=True)
class Progress:
    """What the events of a launch say so far."""

    phase: str | None = None
    app_url: str | None = None
    error: str | None = None
    finished: Finished | None = None


def progress_of(events: list[Event]) -> Progress:
    """The phase reached, an app's URL, the error and the finished run, from `events`."""
    phase = app_url = error = None
    finished = None
    for event in events:
        if isinstance(event, Phase):
            phase = event.name
        elif isinstance(event, AppReady) and event.url.startswith(("http://", "https://")):
            app_url = event.url  # the hub redirects there: never another scheme
        elif isinstance(event, Failed):
            error = event.message
        elif isinstance(event, Finished):
            finished = event
    return Progress(phase, app_url, error, finished)

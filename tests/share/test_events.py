"""Launch progress events: a typed JSON-lines channel that the hub reads as data, whatever the
words people see."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.share import events
from brain.share.url import make_link
from tests.conftest import Result
from tests.share.conftest import Remote

SAMPLES: list[events.Event] = [
    events.Phase("environment"), events.Setup("creating the environment"),
    events.RunStarted("abc", "main", "echo hi"), events.RunCached("prepare", "abd"),
    events.AppReady("http://127.0.0.1:8000/"),
    events.Finished("abc", "failed", 3, environment_reused=False, message="exit 3"),
    events.Failed("no such commit", hint="push it"),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda event: event.kind)
def test_every_event_survives_its_line(event: events.Event) -> None:
    line = events.encode(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert events.decode(line) == event


@given(st.one_of(st.binary(max_size=300), st.text(max_size=300),
                 st.dictionaries(st.text(max_size=10),
                                 st.one_of(st.none(), st.integers(), st.text(max_size=10),
                                           st.lists(st.integers(), max_size=3)),
                                 max_size=5).map(lambda data: __import__("json").dumps(data))))
def test_no_line_breaks_the_reader(line: bytes | str) -> None:
    decoded = events.decode(line)
    assert decoded is None or isinstance(decoded, tuple(type(sample) for sample in SAMPLES))


def test_malformed_events_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"kind": "phase", "name": "running"}\nnot json\n'
                     b'{"kind": "phase", "name": 3}\n{"kind": "phase"}\n'
                     b'{"kind": "app-ready", "url": "x", "extra": 1}\n[1]\n')
    assert events.read_events(path) == [events.Phase("running")]


def test_rewording_the_human_messages_does_not_change_what_the_hub_reads(
        brain: Callable[..., Result], make_remote: Callable[..., Remote], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from brain.cli import share_commands

    monkeypatch.setattr(share_commands, "_rendered",
                        lambda event: [f"(reworded) {type(event).__name__} happened"])
    remote = make_remote()
    url = make_link(remote.url, remote.commit, path="projects/hello", entry="write").to_url()
    channel = tmp_path / "events.jsonl"
    fd = os.open(channel, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        result = brain("launch", f"--events-fd={fd}", url)
    finally:
        os.close(fd)
    assert result.exit_code == 0, result.output
    assert "(reworded) Phase happened" in result.stderr and "brain: phase" not in result.stderr
    progress = events.progress_of(events.read_events(channel))
    assert progress.phase == "done" and progress.error is None
    assert progress.finished is not None and progress.finished.status == "succeeded"
    kinds = [event.kind for event in events.read_events(channel)]
    assert kinds[0] == "phase" and "run-started" in kinds and kinds[-1] == "finished"


def test_a_refused_launch_sends_its_error(brain: Callable[..., Result],
                                          make_remote: Callable[..., Remote],
                                          tmp_path: Path) -> None:
    remote = make_remote()
    url = make_link(remote.url, "0" * 40, path="projects/hello").to_url()
    channel = tmp_path / "events.jsonl"
    fd = os.open(channel, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        result = brain("launch", f"--events-fd={fd}", url)
    finally:
        os.close(fd)
    assert result.exit_code == 2, result.output
    error = events.progress_of(events.read_events(channel)).error
    assert error is not None and "is not in" in error

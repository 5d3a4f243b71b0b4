"""Adding an entry point type is one class and its registration: a toy type, registered in
this process, is validated, planned, run in a real venv, recorded, and its report collected,
with no change to the core (the walk-through is in docs/architecture.md)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from brain.entrypoints import entry_type, register, type_names, unregister
from brain.entrypoints.base import EntryFields, EntryProblem, EntryType, Produced

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot, RunPlan
    from brain.runs.record import RunRecord
    from tests.conftest import Result


class ToyEntry(EntryType):
    """`type: toy`: runs a script with each value as NAME=VALUE, then writes a report."""

    name = "toy"
    fields = frozenset({"script"})
    produces_report = True

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        if entry.script is None:
            return [EntryProblem("a toy entry point needs 'script'", None, key=True)]
        return []

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        argv = ["python", str(entry.script), *(f"{key}={value}" for key, value in values.items())]
        return shlex.join(argv), argv

    def variables(self, name: str, entry: EntrySnapshot,
                  values: Mapping[str, Value]) -> Mapping[str, str]:
        return {"TOY_ENTRY": name, "MODE": "from-the-type"}

    def after_run(self, plan: RunPlan, record: RunRecord) -> Produced:
        report = plan.cwd / "toy-reports" / f"{record.id}.json"
        report.parent.mkdir(exist_ok=True)
        report.write_text(json.dumps({"status": record.status, "argv": list(plan.argv)}))
        return Produced(report=report)


SPEC = """\
name: toy-project
version: 0.1.0
env:
  variables: {MODE: from-the-spec}
entry_points:
  play:
    type: toy
    script: play.py
    parameters:
      rounds: {type: int, default: 2}
"""
PLAY = ("import os, sys\n"
        "print('played', *sys.argv[1:], os.environ['TOY_ENTRY'], os.environ['MODE'])\n")


@pytest.fixture
def toy() -> Iterator[ToyEntry]:
    kind = ToyEntry()
    register(kind)
    yield kind
    unregister("toy")


def test_a_registered_type_is_known_and_an_unregistered_one_is_not(toy: ToyEntry) -> None:
    assert "toy" in type_names() and entry_type("toy") is toy
    unregister("toy")
    assert "toy" not in type_names()
    register(toy)


def test_an_unregistered_type_is_refused_by_validation(brain: Callable[..., Result],
                                                        make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC, "play.py": PLAY})
    result = brain("validate", str(root))
    assert result.exit_code == 2
    assert "expected one of 'shell', 'bash', 'python', 'notebook', 'app' or 'r', got 'toy'" in \
        result.output


def test_the_types_own_checks_apply(toy: ToyEntry, brain: Callable[..., Result],
                                    make_project: Callable[..., Path]) -> None:
    wrong = SPEC.replace("script: play.py", "command: echo hi")
    result = brain("validate", str(make_project({"onebrain.yml": wrong, "play.py": PLAY})))
    assert result.exit_code == 2
    assert "'command' does not apply to a toy entry point (it takes 'script')" in result.output
    assert "a toy entry point needs 'script'" in result.output


def test_a_toy_type_runs_end_to_end(toy: ToyEntry, brain: Callable[..., Result],
                                    make_project: Callable[..., Path]) -> None:
    from brain.runs.store import RunStore

    root = make_project({"onebrain.yml": SPEC, "play.py": PLAY})
    assert brain("validate", str(root)).exit_code == 0
    result = brain("run", str(root), "-e", "play", "-P", "rounds=3")
    assert result.exit_code == 0, result.output
    # The type's variables reach the run; the spec's env.variables win over them.
    assert "played rounds=3 play from-the-spec" in result.output
    with RunStore() as store:
        [record] = store.list(project="default/toy-project")
    assert record.status == "succeeded" and record.command == "python play.py rounds=3"
    assert record.extra["entry_type"] == "toy"
    report = root / "toy-reports" / f"{record.id}.json"
    assert json.loads(report.read_text()) == {"status": "succeeded",
                                              "argv": ["python", "play.py", "rounds=3"]}
    assert f"report: {report}" in result.output


def test_a_spec_cached_while_a_type_was_registered_is_validated_again_without_it(
        toy: ToyEntry, make_project: Callable[..., Path]) -> None:
    from brain.cache_stamp import validation_stamp
    from brain.errors import BrainError
    from brain.runs.snapshot import load_snapshot

    root = make_project({"onebrain.yml": SPEC, "play.py": PLAY})
    with_toy = validation_stamp()
    assert load_snapshot(root).entry_points["play"].type == "toy"  # validated, cached
    unregister("toy")
    assert validation_stamp() != with_toy
    with pytest.raises(BrainError) as caught:
        load_snapshot(root)  # the cached snapshot must not stand in for validation
    assert caught.value.exit_code == 2
    register(toy)
    assert validation_stamp() == with_toy

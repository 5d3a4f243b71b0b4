"""Comparing two runs aspect by aspect."""

from __future__ import annotations

import json

from brain.runs.diff import ABSENT, ASPECTS, Change, diff_runs, file_hashes
from brain.runs.record import GitState


def test_identical_runs(make_record):
    a = make_record(status="succeeded", exit_code=0)
    b = make_record(status="succeeded", exit_code=0)  # other id and start time only
    result = diff_runs(a, b)
    assert result.identical and result.differing() == [] and result.same() == list(ASPECTS)


def test_parameters_per_name(make_record):
    a = make_record(parameters={"alpha": 0.5, "mode": "fast", "old": 1, "n": 1})
    b = make_record(parameters={"alpha": 0.7, "mode": "fast", "new": "x", "n": 1.0})
    result = diff_runs(a, b)
    assert result.differing() == ["parameters"]
    assert result.changes["parameters"] == [
        Change("alpha", 0.5, 0.7), Change("n", 1, 1.0),
        Change("new", ABSENT, "x"), Change("old", 1, ABSENT),
    ]


def test_code_environment_command_project_and_exit(make_record):
    a = make_record(git=GitState("a" * 40, "main", None, False), env_identity="e1",
                    python_version="3.11.7", command="python fit.py --alpha 0.5",
                    spec_hash="s1", status="succeeded", exit_code=0)
    b = make_record(git=GitState("b" * 40, "main", None, True), env_identity="e2",
                    python_version="3.11.7", command="python fit.py --alpha 0.7",
                    spec_hash="s2", status="failed", exit_code=1)
    result = diff_runs(a, b)
    assert result.differing() == ["code", "environment", "command", "project", "exit"]
    assert result.changes["code"] == [Change("commit", "a" * 40, "b" * 40),
                                      Change("dirty", False, True)]
    assert result.changes["environment"] == [Change("env_identity", "e1", "e2")]
    assert result.changes["exit"] == [Change("status", "succeeded", "failed"),
                                      Change("exit_code", 0, 1)]
    assert result.changes["project"] == [Change("spec_hash", "s1", "s2")]
    assert "parameters" in result.same()


def test_inputs_and_outputs_from_extra(make_record):
    a = make_record(extra={"inputs": {"data/train.csv": "sha256:1"},
                           "outputs": [{"path": "model.pkl", "sha256": "sha256:m1"}]})
    b = make_record(extra={"inputs": {"data/train.csv": "sha256:2"},
                           "outputs": [{"path": "model.pkl", "hash": "sha256:m2"},
                                       {"path": "report.html", "hash": "sha256:r"}]})
    result = diff_runs(a, b)
    assert result.changes["inputs"] == [Change("data/train.csv", "sha256:1", "sha256:2")]
    assert result.changes["outputs"] == [Change("model.pkl", "sha256:m1", "sha256:m2"),
                                         Change("report.html", ABSENT, "sha256:r")]


def test_file_hashes_shapes():
    assert file_hashes(None) == {} and file_hashes("junk") == {} and file_hashes(3) == {}
    assert file_hashes(["a.csv", {"nope": 1}]) == {"a.csv": None}


def test_as_dict_is_json(make_record):
    a = make_record(parameters={"alpha": 0.5})
    b = make_record(parameters={"alpha": 0.7})
    data = json.loads(json.dumps(diff_runs(a, b).as_dict()))
    assert data["a"] == a.id and data["b"] == b.id and data["identical"] is False
    assert data["differences"] == {"parameters": [{"name": "alpha", "old": 0.5, "new": 0.7}]}
    assert "code" in data["same"]

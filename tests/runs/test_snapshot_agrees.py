"""The run path's pydantic-free snapshot and the spec models can never drift apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from brain.run_plan import EntrySnapshot, ParameterSnapshot
from brain.runs.snapshot import load_snapshot
from brain.spec.loader import load_project
from brain.spec.models import EntryPoint, Parameter

# Model fields the run path never reads (shown by `brain info` and forms only).
NOT_FOR_RUNS = {EntryPoint: {"description"}, Parameter: {"help"}}

SPEC = """\
name: agree
version: 0.1.0
env:
  variables: {MODE: fast}
entry_points:
  prepare:
    type: python
    script: prep.py
    inputs: [data.csv]
    outputs: [clean.csv]
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1, allow_nan: false}
      when: {type: date, default: 2024-01-31}
      mode: {type: choice, choices: [fast, full], default: fast}
  serve app:
    type: app
    command: python -m http.server {{ port }}
    depends_on: []
    parameters:
      port: {type: int, default: 8000}
  report:
    type: notebook
    notebook: report.ipynb
    depends_on: [prepare]
"""


def _model_fields(model: type) -> set[str]:
    return set(model.model_fields) - NOT_FOR_RUNS[model]  # type: ignore[attr-defined]


def test_every_field_a_run_reads_exists_in_both_forms_with_the_same_default() -> None:
    for snapshot, model in ((EntrySnapshot, EntryPoint), (ParameterSnapshot, Parameter)):
        names = set(snapshot._fields)
        assert names == _model_fields(model), f"{snapshot.__name__} and {model.__name__} differ"
        for name, default in snapshot._field_defaults.items():
            declared = model.model_fields[name]  # type: ignore[attr-defined]
            if declared.default_factory is None:
                assert default == declared.default, name


def test_a_snapshot_read_back_from_the_cache_holds_what_the_models_hold(
        make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC, "prep.py": "", "report.ipynb": "{}"})
    spec = load_project(root).spec
    first = load_snapshot(root)  # validates and writes the cache
    cached = load_snapshot(root)  # read back without pydantic
    assert "project" not in cached.__dict__, "the second load should come from the cache"
    for snapshot in (first, cached):
        assert (snapshot.name, snapshot.namespace, snapshot.version) == \
            (spec.name, spec.namespace, spec.version)
        assert snapshot.variables == dict(spec.env.variables)
        assert list(snapshot.entry_points) == list(spec.entry_points)
        for name, entry in spec.entry_points.items():
            taken = snapshot.entry_points[name]
            for field in _model_fields(EntryPoint) - {"parameters"}:
                assert getattr(taken, field) == getattr(entry, field), (name, field)
            assert list(taken.parameters) == list(entry.parameters)
            for key, parameter in entry.parameters.items():
                dumped = parameter.model_dump(mode="json")
                for field in _model_fields(Parameter):
                    expected = dumped[field]
                    if isinstance(expected, list):
                        expected = tuple(expected)
                    assert getattr(taken.parameters[key], field) == expected, (name, key, field)


def test_entry_lookup_is_the_same_rule_in_both_forms(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC, "prep.py": "", "report.ipynb": "{}"})
    spec = load_project(root).spec
    snapshot = load_snapshot(root)
    for asked in ("serve app", "Serve-App", "serve_app", " SERVE  APP ", "report", "nothing"):
        by_model = spec.entry_point(asked)
        by_snapshot = snapshot.entry_point(asked)
        assert (by_model and by_model[0]) == (by_snapshot and by_snapshot[0]), asked

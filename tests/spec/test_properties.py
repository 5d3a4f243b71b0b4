"""Property-based tests: generated valid specs load, validate, and agree with the JSON schema;
generated broken ones are refused by both brain and the schema where the schema can tell."""

from __future__ import annotations

import json
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from brain.spec.loader import problems_for
from brain.spec.models import NAME_PATTERN, normalize_entry_name

# BRAIN_HYPOTHESIS_EXAMPLES=2000 for a longer hunt.
SETTINGS = settings(max_examples=int(os.environ.get("BRAIN_HYPOTHESIS_EXAMPLES", "120")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow],
                    # the explain phase re-runs failures at length; shrinking says enough
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])

slugs = st.from_regex(NAME_PATTERN, fullmatch=True)
identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
words = st.from_regex(r"[A-Za-z][A-Za-z0-9 ./=:-]{0,19}", fullmatch=True)
relative_paths = st.lists(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}", fullmatch=True),
                          min_size=1, max_size=3).map("/".join).filter(
    lambda p: ".." not in p.split("/"))
versions = st.one_of(
    st.lists(st.integers(0, 99), min_size=1, max_size=4).map(lambda p: ".".join(map(str, p))),
    st.tuples(st.integers(0, 9), st.integers(0, 20), st.sampled_from(["rc1", "a2", ".post1",
                                                                      ".dev0", "b3"])
              ).map(lambda t: f"{t[0]}.{t[1]}{t[2]}"),
    st.sampled_from([0.1, 1.5, 2.25, 10.0]),
    st.integers(0, 1000),
)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def parameters(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["str", "string", "int", "integer", "float", "number", "bool",
                                 "boolean", "path", "uri", "date", "choice", "enum"]))
    param: dict[str, Any] = {"type": kind}
    if draw(st.booleans()):
        param["help"] = draw(texts)
    canonical = {"string": "str", "integer": "int", "number": "float", "boolean": "bool",
                 "enum": "choice"}.get(kind, kind)
    default: Any = None
    if canonical == "int":
        low, high = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2)))
        if draw(st.booleans()):
            param.update(min=low, max=high)
        default = draw(st.integers(low, high))
    elif canonical == "float":
        low, high = sorted(draw(st.lists(finite, min_size=2, max_size=2)))
        if draw(st.booleans()):
            param.update(min=low, max=high)
        default = draw(st.floats(low, high))
    elif canonical == "bool":
        default = draw(st.booleans())
    elif canonical == "str":
        # a str value cannot begin with '-' (it would read as an option)
        default = draw(texts.filter(lambda t: "\x00" not in t and not t.startswith("-")))
    elif canonical == "path":
        default = draw(relative_paths)
    elif canonical == "uri":
        default = "s3://" + draw(relative_paths)
    elif canonical == "date":
        default = draw(st.dates(date(1900, 1, 1), date(2200, 12, 31)))
    else:
        choices = draw(st.lists(st.one_of(identifiers, st.integers(-5, 5)), min_size=1,
                                max_size=4, unique=True))
        param["choices"] = choices
        default = draw(st.sampled_from(choices))
    if draw(st.booleans()):
        param["default"] = default
    return param


@st.composite
def entry_points(draw: st.DrawFn, name: str, earlier: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["shell", "bash", "python", "notebook", "app", None]))
    entry: dict[str, Any] = {} if kind is None else {"type": kind}
    params = draw(st.dictionaries(identifiers, parameters(), max_size=4))
    if params:
        entry["parameters"] = params
    if kind in (None, "shell", "bash", "app"):
        used = draw(st.lists(st.sampled_from(sorted(params)), unique=True)) if params else []
        entry["command"] = " ".join([draw(words), *(f"{{{{ {n} }}}}" for n in used)])
    if kind == "app" and draw(st.booleans()):
        entry["port"] = draw(st.integers(1, 65535))
    if kind == "python":
        if draw(st.booleans()):
            entry["script"] = draw(relative_paths) + ".py"
        else:
            entry["module"] = draw(st.from_regex(r"[a-z_]{1,8}(\.[a-z_]{1,8}){0,2}",
                                                 fullmatch=True))
    if kind == "notebook":
        entry["notebook"] = draw(relative_paths) + ".ipynb"
    if earlier and draw(st.booleans()):
        entry["depends_on"] = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3))
    for field in ("inputs", "outputs"):
        if draw(st.booleans()):
            entry[field] = draw(st.lists(relative_paths, max_size=3))
    if draw(st.booleans()):
        entry["description"] = draw(texts)
    return entry


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": draw(slugs), "version": draw(versions)}
    if draw(st.booleans()):
        spec["namespace"] = draw(slugs)
    if draw(st.booleans()):
        spec["description"] = draw(texts)
    if draw(st.booleans()):
        tags = draw(st.one_of(texts, st.lists(texts, max_size=3)))
        spec[draw(st.sampled_from(["tag", "tags"]))] = tags
    if draw(st.booleans()):
        spec["authors"] = draw(st.lists(texts, max_size=3))
    if draw(st.booleans()):
        spec["build_enabled"] = draw(st.booleans())
    # the names grammar: no trailing space
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9 _-]{0,10}", fullmatch=True).map(
        str.rstrip), max_size=4, unique_by=normalize_entry_name))
    entries: dict[str, Any] = {}
    for name in names:
        entries[name] = draw(entry_points(name, list(entries)))
    if entries or draw(st.booleans()):
        spec["entry_points"] = entries
    if draw(st.booleans()):
        spec["env"] = draw(envs())
    if draw(st.booleans()):
        spec["hardware"] = draw(st.fixed_dictionaries({}, optional={
            "cpu": st.one_of(st.integers(1, 64), st.floats(0.1, 64)),
            "memory": st.one_of(st.sampled_from(["512Mi", "4Gi", "1G", "2048", "1.5Gi"]),
                                st.integers(1, 2**40)),
            "gpu": st.integers(0, 8)}))
    return spec


@st.composite
def envs(draw: st.DrawFn) -> dict[str, Any]:
    packages = st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
    specifiers = st.one_of(st.none(), st.sampled_from(["==1.0", ">=2.1,<3", "~=0.4", "1.26.4"]))
    python: dict[str, Any] = {}
    if draw(st.booleans()):
        python["version"] = draw(st.sampled_from(["3.11", "3.12.1", 3.11, 3.9]))
    if draw(st.booleans()):
        python["pip"] = draw(st.one_of(
            st.dictionaries(packages, specifiers, max_size=3),
            st.lists(packages, max_size=3)))
    if draw(st.booleans()):
        python["requirements"] = draw(relative_paths) + ".txt"
    env: dict[str, Any] = {"python": python}
    if draw(st.booleans()):
        env["variables"] = draw(st.dictionaries(
            st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True),
            st.one_of(words, st.integers(), st.booleans()), max_size=3))
    if draw(st.booleans()):
        env["docker"] = {"base_image": "python:3.11-slim", "apt": draw(st.lists(packages,
                                                                                max_size=2))}
    return env


@lru_cache(maxsize=1)
def schema_validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    from brain.spec.schema import spec_schema

    return Draft202012Validator(spec_schema(), format_checker=FormatChecker())


def schema_errors(data: dict[str, Any]) -> list[str]:
    """What the JSON schema finds wrong with `data`, seen as JSON (dates as text)."""
    as_json = json.loads(json.dumps(data, default=str))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in schema_validator().iter_errors(as_json)]


def brain_problems(tmp_path: Path, data: dict[str, Any]) -> tuple[list[str], Any]:
    spec_file = tmp_path / "onebrain.yml"
    spec_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    problems, project = problems_for(spec_file)
    return [p.format("onebrain.yml") for p in problems], project


@SETTINGS
@given(specs())
def test_generated_valid_specs_load_and_agree_with_the_schema(tmp_path: Path,
                                                             data: dict[str, Any]) -> None:
    problems, project = brain_problems(tmp_path, data)
    assert problems == []
    spec = project.spec
    assert spec.name == data["name"]
    assert spec.version == str(data["version"])
    assert list(spec.entry_points) == list(data.get("entry_points", {}))
    for name, entry in data.get("entry_points", {}).items():
        assert set(spec.entry_points[name].parameters) == set(entry.get("parameters", {}))
        assert spec.entry_point(normalize_entry_name(name)) is not None
    assert schema_errors(data) == []


# Mistakes the JSON schema can see too: (description, mutation of a valid spec).
def _set(path: tuple[str, ...], value: Any) -> Any:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return mutate


def _remove(key: str) -> Any:
    return lambda data: data.pop(key, None)


SCHEMA_VISIBLE = {
    "unknown top-level key": _set(("colour",), "red"),
    "missing name": _remove("name"),
    "missing version": _remove("version"),
    "name not a slug": _set(("name",), "Not A Slug"),
    "namespace not a slug": _set(("namespace",), "-bad-"),
    "build_enabled not a boolean": _set(("build_enabled",), "yes"),
    "tags a mapping": _set(("tags",), {"a": 1}),
    "entry point unknown key": _set(("entry_points", "zz", "colour"), "red"),
    "entry point bad type": _set(("entry_points", "zz"), {"type": "rscript", "command": "x"}),
    "parameter bad type": _set(("entry_points", "zz"), {
        "command": "x", "parameters": {"a": {"type": "decimal"}}}),
    "parameter bad name": _set(("entry_points", "zz"), {
        "command": "x", "parameters": {"learning-rate": {"type": "float"}}}),
    "port out of range": _set(("entry_points", "zz"), {"type": "app", "command": "x",
                                                       "port": 70000}),
    "env variable bad name": _set(("env", "variables", "MY-VAR"), "1"),
    "gpu negative": _set(("hardware", "gpu"), -1),
    "cpu zero": _set(("hardware", "cpu"), 0),
    "memory nonsense": _set(("hardware", "memory"), "lots"),
    "python unknown key": _set(("env", "python", "interpreter"), "cpython"),
}


@SETTINGS
@given(specs(), st.sampled_from(sorted(SCHEMA_VISIBLE)))
def test_generated_broken_specs_are_refused_by_brain_and_the_schema(
        tmp_path: Path, data: dict[str, Any], mistake: str) -> None:
    if mistake.startswith("entry point") and "entry_points" in data:
        data["entry_points"].pop("zz", None)  # the mutation writes its own entry point
    SCHEMA_VISIBLE[mistake](data)
    problems, project = brain_problems(tmp_path, data)
    assert project is None and problems, mistake
    assert schema_errors(data), mistake


@pytest.mark.parametrize("mistake", sorted(SCHEMA_VISIBLE))
def test_each_mutation_on_a_minimal_spec(tmp_path: Path, mistake: str) -> None:
    data: dict[str, Any] = {"name": "demo", "version": "1.0", "namespace": "team",
                            "entry_points": {"main": {"command": "run"}}}
    SCHEMA_VISIBLE[mistake](data)
    problems, _ = brain_problems(tmp_path, data)
    assert len(problems) == 1, problems
    assert len(schema_errors(data)) >= 1

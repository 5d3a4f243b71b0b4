"""env.r in the spec: R package names and version specifiers follow a strict grammar, so
nothing a spec says can reach R as code."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.rlang.specifiers import (
    SpecifierError,
    check_name,
    check_repository,
    parse_specifier,
    parse_version,
)

HOSTILE_NAMES = [
    "jsonlite'); system(\"touch x\")",
    "jsonlite'); system('touch x')",
    "jsonlite\"); unlink('/')",
    "a b", "x", "1abc", ".hidden", "pkg.", "pkg;rm", "pkg$(id)", "pkg`id`", "pkg\n",
    "pkg\u00e9", "pkg/../x", "", "a" * 300,
]
HOSTILE_SPECIFIERS = [
    ">=1.8; system('x')", ">=1.8)", "1.8 || 2", "~1.8", ">= 1.8 <2", "latest", ">=", "==a.b",
    ">=1.8,", "x" * 300, "1.8\n",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_package_names_are_refused(name: str) -> None:
    with pytest.raises(SpecifierError):
        check_name(name)


@pytest.mark.parametrize("text", HOSTILE_SPECIFIERS)
def test_hostile_specifiers_are_refused(text: str) -> None:
    with pytest.raises(SpecifierError):
        parse_specifier(text)


def test_specifiers_read_as_r_compares_versions() -> None:
    assert parse_specifier("*").allows("0.0")
    assert parse_specifier("1.8").allows("1.8") and not parse_specifier("1.8").allows("1.8.1")
    assert parse_specifier(">=1.8, <2").allows("1.9-3")
    assert not parse_specifier(">=1.8,<2").allows("2.0")
    assert parse_specifier("!=0.1-2").allows("0.1.3")
    assert parse_version("0.1-2") == (0, 1, 2)
    assert parse_specifier("< 1.8.0").allows("1.8")  # R: 1.8 < 1.8.0


def test_repositories_are_local_or_urls() -> None:
    assert check_repository("local") == "local"
    assert check_repository("http://127.0.0.1:8080/r")
    for bad in ("ftp://example.com", "http://", "http://example.com/a'b", "local2",
                "http://example.com/ x"):
        with pytest.raises(SpecifierError):
            check_repository(bad)


_versions = st.lists(st.integers(0, 10_000), min_size=2, max_size=5).map(tuple)


@st.composite
def _version_text(draw: st.DrawFn) -> tuple[tuple[int, ...], str]:
    parts = draw(_versions)
    seps = draw(st.lists(st.sampled_from([".", "-"]), min_size=len(parts) - 1,
                         max_size=len(parts) - 1))
    text = str(parts[0]) + "".join(sep + str(part) for sep, part in zip(seps, parts[1:],
                                                                         strict=True))
    return parts, text


@given(st.lists(st.tuples(st.sampled_from([">=", "<=", "==", "!=", ">", "<", ""]),
                          _version_text(), st.sampled_from(["", " "])), max_size=4),
       _version_text())
def test_specifier_parser_round_trips_and_decides_like_tuples(
        clauses: list[tuple[str, tuple[tuple[int, ...], str], str]],
        candidate: tuple[tuple[int, ...], str]) -> None:
    text = ",".join(f"{space}{op}{space}{version[1]}" for op, version, space in clauses)
    parsed = parse_specifier(text)
    assert parse_specifier(str(parsed)) == parsed
    wanted, candidate_text = candidate
    compare = {">=": wanted.__ge__, "<=": wanted.__le__, "==": wanted.__eq__,
               "!=": wanted.__ne__, ">": wanted.__gt__, "<": wanted.__lt__, "": wanted.__eq__}
    expected = all(compare[op](version[0]) for op, version, _ in clauses)
    assert parsed.allows(candidate_text) is expected


@given(st.text(max_size=40))
def test_any_text_either_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        parsed = parse_specifier(text)
    except SpecifierError:
        return
    assert all(char in "0123456789.-<>=!, *" for char in str(parsed))


@given(st.text(max_size=40))
def test_any_accepted_name_is_plain(text: str) -> None:
    try:
        check_name(text)
    except SpecifierError:
        return
    assert text.isascii() and all(char.isalnum() or char == "." for char in text)


def test_validate_refuses_an_injection_in_a_package_name(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": """
        name: hostile
        version: 0.1.0
        env:
          r:
            packages:
              "jsonlite'); system(\\"touch x\\")": "*"
              jsonlite: ">=1.8; system('touch y')"
            repos: ["http://example.com/r'); q()"]
        """})
    result = brain("validate", str(root))
    assert result.exit_code == 2, result.output
    assert "is not a valid key" in result.output
    assert "is not a version specifier" in result.output
    assert "quotes" in result.output
    assert not (Path.cwd() / "x").exists() and not (root / "x").exists()


def test_a_spec_with_r_validates_and_reads_numbers_as_text(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": """
        name: forecast
        version: 0.2.0
        entry_points:
          fit:
            type: r
            script: R/fit.R
            parameters:
              horizon: {type: int, default: 7, min: 1}
        env:
          python: {version: "3.11"}
          r:
            version: 4.2
            packages: {jsonlite: 1.8.4, airforecaster: "==0.1.0", shiny: "*", remotes: null}
            repos: [local]
        """, "R/fit.R": "cat('fit')\n"})
    assert brain("validate", str(root)).exit_code == 0
    from brain.spec.loader import load_project

    r = load_project(root).spec.env.r
    assert r is not None and r.version == "4.2"
    assert r.packages == {"jsonlite": "1.8.4", "airforecaster": "==0.1.0", "shiny": "*",
                          "remotes": "*"}


def test_an_r_entry_point_needs_an_r_script(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": """
        name: forecast
        version: 0.2.0
        entry_points:
          a: {type: r}
          b: {type: r, script: fit.py}
          c: {type: r, script: fit.R, module: x}
        """})
    result = brain("validate", str(root))
    assert result.exit_code == 2
    assert "needs 'script" in result.output and "expected an .R file" in result.output
    assert "module" in result.output

"""Run ids as people see them: a prefix that names several runs says how many and which, and
terminal tables show each id's shortest unique prefix (8 or more, like git), never wrapped."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from brain.runs.run_ids import SHORTEST, shortest_unique
from tests.notebooks.test_reports_and_inputs import make_report, spec
from tests.runs.test_runs_cli import _on_a_terminal


def test_an_ambiguous_prefix_says_how_many_runs_and_lists_them(brain, default_store,
                                                               make_record) -> None:
    ids = [f"1a2b3c4d5e6f70{suffix}" for suffix in ("a1", "a2", "b3")]
    for run_id in ids:
        default_store.insert(make_record(id=run_id))
    result = brain("runs", "show", "1a2b3c4d")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first == f"error: ambiguous: 3 runs start with '1a2b3c4d': {', '.join(ids)}"
    assert "type more characters" in result.stderr
    assert brain("runs", "show", "1a2b3c4d5e6f70b").exit_code == 0  # unique: shown


def test_many_matches_are_counted_past_the_ones_listed(brain, default_store,
                                                       make_record) -> None:
    for number in range(14):
        default_store.insert(make_record(id=f"00000000000000{number:02x}"))
    result = brain("runs", "show", "0000")
    assert result.exit_code == 2
    assert "ambiguous: 14 runs start with '0000': " in result.stderr
    assert "and 4 more" in result.stderr


def test_terminal_tables_show_the_shortest_unique_prefix(isolated, default_store, make_record,
                                                         brain) -> None:
    close = ["1a2b3c4d5e6f7000", "1a2b3c4d5e6f7fff", "1a2b3c4d5e6f8000"]  # 12/13 shared
    apart = "2b3c4d5e6f708090"
    for run_id in [*close, apart]:
        default_store.insert(make_record(id=run_id))
    screen = _on_a_terminal(isolated, 80, "runs", "list")
    lines = screen.splitlines()
    assert any(line.startswith("1a2b3c4d5e6f70 ") for line in lines)
    assert any(line.startswith("1a2b3c4d5e6f7f ") for line in lines)
    assert any(line.startswith("1a2b3c4d5e6f8 ") for line in lines)
    assert any(line.startswith("2b3c4d5e ") for line in lines)  # never under 8 characters
    for shown in ("1a2b3c4d5e6f70", "1a2b3c4d5e6f8", "2b3c4d5e"):
        assert brain("runs", "show", shown).exit_code == 0  # what a table shows resolves
    piped = brain("runs", "list").stdout  # scripts get the full ids
    assert all(run_id in piped for run_id in [*close, apart])


def test_report_ids_never_wrap_on_a_narrow_terminal(isolated, make_project,
                                                    default_store, make_record) -> None:
    root = make_project({"onebrain.yml": spec(), "report.ipynb": "{}"})
    ids = ["1a2b3c4d5e6f7081", "1a2b3c4d5e6f7082"]
    for number, run_id in enumerate(ids):
        default_store.insert(make_record(id=run_id))
        make_report(root, run_id, {
            "run_id": run_id, "status": "succeeded", "entry_point": "a rather long entry name",
            "parameters": {"alpha": 0.5, "description": "words " * 20}, "commit": "c" * 40,
            "timings": {"started_at": 1_700_000_000.0 + number}})
    for columns in (40, 60):
        screen = _on_a_terminal(isolated, columns, "report", "list", "--path", str(root))
        for run_id in ids:
            assert run_id in screen.replace("│", " ").split(), screen  # whole, on one line
    listed = json.loads(_json_list(root))
    assert sorted(item["run_id"] for item in listed) == ids


def _json_list(root: Path) -> str:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "brain", "report", "list", "--json",
                           "--path", str(root)], capture_output=True, text=True,
                          check=True).stdout


hex_ids = st.text("0123456789abcdef", min_size=16, max_size=16)


@given(st.lists(hex_ids, min_size=1, max_size=30, unique=True))
def test_the_shortest_unique_prefix_is_unique_and_minimal(ids: list[str]) -> None:
    for run_id in ids:
        shown = shortest_unique(run_id, ids)
        assert run_id.startswith(shown) and len(shown) >= SHORTEST
        assert not any(other.startswith(shown) for other in ids if other != run_id)
        if len(shown) > SHORTEST:  # one character less would be shared
            assert any(other.startswith(shown[:-1]) for other in ids if other != run_id)

"""Every broken spec in the corpus: exit 2, a located line naming the field, no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .broken_cases import CASES


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("content", "line", "field", "message"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_spec_is_reported(brain, tmp_path: Path, content: str | bytes, line: int,
                                 field: str, message: str) -> None:
    spec = tmp_path / "onebrain.yml"
    spec.write_bytes(content if isinstance(content, bytes) else content.encode())

    result = brain("validate", "onebrain.yml", cwd=tmp_path)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    problems = [text for text in result.stderr.splitlines() if text.startswith("onebrain.yml")]
    assert problems, result.output
    location = f"onebrain.yml:{line}:" if line else "onebrain.yml:"
    field_part = f" {field}: " if field else ": "
    matching = [p for p in problems
                if p.startswith(location) and field_part in p and message in p]
    assert matching, f"no line like {location}...{field_part}...{message!r} in:\n{result.stderr}"
    # One line per problem, each in the documented `file[:line:col]: [field: ]message` shape.
    for problem in problems:
        assert re.match(r"onebrain\.yml(:\d+:\d+)?: \S", problem), problem


@pytest.mark.parametrize(("content", "line"), [(c[1], c[2]) for c in CASES if c[2]],
                         ids=[c[0] for c in CASES if c[2]])
def test_load_project_raises_with_the_same_lines(tmp_path: Path, content: str | bytes,
                                                  line: int) -> None:
    from brain.errors import SpecInvalid
    from brain.spec.loader import load_project

    spec = tmp_path / "onebrain.yml"
    spec.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SpecInvalid) as raised:
        load_project(tmp_path)
    assert raised.value.exit_code == 2
    assert any(f"onebrain.yml:{line}:" in problem for problem in raised.value.problems)

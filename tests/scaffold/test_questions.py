"""brain.scaffold.questions: which answer wins, what is refused, where the project goes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brain.errors import InvalidInput
from brain.scaffold.questions import choose_project_identity, choose_template, merge_given


class NoInput:
    """What `--no-input` does: every question takes its default (checked)."""

    interactive = False

    def __call__(self, label: str, default: Any, check: Callable[[str], Any] | None = None) -> Any:
        return check(default) if check is not None and default is not None else default


def test_flags_win_over_set() -> None:
    given = merge_given({"name": "from-set", "port": "9000"}, {"name": "from-flag",
                                                                "author": None})
    assert given == {"name": "from-flag", "port": "9000"}


def test_template_answers_and_target(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    chosen = choose_template(None, {"name": "churn", "template": "api", "port": "9001",
                                    "author": "A <a@example.com>"}, NoInput())
    assert chosen.template.name == "api" and chosen.target == tmp_path / "churn"
    assert chosen.answers.name == "churn" and chosen.answers.namespace == "default"
    assert chosen.answers.extra["port"] == 9001
    named = choose_template(tmp_path / "My Folder", {"template": "basic"}, NoInput())
    assert named.answers.name == "my-folder" and named.target == tmp_path / "My Folder"


@pytest.mark.parametrize(("given", "message"), [
    ({"name": "x", "template": "basic"}, "exclude each other"),
    ({"name": "x", "port": "1"}, "unknown answer(s) for --project: port"),
    ({"name": "Not A Name"}, "name"),
])
def test_project_identity_refusals(given: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        choose_project_identity(None, given, NoInput())


def test_project_identity_keeps_the_namespace_unless_given(tmp_path: Path) -> None:
    kept = choose_project_identity(tmp_path / "copy", {"author": "A"}, NoInput())
    assert (kept.name, kept.namespace, kept.description) == ("copy", None, None)
    moved = choose_project_identity(None, {"name": "c", "namespace": "team"}, NoInput())
    assert moved.namespace == "team" and moved.target == Path.cwd() / "c"

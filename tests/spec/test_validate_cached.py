"""`brain validate` answers a spec it validated before from the cache (no pydantic), and a
changed spec is validated again, problems located as ever."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

SPEC = "name: cached\nversion: 0.1.0\nentry_points:\n  main:\n    command: python -c pass\n"


def _validate(project: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "brain", "validate",
                           str(project)], env=env, capture_output=True, text=True, check=False)


def test_a_spec_valid_before_is_answered_without_pydantic(
        make_project: Callable[..., Path]) -> None:
    spec = f"# {uuid.uuid4().hex}\n{SPEC}"  # unseen: the test cache outlives a session
    project = make_project({"onebrain.yml": spec})
    first = _validate(project)
    assert first.returncode == 0 and "ok:" in first.stdout
    assert " pydantic" in first.stderr  # validated for real the first time
    second = _validate(project)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert " pydantic" not in second.stderr

    (project / "onebrain.yml").write_text(spec + "bogus: 1\n")
    changed = _validate(project)
    assert changed.returncode == 2
    assert "onebrain.yml:7:1: bogus: unknown key 'bogus'" in changed.stderr

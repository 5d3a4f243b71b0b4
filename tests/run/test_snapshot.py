"""The run path's spec snapshot: same plans as a full load, invalidated by any edit, and no
pydantic or Jinja imported by `brain run` of an unchanged spec."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.errors import SpecInvalid
from brain.runs.plan import plan_run
from brain.runs.snapshot import _cache_file, load_snapshot
from brain.spec.loader import load_project
from tests.conftest import Result
from tests.run.conftest import REPO_ROOT

FIT_MODEL = REPO_ROOT / "examples" / "fit-model"
GIVEN = {"query_historical_data": {"ds": "2022-01-01"}, "fit models": {"alpha": "0.25"},
         "main": {"ds": "2023-03-04"}}


def plan_fields(project: object, entry: str) -> tuple[object, ...]:
    plan = plan_run(project, entry, GIVEN[entry], run_id="00ff")  # type: ignore[arg-type]
    return (plan.entry_name, plan.entry_type, dict(plan.parameters), plan.command, plan.argv,
            dict(plan.variables), plan.cwd, plan.port, plan.inputs, plan.outputs)


@pytest.mark.parametrize("entry", sorted(GIVEN))
def test_cached_snapshot_plans_like_the_full_spec(entry: str) -> None:
    first = load_snapshot(FIT_MODEL)  # validates, then caches
    assert _cache_file(first.spec_hash).is_file()
    cached = load_snapshot(FIT_MODEL)
    assert "project" not in cached.__dict__  # came from the cache, not from pydantic
    full = load_project(FIT_MODEL)
    assert plan_fields(cached, entry) == plan_fields(full, entry)
    assert cached.spec_hash == full.spec_hash
    assert cached.spec.name == "fit-model"  # the full spec is still there on demand


def test_an_edit_is_validated_again(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": "name: a\nversion: 0.1.0\n"})
    load_snapshot(root)
    (root / "onebrain.yml").write_text("name: a\nversion: 0.1.0\nentry_pionts: {}\n")
    with pytest.raises(SpecInvalid) as caught:
        load_snapshot(root)
    assert "entry_pionts" in caught.value.problems[0]


def test_a_damaged_cache_file_is_ignored(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": "name: a\nversion: 0.1.0\n"})
    digest = load_snapshot(root).spec_hash
    _cache_file(digest).write_text("{not json")
    assert load_snapshot(root).name == "a"
    _cache_file(digest).write_text(json.dumps({"format": 1, "brain": "0.0.0", "spec": {}}))
    assert load_snapshot(root).name == "a"
    assert json.loads(_cache_file(digest).read_text())["data"]["spec"]["name"] == "a"


# Imported only on the branches that need them (each costs `brain run` a millisecond or more):
# OpenSSL's hashlib only for declared inputs/outputs (stamps and keys use
# brain.file_hashes.small_sha256), file-writing helpers only when building, the cache and
# pipeline modules only for outputs or depends_on, the lock only when the stamp alone cannot
# say the environment is ready, the R library only for a project that declares env.r.
LAZY_ON_RUN = frozenset({
    "shutil", "tempfile", "hashlib", "brain.runs.cache", "brain.runs.pipeline",
    "brain.runs.dry_run", "brain.envs.lock", "brain.envs.locking", "brain.envs.interpreters",
    "brain.rlang.library", "getpass", "datetime",
})


def test_run_of_an_unchanged_spec_imports_no_heavy_library(
        brain: Callable[..., Result], ready_project: Callable[..., Path],
        tmp_path: Path) -> None:
    root = ready_project({"onebrain.yml": """
        name: light
        version: 0.1.0
        entry_points:
          main:
            command: python -c pass {{ x }}
            parameters: {x: {type: int, default: 1}}
    """})
    assert brain("run", str(root), "--no-setup").exit_code == 0  # validates and caches
    report = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from brain.cli import main\n"
        "try:\n"
        f"    main(['run', {str(root)!r}, '--no-setup'])\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "               ('pydantic', 'jinja2', 'yaml', 'rich', 'git', 'docker', 'virtualenv'))\n"
        f"lazy = sorted(m for m in {sorted(LAZY_ON_RUN)!r} if m in sys.modules)\n"
        f"open({str(report)!r}, 'w').write(json.dumps([code, heavy, lazy]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(report.read_text()) == [0, [], []]

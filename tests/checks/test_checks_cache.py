"""The run cache and data checks: a changed check rule is a changed key (the data is checked
again), while entry points without checks keep the keys they had."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from brain.runs.cache import cache_key
from brain.runs.plan import plan_run
from brain.runs.snapshot import load_snapshot

SPEC = """\
name: cached
version: 0.1.0
entry_points:
  main:
    type: python
    script: run.py
    inputs: [data/in.csv]
    outputs: [out/result.csv]
{checks}
"""
CHECKS = """\
    checks:
      - table: data/in.csv
        columns:
          price: {{dtype: float, min: {low}}}
"""


def _key(make_project: Callable[..., Path], checks: str) -> str:
    root = make_project({"onebrain.yml": SPEC.format(checks=checks), "run.py": "",
                         "data/in.csv": "price\n1.5\n"}, name="same")
    plan = plan_run(load_snapshot(root), "main", {}, run_id="fixed")
    return cache_key(plan, "env-identity").key


def test_a_changed_check_rule_changes_the_cache_key(make_project: Callable[..., Path]) -> None:
    none = _key(make_project, "")
    low = _key(make_project, CHECKS.format(low=0))
    high = _key(make_project, CHECKS.format(low=1))
    assert len({none, low, high}) == 3
    assert _key(make_project, CHECKS.format(low=0)) == low  # stable for the same rule
    assert _key(make_project, "") == none

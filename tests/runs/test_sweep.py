"""`brain run --sweep`: the cartesian product, validated up front, each point a recorded run
with its own folder and metrics, grouped under a sweep id; Ctrl-C stops every point."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.errors import InvalidInput
from brain.runs.store import RunStore
from brain.runs.sweep import parse_axes, plan_sweep
from tests.conftest import Result
from tests.run.conftest import build_environment, start_brain, wait_for

SPEC = """
name: sweeper
version: 0.1.0
entry_points:
  fit:
    type: python
    script: fit.py
    metrics: metrics.json
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1}
      mode: {type: choice, choices: [fast, full], default: fast}
      wait: {type: float, default: 0}
  prep:
    type: bash
    command: "true"
  after:
    type: bash
    command: "true"
    depends_on: [prep]
"""

# Writes an output file and its metrics into the run's own folder, as documented; the
# output file has the same name for every point, so points sharing a folder would clash.
FIT = """
import json, os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
alpha = float(args["--alpha"])
time.sleep(float(args["--wait"]))
out = os.environ["BRAIN_RUN_DIR"]
with open(os.path.join(out, "model.txt"), "w") as handle:
    handle.write(f"alpha={alpha} mode={args['--mode']}\\n")
with open(os.path.join(out, "metrics.json"), "w") as handle:
    json.dump({"loss": round((alpha - 0.3) ** 2, 6), "alpha_seen": alpha}, handle)
print("fitted", alpha, args["--mode"], flush=True)
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project({"onebrain.yml": SPEC, "fit.py": FIT})
    build_environment(root)
    return root


def test_parse_axes_refuses_bad_forms() -> None:
    assert parse_axes(["alpha=0.1,0.3", "mode=fast"]) == {"alpha": ["0.1", "0.3"],
                                                           "mode": ["fast"]}
    for bad in (["alpha"], ["=1,2"], ["alpha=1", "alpha=2"]):
        with pytest.raises(InvalidInput):
            parse_axes(bad)


def test_every_value_is_checked_before_anything_runs(make_project: Callable[..., Path]) -> None:
    from brain.runs.snapshot import load_snapshot

    loaded = load_snapshot(make_project({"onebrain.yml": SPEC, "fit.py": FIT}))
    with pytest.raises(InvalidInput, match="alpha") as caught:
        plan_sweep(loaded, "fit", {}, {"alpha": ["0.1", "7", "x"], "mode": ["fast"]})
    assert "7" in caught.value.message and "'x'" in caught.value.message
    with pytest.raises(InvalidInput, match="mode"):
        plan_sweep(loaded, "fit", {}, {"mode": ["fast", "slow"]})
    with pytest.raises(InvalidInput, match="both"):
        plan_sweep(loaded, "fit", {"alpha": "0.1"}, {"alpha": ["0.2"]})
    with pytest.raises(InvalidInput, match="prerequisites"):
        plan_sweep(loaded, "after", {}, {"x": ["1"]})
    with pytest.raises(InvalidInput, match="more than"):
        plan_sweep(loaded, "fit", {}, {"alpha": ["0.1"] * 200, "wait": ["0"] * 200})
    sweep = plan_sweep(loaded, "fit", {"wait": "0"}, {"alpha": ["0.1", "0.9"],
                                                      "mode": ["fast", "full"]})
    assert [dict(plan.parameters) for plan in sweep.plans] == [
        {"alpha": 0.1, "mode": "fast", "wait": 0.0}, {"alpha": 0.1, "mode": "full", "wait": 0.0},
        {"alpha": 0.9, "mode": "fast", "wait": 0.0}, {"alpha": 0.9, "mode": "full", "wait": 0.0}]
    assert len({plan.run_id for plan in sweep.plans}) == 4


def test_an_invalid_sweep_runs_nothing(brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "--sweep", "alpha=0.1,2")
    assert result.exit_code == 2
    assert "alpha" in result.stderr
    with RunStore() as store:
        assert store.count() == 0


def test_six_point_sweep_in_parallel(brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "--sweep", "alpha=0.1,0.3,0.9",
                   "--sweep", "mode=fast,full", "--parallel", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    runs = data["runs"]
    assert len(runs) == 6
    assert {run["sweep"] for run in runs} == {data["sweep"]}
    seen = {(run["parameters"]["alpha"], run["parameters"]["mode"]) for run in runs}
    assert seen == {(a, m) for a in (0.1, 0.3, 0.9) for m in ("fast", "full")}
    for run in runs:
        alpha, mode = run["parameters"]["alpha"], run["parameters"]["mode"]
        assert run["status"] == "succeeded"
        assert run["metrics"] == {"loss": round((alpha - 0.3) ** 2, 6), "alpha_seen": alpha}
        # Each point's own file, in its own folder, kept with its record.
        own = Path(run["stdout_log"]).parent
        assert (own / "model.txt").read_text() == f"alpha={alpha} mode={mode}\n"
        assert Path(run["stdout_log"]).read_text() == f"fitted {alpha} {mode}\n"
    # Points running at once have their output prefixed on stderr.
    assert "[alpha=0.1 mode=fast] fitted 0.1 fast" in result.stderr

    listed = brain("runs", "list", "--sweep", data["sweep"], "--json")
    assert sorted(run["id"] for run in json.loads(listed.stdout)) == \
        sorted(run["id"] for run in runs)
    assert json.loads(brain("runs", "list", "--sweep", "0000", "--json").stdout) == []


def test_closing_table_compares_points(brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "--sweep", "alpha=0.3,0.9")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # Piped output: tab-separated table after the points' own lines.
    header = next(line for line in lines if line.startswith("RUN\t"))
    assert header.split("\t") == ["RUN", "STATUS", "alpha", "alpha_seen", "loss"]
    rows = [line.split("\t") for line in lines[lines.index(header) + 1:]]
    assert [(row[2], row[3], row[4]) for row in rows] == [("0.3", "0.3", "0"),
                                                          ("0.9", "0.9", "0.36")]
    shown = brain("runs", "show", rows[1][0])
    assert "metrics" in shown.stdout and "loss=0.36" in shown.stdout
    diff = brain("runs", "diff", rows[0][0], rows[1][0], "--json")
    changes = json.loads(diff.stdout)["differences"]["metrics"]
    assert {"name": "loss", "old": 0, "new": 0.36} in changes


def test_a_failing_point_fails_the_sweep_but_all_run(brain: Callable[..., Result],
                                                      project: Path) -> None:
    (project / "fit.py").write_text(FIT + "\nif alpha > 0.5: sys.exit(4)\n")
    result = brain("run", str(project), "-e", "fit", "--sweep", "alpha=0.1,0.9,0.2",
                   "--json")
    assert result.exit_code == 4
    statuses = [run["status"] for run in json.loads(result.stdout)["runs"]]
    assert statuses == ["succeeded", "failed", "succeeded"]


def test_ctrl_c_stops_every_running_point(project: Path) -> None:
    brain_process = start_brain("run", str(project), "-e", "fit", "--sweep",
                                "alpha=0.1,0.2,0.3", "-P", "wait=60", "--parallel", "3")
    try:
        def all_started() -> bool:
            with RunStore() as store:
                return len(store.list(status="running")) == 3

        wait_for(all_started, timeout=60, what="three running points")
        brain_process.send_signal(signal.SIGINT)
        brain_process.communicate(timeout=60)
    finally:
        if brain_process.poll() is None:
            brain_process.kill()
    assert brain_process.returncode == 130
    with RunStore() as store:
        assert sorted(r.status for r in store.list()) == ["interrupted"] * 3

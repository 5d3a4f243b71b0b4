"""`type: r` entry points with the real Rscript: typed parameters as `--name value` arguments
and as BRAIN_PARAM_<name> variables, read back typed by the helper the templates ship."""

from __future__ import annotations

import json
from pathlib import Path

from brain.rlang.library import STAMP_NAME

REPO = Path(__file__).resolve().parents[2]
HELPER = (REPO / "brain" / "rlang" / "brain.R").read_text()

SPEC = """
name: typed
version: 0.1.0
entry_points:
  fit:
    type: r
    script: R/fit.R
    parameters:
      horizon: {type: int, default: 7, min: 1}
      rate: {type: float, default: 0.5}
      verbose: {type: bool, default: false}
      ds: {type: date}
      label: {type: str, default: "a b"}
"""

FIT = """
source("R/brain.R")
p <- brain_params()
out <- list(
  args = commandArgs(trailingOnly = TRUE),
  classes = lapply(p, function(v) class(v)[1]),
  horizon_plus_one = p$horizon + 1L,
  rate = p$rate, verbose = p$verbose, next_day = format(p$ds + 1), label = p$label,
  raw = Sys.getenv("BRAIN_PARAM_label"),
  default = brain_param("absent", "fallback"))
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE), "out.json")
"""


def _project(make_project) -> Path:  # type: ignore[no-untyped-def]
    return make_project({"onebrain.yml": SPEC, "R/fit.R": FIT, "R/brain.R": HELPER})


def test_parameters_arrive_as_arguments_and_typed_variables(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = _project(make_project)
    result = brain("run", "-e", "fit", "-P", "horizon=3", "-P", "ds=2024-02-28",
                   "-P", "verbose=true", "-P", "label=x; rm -rf $HOME", str(root))
    assert result.exit_code == 0, result.output
    out = json.loads((root / "out.json").read_text())
    assert out["args"] == ["--horizon", "3", "--rate", "0.5", "--verbose", "true",
                           "--ds", "2024-02-28", "--label", "x; rm -rf $HOME"]
    assert out["classes"] == {"horizon": "integer", "rate": "numeric", "verbose": "logical",
                              "ds": "Date", "label": "character"}
    assert out["horizon_plus_one"] == 4
    assert out["verbose"] is True and out["rate"] == 0.5
    assert out["next_day"] == "2024-02-29"
    assert out["label"] == out["raw"] == "x; rm -rf $HOME"
    assert out["default"] == "fallback"


def test_the_record_and_dry_run_show_rscript(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = _project(make_project)
    dry = brain("run", "-e", "fit", "-P", "ds=2024-01-01", "--dry-run", "--json", str(root))
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["argv"][:4] == ["Rscript", "--no-save", "--no-restore", "R/fit.R"]
    assert shown["variables"]["BRAIN_PARAM_horizon"] == "7"
    assert shown["variables"]["BRAIN_PARAM_TYPES"] == ("horizon:int,rate:float,verbose:bool,"
                                                 "ds:date,label:str")


def test_the_helper_reads_arguments_when_run_by_hand(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "R").mkdir()
    (tmp_path / "R" / "brain.R").write_text(HELPER)
    (tmp_path / "show.R").write_text('source("R/brain.R"); p <- brain_params(); '
                                     'cat(p$who, p$times, p$flag, "\\n")')
    shown = subprocess.run(["Rscript", "--vanilla", "show.R", "--who", "Ada", "--times=2",
                            "--flag", "-1"], cwd=tmp_path, capture_output=True, text=True,
                           check=True)
    assert shown.stdout.strip() == "Ada 2 -1"


def test_a_failing_r_script_fails_the_run(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": """
        name: failing
        version: 0.1.0
        entry_points:
          main: {type: r, script: main.R}
        """, "main.R": 'stop("the model diverged")\n'})
    result = brain("run", str(root))
    assert result.exit_code == 1
    assert "the model diverged" in result.output
    assert not (root / ".brain" / "r-library" / STAMP_NAME).exists()  # no env.r: no library

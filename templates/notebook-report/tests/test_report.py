"""The notebook's code, run without Jupyter: parameters cell, injected values, then the rest."""

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "report.ipynb"


def code_cells() -> list[dict]:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def run_analysis(**overrides: object) -> dict:
    """Execute the parameters cell, the overrides (as brain injects them) and the analysis."""
    namespace: dict = {}
    cells = code_cells()
    exec("".join(cells[0]["source"]), namespace)
    namespace.update(overrides)
    exec("".join(cells[1]["source"]), namespace)
    return namespace


def test_the_first_code_cell_is_tagged_parameters() -> None:
    assert "parameters" in code_cells()[0]["metadata"]["tags"]


def test_defaults() -> None:
    result = run_analysis()
    assert len(result["rows"]) == 14
    assert result["rows"][0][1] == 100.0


def test_injected_parameters_change_the_report() -> None:
    result = run_analysis(ds="2024-02-28", days=3, growth=0.0)
    assert [str(day) for day, _ in result["rows"]] == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert result["total"] == 300.0

"""`type: notebook`: a .ipynb executed by papermill in the project's environment, rendered
to HTML, with a provenance record (see brain.notebooks.execute for the run itself)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from brain.entrypoints.base import BackendTraits, EntryFields, EntryProblem, EntryType, Produced
from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot, RunPlan
    from brain.runs.record import RunRecord


class NotebookEntry(EntryType):
    """The driver script runs the notebook; the report lands in .brain/reports/RUN_ID/."""

    name = "notebook"
    fields = frozenset({"notebook", "kernel"})
    schema_rule: ClassVar[dict[str, object] | None] = {"required": ["notebook"]}
    produces_report = True
    json_parameters = True  # papermill injects lists, dicts and null as such
    # Pinned versions that install from wheels on Python 3.11, added to the environment (and
    # so to its identity and lock) only when a notebook entry point is declared.
    requirements: ClassVar[Mapping[str, str]] = {
        "papermill": "papermill==2.7.0",
        "nbconvert": "nbconvert==7.17.2",
        # 6.29 rather than 7.x: 7.x warns on every start that its TCP transport is unencrypted.
        "ipykernel": "ipykernel==6.29.5",
    }

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """A `notebook:` naming a .ipynb file."""
        if entry.notebook is None:
            return [EntryProblem("a notebook entry point needs 'notebook: path/to/file.ipynb'",
                                 None, key=True)]
        if not entry.notebook.endswith(".ipynb"):
            return [EntryProblem(f"expected a .ipynb file, got {entry.notebook!r}", "notebook")]
        if entry.kernel is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
                                                         entry.kernel):
            return [EntryProblem(f"{entry.kernel!r} is not a Jupyter kernel name (e.g. python3, "
                                 "ir)", "kernel")]
        return []

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """papermill's spelling for the record; the driver's argv to run."""
        from brain.notebooks.execute import notebook_command

        return notebook_command(name, entry, values)

    def prepare(self, plan: RunPlan, backend: BackendTraits) -> None:
        """The notebook exists inside the project, and the backend keeps the report."""
        from brain.notebooks.execute import check_notebook, prepare_report_dir

        check_notebook(plan, plan.entry.notebook)
        if not backend.keeps_run_files:
            # The image bakes the code in and keeps nothing a run writes: the driver and the
            # report folder would both be missing there.
            raise InvalidInput(f"notebook entry point {plan.entry_name!r} cannot run with the "
                               f"{backend.name} backend yet", hint="use --backend venv")
        prepare_report_dir(plan.project.root, plan.run_id)

    def after_run(self, plan: RunPlan, record: RunRecord) -> Produced:
        """Write provenance.json; the HTML report, and the failing cell when one failed."""
        from brain.notebooks.execute import write_provenance

        notebook = plan.entry.notebook
        if not notebook:
            return Produced()
        outcome = write_provenance(plan, notebook, record)
        message = None
        if outcome.error and record.status == "failed":
            kept = f"; the partial notebook is kept: {outcome.notebook}" if outcome.notebook \
                else ""
            message = f"{outcome.error}{kept}"
        return Produced(outcome.html, message)

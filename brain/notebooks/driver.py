"""Execute one notebook with papermill and render it as HTML (run INSIDE the project's env).

This file is a standalone script: it imports nothing from brain (brain is not installed in the
project's environment), only papermill and nbconvert, which brain adds to that environment.

    python driver.py NOTEBOOK REPORTS_DIR PARAMETERS_JSON [KERNEL]   (with BRAIN_RUN_ID set)

Writes into REPORTS_DIR/$BRAIN_RUN_ID: the executed notebook (kept when a cell fails, up to
that cell), the standalone HTML, and `timings.json` (seconds spent executing and rendering,
and the failing cell's error when there is one). The notebook runs in its own folder, as it
does in Jupyter, so its relative paths mean the same in both. Exits 0 on success, 1 when a
cell failed, 2 on bad usage.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    """Execute, render, and say how it went."""
    run_id = os.environ.get("BRAIN_RUN_ID", "")
    if len(argv) not in (3, 4) or not run_id or "/" in run_id:
        print("usage: BRAIN_RUN_ID=ID driver.py NOTEBOOK REPORTS_DIR PARAMETERS_JSON [KERNEL]",
              file=sys.stderr)
        return 2
    notebook, report_dir = Path(argv[0]).resolve(), Path(argv[1]).resolve() / run_id
    if not notebook.is_file():
        print(f"notebook {argv[0]} not found in {os.getcwd()}", file=sys.stderr)
        return 2
    parameters: dict[str, Any] = json.loads(argv[2])
    report_dir.mkdir(parents=True, exist_ok=True)
    executed = report_dir / notebook.name
    html = executed.with_suffix(".html")
    # The kernel must be this environment's Python, whatever the notebook's metadata names;
    # connection files go to a private folder (a read-only or shared HOME must not matter).
    os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
    os.environ.setdefault("JUPYTER_RUNTIME_DIR", tempfile.mkdtemp(prefix="brain-jupyter-"))
    _show_cell_output()
    timings: dict[str, Any] = {"notebook": executed.name, "html": html.name}
    kernel = argv[3] if len(argv) == 4 else "python3"  # `ir`: IRkernel, for R notebooks
    error = _execute(notebook, executed, parameters, timings, kernel)
    if executed.is_file():
        started = time.perf_counter()
        _render(executed, html)
        timings["render_seconds"] = round(time.perf_counter() - started, 3)
    if error is not None:
        timings["error"] = error
    (report_dir / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")
    if error is not None:
        cell = f"cell In [{error['cell']}]" if error.get("cell") is not None else "the notebook"
        if error["name"] == "KeyboardInterrupt":  # Ctrl-C reached the kernel: no traceback
            print(f"\ninterrupted in {cell}", file=sys.stderr)
            return INTERRUPTED
        print(f"\n{cell} failed: {error['name']}: {error['value']}", file=sys.stderr)
        for line in error.get("traceback", []):
            print(line, file=sys.stderr)
        return 1
    return 0


def _execute(notebook: Path, executed: Path, parameters: dict[str, Any],
             timings: dict[str, Any], kernel: str) -> dict[str, Any] | None:
    """Run the notebook with papermill; the failing cell's error, or None."""
    # Installed in the project's environment, not beside brain: no stubs to check against.
    import papermill  # type: ignore[import-not-found,unused-ignore]
    from papermill.exceptions import PapermillExecutionError  # type: ignore[import-not-found,unused-ignore]

    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook), str(executed), parameters=parameters, kernel_name=kernel,
            cwd=str(notebook.parent), progress_bar=False, log_output=True,
        )
    except PapermillExecutionError as failure:
        return {"cell": failure.exec_count, "name": failure.ename, "value": failure.evalue,
                "traceback": [_plain(line) for line in failure.traceback]}
    finally:
        timings["execute_seconds"] = round(time.perf_counter() - started, 3)
    return None


def _show_cell_output() -> None:
    """Stream what cells print as they run (papermill logs it), without its cell markers."""
    import logging

    class CellOutput(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            text = record.getMessage()
            return not text.startswith(_PAPERMILL_CHATTER) and not _BARE_REPR.match(text)

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(CellOutput())
    logger = logging.getLogger("papermill")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


_PAPERMILL_CHATTER = ("Executing Cell", "Ending Cell", "Executing notebook", "Input Notebook",
                      "Output Notebook", "Working directory")
# What a rich output (HTML, a figure) says as plain text: `<IPython.core.display.HTML object>`,
# `<Figure size 640x480 with 1 Axes>`. Noise on a terminal; the report shows the real thing.
_BARE_REPR = re.compile(r"\s*<(?:[A-Za-z_][\w.]* object|Figure size [^<>]*)>\s*\Z")
INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C


def _render(executed: Path, html: Path) -> None:
    import nbformat  # type: ignore[import-not-found,unused-ignore]
    from nbconvert import HTMLExporter  # type: ignore[import-not-found,unused-ignore]

    node = nbformat.read(str(executed), as_version=4)
    body, _ = HTMLExporter().from_notebook_node(node)  # CSS inlined: one standalone file
    html.write_text(body, encoding="utf-8")


def _plain(text: str) -> str:
    """A traceback line without its ANSI colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _main_interruptible(argv: list[str]) -> int:
    """`main`, where Ctrl-C outside a cell (starting the kernel, rendering) is one line."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        import logging

        # nbclient's cell task ends with the kernel's KeyboardInterrupt; asyncio would log
        # it ("Task exception was never retrieved") with two tracebacks as Python exits.
        logging.getLogger("asyncio").disabled = True
        print("\ninterrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(_main_interruptible(sys.argv[1:]))

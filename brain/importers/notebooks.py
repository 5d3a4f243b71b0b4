"""A folder of notebooks: one notebook entry point per `.ipynb` (checkpoints excepted)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from brain.importers.base import Imported, Importer, entry_name, spec_head

MAX_NOTEBOOKS = 200


class NotebooksImporter(Importer):
    """Notebooks, each run with papermill-style parameters."""

    name = "notebooks"
    looks_for = ".ipynb files"

    def detect(self, root: Path) -> bool:
        """At least one notebook at the top or in a `notebooks/` folder."""
        return bool(_notebooks(root))

    def read(self, root: Path) -> Imported:
        """One entry point per notebook, named after its file."""
        unmapped: list[str] = []
        entries: dict[str, Any] = {}
        for relative in _notebooks(root):
            name = re.sub(r"[^A-Za-z0-9._ -]+", "-", Path(relative).stem).strip(" -")[:64]
            if not entry_name(name) or name in entries:
                unmapped.append(f"{relative}: no usable entry point name; skipped")
                continue
            entries[name] = {"type": "notebook", "notebook": relative}
        unmapped.append("notebook parameters: tag a cell `parameters` and declare each one "
                        "under the entry point's `parameters:`")
        return Imported({**spec_head(root, None), "entry_points": entries}, unmapped,
                        self.name)


def _notebooks(root: Path) -> list[str]:
    found = []
    for folder in (root, root / "notebooks"):
        if folder.is_dir() and not folder.is_symlink():
            found += [path.relative_to(root).as_posix() for path in sorted(folder.glob("*.ipynb"))
                      if path.is_file() and not path.is_symlink()]
    return found[:MAX_NOTEBOOKS]

"""A table check: a CSV or Parquet file validated by a pandera schema (inline `columns:` or
a schema file in the project), in chunks so a large file is never held whole in memory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from brain.checks.base import AFTER, BEFORE, CheckItem, Problem
from brain.checks.paths import project_file

# Pinned versions that install from wheels on CPython 3.9-3.13, added to the environment (and
# so to its identity and lock) only when a table check is declared; pyarrow only for Parquet,
# pandera's io extra (its YAML reader) only for a YAML schema.
PANDERA = "pandera[pandas]==0.26.1"
PANDERA_IO = "pandera[io,pandas]==0.26.1"
PANDAS = "pandas==2.2.3"
PYARROW = "pyarrow==21.0.0"

TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet", ".pq")
SCHEMA_SUFFIXES = (".yml", ".yaml", ".py")


def table_format(path: str) -> str | None:
    """"csv", "tsv" or "parquet" from the file name, else None."""
    lowered = path.lower()
    if lowered.endswith((".csv", ".csv.gz")):
        return "csv"
    if lowered.endswith(".tsv"):
        return "tsv"
    if lowered.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def split_schema(value: str) -> tuple[str, str]:
    """(file, attribute) of `schema: file.py:NAME` (attribute `schema` by default)."""
    if value.endswith(".py") or ":" not in value:
        return value, "schema"
    file, _, name = value.rpartition(":")
    return file, name


class TableCheck:
    """`table:` with `columns:` or `schema:`."""

    name: ClassVar[str] = "table"

    def owns(self, declared: Mapping[str, Any]) -> bool:
        """A check naming a table."""
        return declared.get("table") is not None

    def item(self, declared: Mapping[str, Any], inputs: tuple[str, ...],
             outputs: tuple[str, ...]) -> CheckItem:
        """The typed check; `when` follows the table's role unless declared."""
        table = str(declared["table"])
        when = declared.get("when") or (AFTER if table in outputs and table not in inputs
                                        else BEFORE)
        schema = declared.get("schema_file", declared.get("schema"))
        columns = declared.get("columns")
        return CheckItem(kind=self.name, target=table, when=str(when),
                         schema_file=str(schema) if schema is not None else None,
                         columns=dict(columns) if isinstance(columns, Mapping) else None,
                         strict=bool(declared.get("strict", False)))

    def problems(self, declared: Mapping[str, Any], inputs: tuple[str, ...],
                 outputs: tuple[str, ...]) -> list[Problem]:
        """One schema (inline or a file), a table format, a known role, bounds in order."""
        problems: list[Problem] = []
        table = str(declared["table"])
        if table_format(table) is None:
            problems.append(Problem(f"{table!r} is not a CSV or Parquet file (expected "
                                    f"{', '.join(TABLE_SUFFIXES)})", "table"))
        if declared.get("tests") is not None:
            problems.append(Problem("a check takes either 'table' or 'tests', not both",
                                    "tests"))
        schema = declared.get("schema_file", declared.get("schema"))
        columns = declared.get("columns")
        if schema is None and columns is None:
            problems.append(Problem("a table check needs 'columns:' (an inline schema) or "
                                    "'schema: path' (a pandera schema file)"))
        elif schema is not None and columns is not None:
            problems.append(Problem("give either 'columns' or 'schema', not both", "schema"))
        elif schema is not None:
            file, _ = split_schema(str(schema))
            if not file.endswith(SCHEMA_SUFFIXES):
                problems.append(Problem(f"{file!r} is not a pandera schema file (expected "
                                        ".yml, .yaml or .py)", "schema"))
        if declared.get("when") is None and table not in inputs and table not in outputs:
            problems.append(Problem(f"{table!r} is neither in 'inputs' nor in 'outputs': "
                                    "add it to one, or say when to check it with 'when: "
                                    "before' or 'when: after'", "table"))
        for name, column in (columns or {}).items():
            low, high = column.get("min"), column.get("max")
            if low is not None and high is not None and low > high:
                problems.append(Problem(f"column {name!r}: min ({low}) is above max ({high})",
                                        "columns"))
        return problems

    def requirements(self, item: CheckItem) -> Mapping[str, str]:
        """pandera and pandas; pyarrow for Parquet; pandera's io extra for a YAML schema."""
        needed = {"pandera": PANDERA, "pandas": PANDAS}
        if table_format(item.target) == "parquet":
            needed["pyarrow"] = PYARROW
        if item.schema_file is not None and \
                split_schema(item.schema_file)[0].endswith((".yml", ".yaml")):
            needed["pandera"] = PANDERA_IO
        return needed

    def job(self, item: CheckItem, root: Path) -> dict[str, Any]:
        """The table and schema file, resolved inside the project."""
        job: dict[str, Any] = {
            "kind": self.name, "label": item.label, "when": item.when,
            "path": str(project_file(root, item.target, what="table", must_exist=False)),
            "format": table_format(item.target), "columns": item.columns,
            "strict": item.strict, "schema": None, "schema_name": None,
        }
        if item.schema_file is not None:
            file, attribute = split_schema(item.schema_file)
            job["schema"] = str(project_file(root, file, what="schema"))
            job["schema_name"] = attribute
        return job


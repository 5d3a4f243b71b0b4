"""Run data checks (run INSIDE the project's environment).

This file is a standalone script: it imports nothing from brain (brain is not installed in the
project's environment), only pandera/pandas (pyarrow for Parquet) and pytest, which brain adds
to that environment when checks are declared.

    python driver.py JOB_JSON RESULT_JSON

JOB_JSON holds {"checks": [...], "max_failures": N, "chunk_rows": N}; RESULT_JSON receives
one result per check: status (passed, failed, error), how many values failed, the first
failures (column, check, value, row index), rows checked, seconds. Tables are read in chunks
of `chunk_rows` rows, so memory stays bounded whatever the file's size; uniqueness is checked
across the whole file on the unique columns alone. Exits 0 when results were written (whatever
they say), 2 on bad usage.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from typing import Any

_DTYPES = {"int": "int64", "float": "float64", "str": "str", "bool": "bool",
           "datetime": "datetime64[ns]"}


def main(argv: list[str]) -> int:
    """Run every check of the job and write the results."""
    if len(argv) != 2:
        print("usage: driver.py JOB_JSON RESULT_JSON", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        job = json.load(handle)
    cap = int(job.get("max_failures", 100))
    chunk_rows = int(job.get("chunk_rows", 100_000))
    results = []
    for check in job["checks"]:
        started = time.perf_counter()
        try:
            if check["kind"] == "table":
                result = _table(check, cap, chunk_rows)
            elif check["kind"] == "tests":
                result = _tests(check, cap)
            else:
                result = {"status": "error", "message": f"unknown kind {check['kind']!r}"}
        except Exception as error:  # reported as the check's result, not a driver crash
            result = {"status": "error", "message": f"{type(error).__name__}: {error}"[:2000]}
        result.update(label=check["label"], kind=check["kind"], when=check["when"],
                      seconds=round(time.perf_counter() - started, 3))
        results.append(result)
    temporary = argv[1] + ".part"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"results": results}, handle, default=str)
    os.replace(temporary, argv[1])
    return 0


# -- tables ------------------------------------------------------------------------------


def _schema(check: dict[str, Any]) -> Any:
    """The pandera DataFrameSchema the check names."""
    import pandera.pandas as pa

    if check.get("columns") is not None:
        columns = {name: _column(pa, rules) for name, rules in check["columns"].items()}
        return pa.DataFrameSchema(columns, strict=bool(check.get("strict")))
    path = check["schema"]
    if path.endswith((".yml", ".yaml")):
        return pa.DataFrameSchema.from_yaml(path)
    import importlib.util

    spec = importlib.util.spec_from_file_location("brain_check_schema", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, check["schema_name"], None)
    if found is None:
        raise ValueError(f"{os.path.basename(path)} defines no {check['schema_name']!r}")
    if isinstance(found, type) and hasattr(found, "to_schema"):
        found = found.to_schema()  # a DataFrameModel class
    if not isinstance(found, pa.DataFrameSchema):
        raise ValueError(f"{check['schema_name']!r} in {os.path.basename(path)} is not a "
                         "pandera DataFrameSchema or DataFrameModel")
    return found


def _column(pa: Any, rules: dict[str, Any]) -> Any:
    checks = []
    if rules.get("min") is not None:
        checks.append(pa.Check.ge(rules["min"]))
    if rules.get("max") is not None:
        checks.append(pa.Check.le(rules["max"]))
    if rules.get("isin") is not None:
        checks.append(pa.Check.isin(list(rules["isin"])))
    if rules.get("regex") is not None:
        checks.append(pa.Check.str_matches(rules["regex"]))
    dtype = rules.get("dtype")
    return pa.Column(_DTYPES.get(dtype, dtype) if dtype else None, checks,
                     nullable=bool(rules.get("nullable", False)),
                     unique=bool(rules.get("unique", False)),
                     required=bool(rules.get("required", True)),
                     coerce=bool(rules.get("coerce", False)))


def _chunks(check: dict[str, Any], chunk_rows: int) -> Any:
    """The table in frames of at most `chunk_rows` rows, indexed by row number."""
    import pandas as pd

    path, kind = check["path"], check["format"]
    if kind == "parquet":
        import pyarrow.parquet as pq

        offset = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            frame.index = pd.RangeIndex(offset, offset + len(frame))
            offset += len(frame)
            yield frame
        return
    # read_csv's chunks carry on numbering rows from one chunk to the next.
    yield from pd.read_csv(path, chunksize=chunk_rows, sep="\t" if kind == "tsv" else ",")


def _table(check: dict[str, Any], cap: int, chunk_rows: int) -> dict[str, Any]:
    import pandas as pd
    import pandera.errors as pe

    if not os.path.isfile(check["path"]):
        return {"status": "error", "message": "the table does not exist"}
    schema = _schema(check)
    unique = [name for name, column in schema.columns.items() if column.unique]
    for name in unique:  # checked across chunks below, not chunk by chunk
        schema = schema.update_column(name, unique=False)
    failures: list[dict[str, Any]] = []
    whole_table: set[tuple[str, str, str]] = set()  # reported once, not once per chunk
    count = rows = 0
    kept: dict[str, list[Any]] = {name: [] for name in unique}
    for frame in _chunks(check, chunk_rows):
        rows += len(frame)
        for name in unique:
            if name in frame.columns:
                kept[name].append(frame[name].dropna())
        try:
            schema.validate(frame, lazy=True)
        except pe.SchemaErrors as errors:
            for case in errors.failure_cases.itertuples(index=False):
                index = _plain(case.index)
                if index is None:
                    key = (str(case.column), str(case.check), str(case.failure_case))
                    if key in whole_table:
                        continue
                    whole_table.add(key)
                count += 1
                if len(failures) < cap:
                    failures.append({"column": _plain(case.column), "check": str(case.check),
                                     "value": _plain(case.failure_case), "index": index})
    for name in unique:
        if not kept[name]:
            continue
        values = pd.concat(kept[name])
        repeated = values[values.duplicated(keep=False)]
        count += len(repeated)
        for index, value in repeated.items():
            if len(failures) >= cap:
                break
            failures.append({"column": name, "check": "field_uniqueness",
                             "value": _plain(value), "index": _plain(index)})
    return {"status": "failed" if count else "passed", "failure_count": count,
            "failures": failures, "rows": rows}


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numbers stay numbers, NaN and None become None, the rest text."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            value = str(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else str(value)
    if isinstance(value, (bool, int, float, str)):
        return value
    import pandas as pd

    # pd.isna of a list-like value raises or answers per element: such a value is not missing.
    with contextlib.suppress(TypeError, ValueError):
        if pd.isna(value):
            return None
    return str(value)


# -- test modules ------------------------------------------------------------------------


def _tests(check: dict[str, Any], cap: int) -> dict[str, Any]:
    import pytest

    class Collector:
        def __init__(self) -> None:
            self.failed: list[dict[str, Any]] = []
            self.passed = 0

        def pytest_runtest_logreport(self, report: Any) -> None:
            if report.failed:
                crash = getattr(report.longrepr, "reprcrash", None)
                text = str(getattr(crash, "message", None) or report.longreprtext or "")
                message = " ".join(text.strip().split()) or "failed"
                self.failed.append({"column": None, "check": report.nodeid.split("::", 1)[-1],
                                    "value": message[:300], "index": None})
            elif report.when == "call" and report.passed:
                self.passed += 1

    collector = Collector()
    code = pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", "-rN", check["path"]],
                       plugins=[collector])
    if collector.failed:
        return {"status": "failed", "failure_count": len(collector.failed),
                "failures": collector.failed[:cap], "rows": None}
    if int(code) not in (0,):
        return {"status": "error", "message": f"pytest exited {int(code)} (no tests collected, "
                                              "or the module could not be imported)"}
    return {"status": "passed", "failure_count": 0, "failures": [],
            "message": f"{collector.passed} test(s) passed"}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

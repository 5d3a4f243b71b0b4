"""The `checks:` of an entry point, as spec models: data checks on its inputs and outputs.

Two kinds (brain.checks runs them): a table check (a CSV or Parquet file checked by a pandera
schema written inline as `columns:` or kept in a file named by `schema:`) and a test module
(`tests:`, a pytest file of data tests). Which fields go together is checked in
`brain.checks.spec_problems`, so every mistake is a located error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, field_validator

# Column types a table check names, as pandas spells them (aliases map to one of these).
COLUMN_TYPES = ("int", "int8", "int16", "int32", "int64", "float", "float32", "float64",
                "str", "string", "bool", "boolean", "datetime", "category")
ColumnType = Literal["int", "int8", "int16", "int32", "int64", "float", "float32", "float64",
                     "str", "string", "bool", "boolean", "datetime", "category"]
Scalar = str | int | float | bool | date
_CAP = 64  # names and patterns are short: they end up in tables and error lines


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ColumnCheck(_Model):
    """What one column of a table must hold."""

    dtype: ColumnType | None = Field(None, description="The column's type (pandas).")
    nullable: StrictBool = Field(False, description="Allow missing values.")
    unique: StrictBool = Field(False, description="No value twice (checked across the file).")
    required: StrictBool = Field(True, description="The column must be present.")
    coerce: StrictBool = Field(
        False, description="Convert the column to `dtype` before checking (CSV dates).")
    min: StrictFloat | None = Field(None, description="Smallest allowed value.")
    max: StrictFloat | None = Field(None, description="Largest allowed value.")
    isin: tuple[Scalar, ...] | None = Field(None, description="The allowed values.")
    regex: Annotated[str, Field(max_length=512)] | None = Field(
        None, description="A regular expression every value must match from its start.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a regular expression: {error}") from None
        return value


class DataCheck(_Model):
    """One data check: a table against a schema, or a pytest module of data tests."""

    table: str | None = Field(
        None, description="A CSV or Parquet file the entry point reads (an input: checked "
        "before the run) or writes (an output: checked after it).")
    columns: dict[Annotated[str, Field(min_length=1, max_length=_CAP)], ColumnCheck] | None = \
        Field(None, description="table: an inline pandera schema, column name -> rules.")
    schema_file: str | None = Field(
        None, alias="schema", description="table: a pandera schema file in the project "
        "(.yml/.yaml written by pandera, or a .py module defining `schema`; `file.py:NAME`).")
    strict: StrictBool = Field(False, description="table: refuse columns not declared.")
    tests: str | None = Field(
        None, description="A pytest module of data tests, run in the project's environment.")
    when: Literal["before", "after"] | None = Field(
        None, description="before or after the entry point runs (default: before for an "
        "input table, after for an output table and for tests).")

    def as_json(self) -> dict[str, Any]:
        """The JSON form the run path keeps (brain.runs.snapshot)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

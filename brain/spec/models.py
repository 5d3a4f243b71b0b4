"""The onebrain.yml spec as frozen pydantic models: the single source of truth.

`onebrain.schema.json` is generated from these models (`brain schema`); never edit it by hand.
Checks that need more than one field (name collisions, templates, cycles, defaults against
their own type) live in `brain.spec.checks`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

# normalize_entry_name is re-exported: tests and older callers import it from here.
from brain.entry_names import find_declared
from brain.entry_names import normalize_entry_name as normalize_entry_name
from brain.entrypoints import BUILTIN, type_names
from brain.rlang.specifiers import NAME_PATTERN as R_NAME_PATTERN
from brain.spec.data_checks import DataCheck
from brain.spec.data_models import DataSection

# The names grammar (brain.spec.names), re-exported: callers import it from here.
from brain.spec.names import ENTRY_NAME_PATTERN as ENTRY_NAME_PATTERN
from brain.spec.names import ENV_VAR_PATTERN as ENV_VAR_PATTERN
from brain.spec.names import IDENTIFIER_PATTERN as IDENTIFIER_PATTERN
from brain.spec.names import NAME_PATTERN as NAME_PATTERN
from brain.spec.names import entry_name_problem as entry_name_problem
from brain.spec.schema_extras import add_tag_alias, add_type_rules

# The names grammar lives in brain.spec.names (re-exported: callers import it from here).

PARAM_TYPES = ("str", "int", "float", "bool", "path", "uri", "date", "choice", "json")
PARAM_TYPE_ALIASES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool",
                      "enum": "choice"}
def _canonical_param_type(value: Any) -> Any:
    if isinstance(value, str):
        return PARAM_TYPE_ALIASES.get(value, value)
    return value


def _source_text(value: Any) -> Any:
    """Numbers written where text belongs (`version: 3.10`) keep their YAML source text."""
    source = getattr(value, "yaml_source", None)
    if source is not None:
        return source
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _r_name(value: Any) -> Any:
    from brain.rlang.specifiers import SpecifierError, check_name

    try:
        return check_name(value)
    except SpecifierError as error:
        raise ValueError(str(error)) from None


def _r_specifier(value: Any) -> Any:
    from brain.rlang.specifiers import SpecifierError, parse_specifier

    if value is None:
        return "*"
    try:
        parse_specifier(value)
    except SpecifierError as error:
        raise ValueError(str(error)) from None
    return value.strip()


def _known_entry_type(value: Any) -> Any:
    """An entry point type registered in brain.entrypoints (built in, or added at run time)."""
    names = type_names()
    if isinstance(value, str) and value in names:
        return value
    expected = ", ".join(repr(name) for name in names[:-1]) + f" or {names[-1]!r}"
    raise PydanticCustomError("literal_error", "Input should be {expected}",
                              {"expected": expected})


# Validated against the registry, so a type added with `brain.entrypoints.register` is valid;
# the schema lists the built-in ones.
EntryTypeName = Annotated[
    str,
    BeforeValidator(_known_entry_type),
    WithJsonSchema({"enum": list(BUILTIN), "type": "string"}),
]
# Free text: a number written there keeps its spelling (`description: 1.10` is "1.10").
Text = Annotated[str, BeforeValidator(_source_text)]
ParamType = Annotated[
    Literal["str", "int", "float", "bool", "path", "uri", "date", "choice", "json"],
    BeforeValidator(_canonical_param_type),
    WithJsonSchema({"enum": [*PARAM_TYPES, *PARAM_TYPE_ALIASES], "type": "string"}),
]
VersionText = Annotated[
    str, BeforeValidator(_source_text), WithJsonSchema({"type": ["string", "number"]})
]


def _any_case(pattern: str) -> str:
    """`pattern` matching its letters in either case (JSON Schema patterns have no flags)."""
    return re.sub(r"[a-z]", lambda m: f"[{m.group(0)}{m.group(0).upper()}]", pattern)


# PEP 440 (its appendix's regular expression, without named groups), for editors; the
# validator itself asks `packaging`.
PEP440_PATTERN = r"^\s*" + _any_case(
    r"v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*"
    r"(?:[-_.]?(?:alpha|beta|preview|pre|rc|a|b|c)[-_.]?[0-9]*)?"
    r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?"
    r"(?:[-_.]?dev[-_.]?[0-9]*)?") + r"(?:\+[a-zA-Z0-9]+(?:[-_.][a-zA-Z0-9]+)*)?\s*$"
ProjectVersion = Annotated[
    str, BeforeValidator(_source_text),
    WithJsonSchema({"type": ["string", "number"], "pattern": PEP440_PATTERN}),
]
Scalar = str | int | float | bool | date
# `tags: llm` means `tags: [llm]` (see Spec._one_or_many).
OneOrMany = Annotated[
    tuple[str, ...],
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]
# `memory: 4Gi`, `memory: 512Mi`, or a plain number of bytes (`memory: 2048`).
MemorySize = Annotated[
    str,
    BeforeValidator(_source_text),
    StringConstraints(pattern=r"^\d+(\.\d+)?([KMGT]i?)?[bB]?$"),
    WithJsonSchema({"type": ["string", "number"], "pattern": r"^\d+(\.\d+)?([KMGT]i?)?[bB]?$"}),
]
EnvVarName = Annotated[str, StringConstraints(pattern=ENV_VAR_PATTERN)]
EnvVarValue = Annotated[str, WithJsonSchema({"type": ["string", "number", "boolean"]})]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, str_strip_whitespace=False
    )


class Parameter(_Model):
    """A typed entry point parameter."""

    type: ParamType = Field("str", description="Value type; aliases: " + ", ".join(
        f"{alias}={canonical}" for alias, canonical in PARAM_TYPE_ALIASES.items()))
    default: Scalar | list[Any] | dict[str, Any] | None = Field(
        None, description="Used when no -P value is given (json: any YAML/JSON value).")
    help: Text | None = Field(None, description="One line shown in `brain info` and forms.")
    min: StrictFloat | None = Field(None, description="Smallest allowed value (int, float).")
    max: StrictFloat | None = Field(None, description="Largest allowed value (int, float).")
    choices: tuple[Scalar, ...] | None = Field(None, description="Allowed values (choice).")
    allow_nan: StrictBool = Field(False, description="Accept nan/inf for a float.")
    outside_project: StrictBool = Field(
        False, description="path: accept absolute paths and paths leading out of the project "
        "(by default a path must stay inside it).")

    model_config = ConfigDict(json_schema_extra={"allOf": [{
        "if": {"properties": {"type": {"enum": ["choice", "enum"]}}, "required": ["type"]},
        "then": {"required": ["choices"]}}]})

    @property
    def required(self) -> bool:
        """True when the parameter has no default."""
        return self.default is None


class EntryPoint(_Model):
    """A named way to run the project. Type-specific fields are checked in `checks`."""

    type: EntryTypeName = Field(
        "shell",
        description="shell: argv, no shell; bash: `bash -c`; python: script or module; "
        "notebook: papermill-style run + HTML; app: a long-running server; r: `Rscript script`.",
    )
    command: str | None = Field(
        None, description="Jinja2 template; every substituted value is shell-quoted."
    )
    script: str | None = Field(None, description="python, r: a script path in the project.")
    module: str | None = Field(None, description="python: a module run as `python -m`.")
    notebook: str | None = Field(None, description="notebook: the .ipynb to execute.")
    kernel: str | None = Field(
        None, description="notebook: the Jupyter kernel (default python3; `ir` for R).")
    port: StrictInt | None = Field(
        None, ge=1, le=65535, description="app: the port to wait on (else the `port` parameter)."
    )
    description: Text | None = None
    parameters: dict[str, Parameter] = Field(
        default_factory=dict,
        description="Typed parameters, passed with -P name=value.",
        json_schema_extra={"propertyNames": {"pattern": IDENTIFIER_PATTERN}},
    )
    depends_on: tuple[str, ...] = Field((), description="Entry points to run first.")
    inputs: tuple[str, ...] = Field((), description="Files hashed into the run cache key.")
    outputs: tuple[str, ...] = Field((), description="Files recorded with hashes after a run.")
    metrics: str | None = Field(
        None, description="A JSON file of numbers the run writes ({\"rmse\": 0.3}), recorded "
        "with the run; relative to the project, or to $BRAIN_RUN_DIR when written there.")
    checks: tuple[DataCheck, ...] = Field(
        (), description="Data checks on the inputs (before the run) and outputs (after it): "
        "a table against a pandera schema, or a pytest module of data tests.")

    model_config = ConfigDict(json_schema_extra=lambda schema: add_type_rules(schema))


PipSpecifier = Annotated[
    str | None,
    BeforeValidator(_source_text),
    WithJsonSchema({"type": ["string", "number", "null"]}),
]
PipRequirements = dict[str, PipSpecifier] | list[str]


class PythonEnv(_Model):
    """The Python side of the environment."""

    version: VersionText | None = Field(None, description='Python version, e.g. "3.11".')
    pip: PipRequirements = Field(
        default_factory=dict,
        description="Mapping of name to specifier (`fastapi: ==0.100.0`), or requirement strings.",
    )
    requirements: str | None = Field(None, description="An extra requirements file.")
    index_url: str | None = Field(None, description="Package index to resolve from.")
    extra_index_urls: tuple[str, ...] = ()

    @field_validator("version")
    @classmethod
    def _python_version(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"3\.\d{1,2}(\.\d{1,2})?", value):
            raise ValueError(f'expected a Python version like "3.11", got {value!r}')
        return value

    @field_validator("index_url", "extra_index_urls")
    @classmethod
    def _index_urls(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        # These reach uv's argv and pip's requirement files: the same rule as the settings
        # (an http(s)/file URL or `local`), so no '-' option or newline ever rides along.
        from brain.errors import InvalidInput
        from brain.index_urls import check_index_url

        try:
            for url in (value,) if isinstance(value, str) else value or ():
                check_index_url(url, setting="the index URL")
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return value

    def requirement_lines(self) -> list[str]:
        """The pip requirements as PEP 508 strings, in spec order."""
        if isinstance(self.pip, list):
            return list(self.pip)
        lines = []
        for name, specifier in self.pip.items():
            spec = (specifier or "").strip()
            if spec and spec[0].isdigit():
                spec = "==" + spec  # `numpy: 1.26.4` means the exact version
            lines.append(f"{name}{spec}")
        return lines


RPackageName = Annotated[
    str, BeforeValidator(_r_name),
    WithJsonSchema({"type": "string", "pattern": R_NAME_PATTERN}),
]
RSpecifierText = Annotated[
    # Before-validators run last first: the YAML source text, then the grammar.
    str, BeforeValidator(_r_specifier), BeforeValidator(_source_text),
    WithJsonSchema({"type": ["string", "number"]}),
]


class REnv(_Model):
    """The R side of the environment (see docs/r.md)."""

    version: VersionText | None = Field(
        None, description='R version "MAJOR.MINOR", checked against the R on PATH.')
    packages: dict[RPackageName, RSpecifierText] = Field(
        default_factory=dict,
        description='R package name -> version specifier ("*", ">=1.8", "==0.1.0").',
        json_schema_extra={"propertyNames": {"pattern": R_NAME_PATTERN}},
    )
    repos: tuple[str, ...] = Field(
        (), description="CRAN-like repositories (URLs); `local` = brain's own index.")

    @field_validator("version")
    @classmethod
    def _r_version(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d\.\d{1,2}", value):
            raise ValueError(f'expected an R version like "4.2", got {value!r}')
        return value

    @field_validator("repos")
    @classmethod
    def _repository_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from brain.rlang.specifiers import SpecifierError, check_repository

        for url in value:
            try:
                check_repository(url)
            except SpecifierError as error:
                raise ValueError(str(error)) from None
        return value


class DockerEnv(_Model):
    """Settings for the Docker backend."""

    base_image: str | None = Field(None, description="Default: python:X.Y-slim.")
    apt: tuple[str, ...] = Field((), description="Debian packages installed in the image.")


class Env(_Model):
    """How the project's environment is built."""

    python: PythonEnv = Field(default_factory=PythonEnv)
    r: REnv | None = Field(None, description="R packages, installed into <project>/.brain.")
    docker: DockerEnv = Field(default_factory=DockerEnv)
    variables: dict[EnvVarName, EnvVarValue] = Field(
        default_factory=dict,
        description="Environment variables for every entry point.",
        json_schema_extra={"propertyNames": {"pattern": ENV_VAR_PATTERN}},
    )

    @field_validator("variables", mode="before")
    @classmethod
    def _variables_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _source_text(v) if not isinstance(v, bool) else str(v).lower()
                    for k, v in value.items()}
        return value


class Hardware(_Model):
    """Resources the project needs; applied as limits by the Docker backend."""

    cpu: StrictFloat | None = Field(None, gt=0)
    memory: MemorySize | None = Field(None, description='e.g. "4Gi", "512Mi".')
    gpu: StrictInt = Field(0, ge=0)


class Spec(_Model):
    """The whole onebrain.yml."""

    name: str = Field(pattern=NAME_PATTERN, description="Lowercase slug.")
    version: ProjectVersion = Field(description="PEP 440 version.")
    namespace: str = Field("default", pattern=NAME_PATTERN)
    description: Text | None = None
    tags: OneOrMany = Field((), validation_alias=AliasChoices("tags", "tag"))
    authors: OneOrMany = ()
    build_enabled: StrictBool = False
    entry_points: dict[str, EntryPoint] = Field(
        default_factory=dict,
        json_schema_extra={"propertyNames": {"pattern": ENTRY_NAME_PATTERN}})
    env: Env = Field(default_factory=Env)
    hardware: Hardware = Field(default_factory=Hardware)
    data: DataSection = Field(
        default_factory=DataSection,
        description="Datasets kept out of git (pointer files in git, bytes in a cache and on "
        "a remote) and the remotes holding them; see docs/data.md.")

    model_config = ConfigDict(
        json_schema_extra=lambda schema: add_tag_alias(schema),
        title="onebrain.yml",
    )

    @field_validator("version")
    @classmethod
    def _pep440(cls, value: str) -> str:
        from packaging.version import InvalidVersion, Version

        try:
            Version(value)
        except InvalidVersion:
            raise ValueError(f"{value!r} is not a PEP 440 version (e.g. 0.1.0)") from None
        return value

    @field_validator("authors", "tags", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def entry_point(self, name: str) -> tuple[str, EntryPoint] | None:
        """The entry point whose name matches `name` after normalisation."""
        return find_declared(self.entry_points, name)

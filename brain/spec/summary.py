"""A project described as plain data, for `brain info` and `--json`."""

from __future__ import annotations

from typing import Any

from brain.spec.loader import Project
from brain.spec.models import EntryPoint


def describe_project(project: Project) -> dict[str, Any]:
    """Metadata, entry points and parameters of `project` as JSON-ready data."""
    spec = project.spec
    return {
        "name": spec.name,
        "version": spec.version,
        "namespace": spec.namespace,
        "description": spec.description,
        "tags": list(spec.tags),
        "authors": list(spec.authors),
        "build_enabled": spec.build_enabled,
        "path": str(project.root),
        "spec_file": str(project.spec_file),
        "spec_hash": project.spec_hash,
        "python": spec.env.python.version,
        "requirements": spec.env.python.requirement_lines(),
        "entry_points": {name: describe_entry(entry) for name, entry in spec.entry_points.items()},
        "hardware": spec.hardware.model_dump(),
    }


def describe_entry(entry: EntryPoint) -> dict[str, Any]:
    """One entry point as data."""
    if entry.script:
        runs = f"python {entry.script}"
    elif entry.module:
        runs = f"python -m {entry.module}"
    elif entry.notebook:
        runs = f"notebook {entry.notebook}"
    else:
        runs = entry.command or ""
    return {
        "type": entry.type,
        "runs": runs,
        "description": entry.description,
        "depends_on": list(entry.depends_on),
        "parameters": {
            name: {
                "type": param.type,
                "default": param.default,
                "required": param.required,
                "help": param.help,
                "min": param.min,
                "max": param.max,
                "choices": list(param.choices) if param.choices else None,
            }
            for name, param in entry.parameters.items()
        },
    }

"""`brain export kubernetes`: a batch/v1 Job that runs one entry point of the project image.

The entry point and its values are checked exactly as `brain run` checks them (every value
typed, all of them passed explicitly), `hardware` becomes the container's resources, and the
YAML is written by yaml.safe_dump, so no name or value can break out of its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.spec.loader import Project
    from brain.spec.models import Hardware

_K8S_QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MAX_NAME = 63


def image_reference(project: Project, image: str | None = None) -> str:
    """`image` (checked), else the tag `brain build --docker` gives: namespace/name:version."""
    from brain.envs.image_names import parse_reference, repository_name, tag_text

    spec = project.spec
    repository = repository_name(spec.namespace, spec.name)
    if image:
        return parse_reference(image, repository)
    return f"{repository}:{tag_text(spec.version)}"


def resources(hardware: Hardware) -> dict[str, dict[str, str]]:
    """`hardware` as Kubernetes requests and limits (GPUs and memory are limits too)."""
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    if hardware.cpu is not None:
        requests["cpu"] = f"{hardware.cpu:g}"
    if hardware.memory is not None:
        requests["memory"] = limits["memory"] = memory_quantity(hardware.memory)
    if hardware.gpu:
        requests["nvidia.com/gpu"] = limits["nvidia.com/gpu"] = str(hardware.gpu)
    found = {}
    if requests:
        found["requests"] = requests
    if limits:
        found["limits"] = limits
    return found


def memory_quantity(text: str) -> str:
    """A spec memory size as a Kubernetes quantity (kept as written when Kubernetes reads it
    the same way; else in bytes)."""
    from brain.envs.image_names import memory_bytes

    return text if _K8S_QUANTITY.fullmatch(text) else str(memory_bytes(text))


def dns_label(*parts: str) -> str:
    """A DNS-1123 label made of `parts` (lowercase alphanumerics and '-', at most 63)."""
    text = "-".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts)
    text = re.sub(r"-{2,}", "-", text).strip("-")[:_MAX_NAME].strip("-")
    return text or "brain"


def dispatcher_arguments(entry: str, values: Mapping[str, Any]) -> list[str]:
    """The image's command line for `entry` with `values` (brain.dispatch reads it)."""
    from brain.params import format_value

    arguments = [entry]
    for name, value in values.items():
        arguments += ["-P", f"{name}={format_value(value)}"]
    return arguments


def job_manifest(project: Project, entry_name: str | None, given: Mapping[str, str], *,
                 image: str | None = None) -> dict[str, Any]:
    """The Job, as data; InvalidInput for an unknown entry point or a bad value."""
    from brain.runs.plan import plan_run

    plan = plan_run(project, entry_name, given, run_id="export")
    spec = project.spec
    labels = {"app.kubernetes.io/name": dns_label(spec.name),
              "app.kubernetes.io/managed-by": "brain",
              "brain/entry-point": dns_label(plan.entry_name)}
    container: dict[str, Any] = {
        "name": dns_label(plan.entry_name),
        "image": image_reference(project, image),
        "args": dispatcher_arguments(plan.entry_name, plan.parameters),
    }
    found = resources(spec.hardware)
    if found:
        container["resources"] = found
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            # The cluster namespace is the kubectl context's (brain's namespace is not one).
            "name": dns_label(spec.name, plan.entry_name),
            "labels": labels,
            "annotations": {"brain/entry-point": plan.entry_name,
                            "brain/project": f"{spec.namespace}/{spec.name}"},
        },
        "spec": {
            "backoffLimit": 0,  # a failed run is a result, not something to retry blindly
            "template": {
                "metadata": {"labels": dict(labels)},  # a copy: no YAML alias
                "spec": {"restartPolicy": "Never", "containers": [container]},
            },
        },
    }


def manifest_yaml(manifest: Mapping[str, Any]) -> str:
    """The manifest as YAML (safe_dump: every value quoted as it needs)."""
    import yaml

    return str(yaml.safe_dump(dict(manifest), sort_keys=False, allow_unicode=True))

"""`brain export kubernetes`: a Job manifest the official kubernetes client's models accept,
running the project image with the entry point, typed values and hardware resources."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.export.kubernetes import dns_label
from tests.conftest import Result

kubernetes = pytest.importorskip("kubernetes")

SPEC = """
name: fit-model
version: 1.2.0
namespace: team-a
hardware: {cpu: 1.5, memory: 4Gi, gpu: 1}
entry_points:
  fit models:
    type: python
    script: fit.py
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1}
      when: {type: date, default: 2024-01-31}
      note: {type: str, default: "x"}
"""
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def as_job(text: str) -> Any:
    """The manifest loaded into kubernetes.client.V1Job (its models check required fields)."""
    data = yaml.safe_load(text)
    client = kubernetes.client.ApiClient()
    return client._ApiClient__deserialize(data, "V1Job")


def test_manifest_loads_into_the_kubernetes_models(brain: Callable[..., Result],
                                                   make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC})
    result = brain("export", "kubernetes", str(root), "-e", "fit_models", "-P", "alpha=0.3")
    assert result.exit_code == 0, result.output
    job = as_job(result.stdout)
    assert job.kind == "Job" and job.api_version == "batch/v1"
    assert DNS_LABEL.match(job.metadata.name)
    pod = job.spec.template.spec
    assert pod.restart_policy == "Never"
    [container] = pod.containers
    assert container.image == "team-a/fit-model:1.2.0"  # the tag `brain build --docker` gives
    # Every value typed and passed, as the image's dispatcher reads them.
    assert container.args == ["fit models", "-P", "alpha=0.3", "-P", "when=2024-01-31",
                              "-P", "note=x"]
    assert container.resources.requests == {"cpu": "1.5", "memory": "4Gi",
                                            "nvidia.com/gpu": "1"}
    assert container.resources.limits == {"memory": "4Gi", "nvidia.com/gpu": "1"}
    assert DNS_LABEL.match(container.name)


def test_values_are_checked_like_brain_run(brain: Callable[..., Result],
                                           make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC})
    for bad in (["-P", "alpha=7"], ["-P", "alpha=x"], ["-P", "beta=1"]):
        result = brain("export", "kubernetes", str(root), *bad)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
    assert brain("export", "kubernetes", str(root), "-e", "nope").exit_code == 2


def test_image_override_is_checked(brain: Callable[..., Result],
                                   make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC})
    ok = brain("export", "kubernetes", str(root), "--image", "registry.example.com/x/y:7")
    assert as_job(ok.stdout).spec.template.spec.containers[0].image == \
        "registry.example.com/x/y:7"
    bad = brain("export", "kubernetes", str(root), "--image", "x y\nz")
    assert bad.exit_code == 2


def test_hostile_values_stay_values(brain: Callable[..., Result],
                                    make_project: Callable[..., Path]) -> None:
    hostile = "x\n  injected: true\n- [a]: b # &anchor *alias {}"
    spec = SPEC.replace("fit models:", "Fit  Models.v2 -x:")
    root = make_project({"onebrain.yml": spec})
    result = brain("export", "kubernetes", str(root), "-P", f"note={hostile}")
    assert result.exit_code == 0, result.output
    job = as_job(result.stdout)
    container = job.spec.template.spec.containers[0]
    assert container.args[0] == "Fit  Models.v2 -x"
    assert container.args[-1] == f"note={hostile}"
    assert set(yaml.safe_load(result.stdout)) == {"apiVersion", "kind", "metadata", "spec"}
    assert DNS_LABEL.match(job.metadata.name)


def test_memory_in_bytes_when_kubernetes_would_read_it_otherwise(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC.replace("memory: 4Gi", "memory: 4GiB")})
    job = as_job(brain("export", "kubernetes", str(root)).stdout)
    assert job.spec.template.spec.containers[0].resources.requests["memory"] == str(4 * 2**30)


@settings(max_examples=200)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=3))
def test_dns_label_is_always_valid(parts: list[str]) -> None:
    assert DNS_LABEL.match(dns_label(*parts))

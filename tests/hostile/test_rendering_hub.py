"""Rendering attacks through a real hub's HTTP API: a parameter value stays data inside the
spec's own quotes, and a template bomb or an unsafe placeholder is a located 400 before
anything runs, with the hub unharmed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from brain.share.url import make_link
from tests.share.conftest import Hub, Remote, wait_finished

SPEC = """\
name: hostile
version: 0.1.0
entry_points:
  main:
    type: bash
    command: {command}
    parameters: {{msg: {{type: str, default: hi}}}}
"""


@pytest.fixture
def client_for() -> Iterator[Callable[[Hub], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(hub: Hub) -> httpx.Client:
        client = httpx.Client(base_url=hub.url, timeout=60)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def post(client: httpx.Client, remote: Remote, hub: Hub, params: dict[str, str]
         ) -> httpx.Response:
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="main", hub=hub.url)
    return client.post("/api/launches", json={"link": link.to_url(), "params": params})


def test_hub_keeps_a_quoted_placeholder_literal(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client], tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    remote = make_remote({"onebrain.yml": SPEC.format(command="echo \"got {{ msg }}\"")})
    hub = start_hub()
    value = f'"; touch {sentinel}; echo "$(touch {sentinel})'
    client = client_for(hub)
    created = post(client, remote, hub, {"msg": value})
    assert created.status_code == 202, created.text
    final = wait_finished(client, created.json()["id"], timeout=120)
    logs = client.get(f"/api/launches/{final['id']}/logs").text
    assert final["status"] == "succeeded", (final, logs)
    assert f"got {value}" in logs
    assert not sentinel.exists()


@pytest.mark.parametrize("command", [
    "touch {ran}; echo `echo {{{{ msg }}}}`",
    "touch {ran}; echo {{{{ 'x' * 10**10 }}}}",
    "touch {ran}; {{% for i in range(99999) %}}{{% for j in range(99999) %}}x{{% endfor %}}"
    "{{% endfor %}}",
    "touch {ran}; {{% include 'onebrain.yml' %}}",
])
def test_hub_refuses_unsafe_or_unbounded_templates(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client], tmp_path: Path, command: str) -> None:
    ran = tmp_path / "RAN"
    remote = make_remote({"onebrain.yml": SPEC.format(command=command.format(ran=ran))})
    hub = start_hub()
    refused = post(client_for(hub), remote, hub, {"msg": f"$(touch {ran})"})
    assert refused.status_code == 400, refused.text  # the hub validates before it launches
    assert "onebrain.yml:6:14: entry_points.main.command" in refused.json()["error"]
    assert not ran.exists()
    assert hub.process.poll() is None  # the hub itself is unharmed

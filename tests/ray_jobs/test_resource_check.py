"""The resource check before a Ray job: refuse what no node can meet, never guess from a
cluster that has not reported yet. Served by a small dashboard stand-in on 127.0.0.1 (the
check reads one JSON page; the real cluster is in test_ray_backend.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from brain.envs.ray_job import ClusterFailure, _check_resources


def _serve(report: dict[str, Any]) -> Iterator[str]:
    body = json.dumps({"data": {"clusterStatus": {"loadMetricsReport": {
        "usageByNode": report}}}}).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_cluster() -> Iterator[str]:
    yield from _serve({})


@pytest.fixture
def small_cluster() -> Iterator[str]:
    yield from _serve({"node-1": {"CPU": [0.0, 2.0], "memory": [0, 4e9]}})


def test_a_cluster_that_has_not_reported_is_not_taken_for_an_empty_one(
        silent_cluster: str) -> None:
    _check_resources(silent_cluster, {"entrypoint_num_cpus": 1})


def test_a_request_no_node_can_meet_is_refused_naming_the_largest(small_cluster: str) -> None:
    with pytest.raises(ClusterFailure, match=r"asks for 4 CPU .* has 2"):
        _check_resources(small_cluster, {"entrypoint_num_cpus": 4})
    _check_resources(small_cluster, {"entrypoint_num_cpus": 2})

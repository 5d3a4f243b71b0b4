"""A launch's data checks on the hub's launch page (a real hub on 127.0.0.1, a real launch
whose pytest data check runs in the launch's own environment)."""

from __future__ import annotations

import html
from collections.abc import Callable

import httpx

from brain.share.url import make_link
from tests.share.conftest import Hub, Remote, wait_finished

SPEC = """\
name: checked-launch
version: 0.1.0
entry_points:
  write:
    type: bash
    command: mkdir -p out && echo 7 > out/count.txt
    outputs: [out/count.txt]
    checks:
      - tests: checks/test_count.py
"""

TESTS = """\
def test_the_count_is_small():
    value = int(open("out/count.txt").read())
    assert value < 5, f"count {value} is too large"
"""


def test_the_launch_page_shows_the_runs_data_checks(start_hub: Callable[..., Hub],
                                                    make_remote: Callable[..., Remote]) -> None:
    remote = make_remote({"onebrain.yml": SPEC, "checks/test_count.py": TESTS})
    hub = start_hub()
    with httpx.Client(base_url=hub.url, timeout=60) as client:
        link = make_link(remote.url, remote.commit, path="projects/hello", entry="write",
                         hub=hub.url)
        created = client.post("/api/launches", json={"link": link.to_url()})
        assert created.status_code == 202, created.text
        launch_id = created.json()["id"]
        final = wait_finished(client, launch_id, timeout=600)
        assert final["status"] == "failed", final
        (check,) = final["checks"]  # type: ignore[misc]
        assert (check["label"], check["status"], check["failure_count"]) == \
            ("checks/test_count.py", "failed", 1)
        page = html.unescape(client.get(f"/launches/{launch_id}").text)
    assert 'id="check-table"' in page
    assert "checks/test_count.py" in page and "after the run" in page
    assert "1 failing value(s): test_the_count_is_small" in page

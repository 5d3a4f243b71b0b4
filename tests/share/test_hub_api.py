"""The hub's JSON API and pages against a real `brain hub` process on 127.0.0.1."""

from __future__ import annotations

import html
import http.client
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from brain.share.fetch import repos_dir
from brain.share.url import make_link
from tests.share.conftest import Hub, Remote, free_port, wait_finished

SECRET = "hub-secret-for-tests"


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


def raw_get(hub: Hub, url: str) -> tuple[int, str]:
    """GET with the standard library (httpx refuses URLs over 64 KB before sending them)."""
    target = url.removeprefix(hub.url)
    connection = http.client.HTTPConnection(hub.url.removeprefix("http://"), timeout=60)
    try:
        connection.request("GET", target)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def nothing_fetched() -> bool:
    return not repos_dir().exists() or not any(repos_dir().iterdir())


def test_page_launch_status_logs_outputs(start_hub: Callable[..., Hub],
                                         make_remote: Callable[..., Remote],
                                         client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote()
    hub = start_hub()
    client = client_for(hub)
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="write",
                     params={"alpha": "0.25"}, hub=hub.url)
    page = client.get(link.to_url())
    assert page.status_code == 200
    assert "Says hello with a tunable alpha" in page.text  # the project's description
    assert remote.commit in page.text
    assert "hello" in page.text and 'name="alpha"' in page.text and 'value="0.25"' in page.text

    created = client.post("/api/launches", json={"link": link.to_url(),
                                                 "params": {"alpha": 0.5}})
    assert created.status_code == 202, created.text
    launch_id = created.json()["id"]
    final = wait_finished(client, launch_id)
    assert final["status"] == "succeeded", final
    assert final["phase"] == "done"
    assert final["exit_code"] == 0 and final["run_id"]
    assert final["params"] == {"alpha": "0.5"}
    assert "result.txt" in final["outputs"]  # type: ignore[operator]

    logs = client.get(f"/api/launches/{launch_id}/logs")
    assert "alpha=0.5" in logs.text and "brain: [3/3] running it" in logs.text
    offset = int(logs.headers["X-Next-Offset"])
    assert offset == len(logs.content)
    assert client.get(f"/api/launches/{launch_id}/logs", params={"offset": offset}).text == ""
    tail = client.get(f"/api/launches/{launch_id}/logs", params={"offset": offset - 5})
    assert tail.text == logs.content[-5:].decode()

    output = client.get(f"/launches/{launch_id}/outputs/result.txt")
    assert output.status_code == 200 and output.text.strip() == "alpha=0.5"
    assert client.get(f"/launches/{launch_id}/outputs/onebrain.yml").status_code == 404
    assert client.get(f"/launches/{launch_id}/outputs/../../x").status_code == 404
    assert "environment built" in logs.text

    again = client.post("/api/launches", json={"link": link.to_url()}).json()["id"]
    second_final = wait_finished(client, again)
    assert second_final["status"] == "succeeded"
    second = client.get(f"/api/launches/{again}/logs").text
    # The commit is fetched once, but each launch runs in its own fresh working copy.
    assert "setup: fetching" not in second
    assert second_final["project_dir"] != final["project_dir"]
    assert "alpha=0.25" in second  # the link's own value this time
    assert launch_id in client.get("/").text
    assert [item["id"] for item in client.get("/api/launches").json()] == [again, launch_id]


def test_failed_launch_reports_its_error(start_hub: Callable[..., Hub],
                                         make_remote: Callable[..., Remote],
                                         client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote()
    hub = start_hub()
    client = client_for(hub)
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="fail")
    created = client.post("/api/launches", json={"link": link.to_url()})
    final = wait_finished(client, created.json()["id"])
    assert final["status"] == "failed" and final["exit_code"] == 3
    assert "about to fail" in client.get(f"/api/launches/{final['id']}/logs").text


def hostile_cases(remote: Remote, hub: Hub) -> list[tuple[str, int, str]]:
    good = make_link(remote.url, remote.commit, path="projects/hello", params={"alpha": "0.5"},
                     hub=hub.url).sign(SECRET).to_url()
    return [
        (good.replace("p.alpha=0.5", "p.alpha=0.6"), 403, "signature does not match"),
        (make_link(remote.url, remote.commit, hub=hub.url).to_url(), 403,
         "requires signed links"),
        (good.replace("commit=", "commit=-"), 400, "begins with '-'"),
        (good + "&p.x=" + "a" * 100_000, 414, "byte limit"),
        (good.replace("path=projects/hello", "path=../../etc"), 400, "escapes the repository"),
        (good.replace(f"repo={remote.url}", "repo=file:///elsewhere/x.git"), 403,
         "is not allowed on this hub"),
        (good.replace("p.alpha", "p.bad%20name"), 400, "not a valid name"),
    ]


def test_hostile_links_are_refused_before_any_fetch(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client], tmp_path: Path) -> None:
    remote = make_remote()
    hub = start_hub("--secret", SECRET, "--allow", f"file://{tmp_path}/*")
    client = client_for(hub)
    for url, status, message in hostile_cases(remote, hub):
        code, text = raw_get(hub, url)
        assert code == status, (url[:200], text[:300])
        assert message in html.unescape(text) and "<html" in text
        api = client.post("/api/launches", json={"link": url})
        assert api.status_code == status, (url[:200], api.text[:300])
        assert message in api.json()["error"]
        assert nothing_fetched(), url[:200]
    assert client.get("/api/launches").json() == []


@pytest.mark.parametrize(("params", "message"), [
    ({"alpha": "lots"}, "parameter 'alpha'"),
    ({"alpha": "7"}, "parameter 'alpha'"),
    ({"alpah": "0.1"}, "did you mean 'alpha'"),
    ({"mode": "turbo"}, "parameter 'mode'"),
])
def test_parameters_are_revalidated_against_the_spec(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client], params: dict[str, str], message: str) -> None:
    remote = make_remote()
    hub = start_hub()
    client = client_for(hub)
    link = make_link(remote.url, remote.commit, path="projects/hello", hub=hub.url)
    answer = client.post("/api/launches", json={"link": link.to_url(), "params": params})
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    bad_link = make_link(remote.url, remote.commit, path="projects/hello", params=params,
                         hub=hub.url).to_url()
    page = client.get(bad_link)
    assert page.status_code == 400 and message in html.unescape(page.text)
    assert client.get("/api/launches").json() == []
    # Only the code was fetched (to read the spec): nothing was built or run.
    assert not list(repos_dir().glob("*/trees/*/projects/hello/.brain"))


def test_malformed_requests(start_hub: Callable[..., Hub],
                            client_for: Callable[[Hub], httpx.Client]) -> None:
    client = client_for(start_hub())
    assert client.post("/api/launches", content=b"not json").status_code == 400
    assert client.post("/api/launches", json={"url": "x"}).status_code == 400
    assert client.post("/api/launches", json={"link": "x", "params": [1]}).status_code == 400
    assert client.get("/api/launches/nope").status_code == 404
    assert client.get("/launches/nope").status_code == 404
    assert nothing_fetched()


def test_concurrency_cap_and_timeout(start_hub: Callable[..., Hub],
                                     make_remote: Callable[..., Remote],
                                     client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote()
    hub = start_hub("--max-concurrent", "1", "--timeout", "4")
    client = client_for(hub)
    slow = make_link(remote.url, remote.commit, path="projects/hello", entry="slow").to_url()
    first = client.post("/api/launches", json={"link": slow})
    assert first.status_code == 202
    started = time.monotonic()
    second = client.post("/api/launches", json={"link": slow})
    assert second.status_code == 429
    assert "limit 1" in second.json()["error"]
    final = wait_finished(client, first.json()["id"], timeout=40)
    assert final["status"] == "timed-out", final
    assert "4s limit" in str(final["message"])
    assert time.monotonic() - started < 30
    log = client.get(f"/api/launches/{final['id']}/logs").text
    lines = log.splitlines()  # the command itself is logged too: compare whole lines
    assert "started" in lines and "finished" not in lines
    again = client.post("/api/launches", json={"link": slow, "params": {"seconds": "0"}})
    assert again.status_code == 202  # the slot is free again
    assert wait_finished(client, again.json()["id"])["status"] == "succeeded"


def test_app_entry_point_is_reached_through_the_hub(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote()
    hub = start_hub()
    client = client_for(hub)
    taken = free_port()  # what the link asks for is not what the hub gives
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="serve",
                     params={"port": str(taken)})
    launch_id = client.post("/api/launches", json={"link": link.to_url()}).json()["id"]
    status = wait_app(client, launch_id)
    assert status["app_url"] == f"/apps/{launch_id}/", status
    assert not status["finished"] and status["phase"] == "running"
    assert status["params"]["port"] != str(taken)  # the hub chose the port
    redirect = client.get(f"/launches/{launch_id}/app")
    assert redirect.status_code == 307 and redirect.headers["location"] == f"/apps/{launch_id}/"
    served = client.get(f"/launches/{launch_id}/app", follow_redirects=True)
    assert served.status_code == 200 and "onebrain.yml" in served.text  # the app's own page
    assert str(served.url) == f"{hub.url}/apps/{launch_id}/"  # on the hub's own address
    spec = client.get(f"/apps/{launch_id}/onebrain.yml")
    assert spec.status_code == 200 and "name: hello" in spec.text
    stopped = client.post(f"/api/launches/{launch_id}/stop")
    assert stopped.status_code == 200
    final = wait_finished(client, launch_id)
    assert final["status"] == "stopped" and final["message"] == "stopped on request", final
    assert client.get(f"/launches/{launch_id}/app").status_code == 409
    assert client.post(f"/api/launches/{launch_id}/stop").status_code == 409
    # A visit to a stopped app starts it again, as a new launch with a port of its own.
    waiting = client.get(f"/apps/{launch_id}/")
    assert waiting.status_code == 503 and "starting again" in waiting.text
    again = client.get(f"/api/launches/{launch_id}").json()["restarted_as"]
    assert again and again != launch_id
    assert client.get(f"/apps/{launch_id}/").status_code == 503  # the same restart, not another
    assert len(client.get("/api/launches").json()) == 2
    wait_app(client, again)
    assert "onebrain.yml" in client.get(f"/apps/{again}/").text
    client.post(f"/api/launches/{again}/stop")
    wait_finished(client, again)


def wait_app(client: httpx.Client, launch_id: str) -> dict[str, object]:
    """Poll until the launch's app answers (or the launch ends); its status."""
    deadline = time.monotonic() + 60
    status: dict[str, object] = {}
    while time.monotonic() < deadline:
        status = client.get(f"/api/launches/{launch_id}").json()
        if status["app_url"] or status["finished"]:
            return status
        time.sleep(0.1)
    raise AssertionError(f"launch {launch_id}'s app did not answer: {status}")


def test_broken_spec_at_the_commit_is_explained(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote({"onebrain.yml": "name: hello\nversion: 0.1.0\nentry_pointz: {}\n"})
    client = client_for(start_hub())
    link = make_link(remote.url, remote.commit, path="projects/hello").to_url()
    answer = client.post("/api/launches", json={"link": link})
    assert answer.status_code == 400
    assert "onebrain.yml at this commit" in answer.json()["error"]
    assert "entry_pointz" in answer.json()["error"]


NOTEBOOK_SPEC = """\
name: nb-report
version: 0.1.0
entry_points:
  prepare:
    type: bash
    command: echo "prepared {{ rows }} rows" > data.txt
    parameters:
      rows: {type: int, default: 3}
    outputs: [data.txt]
  report:
    type: notebook
    notebook: report.ipynb
    depends_on: [prepare]
    parameters:
      label: {type: str, default: plain}
env:
  python:
    version: "3.11"
"""


def test_a_notebook_launch_runs_its_prerequisites_and_shows_its_report(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client], own_cache: Path) -> None:
    from tests.conftest import REPO_ROOT
    from tests.notebooks.conftest import notebook_json

    # This test's own cache, but the suite's package cache: papermill and friends once.
    shared = Path(os.environ.get("BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache")) / "uv"
    shared.mkdir(parents=True, exist_ok=True)
    (own_cache / "uv").symlink_to(shared, target_is_directory=True)
    notebook = notebook_json(
        ("code", 'label = "plain"', ["parameters"]),
        ("code", "print('label:', label)\nprint(open('data.txt').read().strip())", []))
    remote = make_remote({"onebrain.yml": NOTEBOOK_SPEC, "report.ipynb": notebook})
    hub = start_hub()
    client = client_for(hub)
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="report",
                     params={"label": "from-the-link", "rows": "5"}, hub=hub.url)

    launch_id = client.post("/api/launches", json={"link": link.to_url()}).json()["id"]
    final = wait_finished(client, launch_id, timeout=240)
    logs = client.get(f"/api/launches/{launch_id}/logs").text
    assert final["status"] == "succeeded", (final, logs)
    assert "(prepare)" in logs and logs.index("(prepare)") < logs.index("(report)")
    assert final["report"] == f"/launches/{launch_id}/report"
    report = client.get(f"/launches/{launch_id}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    # Each value reached the step that declares it: `rows` the prerequisite, `label` the report.
    assert "label: from-the-link" in report.text and "prepared 5 rows" in report.text
    page = client.get(f"/launches/{launch_id}").text
    assert f'id="report-link" href="/launches/{launch_id}/report"' in page

    undeclared = client.post("/api/launches", json={"link": link.to_url(),
                                                    "params": {"label": "x", "rowz": "1"}})
    assert undeclared.status_code == 400 and "rowz" in undeclared.json()["error"]
    missing = client.get("/launches/0123456789abcdef/report")
    assert missing.status_code == 404 and "no notebook report" in missing.text
    assert client.get("/launches/..%2F..%2Fetc/report").status_code == 404


def test_a_stopped_hub_leaves_no_temporary_launch_folders(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client]) -> None:
    # A root hub whose state its launch user cannot reach works in a folder of the system
    # temp dir: each launch leaves a working copy and an environment there, so that folder
    # goes with the hub. Launches kept in the hub's own state stay.
    remote = make_remote()
    hub = start_hub()
    client = client_for(hub)
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="write")
    launch_id = client.post("/api/launches", json={"link": link.to_url()}).json()["id"]
    final = wait_finished(client, launch_id)
    assert final["status"] == "succeeded", final
    folder = Path(str(final["project_dir"]))
    temporary = [part for part in folder.parents if part.name.startswith("brain-hub-launches-")]
    hub.process.terminate()  # uvicorn shuts the hub down, then ends by the same signal
    hub.process.wait(timeout=30)
    if temporary:
        assert not temporary[0].exists()
    else:
        assert folder.exists()

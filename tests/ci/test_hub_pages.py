"""The hub's CI pages against a real hub on 127.0.0.1, reading what real pushes through the
installed git hook recorded: commits newest first with their steps, tests and metric trend,
hostile commit messages shown as text, a failing test named, hostile paths refused, and the
manual trigger's parameters validated by the launch route it posts to."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ci.conftest import write
from tests.share.conftest import NEEDS_CHROMIUM, Hub
from tests.workspace.helpers import commit_all, git

HOSTILE = '<script>alert("pwned")</script> & <img src=x onerror=alert(1)>'


def solo_spec(accuracy: float, test_exit: int = 0) -> str:
    return (
        "name: solo\nversion: 0.1.0\nentry_points:\n"
        f"  test-unit:\n    type: bash\n    command: exit {test_exit}\n"
        "  test-smoke:\n    type: bash\n    command: 'true'\n"
        "  report:\n    type: bash\n    command: |\n"
        f"      echo '{{\"accuracy\": {accuracy}}}' > metrics.json && echo {{{{ label }}}}\n"
        "    metrics: metrics.json\n"
        "    parameters:\n"
        "      label: {type: str, default: weekly, help: Words on the report}\n"
        "      weeks: {type: int, default: 4, min: 1, max: 52}\n")


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Three pushes of one project through the real hook: accuracy 0.8, then 0.91 under a
    hostile commit message, then a failing test. Module-scoped, as the pushes are the slow
    part, so it makes its own BRAIN_HOME and git identity (the hubs of the tests read it)."""
    from tests.conftest import REPO_ROOT

    base = tmp_path_factory.mktemp("ci-pages")
    home = base / "home"
    home.mkdir()
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.com\n")
    env = {**os.environ, "BRAIN_HOME": str(home), "GIT_CONFIG_GLOBAL": str(gitconfig),
           "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
           "BRAIN_CACHE_DIR": os.environ.get("BRAIN_TEST_CACHE", str(REPO_ROOT / ".test-cache"))}
    server, root = base / "server.git", base / "ws"
    root.mkdir()

    def run(*argv: str, cwd: Path = root) -> str:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    run("git", "init", "--bare", "--quiet", "-b", "main", str(server))
    run(sys.executable, "-m", "brain", "ci", "hook", "install", str(server))
    run("git", "init", "--quiet", "-b", "main")
    run("git", "remote", "add", "origin", str(server))
    shas = {"home": str(home), "server": str(server)}
    for label, spec, message in (("first", solo_spec(0.8), "first version"),
                                 ("hostile", solo_spec(0.91), HOSTILE),
                                 ("failing", solo_spec(0.95, test_exit=3), "break the unit test")):
        write(root, ".gitignore", ".brain/\nmetrics.json\n")
        write(root, "onebrain.yml", spec)
        run("git", "add", "-A")
        run("git", "commit", "--quiet", "-m", message)
        run("git", "push", "--quiet", "origin", "main")
        shas[label] = run("git", "rev-parse", "HEAD")
    return shas


@pytest.fixture
def hub(pushed: dict[str, str], start_hub: Callable[..., Hub],
        monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BRAIN_HOME", pushed["home"])
    return start_hub().url


def text_of(page: str) -> str:
    """The page's text as a reader sees it (its own scripts and tags dropped, entities
    decoded)."""
    shown = re.sub(r"<script>.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", shown))


def test_the_project_page_lists_commits_newest_first_with_tests_and_trend(
        pushed: dict[str, str], hub: str) -> None:
    with httpx.Client(base_url=hub, timeout=60) as client:
        page = client.get("/ci/projects/default/solo")
        assert page.status_code == 200
        order = re.findall(r'data-commit="([0-9a-f]{40})"', page.text)
        assert order == [pushed["failing"], pushed["hostile"], pushed["first"]]
        words = " ".join(text_of(page.text).split())
        assert "2 of 2 tests passed" in words
        assert "1 of 2 tests failed: test-unit" in words  # the failing test, by name
        # The report ran for the first two commits only: the failing test stopped the third.
        assert "accuracy 0.91 ↑" in words
        assert page.text.count("<polyline") == 1
        # Hostile text is shown, never run: no tag of it reaches the page.
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert HOSTILE in html.unescape(page.text)
        assert "Tested commits" in client.get("/ci").text
        assert 'href="/ci/projects/default/solo"' in client.get("/ci").text
        assert "{" not in words.split("Commits", 1)[1]  # no raw JSON on the page


def test_a_commit_page_names_the_failed_test_and_shows_what_it_said(
        pushed: dict[str, str], hub: str) -> None:
    with httpx.Client(base_url=hub, timeout=60) as client:
        page = client.get(f"/ci/projects/default/solo/commits/{pushed['failing']}")
        assert page.status_code == 200
        words = " ".join(text_of(page.text).split())
        assert "1 of 2 tests failed: test-unit" in words
        assert re.search(r'data-step="test:test-unit".*?status-failed', page.text, re.S)
        assert "exit 3" in words
        hostile = client.get(f"/ci/projects/default/solo/commits/{pushed['hostile']}").text
        assert "<script>alert" not in hostile and HOSTILE in html.unescape(hostile)


@pytest.mark.parametrize("path", [
    "/ci/projects/default/solo/commits/HEAD",
    "/ci/projects/default/solo/commits/..%2F..%2F..%2Fetc%2Fpasswd",
    "/ci/projects/default/solo/commits/" + "g" * 40,
    "/ci/projects/default/solo/commits/" + "a" * 41,
    "/ci/projects/..%2F..%2Fetc/solo",
    "/ci/projects/default/SOLO",
    "/ci/projects/default/" + "x" * 300,
    "/ci/projects/default/solo/commits/" + "a" * 40 + "/reports/..%2F..%2Fprovenance",
])
def test_hostile_paths_are_refused(pushed: dict[str, str], hub: str, path: str) -> None:
    with httpx.Client(base_url=hub, timeout=60) as client:
        answer = client.get(path)
        assert answer.status_code in (400, 404), answer.text
        assert "root:" not in answer.text


def test_unknown_projects_and_commits_are_404_with_a_reason(pushed: dict[str, str],
                                                            hub: str) -> None:
    with httpx.Client(base_url=hub, timeout=60) as client:
        unknown = client.get("/ci/projects/default/nobody-here")
        assert unknown.status_code == 404 and "no commit of default/nobody-here" in unknown.text
        other = client.get(f"/ci/projects/default/solo/commits/{'c' * 40}")
        assert other.status_code == 404
        no_report = client.get(f"/ci/projects/default/solo/commits/{pushed['first']}"
                               "/reports/0123456789abcdef")
        assert no_report.status_code == 404


def trigger_link(client: httpx.Client, sha: str) -> str:
    page = client.get(f"/ci/projects/default/solo/commits/{sha}").text
    found = re.search(r'<form class="trigger card" data-link="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def test_the_trigger_validates_values_as_brain_run_does(pushed: dict[str, str], hub: str,
                                                        tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with httpx.Client(base_url=hub, timeout=120) as client:
        link = trigger_link(client, pushed["hostile"])
        assert f"commit={pushed['hostile']}" in link and "entry=report" in link

        def post(params: dict[str, object]) -> httpx.Response:
            return client.post("/api/launches", json={"link": link, "params": params})

        wrong_type = post({"weeks": "many"})
        assert wrong_type.status_code == 400 and "weeks" in wrong_type.json()["error"]
        assert "\n" not in wrong_type.json()["error"]  # one clear line
        assert post({"weeks": "99"}).status_code == 400  # over max
        undeclared = post({"label": "x", "weekz": "2"})
        assert undeclared.status_code == 400 and "weekz" in undeclared.json()["error"]
        huge = post({"label": "x" * 3_000_000})
        assert huge.status_code in (400, 413, 414)
        # A value is one word: shell syntax in it is text, never run.
        injected = post({"label": f"$(touch {marker}); `touch {marker}`"})
        assert injected.status_code == 202, injected.text
        launch_id = injected.json()["id"]
        deadline = time.monotonic() + 300
        while not client.get(f"/api/launches/{launch_id}").json()["finished"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        final = client.get(f"/api/launches/{launch_id}").json()
        assert final["status"] == "succeeded", client.get(
            f"/api/launches/{launch_id}/logs").text
        assert final["commit_sha"] == pushed["hostile"]
        assert not marker.exists()
        assert f"$(touch {marker})" in client.get(f"/api/launches/{launch_id}/logs").text
        # The commit page lists the run made by hand.
        page = client.get(f"/ci/projects/default/solo/commits/{pushed['hostile']}").text
        assert f'href="/launches/{launch_id}"' in page


def test_the_trigger_is_the_launch_route_only(pushed: dict[str, str], hub: str) -> None:
    """No CI route accepts a POST: whatever guards launches guards the trigger."""
    with httpx.Client(base_url=hub, timeout=60) as client:
        for path in ("/ci", "/ci/projects/default/solo",
                     f"/ci/projects/default/solo/commits/{pushed['first']}"):
            assert client.post(path, json={}).status_code == 405
        # What a form on another site can send is refused, even a JSON text in a text/plain
        # body; a JSON request needs a CORS preflight the hub never answers.
        link = trigger_link(client, pushed["first"])
        before = len(client.get("/api/launches").json())
        assert client.post("/api/launches", data={"link": link}).status_code == 400
        plain = client.post("/api/launches", content=json.dumps({"link": link}),
                            headers={"content-type": "text/plain"})
        assert plain.status_code == 400 and "Content-Type" in plain.json()["error"]
        assert client.options("/api/launches").status_code == 405  # no preflight answered
        assert len(client.get("/api/launches").json()) == before  # nothing launched


def test_a_commit_recorded_without_its_repository_offers_no_trigger(
        tmp_path: Path, start_hub: Callable[..., Hub]) -> None:
    root = tmp_path / "local"
    root.mkdir()
    git(root, "init", "--quiet", "-b", "main")
    write(root, ".gitignore", ".brain/\nmetrics.json\n")
    write(root, "onebrain.yml", solo_spec(0.5))
    sha = commit_all(root, "local only")
    done = subprocess.run([sys.executable, "-m", "brain", "ci", "run", "--record"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with httpx.Client(base_url=start_hub().url, timeout=60) as client:
        page = client.get(f"/ci/projects/default/solo/commits/{sha}")
        assert page.status_code == 200 and 'id="no-trigger"' in page.text
        assert 'class="trigger' not in page.text


def test_a_signing_hub_signs_its_own_trigger_links_and_refuses_a_changed_one(
        pushed: dict[str, str], start_hub: Callable[..., Hub],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_HOME", pushed["home"])
    with httpx.Client(base_url=start_hub("--secret", "s3cret").url, timeout=120) as client:
        link = trigger_link(client, pushed["first"])
        assert "sig=" in link
        other = link.replace(pushed["first"], pushed["hostile"])  # the signature no longer fits
        refused = client.post("/api/launches", json={"link": other, "params": {}})
        assert refused.status_code == 403
        accepted = client.post("/api/launches", json={"link": link,
                                                      "params": {"label": "signed"}})
        assert accepted.status_code == 202, accepted.text


@NEEDS_CHROMIUM
def test_the_pages_read_well_on_a_phone_and_the_trigger_runs(
        pushed: dict[str, str], hub: str, page: Any, axe_script: str) -> None:
    from playwright.sync_api import expect

    from tests.share.test_hub_pages_browser import PHONE, fits_the_phone, serious_violations

    page.set_viewport_size(PHONE)
    for path in ("/ci", "/ci/projects/default/solo",
                 f"/ci/projects/default/solo/commits/{pushed['failing']}",
                 f"/ci/projects/default/solo/commits/{pushed['hostile']}"):
        page.goto(hub + path)
        assert fits_the_phone(page), path
        assert serious_violations(page, axe_script) == [], path
    expect(page.locator("#subject")).to_have_text(HOSTILE)  # text, never markup
    form = page.locator("form.trigger")
    weeks = form.locator('input[name="weeks"]')
    weeks.fill("99")
    form.locator("button.run-report").click()  # the browser checks the range first
    expect(form.locator('[data-field="weeks"] .field-error')).to_contain_text("52")
    weeks.fill("3")
    form.locator('input[name="label"]').fill("from the phone")
    form.locator("button.run-report").click()
    expect(form.locator(".progress")).to_contain_text("Done", timeout=300_000)
    page.reload()
    expect(page.locator("#manual")).to_contain_text("label = from the phone")

"""What a stakeholder sees, in a real headless browser (Debian's Chromium through Playwright):
an app launched twice and used through the hub's address (a WebSocket-driven page), a failed
launch explained, and every page readable on a 390 px phone with no serious or critical
accessibility violation (axe-core, injected from the npm package)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from brain.share.url import make_link
from tests.share.apps import WS_FILES
from tests.share.conftest import NEEDS_CHROMIUM, SPEC, Hub, Remote, wait_finished

pytestmark = NEEDS_CHROMIUM
SHOTS = Path("/tmp/brain-hub-shots")
PHONE = {"width": 390, "height": 844}
CRASH = 'import sys\nrows = []\nprint("loading", file=sys.stderr)\n' \
        'raise ValueError(f"the input has {len(rows)} rows")\n'


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's axe.min.js, from the npm package, installed once into the test cache."""
    from tests.conftest import REPO_ROOT

    folder = Path(os.environ.get("BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache")) / "axe"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        if shutil.which("npm") is None:
            pytest.skip("needs npm to install axe-core")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--silent", "--prefix", str(folder),
                               "axe-core@4"], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"axe-core did not install: {done.stderr[-300:]}")
    return script.read_text(encoding="utf-8")


def serious_violations(page: Any, axe: str) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    page.add_script_tag(content=axe)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    SHOTS.mkdir(exist_ok=True)
    with (SHOTS / "axe-results.jsonl").open("a", encoding="utf-8") as record:  # for people
        record.write(json.dumps({"url": page.url, "violations": [
            {"id": item["id"], "impact": item["impact"], "nodes": len(item["nodes"])}
            for item in found]}) + "\n")
    return [f"{item['id']} ({item['impact']}): {item['help']} @ "
            f"{[node['target'] for node in item['nodes']][:3]}"
            for item in found if item["impact"] in ("serious", "critical")]


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_app_launched_twice_and_used_through_the_hub(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote]) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    remote = make_remote(WS_FILES, subdir="")
    hub = start_hub("--max-concurrent", "3")
    link = make_link(remote.url, remote.commit, entry="app", hub=hub.url).to_url()
    apps = []
    for attempt in range(2):
        page.goto(link)
        expect(page.locator("#project")).to_have_text("echo")
        expect(page.locator("#param-port")).to_have_count(0)  # the hub chooses the port
        page.click("#launch")
        page.wait_for_url(re.compile(r"/launches/[0-9a-f]{16}$"))
        expect(page.locator("#app-link")).to_be_visible(timeout=90_000)
        page.screenshot(path=str(SHOTS / f"app-launch-{attempt}.png"), full_page=True)
        page.click("#app-link")
        page.wait_for_url(re.compile(r"/apps/[0-9a-f]{16}/$"))
        assert page.url.startswith(hub.url + "/apps/")  # the hub's own address
        expect(page.locator("#state")).to_have_text("connected")
        page.fill("#say", f"hello {attempt}")
        page.click("#send")
        expect(page.locator("#reply")).to_have_text(f"echo: hello {attempt}")
        page.screenshot(path=str(SHOTS / f"app-{attempt}.png"), full_page=True)
        apps.append(page.url)
    assert apps[0] != apps[1]
    page.goto(apps[0])  # the first still runs beside the second
    expect(page.locator("#state")).to_have_text("connected")
    page.click("#send")
    expect(page.locator("#reply")).to_have_text("echo: hello")
    for url in apps:
        launch_id = url.rstrip("/").rsplit("/", 1)[1]
        page.goto(f"{hub.url}/launches/{launch_id}")
        page.click("#stop")
        expect(page.locator("#status")).to_have_text("stopped", timeout=30_000)
    expect(page.locator("#phases li.failed")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "app-stopped.png"), full_page=True)


def test_a_failed_launch_is_explained(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        axe_script: str) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    spec = SPEC + "  crash:\n    type: python\n    script: crash.py\n" \
        "    description: Reads the input\n"
    remote = make_remote({"onebrain.yml": spec, "crash.py": CRASH})
    hub = start_hub()
    client = httpx.Client(base_url=hub.url, timeout=60)
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="crash")
    launch_id = client.post("/api/launches", json={"link": link.to_url()}).json()["id"]
    wait_finished(client, launch_id)
    page.goto(f"{hub.url}/launches/{launch_id}")
    expect(page.locator("#status")).to_have_text("failed")
    expect(page.locator("#phases li.failed")).to_have_text("running")
    expect(page.locator("#phases li.done")).to_have_count(2)
    banner = page.locator("#banner")
    expect(banner).to_contain_text("ValueError: the input has 0 rows")
    expect(banner).to_contain_text("crash.py")
    assert "/sandbox/" not in banner.inner_text()  # paths are the project's, not the hub's
    expect(page.locator("#logs")).not_to_have_attribute("open", "")  # the log is folded
    expect(page.locator("#project")).to_have_text("hello")
    expect(page.locator("#what")).to_contain_text("Reads the input")
    expect(page.locator("#started")).to_have_text(re.compile(r"\d.*(UTC|GMT|[A-Z]{2,5})"))
    page.screenshot(path=str(SHOTS / "failed-launch.png"), full_page=True)
    assert serious_violations(page, axe_script) == []
    page.click("#again")
    expect(page.locator("#launch")).to_be_visible()
    assert "/launches/" in page.url and page.url.endswith("/again")
    client.close()


def test_every_page_fits_a_phone_and_passes_axe(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        axe_script: str) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    remote = make_remote()
    hub = start_hub()
    page.set_viewport_size(PHONE)
    page.goto(hub.url + "/")
    expect(page.locator("#empty")).to_contain_text("Nothing is installed on your computer")
    page.screenshot(path=str(SHOTS / "phone-index-empty.png"), full_page=True)
    assert fits_the_phone(page)
    assert serious_violations(page, axe_script) == []
    pages = {}
    client = httpx.Client(base_url=hub.url, timeout=60)
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="main",
                     hub=hub.url)
    pages["project"] = link.to_url()
    for entry in ("main", "fail"):
        made = client.post("/api/launches", json={"link": make_link(
            remote.url, remote.commit, path="projects/hello", entry=entry).to_url()})
        launch_id = made.json()["id"]
        wait_finished(client, launch_id)
        pages[f"launch-{entry}"] = f"{hub.url}/launches/{launch_id}"
    pages["index"] = hub.url + "/"
    pages["refused"] = hub.url + "/launch?v=1&repo=-x"
    problems = {}
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"phone-{name}.png"), full_page=True)
        assert fits_the_phone(page), name
        assert page.locator("link[rel=icon]").count() == 1, name
        assert page.locator("header a[href='/']").count() >= 1, name
        if name == "launch-main":  # the values the run got, defaults included, in words
            expect(page.locator("#parameters")).to_contain_text("How much")
            expect(page.locator("#parameters")).to_contain_text("0.5")
        if found := serious_violations(page, axe_script):
            problems[name] = found
    assert problems == {}
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg")
    client.close()


STREAMLIT_FILES = {
    "onebrain.yml": """\
name: dashboard
version: 0.1.0
description: A Streamlit page that greets whoever opens it
entry_points:
  app:
    type: app
    description: The greeting page
    command: >-
      streamlit run app.py --server.port {{ port }} --server.address 127.0.0.1
      --server.headless true --browser.gatherUsageStats false
    parameters:
      port: {type: int, default: 8501}
env:
  python:
    pip: [streamlit]
""",
    "app.py": """\
import streamlit as st

st.title("Greetings")
name = st.text_input("Your name", "")
if name:
    st.write(f"Hello, {name}!")
""",
}


def test_a_streamlit_app_is_used_through_the_hub(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote]) -> None:
    """Streamlit's page talks to its server over a WebSocket: typing a name only shows the
    greeting if the hub relays it."""
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    remote = make_remote(STREAMLIT_FILES, subdir="")
    hub = start_hub()
    page.goto(make_link(remote.url, remote.commit, entry="app", hub=hub.url).to_url())
    page.click("#launch")
    page.wait_for_url(re.compile(r"/launches/[0-9a-f]{16}$"))
    expect(page.locator("#app-link")).to_be_visible(timeout=300_000)
    page.click("#app-link")
    page.wait_for_url(re.compile(r"/apps/[0-9a-f]{16}/$"))
    expect(page.get_by_role("heading", name="Greetings")).to_be_visible(timeout=60_000)
    box = page.get_by_label("Your name")
    box.fill("Ada")
    box.press("Enter")
    expect(page.get_by_text("Hello, Ada!")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(SHOTS / "streamlit.png"), full_page=True)
    launch_id = page.url.rstrip("/").rsplit("/", 1)[1]
    httpx.post(f"{hub.url}/api/launches/{launch_id}/stop", timeout=60)

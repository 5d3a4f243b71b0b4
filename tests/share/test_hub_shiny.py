"""An R Shiny app (the r-shiny template, as generated) is hosted by the hub like any `app`
entry point: launched through the hub's API and used in headless Chromium at
`<hub>/apps/<id>/`. Shiny renders outputs only over its WebSocket, so the sample's summary, and
its new value once the slider moves, prove that the hub relays it both ways."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from brain.share.url import make_link
from tests.conftest import Result
from tests.r.conftest import _real_r as _real_r  # R's skip, or failure under BRAIN_REQUIRE_R
from tests.share.conftest import NEEDS_CHROMIUM, Hub, Remote, wait_finished

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("_real_r"),
    NEEDS_CHROMIUM,
]
SHOTS = Path("/tmp/brain-hub-shots")


def shiny_project(brain: Callable[..., Result], folder: Path) -> dict[str, str]:
    """The files of a new r-shiny project, without testthat: Debian's R set has none, and a
    launch would build it from CRAN in its fresh sandbox (the app does not use it)."""
    made = brain("generate", "--no-input", "-t", "r-shiny", "--name", "sampler", cwd=folder)
    assert made.exit_code == 0, made.output
    root = folder / "sampler"
    files = {str(path.relative_to(root)): path.read_text() for path in root.rglob("*")
             if path.is_file() and ".git" not in path.relative_to(root).parts}
    spec = files["onebrain.yml"]
    assert '      testthat: "*"\n' in spec
    files["onebrain.yml"] = spec.replace('      testthat: "*"\n', "")
    return files


def wait_for_app(client: httpx.Client, launch_id: str, timeout: float = 300) -> str:
    """Poll the hub until the launch's app answers; its path on the hub."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/api/launches/{launch_id}").json()
        if data["app_url"]:
            return str(data["app_url"])
        if data["finished"]:
            log = client.get(f"/api/launches/{launch_id}/logs").text
            raise AssertionError(f"the launch ended {data['status']}: {log[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"launch {launch_id}: no app within {timeout}s")


def test_a_shiny_app_is_used_through_the_hub(
        page: Any, brain: Callable[..., Result], tmp_path: Path,
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote]) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    remote = make_remote(shiny_project(brain, tmp_path), subdir="")
    hub = start_hub()
    client = httpx.Client(base_url=hub.url, timeout=60)
    link = make_link(remote.url, remote.commit, entry="main").to_url()
    launch_id = client.post("/api/launches", json={"link": link}).json()["id"]
    page.goto(hub.url + wait_for_app(client, launch_id))
    assert re.fullmatch(rf"{re.escape(hub.url)}/apps/{launch_id}/", page.url)
    expect(page.get_by_role("heading", name="Random sample")).to_be_visible()
    summary = page.locator("#summary")  # rendered by the server, sent over the WebSocket
    expect(summary).to_have_text(re.compile(r"^100 draws: mean -?\d\.\d{3}, sd \d\.\d{3}$"),
                                 timeout=60_000)
    expect(page.locator("#histogram img")).to_be_visible()
    page.locator(".irs-line").click()  # the middle of the slider: about 505 draws
    expect(summary).to_have_text(re.compile(r"^50\d draws: mean "))  # the server's answer
    page.screenshot(path=str(SHOTS / "shiny.png"), full_page=True)
    assert client.post(f"/api/launches/{launch_id}/stop").status_code == 200
    assert wait_finished(client, launch_id)["status"] == "stopped"
    client.close()

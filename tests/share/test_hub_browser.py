"""A real headless browser (Debian's Chromium driven by Playwright) on a real hub: open a
generated link, edit a parameter, launch, watch the phases and logs, see the final status."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from brain.runs.store import RunStore
from tests.conftest import Result
from tests.share.conftest import NEEDS_CHROMIUM, Hub, Remote

SHOTS = Path("/tmp/brain-hub-shots")
SHOTS.mkdir(exist_ok=True)

pytestmark = NEEDS_CHROMIUM


def test_open_link_edit_parameter_launch_and_watch(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        brain: Callable[..., Result]) -> None:
    from playwright.sync_api import expect

    remote = make_remote()
    hub = start_hub()
    made = brain("generate-url", "-e", "write", "-P", "alpha=0.25", "--hub", hub.url,
                 cwd=remote.project)
    assert made.exit_code == 0, made.output
    page.goto(made.stdout.strip())
    expect(page.locator("#project")).to_have_text("hello")
    expect(page.locator("#description")).to_contain_text("tunable alpha")
    expect(page.locator("#commit")).to_have_text(remote.commit)
    alpha = page.locator("#param-alpha")
    expect(alpha).to_have_value("0.25")  # pre-filled from the link
    alpha.fill("0.875")
    page.click("#launch")

    page.wait_for_url(re.compile(r"/launches/[0-9a-f]{16}$"))
    expect(page.locator("#status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#log")).to_contain_text("alpha=0.875")
    expect(page.locator("#log")).to_contain_text("brain: [2/3] setting up its environment")
    expect(page.locator("#phases li.done")).to_have_count(4)
    output = page.locator("#output-list a", has_text="result.txt")
    expect(output).to_be_visible()
    with page.expect_response(re.compile(r"/outputs/result.txt$")) as response:
        output.click()
    assert response.value.text().strip() == "alpha=0.875"
    launched = httpx.get(f"{hub.url}/api/launches").json()[0]
    assert launched["link"].startswith(f"{hub.url}/launch?v=1&repo={remote.url}&")
    with RunStore() as store:
        assert store.get(launched["run_id"]).origin == launched["link"]


def test_invalid_edit_shows_the_reason_and_launches_nothing(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        brain: Callable[..., Result]) -> None:
    from playwright.sync_api import expect

    remote = make_remote()
    hub = start_hub()
    url = brain("generate-url", "-e", "main", "--hub", hub.url, cwd=remote.project).stdout
    answer = page.goto(url.strip())
    assert answer.status == 200, page.content()
    expect(page.locator("label[for=param-alpha]")).to_have_text("How muchalpha")
    expect(page.locator("#param-alpha-rule")).to_have_text("A number from 0 to 1")
    expect(page.locator("#param-mode-rule")).to_have_text("One of: fast, full")
    assert "-P" not in page.content()
    alpha = page.locator("#param-alpha")
    alpha.fill("7")  # over the spec's max: 1; the browser says so, as the server would
    page.click("#launch")
    expect(page.locator("#param-alpha-error")).to_be_visible()
    expect(alpha).to_have_attribute("aria-invalid", "true")
    page.screenshot(path="/tmp/brain-hub-shots/form-browser-error.png", full_page=True)
    alpha.fill("0.5")  # fixed: the error goes
    expect(page.locator("#param-alpha-error")).to_be_hidden()
    # The server checks the same rules, and its reason lands on the field it is about.
    page.evaluate("document.getElementById('launch-form').noValidate = true")
    alpha.fill("7")
    page.click("#launch")
    expect(page.locator("#param-alpha-error")).to_contain_text("7")
    expect(page.locator("#error")).to_be_hidden()
    page.screenshot(path="/tmp/brain-hub-shots/form-server-error.png", full_page=True)
    alpha.fill("0.75")
    expect(page.locator("#param-alpha-error")).to_be_hidden()
    assert page.url == url.strip()
    page.goto(hub.url + "/")
    expect(page.locator("#empty")).to_contain_text("This is a brain hub")


def test_tampered_link_page_is_refused(page: Any, start_hub: Callable[..., Hub],
                                       make_remote: Callable[..., Remote],
                                       brain: Callable[..., Result],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect

    remote = make_remote()
    monkeypatch.setenv("BRAIN_HUB_SECRET", "browser-secret")
    hub = start_hub()  # takes its secret from BRAIN_HUB_SECRET
    url = brain("generate-url", "-P", "alpha=0.5", "--sign", "--hub", hub.url,
                cwd=remote.project).stdout.strip()
    answer = page.goto(url.replace("alpha=0.5", "alpha=0.6"))
    assert answer.status == 403
    expect(page.locator("#error")).to_contain_text("signature does not match")
    assert page.goto(url).status == 200

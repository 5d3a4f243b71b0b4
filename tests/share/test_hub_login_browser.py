"""The sign-in form in a real headless browser (Debian's Chromium, Playwright) on a real hub
with tokens: a launcher signs in and launches, a viewer is told they may not, a revoked
token's session ends at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.conftest import Result
from tests.share.conftest import NEEDS_CHROMIUM, Hub, Remote

pytestmark = NEEDS_CHROMIUM


def test_sign_in_launch_sign_out_and_revoke(
        page: Any, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        brain: Callable[..., Result]) -> None:
    from playwright.sync_api import expect

    def token(name: str, role: str) -> str:
        made = brain("hub", "token", "create", name, "--role", role, "--json")
        return str(json.loads(made.stdout)["token"])

    ana, vic = token("ana", "launcher"), token("vic", "viewer")
    remote = make_remote()
    hub = start_hub("--auth", "tokens")
    link = brain("generate-url", "-e", "write", "-P", "alpha=0.25", "--hub", hub.url,
                 cwd=remote.project).stdout.strip()

    page.goto(link)  # no session: the form, then back to the link
    page.wait_for_url(f"{hub.url}/login?**")
    assert "next=%2Flaunch%3Fv%3D1" in page.url
    page.fill("#token", "not-the-token")
    page.click("#sign-in")
    expect(page.locator("#error")).to_have_text("That token is unknown, expired or revoked.")
    page.fill("#token", ana)
    page.click("#sign-in")
    expect(page.locator("#project")).to_have_text("hello")
    expect(page.locator("#who")).to_have_text("ana")
    cookie = next(item for item in page.context.cookies() if item["name"] == "brain_hub_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert ana not in cookie["value"]
    page.click("#launch")
    expect(page.locator("#status")).to_have_text("succeeded", timeout=120_000)

    page.click("#logout")
    expect(page.locator("#token")).to_be_visible()
    page.goto(link)
    page.fill("#token", vic)
    page.click("#sign-in")
    expect(page.locator("#who")).to_have_text("vic")
    page.click("#launch")
    expect(page.locator("#error")).to_contain_text("is a viewer; this needs the launcher role")
    page.goto(hub.url + "/")
    expect(page.locator("#launches li")).to_have_count(1)  # ana's, seen by the viewer

    assert brain("hub", "token", "revoke", "vic").exit_code == 0
    page.reload()
    expect(page.locator("#token")).to_be_visible()  # the session went with the token
    assert page.url.startswith(f"{hub.url}/login")

"""The notebook-report template's report as a reader sees it, in Debian's Chromium through
Playwright: provenance on top, values once as a table, code folded behind a toggle, a chart,
nothing fetched from the network, readable on a 390 px phone, no serious axe violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.scaffold.test_templates_run import _brain, _ok, _set_up
from tests.share.conftest import NEEDS_CHROMIUM, page  # noqa: F401  (the page fixture)
from tests.share.test_hub_pages_browser import (  # noqa: F401  (the axe_script fixture)
    PHONE,
    SHOTS,
    axe_script,
    fits_the_phone,
    serious_violations,
)

pytestmark = NEEDS_CHROMIUM


def test_the_report_has_provenance_folded_code_and_a_chart(
        brain: Any, tmp_path: Path, page: Any, axe_script: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    project = _set_up(brain, tmp_path, "notebook-report")
    _ok(_brain("run", "-e", "main", "-P", "days=30", "-P", "growth=0.05", cwd=project))
    found = list((project / ".brain" / "reports").glob("*/report.html"))
    assert len(found) == 1
    text = found[0].read_text(encoding="utf-8")
    assert "require.js" not in text
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size(PHONE)
    # Offline: any request that leaves the file fails the test.
    leaving: list[str] = []
    page.on("request", lambda request: leaving.append(request.url)
            if not request.url.startswith(("file:", "data:")) else None)
    page.goto(found[0].as_uri())
    provenance = page.locator("#brain-provenance")
    expect(provenance).to_contain_text(found[0].parent.name)  # the run id
    expect(provenance).to_contain_text("commit")
    rows = page.locator("#brain-parameters tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#brain-parameters")).to_contain_text("30")
    code = page.locator(".jp-CodeCell:not(.celltag_parameters):not(.celltag_injected-parameters)"
                        " .jp-Cell-inputWrapper").first
    expect(code).to_be_hidden()  # folded by default
    expect(page.locator(".celltag_injected-parameters")).to_be_hidden()
    chart = page.locator("svg[role=img]")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 200
    page.screenshot(path=str(SHOTS / "report-phone.png"), full_page=True)
    assert fits_the_phone(page)
    assert serious_violations(page, axe_script) == []
    page.click("#brain-code-toggle")
    expect(code).to_be_visible()
    expect(page.locator("#brain-code-toggle")).to_have_text("Hide code")
    expect(page.locator(".celltag_parameters")).to_be_hidden()  # still shown once: the table
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "report-desktop-code.png"), full_page=True)
    assert leaving == []
    index = project / ".brain" / "reports" / "index.html"
    _ok(_brain("report", "index", cwd=project))
    page.set_viewport_size(PHONE)
    page.goto(index.as_uri())
    assert page.locator("meta[name=viewport]").count() == 1
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "report-index-phone.png"), full_page=True)

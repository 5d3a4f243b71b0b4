"""Done-when of issue 6: two people on one machine. The author generates a link from the
fit-model example in a git repository; a colleague (another BRAIN_HOME) opens it in a browser
on a running hub, changes a parameter, and gets the result and its output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.share.conftest import NEEDS_CHROMIUM, Hub, git

pytestmark = [pytest.mark.slow,
              NEEDS_CHROMIUM]


def test_colleague_runs_the_authors_example_from_a_link(
        page: Any, start_hub: Callable[..., Hub], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # The author: a monorepo holding the example, pushed to a shared remote.
    remote = tmp_path / "shared" / "monorepo.git"
    remote.mkdir(parents=True)
    git(remote, "init", "-q", "--bare")
    work = tmp_path / "author" / "monorepo"
    shutil.copytree(REPO_ROOT / "examples" / "fit-model", work / "examples" / "fit-model",
                    ignore=shutil.ignore_patterns(".brain", "__pycache__", "models"))
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "fit-model example")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "-u", "origin", "main")
    author_home = tmp_path / "author" / "brain-home"
    made = subprocess.run(
        [sys.executable, "-m", "brain", "generate-url", "-e", "fit models", "-P", "alpha=0.3",
         "--json", "--strict"], cwd=work / "examples" / "fit-model", capture_output=True,
        text=True, env={**os.environ, "BRAIN_HOME": str(author_home)}, check=False)
    assert made.returncode == 0, made.stderr
    link = json.loads(made.stdout)

    # The colleague: their own BRAIN_HOME, a hub, a browser.
    colleague_home = tmp_path / "colleague" / "brain-home"
    shared_uv_cache = os.environ.get("BRAIN_TEST_CACHE", str(REPO_ROOT / ".test-cache"))
    hub = start_hub("--allow", remote.as_uri(), env={
        "BRAIN_HOME": str(colleague_home), "BRAIN_CACHE_DIR": shared_uv_cache})
    page.goto(link["url"].replace("http://127.0.0.1:8765", hub.url))
    expect(page.locator("#project")).to_have_text("fit-model")
    expect(page.locator("#param-alpha")).to_have_value("0.3")
    page.select_option("#param-mode", "full")
    page.click("#launch")
    expect(page.locator("#status")).to_have_text("succeeded", timeout=180_000)
    expect(page.locator("#log")).to_contain_text("mode")
    with page.expect_response(lambda r: r.url.endswith("/outputs/models/model.json")) as got:
        page.locator("#output-list a", has_text="models/model.json").click()
    model = json.loads(got.value.text())
    assert model["alpha"] == 0.3 and model["mode"] == "full"
    assert not (author_home / "brain.db").exists()  # nothing ran on the author's side
    assert (colleague_home / "brain.db").exists()

"""The local PEP 503 index: layout, hashes, never overwriting, listing, other folders."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

from brain.publish.index import LocalIndex, normalize_name
from tests.publish.conftest import LIB_A


def test_publish_writes_the_simple_layout_with_hashes(brain, make_library, isolated) -> None:
    result = brain("publish", str(make_library()))
    assert result.exit_code == 0, result.output
    simple = isolated / "index" / "simple"
    root_page = (simple / "index.html").read_text()
    assert f'<a href="{LIB_A}/">{LIB_A}</a>' in root_page
    page = (simple / LIB_A / "index.html").read_text()
    links = re.findall(r'href="([^"#]+)#sha256=([0-9a-f]{64})"', page)
    assert sorted(name for name, _ in links) == [
        "zz_brain_pubtest_alpha-0.1.0-py3-none-any.whl", "zz_brain_pubtest_alpha-0.1.0.tar.gz"]
    for name, digest in links:
        assert hashlib.sha256((simple / LIB_A / name).read_bytes()).hexdigest() == digest


def test_already_published_version_is_refused_and_kept(brain, make_library, isolated) -> None:
    assert brain("publish", str(make_library(value="first"))).exit_code == 0
    wheel = next((isolated / "index" / "simple" / LIB_A).glob("*.whl"))
    before = wheel.read_bytes()
    # the same version with other code, written as another spelling of the same version
    again = brain("publish", str(make_library(version="0.1", value="second")))
    assert again.exit_code == 2
    assert f"{LIB_A} 0.1 is already published" in again.stderr
    assert "bump `version:`" in again.stderr
    assert wheel.read_bytes() == before


def test_new_version_is_added_beside_the_old(brain, make_library) -> None:
    assert brain("publish", str(make_library("0.1.0"))).exit_code == 0
    assert brain("publish", str(make_library("0.2.0"))).exit_code == 0
    listed = brain("index", "list", "--json")
    assert listed.exit_code == 0
    assert json.loads(listed.stdout)["projects"] == {LIB_A: ["0.1.0", "0.2.0"]}
    plain = brain("index", "list")
    assert f"{LIB_A}\t0.1.0, 0.2.0" in plain.stdout


def test_empty_index_listing(brain) -> None:
    result = brain("index", "list")
    assert result.exit_code == 0
    assert "is empty" in result.stdout


def test_publish_to_another_folder_and_json(brain, make_library, tmp_path: Path) -> None:
    target = tmp_path / "team-index"
    result = brain("publish", str(make_library()), "--index", str(target), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "local" and data["index"] == str(target.resolve())
    assert {f["kind"] for f in data["files"]} == {"wheel", "sdist"}
    assert (target / "simple" / LIB_A / "index.html").is_file()
    # the simple folder itself, or a file:// URL, name the same index
    again = brain("publish", str(make_library()), "--index", (target / "simple").as_uri())
    assert again.exit_code == 2 and "already published" in again.stderr


def test_publish_index_setting_is_the_default_target(brain, make_library, tmp_path) -> None:
    target = tmp_path / "configured"
    assert brain("config", "set", "publish_index", str(target)).exit_code == 0
    assert brain("publish", str(make_library())).exit_code == 0
    assert LocalIndex(target).has_version(LIB_A, "0.1.0")


def test_index_target_that_is_a_file_is_refused(brain, make_library, tmp_path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = brain("publish", str(make_library()), "--index", str(a_file))
    assert result.exit_code == 2 and "is a file" in result.stderr


def test_concurrent_publishes_of_one_version_publish_it_once(make_library, tmp_path) -> None:
    from brain.publish.build import build_project
    from brain.publish.index import AlreadyPublished
    from brain.spec.loader import load_project

    files = build_project(load_project(make_library())).files
    index = LocalIndex(tmp_path / "race")
    outcomes: list[str] = []

    def publish() -> None:
        try:
            index.publish([dist.path for dist in files])
            outcomes.append("published")
        except AlreadyPublished:
            outcomes.append("refused")

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["published", "refused", "refused", "refused"]
    assert len(index.files(LIB_A)) == 2


def test_names_normalize_as_pep_503_says() -> None:
    assert normalize_name("Air_Forecaster.v2--x") == "air-forecaster-v2-x"


def test_an_index_folder_that_cannot_be_written_is_reported(brain, make_library,
                                                            tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = brain("publish", str(make_library()), "--index", str(blocker / "index"))
    assert result.exit_code == 3
    assert "cannot write to the index" in result.stderr


def test_stray_files_with_markup_in_their_names_are_escaped(brain, make_library,
                                                            isolated) -> None:
    folder = isolated / "index" / "simple" / LIB_A
    folder.mkdir(parents=True)
    (folder / f'{LIB_A.replace("-", "_")}-0.0.1"><script>alert(1)<script>.tar.gz').write_text("x")
    (folder / "notes.txt").write_text("not a distribution")
    assert brain("publish", str(make_library())).exit_code == 0
    page = (folder / "index.html").read_text()
    assert "<script>" not in page and "notes.txt" not in page
    assert "0.1.0-py3-none-any.whl" in page


def test_index_pages_escape_what_a_distribution_says(tmp_path: Path) -> None:
    """Metadata from a published file (here its Requires-Python) is text on the page, never
    markup: the page is rendered with autoescape."""
    from html.parser import HTMLParser

    from brain.publish.index import _Link, _write_page

    page = tmp_path / "index.html"
    hostile = '>=3.8"><script>alert(1)</script>'
    _write_page(page, "Links for <x>", [_Link("a.whl#sha256=00", "a<b>.whl", hostile)])
    text = page.read_text()
    assert "<script>" not in text and "<b>" not in text and "<x>" not in text

    found: list[dict[str, str | None]] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                found.append(dict(attrs))

    Anchors().feed(text)
    assert found == [{"href": "a.whl#sha256=00", "data-requires-python": hostile}]


def test_a_busy_index_names_its_owner(tmp_path: Path, monkeypatch) -> None:
    """Two publishers: the second waits on the one lock helper and says who holds it."""
    import pytest

    from brain.errors import Busy
    from brain.publish import index as index_module

    monkeypatch.setattr(index_module, "LOCK_TIMEOUT_SECONDS", 0.3)
    local = LocalIndex(tmp_path / "index")
    (tmp_path / "index").mkdir()
    with (local._locked(), pytest.raises(Busy, match=r"the local index .* busy, `brain publish`"),
          local._locked()):
        pass

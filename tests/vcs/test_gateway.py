"""The git gateway refuses hostile refs and URLs wherever they come in: a sentinel file that a
command in the value would create proves that nothing ran."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.errors import BrainError, InvalidInput
from brain.vcs import gateway
from brain.vcs.repository import changed_files, open_repository
from brain.vcs.urls import check_clone_source, check_ref, check_url, strip_credentials
from tests.workspace import helpers
from tests.workspace.helpers import commit_all, spec_text, write_project


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A file only a hostile command would create; checked absent after each test."""
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a command hidden in a ref or URL ran"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    helpers.git(root, "init", "--quiet", "--initial-branch=main")
    write_project(root, "demand", spec_text("demand"))
    commit_all(root, "first")
    return root


def hostile_urls(sentinel: Path) -> list[str]:
    return [
        f"--upload-pack=touch {sentinel}",
        f"-oProxyCommand=touch {sentinel}",
        f"ext::sh -c touch% {sentinel}",
        f"ext::sh -c 'touch {sentinel}'",
        f"fd::17/{sentinel}",
        f"ssh://-oProxyCommand=touch%20{sentinel}/repo",
        f"-oProxyCommand=touch@host:{sentinel}",
    ]


def test_hostile_urls_are_refused_before_git(sentinel: Path) -> None:
    for url in hostile_urls(sentinel):
        with pytest.raises(InvalidInput):
            check_url(url)
        with pytest.raises(InvalidInput):
            check_clone_source(url)


def test_remote_helpers_are_refused_by_git_itself(sentinel: Path, tmp_path: Path) -> None:
    """Even a URL that skipped the checks cannot reach ext:: or fd:: through the gateway."""
    for url in (f"ext::sh -c touch% {sentinel}", "fd::0"):
        result = gateway.attempt("clone", "--quiet", "--", url, str(tmp_path / "clone"))
        assert not result.ok
        assert "transport" in result.stderr and "not allowed" in result.stderr


def test_repository_config_cannot_allow_ext(sentinel: Path, repository: Path, brain) -> None:
    """A repository that allows ext:: in its own config and names an ext:: remote: sync
    fails and nothing runs."""
    helpers.git(repository, "config", "protocol.ext.allow", "always")
    helpers.git(repository, "config", "protocol.allow", "always")
    helpers.git(repository, "remote", "add", "origin", f"ext::sh -c touch% {sentinel}")
    (repository / "demand" / "run.py").write_text("print('v2')\n")
    result = brain("sync", "-m", "v2", cwd=repository)
    assert result.exit_code == 3, result.output
    assert "fetching from origin failed" in result.stderr


@pytest.mark.parametrize("ref", ["--upload-pack=touch x", "-oProxyCommand=x", "--output=x",
                                 "a..b", "main branch", "", "x\n"])
def test_hostile_refs_are_refused(ref: str, sentinel: Path, repository: Path) -> None:
    with pytest.raises(InvalidInput, match="invalid git ref"):
        check_ref(ref)
    with pytest.raises(InvalidInput, match="invalid git ref"):
        changed_files(repository, ref.replace("x", str(sentinel)))


def test_option_like_refs_never_reach_git_as_options(sentinel: Path, repository: Path,
                                                     brain) -> None:
    output = sentinel.with_name("output")
    result = brain("affected", "--since", f"--output={output}", cwd=repository)
    assert result.exit_code == 2 and "invalid git ref" in result.stderr
    assert not output.exists()


def test_generate_refuses_hostile_project_urls(sentinel: Path, tmp_path: Path, brain) -> None:
    for url in (f"ext::sh -c touch% {sentinel}", f"ssh://-oProxyCommand=touch%20{sentinel}/r"):
        result = brain("generate", "--project", url, "--no-input", str(tmp_path / "copy"),
                       cwd=tmp_path)
        assert result.exit_code == 2, result.output
    assert not (tmp_path / "copy").exists()


def test_launch_fetch_refuses_hostile_repos(sentinel: Path) -> None:
    from brain.share.fetch import fetch_commit

    for url in hostile_urls(sentinel):
        with pytest.raises(InvalidInput):
            fetch_commit(url, "a" * 40)


def test_failures_carry_gits_words(repository: Path) -> None:
    with pytest.raises(BrainError, match=r"reading nothing failed: .*Needed a single revision"):
        gateway.git("rev-parse", "--verify", "--end-of-options", "nothing^{commit}",
                    cwd=repository, what="reading nothing")


def test_open_repository_outside_git(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not inside a git repository"):
        open_repository(tmp_path / "missing")


def test_strip_credentials() -> None:
    assert strip_credentials("https://u:p@example.com/x.git") == "https://example.com/x.git"
    assert strip_credentials("git@example.com:x.git") == "git@example.com:x.git"


@given(st.text(max_size=80))
def test_accepted_urls_are_never_options_or_helpers(text: str) -> None:
    try:
        url = check_url(text)
    except InvalidInput:
        return
    assert not url.startswith("-")
    assert "::" not in url.split("/", 1)[0]
    assert not any(ch.isspace() for ch in url)


@given(st.text(max_size=40))
def test_accepted_refs_are_never_options(text: str) -> None:
    try:
        ref = check_ref(text)
    except InvalidInput:
        return
    assert ref and not ref.startswith("-") and ".." not in ref

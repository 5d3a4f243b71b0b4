"""Remote URLs, names and pulled paths: strict parsing, hostile input refused (exit 2),
and no input that makes the parser fail any other way."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.errors import InvalidInput
from brain.remote.settings import Remote, check_brain_command
from brain.remote.ssh import rsync_shell, ssh_argv
from brain.remote.url import (
    RemoteUrl,
    check_project_path,
    check_remote_name,
    parse_remote_url,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("ssh://box", RemoteUrl("box")),
    ("ssh://me@box.example.com:2222/srv/demo",
     RemoteUrl("box.example.com", "me", 2222, "/srv/demo")),
    ("ssh://10.0.0.5/~/work/demo", RemoteUrl("10.0.0.5", path="work/demo")),
    ("ssh://[::1]:22/data", RemoteUrl("[::1]", path="/data")),
    ("ssh://box/srv//demo/./", RemoteUrl("box", path="/srv/demo")),
])
def test_parses(text: str, expected: RemoteUrl) -> None:
    assert parse_remote_url(text) == expected
    assert parse_remote_url(str(expected)) == expected  # round trip


@pytest.mark.parametrize("text", [
    "ssh://-oProxyCommand=touch${IFS}/tmp/pwned/x",
    "ssh://-oProxyCommand=id",
    "ssh://-p22@box",
    "ssh://me@-box",
    "ssh://-me@box",
    "ssh://box -oProxyCommand=id",
    "ssh://box\t/x",
    "ssh://box/x\ny",
    "ssh://box/x\x00",
    "ssh://box:0", "ssh://box:65536", "ssh://box:-1", "ssh://box:22x",
    "ssh://box/../etc", "ssh://box/srv/../../etc", "ssh://box/~root/x",
    "http://box", "box", "", "ssh://", "ssh://@box", "ssh://me@", "ssh://b$x",
    "ssh://box;id", "ssh://`id`", "ssh://$(id)", "ssh://[::1", "ssh://box/" + "x" * 2000,
])
def test_hostile_urls_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_remote_url(text)


def test_default_and_home_relative_folders() -> None:
    assert parse_remote_url("ssh://box").folder("demo") == "brain-projects/demo"
    assert parse_remote_url("ssh://box/~/work/x").folder("demo") == "work/x"
    assert parse_remote_url("ssh://box/srv/x").folder("demo") == "/srv/x"


def test_refused_url_exits_2(brain) -> None:  # type: ignore[no-untyped-def]
    result = brain("remote", "add", "box", "ssh://-oProxyCommand=touch${IFS}pwned/x")
    assert result.exit_code == 2
    assert "not accepted" in result.stderr
    assert brain("remote", "list", "--json").stdout.strip() == "[]"


@given(st.text(max_size=80))
def test_any_text_parses_or_is_refused(text: str) -> None:
    try:
        url = parse_remote_url(text)
    except InvalidInput:
        return
    assert not url.host.startswith("-") and not (url.user or "x").startswith("-")
    assert all(ch not in url.host + (url.path or "") for ch in string.whitespace)


@given(st.from_regex(r"ssh://[ -~]{0,40}", fullmatch=True))
def test_url_like_text_parses_or_is_refused(text: str) -> None:
    try:
        url = parse_remote_url(text)
    except InvalidInput:
        return
    argv = ssh_argv(Remote("box", url), "true")
    # the host is the one word after `--`, and no word before it came from the URL unchecked
    assert argv[argv.index("--") + 1] == url.ssh_host
    assert not url.ssh_host.startswith("-")


@given(st.text(max_size=60))
def test_pulled_paths_stay_inside(text: str) -> None:
    try:
        path = check_project_path(text)
    except InvalidInput:
        return
    assert not path.startswith(("/", "-", "~"))
    assert ".." not in path.split("/")
    assert path.split("/")[0] not in (".brain", ".git")


def test_ssh_always_batch_mode_and_double_dash() -> None:
    remote = Remote("box", parse_remote_url("ssh://me@box:2200/srv"), identity="/k e y")
    argv = ssh_argv(remote, "true")
    assert argv[argv.index("--") + 1:] == ["box", "true"]
    assert "BatchMode=yes" in argv and argv[argv.index("-p") + 1] == "2200"
    assert argv[argv.index("-l") + 1] == "me"
    shell = rsync_shell(remote)
    assert shell.endswith(" --") and "'/k e y'" in shell


@pytest.mark.parametrize("name", ["Box", "-x", "a b", "", "x" * 70, "a/b", "é"])
def test_bad_remote_names(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_remote_name(name)


@pytest.mark.parametrize("command", ["-oX", "brain; id", "a b", "", "x\n"])
def test_bad_brain_commands(command: str) -> None:
    with pytest.raises(InvalidInput):
        check_brain_command(command)


def test_hand_edited_remotes_file_is_checked(brain, isolated) -> None:  # type: ignore[no-untyped-def]
    (isolated / "remotes.json").write_text('{"remotes": {"box": {"url": "ssh://-oX=y"}}}')
    result = brain("remote", "list")
    assert result.exit_code == 2 and "remotes.box" in result.stderr
    (isolated / "remotes.json").write_text('{"remotes": {"box": {"url": "ssh://b", "pw": 1}}}')
    assert "unknown key 'pw'" in brain("remote", "list").stderr
    (isolated / "remotes.json").write_text("{not json")
    assert brain("remote", "list").exit_code == 2


@given(st.text(alphabet=st.sampled_from("<>ch.*fdLS+ \r\n/-xdeleting9"), max_size=200))
def test_rsync_output_reader_never_fails(text: str) -> None:
    from brain.remote.sync import _changes

    for change in _changes(text):
        assert change.path and change.path != "./"
        assert "\n" not in change.path and "\r" not in change.path


def test_rsync_output_with_progress_interleaved() -> None:
    from brain.remote.sync import _changes

    text = ("<f+++++++++ src/a.py\r          1,024 100%    0.00kB/s    0:00:00 (xfr#1)\n"
            "\r         2,048 100% 1.00MB/s 0:00:00<f.st...... b c.txt\n"
            "*deleting   old.txt\ncd+++++++++ data/\n.d..t...... ./\n")
    assert [(c.code, c.path) for c in _changes(text)] == [
        ("<f+++++++++", "src/a.py"), ("<f.st......", "b c.txt"), ("*deleting", "old.txt"),
        ("cd+++++++++", "data/")]

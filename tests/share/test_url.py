"""The launch link format: round trips, signatures, and every hostile field refused."""

from __future__ import annotations

import pytest

from brain.errors import InvalidInput
from brain.share.url import (
    MAX_URL_BYTES,
    NotAllowed,
    TooLong,
    make_link,
    normalize_path,
    parse_link,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_round_trip_keeps_every_field() -> None:
    link = make_link("file:///srv/repo.git", SHA, path="./projects//hello/", entry="fit models",
                     params={"alpha": "0.7", "note": "a b&c=d"}, hub="https://hub.example/x")
    url = link.to_url()
    assert url.startswith("https://hub.example/x/launch?v=1&repo=file:///srv/repo.git&")
    back = parse_link(url)
    assert back == link
    assert back.path == "projects/hello"
    assert back.params == {"alpha": "0.7", "note": "a b&c=d"}
    alone = parse_link(link.query())  # the query alone parses too (on the default hub)
    assert (alone.repo, alone.commit, alone.path, alone.entry, alone.params) == \
        (link.repo, link.commit, link.path, link.entry, link.params)


def test_signature_verifies_and_detects_tampering() -> None:
    link = make_link("https://git.example/a/b.git", SHA, params={"alpha": "0.7"}).sign("s3cret")
    parsed = parse_link(link.to_url())
    parsed.verify("s3cret")
    with pytest.raises(NotAllowed, match="signature does not match"):
        parsed.verify("other")
    tampered = parse_link(link.to_url().replace("p.alpha=0.7", "p.alpha=0.9"))
    with pytest.raises(NotAllowed, match="signature does not match"):
        tampered.verify("s3cret")
    with pytest.raises(NotAllowed, match="requires signed links"):
        make_link("https://git.example/a/b.git", SHA).verify("s3cret")


def query(**fields: str) -> str:
    base = {"repo": "file:///srv/r.git", "commit": SHA}
    base.update(fields)
    return "&".join(f"{key}={value}" for key, value in base.items())


@pytest.mark.parametrize(("text", "message"), [
    (query(commit="-" + SHA[1:]), "begins with '-'"),
    (query(commit="--upload-pack=touch"), "begins with '-'"),
    (query(commit="main"), "full 40-hex-digit SHA"),
    (query(commit=SHA[:12]), "full 40-hex-digit SHA"),
    (query(repo="--upload-pack=touch /tmp/x"), "begins with '-'"),
    (query(repo="ext::sh -c touch% /tmp/pwned"), "remote-helper|whitespace"),
    (query(repo="ftp://host/x"), "scheme 'ftp'"),
    (query(repo="just-a-name"), "not a git URL"),
    (query(path="../outside"), "escapes the repository"),
    (query(path="a/../../b"), "escapes the repository"),
    (query(path="/etc"), "must be relative"),
    (query(path="a\\..\\b"), "must be relative"),
    (query(**{"p.bad name": "1"}), "not a valid name"),
    (query(extra="1"), "unknown field 'extra'"),
    (query(sig="abc"), "64-hex-digit"),
    (query(v="9"), "v='9' is not supported"),
    ("repo=file:///srv/r.git", "no 'commit'"),
    (query() + f"&commit={SHA}", "appears twice"),
    (query(entry="%0aevil"), "control characters"),
    ("http://hub/other?" + query(), "expected /launch"),
])
def test_hostile_links_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_link(text)


def test_oversized_link_is_refused_before_parsing() -> None:
    huge = "http://hub/launch?" + query() + "&p.x=" + "a" * 100_000
    with pytest.raises(TooLong, match=f"over the {MAX_URL_BYTES}-byte limit"):
        parse_link(huge)


def test_path_normalisation() -> None:
    assert normalize_path("") == ""
    assert normalize_path(".") == ""
    assert normalize_path("a/./b/") == "a/b"
    with pytest.raises(InvalidInput):
        normalize_path("-rf")

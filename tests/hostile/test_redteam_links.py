"""A red-team pass through launch links: forged and tampered links given to `brain launch`,
and hostile requests to a real hub on 127.0.0.1 (one hub for the whole table). Nothing may
fetch, run or write; the hub answers every request with a 4xx, never a 500, and its memory
stays bounded whatever a client sends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from brain.share.url import make_link
from tests.conftest import end_process
from tests.hostile.conftest import brain_process
from tests.share.conftest import free_port, launch_python  # noqa: F401  # fixtures

C = "a" * 40
GOOD = make_link("https://example.com/r.git", C, entry="main").to_url()
SENTINEL = "/tmp/brain-redteam-SENTINEL"

# Links that must be refused before anything is fetched or run (query text after `launch?`).
FORGED = {
    "dash-repo": f"v=1&repo=-uhttps://x&commit={C}",
    "upload-pack": f"v=1&repo=--upload-pack=touch%20{SENTINEL}&commit={C}",
    "ext-helper": f"v=1&repo=ext::sh%20-c%20touch%20{SENTINEL}&commit={C}",
    "ext-no-space": f"v=1&repo=ext::touch&commit={C}",
    "fd-helper": f"v=1&repo=fd::17&commit={C}",
    "ssh-proxy-host": f"v=1&repo=ssh://-oProxyCommand=touch/x&commit={C}",
    "scp-dash-host": f"v=1&repo=git@-oProxyCommand=x:r&commit={C}",
    "ftp-scheme": f"v=1&repo=ftp://example.com/r&commit={C}",
    "no-host": f"v=1&repo=https:///r.git&commit={C}",
    "newline-repo": f"v=1&repo=https://example.com/r%0a--upload-pack=x&commit={C}",
    "nul-repo": f"v=1&repo=https://example.com/r%00&commit={C}",
    "dash-commit": "v=1&repo=https://example.com/r.git&commit=--output=/tmp/x",
    "short-commit": "v=1&repo=https://example.com/r.git&commit=abc123",
    "ref-commit": "v=1&repo=https://example.com/r.git&commit=HEAD~1",
    "path-dotdot": f"v=1&repo=https://example.com/r.git&commit={C}&path=../../etc",
    "path-absolute": f"v=1&repo=https://example.com/r.git&commit={C}&path=/etc",
    "path-backslash": f"v=1&repo=https://example.com/r.git&commit={C}&path=a\\..\\..",
    "path-encoded-dotdot": f"v=1&repo=https://example.com/r.git&commit={C}&path=a/%2e%2e/%2e%2e",
    "entry-slash": f"v=1&repo=https://example.com/r.git&commit={C}&entry=../x",
    "entry-bidi": f"v=1&repo=https://example.com/r.git&commit={C}&entry=%E2%80%AEx",
    "repeated-field": f"v=1&repo=https://example.com/r.git&repo=file:///etc&commit={C}",
    "unknown-field": f"v=1&repo=https://example.com/r.git&commit={C}&exec=x",
    "bad-version": f"v=9&repo=https://example.com/r.git&commit={C}",
    "param-ctrl-name": f"v=1&repo=https://example.com/r.git&commit={C}&p.a%0ab=1",
    "over-length": f"v=1&repo=https://example.com/r.git&commit={C}&p.a=" + "x" * 9000,
    "token-in-repo": f"v=1&repo=https://x-access-token:ghp_SECRET@example.com/r.git&commit={C}",
    "bare-token-in-repo": f"v=1&repo=https://ghp_SECRET@example.com/r.git&commit={C}",
    "ssh-password": f"v=1&repo=ssh://git:SECRET@example.com/r.git&commit={C}",
    "entry-dotdot": f"v=1&repo=https://example.com/r.git&commit={C}&entry=..",
    "entry-newline": f"v=1&repo=https://example.com/r.git&commit={C}&entry=a%0Ab",
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_brain_launch_refuses_a_forged_link(name: str, tmp_path: Path) -> None:
    done = brain_process("launch", "http://127.0.0.1:9/launch?" + FORGED[name], cwd=tmp_path)
    assert done.exit_code == 2, done.output
    assert "internal error" not in done.output
    assert not os.path.exists(SENTINEL)
    assert "fetching" not in done.output  # refused before git was asked anything


def test_a_link_without_credentials_still_names_a_user() -> None:
    from brain.share.url import parse_link

    for repo in ("ssh://git@example.com/r.git", "git@example.com:team/r.git",
                 "https://example.com/r.git"):
        assert parse_link(f"v=1&repo={repo}&commit={C}").repo == repo


def test_brain_launch_refuses_a_tampered_signed_link(tmp_path: Path) -> None:
    """A signature covers every field: a changed parameter or repository is refused."""
    signed = make_link("https://example.com/r.git", C, entry="main",
                       params={"alpha": "0.5"}).sign("s3cret").to_url()
    for tampered in (signed.replace("alpha=0.5", "alpha=0.6"),
                     signed.replace("example.com", "evil.example.com"),
                     signed.replace("entry=main", "entry=other"),
                     signed + "&p.extra=1"):
        from brain.errors import BrainError
        from brain.share.url import parse_link

        with pytest.raises(BrainError):
            parse_link(tampered).verify("s3cret")


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory,
        launch_python: str | None) -> Iterator[tuple[str, int]]:  # noqa: F811
    """One real hub on 127.0.0.1 for the whole table: (its URL, its pid)."""
    folder = tmp_path_factory.mktemp("redteam-hub")
    port = free_port()
    config = folder / "brain.toml"
    config.write_text(f'hub_python = "{launch_python}"\n' if launch_python else "")
    log = (folder / "hub.log").open("wb")
    env = {**os.environ, "BRAIN_CONFIG": str(config), "BRAIN_CACHE_DIR": str(folder / "cache"),
           "BRAIN_HOME": str(folder / "home")}
    env.pop("BRAIN_HUB_SECRET", None)
    process = subprocess.Popen([sys.executable, "-m", "brain", "hub", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, (folder / "hub.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the hub did not listen"
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", process.pid
    end_process(process)


def body(link: str, params: object = None) -> bytes:
    return json.dumps({"link": link, **({"params": params} if params is not None else {})}
                      ).encode()


# Raw POST bodies for /api/launches.
BODIES: dict[str, bytes] = {
    **{f"forged-{name}": body(query) for name, query in FORGED.items()
       if name != "over-length"},
    "deep-array": b'{"link":' + b"[" * 5000 + b"]" * 5000 + b"}",
    "deep-object": b'{"link": "x", "params": ' + b'{"a":' * 3000 + b"1" + b"}" * 3001,
    "array-root": b"[1, 2]",
    "not-json": b"link=x",
    "bad-utf8": b'{"link": "\xff"}',
    "lone-surrogate": b'{"link": "\\ud800"}',
    "huge-int-param": b'{"link": "x", "params": {"a": ' + b"9" * 5000 + b"}}",
    "nan-param": b'{"link": "x", "params": {"a": NaN}}',
    "nested-param": body("x", {"a": {"b": 1}}),
    "list-param": body("x", {"a": [1]}),
    "extra-field": b'{"link": "x", "env": {"LD_PRELOAD": "/tmp/x.so"}}',
    "over-cap": body("x" * 20000),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_hub_refuses_a_hostile_request_body(name: str, hub: tuple[str, int]) -> None:
    answer = httpx.post(f"{hub[0]}/api/launches", content=BODIES[name],
                        headers={"content-type": "application/json"}, timeout=30)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "error" in answer.json()
    assert not os.path.exists(SENTINEL)


PATHS = [
    "/api/launches/..%2F..%2Fetc%2Fpasswd", "/api/launches/..%2F..%2Fetc%2Fpasswd/logs",
    "/launches/x/outputs/..%2F..%2F..%2Fetc%2Fpasswd", "/launches/x/outputs//etc/passwd",
    "/api/launches/abc/logs?offset=-99999999999999999999999",
    "/api/launches/abc/logs?offset=" + "9" * 5000, "/launches/%2e%2e/report",
    "/launches/zzz/app", "/launches/%00", "/launch?repo=%3Cscript%3E&commit=x",
    "/launch?" + FORGED["path-dotdot"], "/launch?" + FORGED["ext-helper"],
    "/launch?" + "x" * 9000,
]


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path[:40])
def test_the_hub_refuses_a_hostile_path(path: str, hub: tuple[str, int]) -> None:
    answer = httpx.get(hub[0] + path, timeout=30)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    # No host file (passwd's first line) and no markup from the request: the hub's own pages
    # carry a <script> of theirs, so look for what the request tried to inject.
    assert "root:x:0:0" not in answer.text
    assert "<script>&" not in answer.text and "repo=<script>" not in answer.text


def hub_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_the_hub_does_not_hold_a_body_it_will_refuse(hub: tuple[str, int]) -> None:
    """A client streaming 200 MB (no Content-Length) or announcing 10 GB is cut off at the
    cap: the hub's own peak memory does not grow by the body's size."""
    url, pid = hub
    before = hub_peak_kib(pid)

    def stream() -> Iterator[bytes]:
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            yield chunk

    try:
        answer = httpx.post(f"{url}/api/launches", content=stream(), timeout=60)
        assert answer.status_code == 414, answer.text[:200]
    except httpx.HTTPError:
        pass  # the hub may close the connection once it has refused: also a refusal
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(b"POST /api/launches HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000"
                    b"\r\nContent-Type: application/json\r\n\r\n{")
        raw.settimeout(30)
        assert b" 414 " in raw.recv(4096).split(b"\r\n", 1)[0]
    assert hub_peak_kib(pid) - before < 100_000
    assert httpx.get(f"{url}/api/launches", timeout=30).status_code == 200


def test_a_default_hub_refuses_a_repository_on_its_own_disk(hub: tuple[str, int],
                                                            make_remote) -> None:
    """A stranger's link may not make a hub (started without --allow) run a repository from
    the hub's own disk; refused before anything is fetched."""
    from brain.share.url import make_link

    remote = make_remote()
    link = make_link(remote.url, remote.commit, path="projects/hello", entry="main",
                     hub=hub[0])
    answer = httpx.post(hub[0] + "/api/launches", json={"link": link.to_url()}, timeout=30)
    assert answer.status_code == 403, answer.text
    assert "own disk" in answer.text

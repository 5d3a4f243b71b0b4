"""Hub accounts against a real `brain hub --auth tokens` on 127.0.0.1: tokens made by the CLI,
each refusal (missing, wrong, expired, wrong role, revoked) before any work, two users with
different roles, per-user limits, the admin API, the audit log and trusted proxies; the
accounts in the hub's own SQLite file and in a shared PostgreSQL store."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from brain.paths import brain_home
from brain.share.fetch import repos_dir
from brain.share.url import make_link
from tests.conftest import Result
from tests.share.conftest import Hub, Remote, wait_finished

Brain = Callable[..., Result]


def make_token(brain: Brain, name: str, role: str, *extra: str) -> str:
    made = brain("hub", "token", "create", name, "--role", role, "--json", *extra)
    assert made.exit_code == 0, made.output
    token: str = json.loads(made.stdout)["token"]
    return token


@pytest.fixture(params=["sqlite", "postgresql"])
def accounts_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where tokens and the audit log live: the hub's own SQLite file, or a fresh PostgreSQL
    store named by BRAIN_STORE (which the hub started afterwards inherits)."""
    kind: str = request.param
    if kind == "postgresql":
        monkeypatch.setenv("BRAIN_STORE", request.getfixturevalue("postgres_url"))
    return kind


def accounts_file_made(kind: str) -> None:
    """The hub's own accounts file exists with a SQLite store, never with PostgreSQL."""
    assert (brain_home() / "hub" / "accounts.db").exists() == (kind == "sqlite")


@pytest.fixture
def clients() -> Iterator[Callable[..., httpx.Client]]:
    made: list[httpx.Client] = []

    def make(hub: Hub, token: str | None = None, **options: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=hub.url, timeout=60, headers=headers, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def no_work_done(client: httpx.Client) -> bool:
    """Nothing fetched (this test's own cache), no launch recorded (`client` may see them)."""
    fetched = repos_dir().exists() and any(repos_dir().iterdir())
    return not fetched and client.get("/api/launches").json() == []


async def echo(hub: Hub, path: str, token: str | None) -> str:
    """Say `hi` over the app's WebSocket through the hub, with `token` if given."""
    from websockets.asyncio.client import connect

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = hub.url.replace("http://", "ws://") + path
    async with connect(url, proxy=None, additional_headers=headers) as socket:
        await socket.send("hi")
        return str(await socket.recv())


def launch_body(remote: Remote, hub: Hub, entry: str = "write") -> dict[str, object]:
    link = make_link(remote.url, remote.commit, path="projects/hello", entry=entry, hub=hub.url)
    return {"link": link.to_url(), "params": {}}


def test_every_refusal_comes_before_any_work(
        brain: Brain, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        clients: Callable[..., httpx.Client], accounts_store: str) -> None:
    remote = make_remote()
    viewer = make_token(brain, "vera", "viewer")
    expired = make_token(brain, "old", "launcher", "--expires", "1s")
    revoked = make_token(brain, "gone", "launcher")
    assert brain("hub", "token", "revoke", "gone").exit_code == 0
    hub = start_hub("--auth", "tokens")
    body = launch_body(remote, hub)
    time.sleep(1.1)  # past the 1s lifetime of `old`
    cases = {"missing": (None, 401), "wrong": ("not-a-token", 401),
             "expired": (expired, 401), "revoked": (revoked, 401), "viewer": (viewer, 403)}
    for case, (token, status) in cases.items():
        answer = clients(hub, token).post("/api/launches", json=body)
        assert answer.status_code == status, (case, answer.text)
        message = answer.json()["error"]
        assert "\n" not in message and message, case
        if status == 401:
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "needs the launcher role" in clients(hub, viewer).post(
        "/api/launches", json=body).json()["error"]
    assert no_work_done(clients(hub, viewer))
    # A garbled header is refused as well, never an error of the hub's own.
    for header in ("Bearer", "Basic dXNlcjpwYXNz", "bearer x y", "Token abc"):
        answer = httpx.get(f"{hub.url}/api/launches", headers={"Authorization": header})
        assert answer.status_code == 401, header
    # The viewer sees pages and statuses; nobody without a token does.
    assert clients(hub, viewer).get("/api/launches").json() == []
    assert clients(hub).get("/api/launches").status_code == 401
    page = clients(hub).get("/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F"
    accounts_file_made(accounts_store)


def test_a_viewer_cannot_launch_a_launcher_can_and_revoking_is_immediate(
        brain: Brain, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        clients: Callable[..., httpx.Client], accounts_store: str) -> None:
    remote = make_remote()
    ana = make_token(brain, "ana", "launcher")
    vic = make_token(brain, "vic", "viewer")
    hub = start_hub("--auth", "tokens")
    body = launch_body(remote, hub)
    assert clients(hub, vic).post("/api/launches", json=body).status_code == 403
    assert no_work_done(clients(hub, vic))
    launcher = clients(hub, ana)
    created = launcher.post("/api/launches", json=body)
    assert created.status_code == 202, created.text
    launch_id = created.json()["id"]
    final = wait_finished(launcher, launch_id)
    assert final["status"] == "succeeded", final
    # Both see it; the viewer may download its output (audited).
    assert [item["id"] for item in clients(hub, vic).get("/api/launches").json()] == [launch_id]
    got = clients(hub, vic).get(f"/launches/{launch_id}/outputs/result.txt")
    assert got.status_code == 200 and got.text.startswith("alpha=")

    assert brain("hub", "token", "revoke", "ana").exit_code == 0
    again = launcher.post("/api/launches", json=body)
    assert again.status_code == 401, again.text
    assert launcher.get("/api/launches").status_code == 401

    audit = brain("hub", "audit", "--json")
    assert audit.exit_code == 0, audit.output
    entries = json.loads(audit.stdout)
    launch = next(entry for entry in entries if entry["action"] == "launch")
    assert launch["who"] == "ana" and launch["client"] == "127.0.0.1"
    assert launch_id in launch["target"] and remote.commit[:12] in launch["target"]
    download = next(entry for entry in entries if entry["action"] == "download")
    assert download["who"] == "vic" and "result.txt" in download["target"]
    assert [entry["action"] for entry in entries if entry["target"] == "ana"] == ["token-revoke"]
    listed = brain("hub", "token", "list", "--json")
    assert [item["name"] for item in json.loads(listed.stdout)] == ["vic"]
    assert vic not in listed.stdout and "digest" not in listed.stdout
    accounts_file_made(accounts_store)


def test_per_user_limit_is_429_and_leaves_others_alone(
        brain: Brain, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        clients: Callable[..., httpx.Client]) -> None:
    remote = make_remote()
    ana = make_token(brain, "ana", "launcher")
    bob = make_token(brain, "bob", "launcher")
    hub = start_hub("--auth", "tokens", "--max-launches-per-user", "1",
                    "--max-concurrent", "4")
    body = launch_body(remote, hub, entry="slow")
    first = clients(hub, ana).post("/api/launches", json=body)
    assert first.status_code == 202, first.text
    second = clients(hub, ana).post("/api/launches", json=body)
    assert second.status_code == 429, second.text
    assert second.json()["error"] == "ana already runs 1 launches (limit 1 per user)"
    assert len(clients(hub, bob).get("/api/launches").json()) == 1  # no second launch
    other = clients(hub, bob).post("/api/launches", json=body)
    assert other.status_code == 202, other.text
    for created in (first, other):
        launch_id = created.json()["id"]
        assert clients(hub, ana).post(f"/api/launches/{launch_id}/stop").status_code == 200
        assert wait_finished(clients(hub, ana), launch_id)["status"] == "stopped"


def test_admins_manage_tokens_and_limits_through_the_api(
        brain: Brain, start_hub: Callable[..., Hub], clients: Callable[..., httpx.Client],
        accounts_store: str) -> None:
    root = make_token(brain, "root", "admin")
    ana = make_token(brain, "ana", "launcher")
    hub = start_hub("--auth", "tokens")
    admin = clients(hub, root)
    made = admin.post("/api/tokens", json={"name": "carl", "role": "viewer", "expires": "2h"})
    assert made.status_code == 201, made.text
    carl = made.json()["token"]
    assert clients(hub, carl).get("/api/launches").status_code == 200
    names = {item["name"]: item for item in admin.get("/api/tokens").json()}
    assert set(names) == {"ana", "carl", "root"} and names["carl"]["expires_at"]
    assert all("token" not in item for item in names.values())
    for path in ("/api/tokens", "/api/audit", "/api/limits"):
        assert clients(hub, ana).get(path).status_code == 403, path
    assert clients(hub, ana).post("/api/tokens", json={"name": "x", "role": "admin"}) \
        .status_code == 403
    assert admin.post("/api/tokens", json={"name": "bad name", "role": "viewer"}) \
        .status_code == 400
    assert admin.post("/api/tokens", json={"name": "x", "role": "root"}).status_code == 400
    assert admin.post("/api/tokens", content=b"[1, 2").status_code == 400
    assert admin.put("/api/limits", json={"max_launches_per_user": 3}).json() == \
        {"max_concurrent": 2, "max_launches_per_user": 3}
    assert admin.put("/api/limits", json={"max_concurrent": 0}).status_code == 400
    assert admin.delete("/api/tokens/carl").status_code == 200
    assert clients(hub, carl).get("/api/launches").status_code == 401
    assert admin.delete("/api/tokens/carl").status_code == 404
    actions = [(entry["who"], entry["action"]) for entry in admin.get("/api/audit").json()]
    assert ("root", "token-create") in actions and ("root", "token-revoke") in actions
    assert ("root", "limits") in actions


def test_forwarded_for_counts_only_from_a_trusted_proxy(
        brain: Brain, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        clients: Callable[..., httpx.Client]) -> None:
    remote = make_remote()
    ana = make_token(brain, "ana", "launcher")
    forged = {"X-Forwarded-For": "203.0.113.7"}
    plain = start_hub("--auth", "tokens")
    created = clients(plain, ana).post("/api/launches", json=launch_body(remote, plain),
                                       headers=forged)
    wait_finished(clients(plain, ana), created.json()["id"])
    behind = start_hub("--auth", "tokens", "--trusted-proxy", "127.0.0.0/8")
    created = clients(behind, ana).post("/api/launches", json=launch_body(remote, behind),
                                        headers=forged)
    wait_finished(clients(behind, ana), created.json()["id"])
    clients_seen = [entry["client"] for entry in json.loads(brain("hub", "audit", "--json")
                                                            .stdout)
                    if entry["action"] == "launch"]
    assert clients_seen == ["127.0.0.1", "203.0.113.7"]


def test_anonymous_hub_is_open_and_audits_as_anonymous(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        clients: Callable[..., httpx.Client], brain: Brain) -> None:
    remote = make_remote()
    hub = start_hub()
    client = clients(hub)
    created = client.post("/api/launches", json=launch_body(remote, hub))
    assert created.status_code == 202, created.text
    wait_finished(client, created.json()["id"])
    entries = json.loads(brain("hub", "audit", "--json", "--since", "1h").stdout)
    assert [(entry["who"], entry["action"]) for entry in entries] == [("anonymous", "launch")]
    assert json.loads(brain("hub", "audit", "--json", "--since", "2999-01-01").stdout) == []


def test_a_token_made_in_one_home_opens_the_hub_of_another_through_postgres(
        brain: Brain, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        start_hub: Callable[..., Hub], clients: Callable[..., httpx.Client]) -> None:
    monkeypatch.setenv("BRAIN_STORE", postgres_url)
    ana = make_token(brain, "ana", "launcher", "--expires", "2h")
    other = tmp_path / "other-home"
    monkeypatch.setenv("BRAIN_HOME", str(other))  # another person's state, the same store
    listed = json.loads(brain("hub", "token", "list", "--json").stdout)
    assert [(item["name"], item["role"]) for item in listed] == [("ana", "launcher")]
    hub = start_hub("--auth", "tokens")
    assert clients(hub, ana).get("/api/launches").status_code == 200
    assert brain("hub", "token", "revoke", "ana").exit_code == 0
    assert clients(hub, ana).get("/api/launches").status_code == 401
    actions = [(entry["action"], entry["target"]) for entry in
               json.loads(brain("hub", "audit", "--json").stdout)]
    assert actions == [("token-create", "ana (launcher)"), ("token-revoke", "ana")]
    assert not (other / "hub" / "accounts.db").exists()


def test_token_commands_refuse_bad_input(brain: Brain) -> None:
    assert brain("hub", "token", "create", "a b", "--role", "viewer").exit_code == 2
    assert brain("hub", "token", "create", "ana", "--role", "owner").exit_code == 2
    assert brain("hub", "token", "create", "ana", "--role", "viewer", "--expires", "soon") \
        .exit_code == 2
    assert make_token(brain, "ana", "viewer")
    twice = brain("hub", "token", "create", "ana", "--role", "viewer")
    assert twice.exit_code == 2 and "revoke it first" in twice.output
    assert brain("hub", "token", "revoke", "nobody").exit_code == 2
    assert brain("hub", "audit", "--since", "yesterday").exit_code == 2
    listed = brain("hub", "token", "list")
    assert listed.exit_code == 0 and "ana" in listed.stdout and "viewer" in listed.stdout
    accounts = brain_home() / "hub" / "accounts.db"
    assert oct(accounts.stat().st_mode & 0o777) == "0o600"


def test_accounts_file_that_is_a_symlink_is_refused(brain: Brain, tmp_path: Path) -> None:
    hub = brain_home() / "hub"
    hub.mkdir(parents=True)
    (hub / "accounts.db").symlink_to(tmp_path / "elsewhere.db")
    made = brain("hub", "token", "create", "ana", "--role", "viewer")
    assert made.exit_code == 3 and "symlink" in made.output
    assert not (tmp_path / "elsewhere.db").exists()


def test_apps_never_see_the_hubs_credentials_and_only_launchers_restart_them(
        brain: Brain, start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        clients: Callable[..., httpx.Client]) -> None:
    from tests.share.apps import WS_FILES

    remote = make_remote(WS_FILES, subdir="")
    ana = make_token(brain, "ana", "launcher")
    vic = make_token(brain, "vic", "viewer")
    hub = start_hub("--auth", "tokens")
    launcher, viewer = clients(hub, ana), clients(hub, vic)
    link = make_link(remote.url, remote.commit, entry="app", hub=hub.url)
    launch_id = launcher.post("/api/launches", json={"link": link.to_url()}).json()["id"]
    deadline = time.monotonic() + 90
    while not launcher.get(f"/api/launches/{launch_id}").json()["app_url"]:
        assert time.monotonic() < deadline, "the app did not answer"
        time.sleep(0.1)
    session = httpx.post(f"{hub.url}/login", data={"token": vic, "next": "/"}) \
        .cookies["brain_hub_session"]
    seen = httpx.get(f"{hub.url}/apps/{launch_id}/headers", headers={
        "Cookie": f"theme=dark; brain_hub_session={session}"}).json()
    assert seen["cookie"] == "theme=dark"  # the app's own cookie passes, the hub's does not
    seen = viewer.get(f"/apps/{launch_id}/headers").json()
    assert "authorization" not in seen and vic not in json.dumps(seen)
    # The app's WebSocket too: refused at the handshake without a token, relayed with one.
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused_socket:
        asyncio.run(echo(hub, f"/apps/{launch_id}/ws", None))
    assert refused_socket.value.response.status_code == 403
    assert asyncio.run(echo(hub, f"/apps/{launch_id}/ws", vic)) == "echo: hi"
    assert launcher.post(f"/api/launches/{launch_id}/stop").status_code == 200
    wait_finished(launcher, launch_id)
    refused = viewer.get(f"/apps/{launch_id}/")
    assert refused.status_code == 403 and "needs the launcher role" in refused.text
    assert len(viewer.get("/api/launches").json()) == 1  # nothing restarted
    restarted = launcher.get(f"/apps/{launch_id}/")
    assert restarted.status_code == 503  # starting again, for a launcher
    again = [item for item in launcher.get("/api/launches").json() if item["id"] != launch_id]
    assert len(again) == 1
    assert launcher.post(f"/api/launches/{again[0]['id']}/stop").status_code in (200, 409)

"""Fixtures for the dataset tests: a project with a folder remote, the test sshd (shared
with tests/remote) and an S3-compatible server (moto's) on 127.0.0.1, one per session.

Without sshd or moto the tests that need them skip, unless BRAIN_REQUIRE_SSH=1 /
BRAIN_REQUIRE_DATA=1 (scripts/test sets both), which makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.data.s3server import CREDENTIALS, MOTO_SERVER, moto_server
from tests.remote.sshd import Sshd, missing_tools, private_sshd

SPEC = """
name: demo
version: 0.1.0
entry_points:
  count:
    type: bash
    command: python count.py
    inputs: [data/train.csv]
    outputs: [data/summary.txt]
data:
  remotes:
    storage: {remote}
"""

COUNT = """
from pathlib import Path
rows = Path("data/train.csv").read_text().splitlines()
Path("data/summary.txt").write_text(f"{len(rows)} rows\\n")
print(len(rows), "rows")
"""


def git(*args: str, cwd: Path) -> str:
    """Run git (the real one) in `cwd`; its stdout."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def brain_process(*args: str, cwd: Path, **options: object) -> subprocess.CompletedProcess[str]:
    """brain as its own process (for kills and memory measurements)."""
    return subprocess.run([sys.executable, "-m", "brain", *args], cwd=cwd, text=True,
                          capture_output=True, **options)  # type: ignore[call-overload]


@pytest.fixture
def data_project(tmp_path: Path) -> Callable[..., Path]:
    """A git project with data/train.csv and a remote: data_project("{url: ...}") -> root."""

    def make(remote: str | None = None, *, name: str = "demo") -> Path:
        root = tmp_path / name
        (root / "data").mkdir(parents=True)
        remote = remote or f"{{url: {tmp_path / 'remote-store'}}}"
        (root / "onebrain.yml").write_text(textwrap.dedent(SPEC.format(remote=remote)).lstrip())
        (root / "count.py").write_text(textwrap.dedent(COUNT).lstrip())
        (root / "data" / "train.csv").write_text("x,y\n1,2\n3,4\n")
        git("init", "-q", cwd=root)
        return root

    return make


@pytest.fixture(scope="session")
def data_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """The private test sshd (tests/remote/sshd.py), for SSH remotes."""
    missing = missing_tools()
    if missing:
        if os.environ.get("BRAIN_REQUIRE_SSH") == "1":
            pytest.fail(f"{', '.join(missing)} missing and BRAIN_REQUIRE_SSH=1")
        pytest.skip(f"{', '.join(missing)} not installed (scripts/ssh-setup installs them)")
    with private_sshd(tmp_path_factory.mktemp("data-sshd")) as server:
        yield server


@pytest.fixture
def ssh_remote(data_sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An ssh:// remote URL on the test sshd (its keys through BRAIN_SSH_CONFIG)."""
    monkeypatch.setenv("BRAIN_SSH_CONFIG", str(data_sshd.client_config))
    return f"{{url: {data_sshd.url(tmp_path / 'ssh-store')}}}"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3-compatible server on 127.0.0.1 (a stand-in for a cloud bucket): its URL."""
    if not MOTO_SERVER.exists():
        if os.environ.get("BRAIN_REQUIRE_DATA") == "1":
            pytest.fail("moto_server missing and BRAIN_REQUIRE_DATA=1: pip install -e '.[test]'")
        pytest.skip("moto[server] not installed (the test extra has it)")
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture
def s3_remote(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the test S3 server, as the remote's YAML; AWS_* set."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    import boto3

    bucket = f"brain-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    return f"{{url: 's3://{bucket}/datasets', endpoint_url: '{s3_server}'}}"

"""A private sshd on 127.0.0.1 with keys made for the occasion (tests and benchmarks).

It runs from a config of its own (never the system's): one host key and authorized client
keys generated here, `StrictModes no` / `UsePAM no` / `PermitRootLogin yes` so it works as
root in a container, and `PermitUserEnvironment yes` so each authorized key sets its
session's environment: PATH with this worktree's .venv/bin first (the `brain` there is the
brain under test), BRAIN_HOME, Jupyter folders, and this machine's certificate and proxy
settings. brain reaches it through BRAIN_SSH_CONFIG, an ssh_config naming the client key
and a known_hosts file holding the host key.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import end_process

REPO_ROOT = Path(__file__).resolve().parents[2]
SSHD = Path("/usr/sbin/sshd")
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Sshd:
    """The running test sshd."""

    port: int
    user: str
    folder: Path
    client_config: Path
    remote_home: Path
    bare_key: Path  # its sessions get a PATH with mkdir only: no rsync, no brain

    def url(self, path: Path | str) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "brain-test",
                    "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _network_settings() -> dict[str, str]:
    """This machine's certificate, proxy and pip settings: the "remote" reaches the package
    index the way this machine does (a real box would have its own)."""
    names = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
             "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
    return {name: value for name, value in os.environ.items()
            if (name in names or name.startswith(("PIP_", "UV_"))) and '"' not in value}


def jupyter_folders(root: Path) -> dict[str, str]:
    """Jupyter's and IPython's user folders under `root` (never the real home's)."""
    return {"JUPYTER_DATA_DIR": str(root / "data"), "JUPYTER_CONFIG_DIR": str(root / "config"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "IPYTHONDIR": str(root / "ipython")}


def missing_tools() -> list[str]:
    """What a private sshd needs and this machine lacks."""
    missing = [tool for tool in ("ssh", "ssh-keygen", "rsync") if shutil.which(tool) is None]
    return missing + (["sshd"] if not SSHD.exists() else [])


@contextmanager
def private_sshd(folder: Path) -> Iterator[Sshd]:
    """Run an sshd configured in `folder` until the block ends."""
    host_key, client_key = folder / "host_key", folder / "client_key"
    host_public = _keygen(host_key)
    client_public = _keygen(client_key)
    remote_home = folder / "remote-brain-home"
    remote_home.mkdir()
    cache = os.environ.get("BRAIN_TEST_CACHE", str(REPO_ROOT / ".test-cache"))
    environment = {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
                   "BRAIN_HOME": str(remote_home), "BRAIN_CACHE_DIR": cache, "NO_COLOR": "1",
                   **jupyter_folders(remote_home / "jupyter"), **_network_settings()}
    options = ",".join(f'environment="{name}={value}"' for name, value in environment.items())
    bare_key = folder / "bare_key"
    bare_public = _keygen(bare_key)
    bare_bin = folder / "bare-bin"
    bare_bin.mkdir()
    (bare_bin / "mkdir").symlink_to(shutil.which("mkdir") or "/bin/mkdir")
    bare = f'environment="PATH={bare_bin}",environment="BRAIN_HOME={remote_home}"'
    (folder / "authorized_keys").write_text(f"{options} {client_public}\n"
                                            f"{bare} {bare_public}\n")
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text(textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {host_key}
        PidFile {folder / "sshd.pid"}
        AuthorizedKeysFile {folder / "authorized_keys"}
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin yes
        StrictModes no
        UsePAM no
        PermitUserEnvironment yes
        AllowTcpForwarding yes
        X11Forwarding no
        PrintMotd no
        Subsystem sftp internal-sftp
        LogLevel ERROR
        """))
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_public}\n")
    client_config = folder / "ssh_config"
    client_config.write_text(textwrap.dedent(f"""\
        Host *
            IdentityFile {client_key}
            IdentitiesOnly yes
            UserKnownHostsFile {known_hosts}
            StrictHostKeyChecking yes
            LogLevel ERROR
        """))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    log = (folder / "sshd.log").open("w")
    server = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"sshd exited: {(folder / 'sshd.log').read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                raise RuntimeError("sshd did not listen within 20 s") from None
            time.sleep(0.05)
    try:
        yield Sshd(port, getpass.getuser(), folder, client_config, remote_home, bare_key)
    finally:
        end_process(server, grace=10)
        log.close()

"""`brain remote lab` and `brain remote stop`: JupyterLab on the remote through an ssh tunnel,
and stopping what brain started there.

The lab runs detached on the remote (`nohup brain lab`, 127.0.0.1 only) with its pid in
`.brain-remote/lab.pid`; its token travels on ssh's stdin, never on a command line another
user could read. Locally, `ssh -N -L` forwards a port of 127.0.0.1 to it.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import BrainError, EnvironmentFailure
from brain.remote.settings import Remote
from brain.remote.ssh import run_ssh, shell_command, ssh_argv

if TYPE_CHECKING:
    from brain.remote.sync import SyncResult

# Not under `.brain/`: that folder is the remote brain's own state, which it creates itself
# (and refuses when something else made it first).
PID_FOLDER = ".brain-remote"

# Started on the remote as `sh -c SCRIPT brain-lab FOLDER BRAIN PORT`: the values arrive as
# positional parameters, so none of them is ever parsed as shell text.
_START = r"""
cd -- "$1" || exit 90
mkdir -p -- .brain-remote || exit 90
IFS= read -r JUPYTER_TOKEN || exit 93
export JUPYTER_TOKEN
nohup "$2" lab --no-browser --port "$3" >.brain-remote/lab.log 2>&1 </dev/null &
echo "$!" >.brain-remote/lab.pid
"""

# `sh -c SCRIPT brain-stop FOLDER`: SIGTERM each live process named by a pid file that is
# still brain's (its command line says so), wait for it, SIGKILL if it lingers; prints
# `stopped NAME PID` per process stopped, then removes the pid files.
_STOP = r"""
cd -- "$1" 2>/dev/null || exit 0
for file in .brain-remote/*.pid; do
    [ -f "$file" ] || continue
    pid=$(cat -- "$file")
    case "$pid" in ''|*[!0-9]*) rm -f -- "$file"; continue ;; esac
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
            | grep -q brain; then
        kill -TERM "$pid" 2>/dev/null
        tries=0
        while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 40 ]; do
            sleep 0.25; tries=$((tries + 1))
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        echo "stopped $(basename -- "$file" .pid) $pid"
    fi
    rm -f -- "$file"
done
"""

_LOG_TAIL = 'cd -- "$1" 2>/dev/null && tail -n 20 -- .brain-remote/lab.log 2>/dev/null'
_ALIVE = ('cd -- "$1" 2>/dev/null && kill -0 "$(cat -- .brain-remote/lab.pid 2>/dev/null)"'
          ' 2>/dev/null')


@dataclass(frozen=True)
class RemoteLab:
    """A JupyterLab started on a remote: where it listens there and its token."""

    remote: str
    folder: str
    remote_port: int
    token: str


@dataclass(frozen=True)
class Stopped:
    """One process `brain remote stop` ended: what it was (`lab`, `run-<id>`) and its pid."""

    what: str
    pid: int


def serve_remote_lab(remote: Remote, root: Path, folder: str, *, local_port: int = 0,
                     remote_port: int | None = None, timeout: float = 600.0,
                     on_ready: Callable[[str], None],
                     on_pushed: Callable[[SyncResult], None] | None = None) -> int:
    """Push, start JupyterLab on the remote, and hold an ssh tunnel to it until Ctrl-C;
    `on_ready(url)` gets the local URL once the lab answers through the tunnel. Returns the
    tunnel's exit code. The lab keeps running there (`stop_remote` ends it)."""
    from brain.lab import free_port, wait_for_lab
    from brain.process import run_live, scrubbed_environment, stop_process_group
    from brain.remote.sync import push

    pushed = push(remote, root, folder, need_brain=True)
    if on_pushed is not None:
        on_pushed(pushed)
    lab = start_remote_lab(remote, folder,
                           remote_port=remote_port or 20000 + secrets.randbelow(40000))
    local_port = local_port or free_port()
    failures: list[BrainError] = []

    def ready(tunnel: subprocess.Popen[bytes]) -> None:
        if wait_for_lab(local_port, lab.token, timeout=timeout,
                        alive=lambda: tunnel.poll() is None
                        and remote_lab_alive(remote, folder)):
            on_ready(f"http://127.0.0.1:{local_port}/lab?token={lab.token}")
            return
        log = remote_lab_log(remote, folder).strip() if tunnel.poll() is None else ""
        failures.append(EnvironmentFailure(
            f"JupyterLab on {remote.name} did not answer through the tunnel"
            + (f":\n{log}" if log else ""),
            hint=f"brain remote stop {remote.name}, then try again"))
        stop_process_group(tunnel)

    code, _ = run_live(tunnel_argv(remote, local_port, lab.remote_port), cwd=root,
                       env=scrubbed_environment(), on_start=ready)
    if failures:
        raise failures[0]
    return code


def start_remote_lab(remote: Remote, folder: str, *, remote_port: int) -> RemoteLab:
    """Start `brain lab` detached in `folder` on the remote (already pushed)."""
    token = secrets.token_urlsafe(24)
    command = shell_command("sh", "-c", _START, "brain-lab", folder, remote.brain,
                            str(remote_port))
    completed = run_ssh(remote, command, what=f"starting JupyterLab on {remote.name}",
                        input=token + "\n")
    if completed.returncode != 0:
        raise EnvironmentFailure(f"starting JupyterLab on {remote.name} failed "
                                 f"(exit {completed.returncode}): {completed.stderr.strip()}")
    return RemoteLab(remote.name, folder, remote_port, token)


def remote_lab_alive(remote: Remote, folder: str) -> bool:
    """Whether the lab brain started in `folder` still runs."""
    command = shell_command("sh", "-c", _ALIVE, "brain-lab", folder)
    return run_ssh(remote, command, what="checking JupyterLab").returncode == 0


def remote_lab_log(remote: Remote, folder: str) -> str:
    """The last lines of the remote lab's log (for an error message)."""
    command = shell_command("sh", "-c", _LOG_TAIL, "brain-lab", folder)
    return run_ssh(remote, command, what="reading the JupyterLab log").stdout


def tunnel_argv(remote: Remote, local_port: int, remote_port: int) -> list[str]:
    """`ssh -N -L` forwarding 127.0.0.1:local_port to the remote's 127.0.0.1:remote_port."""
    return ssh_argv(remote, None, extra=[
        "-N", "-o", "ExitOnForwardFailure=yes",
        "-L", f"127.0.0.1:{local_port}:127.0.0.1:{remote_port}"])


def stop_remote(remote: Remote, folder: str) -> list[Stopped]:
    """Stop every process brain started in `folder` on the remote (pid files)."""
    command = shell_command("sh", "-c", _STOP, "brain-stop", folder)
    completed = run_ssh(remote, command, what=f"stopping brain's processes on {remote.name}")
    if completed.returncode != 0:
        raise EnvironmentFailure(f"stopping on {remote.name} failed "
                                 f"(exit {completed.returncode}): {completed.stderr.strip()}")
    stopped = []
    for line in completed.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "stopped" and parts[2].isdigit():
            stopped.append(Stopped(parts[1], int(parts[2])))
    return stopped

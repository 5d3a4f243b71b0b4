"""ssh argv for a remote, the remote shell command text, and ssh's failures as clear errors.

ssh hands its command to the remote user's shell as one string, so every word brain puts
there goes through `shell_command` (POSIX quoting). Options always include BatchMode (never
hang on a password prompt) and a `--` before the host; the host itself was checked by
`brain.remote.url`. `BRAIN_SSH_CONFIG` names an ssh_config file passed with `-F`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence

from brain.errors import EnvironmentFailure
from brain.remote.settings import Remote

CONNECT_TIMEOUT = 10  # seconds

# Exit codes of brain's own probe script (`probe_command`); ssh itself uses 255.
MISSING_FOLDER, MISSING_RSYNC, MISSING_BRAIN = 90, 91, 92
SSH_FAILED = 255


def ssh_options(remote: Remote) -> list[str]:
    """The options every ssh to `remote` takes (also rsync's remote shell)."""
    options = ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
               "-o", "ServerAliveInterval=15", "-p", str(remote.url.port)]
    config = os.environ.get("BRAIN_SSH_CONFIG")
    if config:
        options[:0] = ["-F", config]
    if remote.identity:
        options += ["-i", remote.identity, "-o", "IdentitiesOnly=yes"]
    if remote.url.user:
        options += ["-l", remote.url.user]
    return options


def ssh_argv(remote: Remote, command: str | None, *, extra: Sequence[str] = ()) -> list[str]:
    """`ssh OPTIONS EXTRA -- HOST [COMMAND]`."""
    argv = ["ssh", *ssh_options(remote), *extra, "--", remote.url.ssh_host]
    return [*argv, command] if command is not None else argv


def rsync_shell(remote: Remote) -> str:
    """rsync's `-e` value: rsync splits it on spaces (honouring quotes) and then appends the
    host, so it ends with `--` and names no user (`-l` is among the options)."""
    return " ".join(shlex.quote(word) for word in ["ssh", *ssh_options(remote), "--"])


def shell_command(*words: str) -> str:
    """Words quoted for the remote POSIX shell: each stays one word whatever it holds."""
    return " ".join(shlex.quote(word) for word in words)


def folder_command(folder: str) -> str:
    """`cd` into the remote project folder (relative folders are relative to the home)."""
    return f"cd -- {shlex.quote(folder)}"


def probe_command(folder: str, *, create: bool, rsync: bool, brain: str | None) -> str:
    """A script that checks (and with `create` makes) the folder, and that rsync and brain
    exist. A failed check prints a `brain-remote: missing-WHAT` marker on stderr and exits
    with its MISSING_* code, so callers tell failures apart without reading prose: run
    alone over ssh, or in front of rsync's server (`--rsync-path`), saving a round trip."""
    quoted = shlex.quote(folder)

    def check(test: str, what: str, code: int) -> str:
        return f"{{ {test}; }} || {{ echo 'brain-remote: missing-{what}' >&2; exit {code}; }}"

    steps = [check(f"mkdir -p -- {quoted}" if create else f"test -d {quoted}", "folder",
                   MISSING_FOLDER)]
    if rsync:
        steps.append(check("command -v rsync >/dev/null 2>&1", "rsync", MISSING_RSYNC))
    if brain is not None:
        steps.append(check(f"command -v {shlex.quote(brain)} >/dev/null 2>&1", "brain",
                           MISSING_BRAIN))
    return "; ".join(steps)


def run_ssh(remote: Remote, command: str, *, what: str, input: str | None = None,
            timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run `command` on the remote, captured; ssh's own failures become clear errors."""
    from brain.process import run_captured

    completed = run_captured(ssh_argv(remote, command), input=input, timeout=timeout)
    if completed.returncode == SSH_FAILED:
        raise connection_failure(remote, completed.stderr, what=what)
    return completed


def probe_failure(remote: Remote, folder: str, stderr: str) -> EnvironmentFailure | None:
    """The clear error for a failed `probe_command` check named in `stderr`, if any."""
    target = remote_target(remote)
    if "brain-remote: missing-rsync" in stderr:
        return EnvironmentFailure(f"rsync is not installed on {remote.name} ({target})",
                                  hint=f"install it there: ssh {target} "
                                  "'sudo apt-get install -y rsync'")
    if "brain-remote: missing-brain" in stderr:
        return EnvironmentFailure(
            f"{remote.brain!r} is not on the PATH of {remote.name} ({target})",
            hint=f"install it there: ssh {target} 'python3 -m pip install --user brain-cli', "
            f"or name its full path: brain remote add {remote.name} {remote.url} "
            "--brain /path/to/brain --replace")
    if "brain-remote: missing-folder" in stderr:
        return EnvironmentFailure(f"the folder {folder!r} cannot be used on {remote.name}",
                                  hint=f"check it exists (push first) and is writable: "
                                  f"ssh {target} "
                                  f"{shlex.quote('ls -ld -- ' + shlex.quote(folder))}")
    return None


def remote_target(remote: Remote) -> str:
    """How a person would ssh there, for hints: `-p PORT user@host`."""
    port = f"-p {remote.url.port} " if remote.url.port != 22 else ""
    key = f"-i {shlex.quote(remote.identity)} " if remote.identity else ""
    return f"{key}{port}{remote.url.destination}"


def connection_failure(remote: Remote, stderr: str, *, what: str) -> EnvironmentFailure:
    """ssh exited 255: say whether the host is unreachable, the key refused, or the host key
    unknown, with the command that fixes it (exit 3)."""
    text = stderr.lower()
    target = remote_target(remote)
    if "permission denied" in text or "too many authentication failures" in text:
        return EnvironmentFailure(
            f"{what}: {remote.url.destination} refused the key",
            hint=f"copy your public key there: ssh-copy-id {target} (or pass --identity KEY "
            "to `brain remote add`)")
    if "host key verification failed" in text or "host key for" in text:
        return EnvironmentFailure(
            f"{what}: the host key of {remote.url.host} is unknown or changed",
            hint=f"check and accept it once: ssh {target} true")
    unreachable = ("connection refused", "could not resolve", "no route to host",
                   "timed out", "network is unreachable", "connection closed",
                   "connection reset", "name or service not known")
    if any(marker in text for marker in unreachable):
        return EnvironmentFailure(
            f"{what}: {remote.url.host} port {remote.url.port} cannot be reached "
            f"({_tail(stderr)})",
            hint=f"check the host is up and runs sshd: ssh {target} true")
    return EnvironmentFailure(f"{what}: ssh failed: {_tail(stderr)}",
                              hint=f"try it by hand: ssh {target} true")


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"

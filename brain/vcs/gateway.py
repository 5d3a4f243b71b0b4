"""The one way brain runs git: through brain.process, with the transport rules applied once.

Every call gets the same armour, whoever makes it:
- `GIT_ALLOW_PROTOCOL` (and `protocol.<name>.allow=never` for ext and fd): no remote-helper
  transport that runs commands, whatever URL reaches git, including through submodules or a
  repository's own config;
- no password prompt unless the caller is an interactive command (`interactive=True`): a
  private repository fails fast instead of hanging a hub or a CI job;
- the scrubbed environment of brain.process.

Values from users (refs, URLs) are checked by brain.vcs.urls before they get here, and the
verbs in brain.vcs put `--end-of-options` or `--` in front of them.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import NamedTuple

from brain.errors import BrainError, EnvironmentFailure, InvalidInput
from brain.vcs.urls import ALLOWED_PROTOCOLS

GIT_TIMEOUT = 300.0
# Belt and braces with GIT_ALLOW_PROTOCOL: config a repository carries cannot re-allow these.
_SAFE_CONFIG = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never")


class GitResult(NamedTuple):
    """What one git process did."""

    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when git exited 0."""
        return self.code == 0


def environment(*, interactive: bool = False) -> dict[str, str]:
    """The environment every git process gets."""
    from brain.process import scrubbed_environment

    extra = {"GIT_ALLOW_PROTOCOL": ":".join(ALLOWED_PROTOCOLS)}
    if not interactive:
        extra.update({"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""})
        if "GIT_SSH_COMMAND" not in os.environ:
            extra["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return scrubbed_environment(extra)


def attempt(*args: str, cwd: Path | None = None, what: str = "git",
            timeout: float = GIT_TIMEOUT, interactive: bool = False,
            env: dict[str, str] | None = None) -> GitResult:
    """Run `git ARGS` and return what happened, whatever the exit code.

    EnvironmentFailure only when git cannot run at all (missing, or the timeout).
    """
    from brain.process import run_captured

    extra = env or {}
    completed = run_captured(["git", *_SAFE_CONFIG, *args], cwd=cwd,
                             env={**environment(interactive=interactive), **extra},
                             what=what, timeout=timeout)
    return GitResult(completed.returncode, completed.stdout, completed.stderr)


def git(*args: str, cwd: Path | None = None, what: str,
        error: type[BrainError] = EnvironmentFailure, hint: str | None = None,
        timeout: float = GIT_TIMEOUT, interactive: bool = False,
        env: dict[str, str] | None = None) -> str:
    """Run `git ARGS`; its stdout, or `error` naming `what` with git's own last words."""
    result = attempt(*args, cwd=cwd, what=what, timeout=timeout, interactive=interactive,
                     env=env)
    if not result.ok:
        said = last_lines(result.stderr or result.stdout)
        raise error(f"{what} failed: {said}" if said else f"{what} failed", hint=hint)
    return result.stdout


def quietly(*args: str, cwd: Path | None = None, timeout: float = GIT_TIMEOUT,
            env: dict[str, str] | None = None) -> str | None:
    """`git ARGS`'s stdout, or None when git fails or is missing (for optional facts)."""
    try:
        result = attempt(*args, cwd=cwd, timeout=timeout, env=env)
    except BrainError:
        return None
    return result.stdout if result.ok else None


def last_lines(text: str, count: int = 3) -> str:
    """git's last `count` non-empty lines, joined for a one-line message."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:])


@functools.cache
def require_git() -> None:
    """EnvironmentFailure unless a git binary can run (asked once per process)."""
    try:
        attempt("--version", what="git --version", timeout=30)
    except BrainError as error:
        raise EnvironmentFailure(f"git is not usable: {error.message}",
                                 hint="install git (apt-get install git)") from None


def not_a_repository(path: Path) -> InvalidInput:
    """The error for a folder outside any git repository."""
    return InvalidInput(f"{path} is not inside a git repository",
                        hint="run `git init` (and commit) first")

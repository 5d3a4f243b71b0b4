"""A hub launch's own folder: a fresh working copy of the commit, a home, a temp folder and
a cache that belong to the launch alone, and the scrubbed environment the launch runs with.

Layout, under the hub's work folder:
  <id>/           the hub's (the log, the events, the result: the launch cannot write there)
  <id>/sandbox/   the launch user's: repo/ (working copy), home/, tmp/, cache/

When the launch ends its sandbox is handed back to the hub's user ("sealed"), so no later
launch can change what an earlier one produced.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from brain.share.limits import LaunchUser

# What a run needs from the hub's environment (the CA bundle settings are paths, so that
# installs work behind a TLS proxy); everything else (signing secret, tokens, cloud
# credentials, the hub's own BRAIN_* settings) stays with the hub, unless hub_pass_env names it.
PASSED_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "SSL_CERT_FILE",
                    "SSL_CERT_DIR")


def work_root(state_dir: Path, user: LaunchUser | None) -> Path:
    """Where launch folders go: the hub's `launches/`, unless the launch user cannot reach it
    (a home folder closed to others), then a private folder in the system temp dir, which
    lives as long as the hub (see `release_work_root`)."""
    preferred = state_dir / "launches"
    preferred.mkdir(parents=True, exist_ok=True)
    chosen = preferred if user is None or _reachable(preferred) else \
        Path(tempfile.mkdtemp(prefix="brain-hub-launches-"))
    if user is not None:
        chosen.chmod(0o711)  # launches pass through to their own folder, but cannot list
    return chosen


def release_work_root(root: Path, state_dir: Path) -> None:
    """Remove a temporary work root when the hub stops: the next hub makes a new one, so
    nothing would ever read it again, and each launch leaves a working copy and its
    environment there (hundreds of MB a hub run)."""
    if root != state_dir / "launches" and root.parent == Path(tempfile.gettempdir()) and \
            root.name.startswith("brain-hub-launches-") and not root.is_symlink():
        shutil.rmtree(root, ignore_errors=True)


def _reachable(folder: Path) -> bool:
    """True when every folder up to `folder` lets others through (search permission)."""
    for part in (folder.resolve(), *folder.resolve().parents):
        if not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def make_sandbox(folder: Path, checkout: Path, link_repo: str, commit: str,
                 user: LaunchUser | None) -> Path:
    """`folder/sandbox` with a working copy of `commit` in `repo/`, owned by `user`."""
    from brain.process import run_checked

    sandbox = folder / "sandbox"
    repo = sandbox / "repo"
    for part in ("home", "tmp", "cache"):
        (sandbox / part).mkdir(parents=True, exist_ok=True)
    env = _git_environment()
    # A clone through git's transport: a standalone copy of the commit's history (no shared
    # objects with the hub's cache), made fresh for this launch.
    run_checked(["git", "clone", "--quiet", "--no-local", "--no-checkout", "--",
                 str(checkout), str(repo)], env=env, what="copying the checkout", timeout=300)
    git = ["git", f"--git-dir={repo / '.git'}", f"--work-tree={repo}"]
    run_checked([*git, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach",
                 commit], env=env, what="checking out the launch's copy", timeout=300)
    run_checked([*git, "remote", "set-url", "origin", "--", link_repo], env=env,
                what="naming the remote", timeout=60)
    _drop_brain_state(repo)
    sandbox.chmod(0o700)
    if user is not None:
        hand_over(sandbox, user.uid, user.gid)
    return sandbox


def _drop_brain_state(repo: Path) -> None:
    """A committed `.brain/` is never used: brain's state is made by brain, here."""
    for found in list(repo.rglob(".brain")):
        if found.is_symlink() or not found.is_dir():
            found.unlink()
        else:
            shutil.rmtree(found)


def hand_over(root: Path, uid: int, gid: int) -> None:
    """Give `root` and everything under it to uid:gid, never following a symlink."""
    os.lchown(root, uid, gid)
    for folder, subfolders, files in os.walk(root, followlinks=False):
        for name in (*subfolders, *files):
            os.lchown(os.path.join(folder, name), uid, gid)


def seal(sandbox: Path) -> None:
    """Hand a finished launch's sandbox back to the hub's user (outputs stay readable)."""
    try:
        hand_over(sandbox, os.geteuid(), os.getegid())
    except OSError:
        return  # already gone, or not ours to change (a hub that is not root)


def launch_environment(sandbox: Path, extra: tuple[str, ...] = (),
                       user: LaunchUser | None = None) -> dict[str, str]:
    """The whole environment of a launch: the allowlisted variables (and `extra` names the
    hub's owner chose to pass), and the launch's own places."""
    env = {name: os.environ[name] for name in (*PASSED_VARIABLES, *extra)
           if name in os.environ and not name.startswith("BRAIN_")}
    home = sandbox / "home"
    env.update({
        "HOME": str(home),
        "TMPDIR": str(sandbox / "tmp"),
        "BRAIN_HOME": str(home / ".brain"),
        "BRAIN_CACHE_DIR": str(sandbox / "cache"),
        "NO_COLOR": "1",
    })
    if user is not None:  # an id from hub_uid_range has no account to look its name up in
        env.update(USER=user.name, LOGNAME=user.name)
    env.setdefault("LANG", "C.UTF-8")
    return env


def _git_environment() -> dict[str, str]:
    from brain.process import scrubbed_environment

    return scrubbed_environment({"GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "file"})


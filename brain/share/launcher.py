"""The hub's launches: each one a `brain launch` child process, contained, timed, logged.

A child process (not a thread of the hub) runs each launch, in its own working copy (see
brain.share.sandbox), with a scrubbed environment, as an unprivileged user when the hub is
root, and under the limits of brain.share.limits (rlimits applied before exec; cgroups for
memory and processes when the hub may make them). The hub kills it (its process group, and
everything left in its cgroups) when it outlives the wall-time limit. The child's stderr is the
launch log the page streams (for people, capped); its progress arrives as typed events on a
file descriptor of its own (brain.share.events), which the hub keeps in `events.jsonl`.
"""

from __future__ import annotations

import io
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import BrainError
from brain.share.history import Launch, LaunchHistory
from brain.share.launch_result import keep_record, outcome, read_progress
from brain.share.limits import HubLimits, LaunchUser

if TYPE_CHECKING:
    import subprocess

    from brain.share.url import LaunchLink

class TooBusy(BrainError):
    """The hub already runs as many launches as it may (HTTP 429)."""


@dataclass(frozen=True)
class LauncherSettings:
    """Limits and places for launches."""

    state_dir: Path  # BRAIN_HOME/hub: launches.db and one folder per launch
    max_concurrent: int = 2
    max_per_user: int | None = None  # launches one user (a token's name) may run at once
    limits: HubLimits = field(default_factory=HubLimits)
    user: LaunchUser | None = None  # who launches run as (None: the hub's own user)
    allow_data: tuple[str, ...] = ()  # dataset remotes a launch may pull from (--allow-data)

    @property
    def timeout(self) -> float:
        """Seconds a launch may run, environment build included."""
        return self.limits.timeout


class Launcher:
    """Starts launches as child processes and keeps their history."""

    def __init__(self, settings: LauncherSettings, history: LaunchHistory) -> None:
        from brain.share.sandbox import work_root

        self.settings = settings
        self.history = history
        self.root = work_root(settings.state_dir, settings.user)
        self._lock = threading.Lock()
        self._children: dict[str, subprocess.Popen[bytes] | None] = {}
        self._users: dict[str, LaunchUser] = {}  # running launches' own ids (hub_uid_range)
        self._ports: dict[str, int] = {}  # running apps: the port the hub gave each one
        self._visits: dict[str, float] = {}  # running apps: when the proxy last relayed
        self._stopped: dict[str, str] = {}  # launches stopped by the hub: why
        self._owners: dict[str, str] = {}  # running launches: who started each one
        self._bases: dict[str, str] = {}  # running apps: the public path they are served at

    def free_port(self) -> int:
        """A port for a new app: free now on 127.0.0.1 and not given to a running app."""
        import socket

        for _ in range(50):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port: int = probe.getsockname()[1]
            with self._lock:
                if port not in self._ports.values():
                    return port
        raise TooBusy("no free port for the app", hint="try again in a moment")

    def app_port(self, launch_id: str) -> int | None:
        """The port the hub gave a running app launch, or None (not an app, or ended)."""
        with self._lock:
            return self._ports.get(launch_id) if launch_id in self._children else None

    def visited(self, launch_id: str) -> None:
        """Someone used the app through the hub just now."""
        with self._lock:
            if launch_id in self._ports:
                self._visits[launch_id] = time.monotonic()

    def stop_idle(self, idle_seconds: float) -> list[str]:
        """Stop every app nobody has used for `idle_seconds`; the ids stopped."""
        now = time.monotonic()
        with self._lock:
            idle = [launch_id for launch_id, seen in self._visits.items()
                    if now - seen > idle_seconds and self._children.get(launch_id)]
        for launch_id in list(idle):
            launch = self.history.get(launch_id)
            if launch is None or read_progress(launch).app_url is None:
                self.visited(launch_id)  # still starting: its idle time counts from ready
                idle.remove(launch_id)
        for launch_id in idle:
            self.stop(launch_id, reason=f"stopped after {idle_seconds:g}s without visits; "
                                        "it starts again when its page is opened")
        return idle

    def active(self) -> int:
        """How many launches run now."""
        with self._lock:
            return len(self._children)

    def start(self, link: LaunchLink, checkout: Path, *, app_port: int | None = None,
              owner: str = "anonymous", root: str = "") -> Launch:
        """Start `link` (already admitted and validated, its commit checked out in the cache
        at `checkout`; an app listening on `app_port`, served under the hub's path `root`)
        for `owner`; TooBusy past the hub's cap or the owner's."""
        launch_id = secrets.token_hex(8)
        folder = self.root / launch_id
        with self._lock:
            self._check_room(owner)
            user = self._user_for(launch_id)
            self._children[launch_id] = None
            self._owners[launch_id] = owner
            self._bases[launch_id] = root
            if app_port is not None:
                self._ports[launch_id] = app_port
                self._visits[launch_id] = time.monotonic()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            launch = Launch(id=launch_id, created_at=time.time(), status="running",
                            link=link.to_url(), repo=link.repo, commit_sha=link.commit,
                            path=link.path, entry=link.entry, params=dict(link.params),
                            log_path=str(folder / "log.txt"))
            (folder / "log.txt").touch()
            self.history.add(launch)
        except BaseException:
            with self._lock:
                self._children.pop(launch_id, None)
                self._owners.pop(launch_id, None)
                self._bases.pop(launch_id, None)
                self._users.pop(launch_id, None)
                self._ports.pop(launch_id, None)
                self._visits.pop(launch_id, None)
            raise
        thread = threading.Thread(target=self._run, args=(launch, folder, checkout, user),
                                  daemon=True, name=f"launch-{launch_id}")
        thread.start()
        return launch

    def check_room(self, owner: str) -> None:
        """TooBusy when a launch for `owner` would be refused now: asked before any work
        (fetch, checkout); `start` asks again, atomically."""
        with self._lock:
            self._check_room(owner)

    def _check_room(self, owner: str) -> None:
        """TooBusy past the hub's cap or the owner's (called with the lock held)."""
        if len(self._children) >= self.settings.max_concurrent:
            raise TooBusy(f"the hub already runs {len(self._children)} launches "
                          f"(limit {self.settings.max_concurrent})",
                          hint="wait for one to finish and try again")
        mine = sum(1 for who in self._owners.values() if who == owner)
        if self.settings.max_per_user is not None and mine >= self.settings.max_per_user:
            raise TooBusy(f"{owner} already runs {mine} launches (limit "
                          f"{self.settings.max_per_user} per user)",
                          hint="wait for one of yours to finish, or stop one")

    def _user_for(self, launch_id: str) -> LaunchUser | None:
        """The user a new launch runs as: with hub_uid_range, an id no running launch has
        (called with the lock held)."""
        from brain.share.limits import range_user

        span = self.settings.limits.uid_range
        if span is None or self.settings.user is None:
            return self.settings.user
        taken = {user.uid for user in self._users.values()}
        uid = next((uid for uid in range(span[0], span[1] + 1) if uid not in taken), None)
        if uid is None:
            raise TooBusy(f"every id of hub_uid_range {span[0]}-{span[1]} runs a launch",
                          hint="wait for one to finish, or widen hub_uid_range")
        self._users[launch_id] = range_user(uid)
        return self._users[launch_id]

    def stop(self, launch_id: str, reason: str = "stopped on request") -> bool:
        """Stop one running launch (Ctrl-C to its process group); False if it is not running.
        It ends as `stopped`, with `reason` as its message."""
        from brain.process import stop_process_group

        with self._lock:
            child = self._children.get(launch_id)
            if child is not None:
                self._stopped[launch_id] = reason
        if child is None:
            return False
        stop_process_group(child)
        return True

    def stop_all(self) -> None:
        """Stop every running launch (the hub is shutting down)."""
        from brain.process import stop_process_group

        with self._lock:
            children = [child for child in self._children.values() if child is not None]
        for child in children:
            stop_process_group(child)

    def close(self) -> None:
        """Stop every launch and let go of the work folders (the hub is shutting down)."""
        from brain.share.sandbox import release_work_root

        self.stop_all()
        release_work_root(self.root, self.settings.state_dir)

    def _run(self, launch: Launch, folder: Path, checkout: Path,
             user: LaunchUser | None) -> None:
        from brain.process import Limits, run_live, stop_process_group
        from brain.share.limits import (
            Cgroups,
            launch_python,
            log_message,
            memory_message,
            processes_message,
            timeout_message,
        )
        from brain.share.sandbox import launch_environment, make_sandbox, seal

        limits = self.settings.limits
        timed_out = threading.Event()
        log_full = threading.Event()
        timers: list[threading.Timer] = []
        cgroups = Cgroups(f"launch-{launch.id}", limits)

        def stop_now() -> None:
            with self._lock:
                child = self._children.get(launch.id)
            if child is not None:
                stop_process_group(child)
            cgroups.kill_all()

        def started(child: subprocess.Popen[bytes]) -> None:
            with self._lock:
                self._children[launch.id] = child

            def expire() -> None:
                timed_out.set()
                stop_now()

            timer = threading.Timer(limits.timeout, expire)
            timer.daemon = True
            timer.start()
            timers.append(timer)

        def too_much_output() -> None:
            log_full.set()
            threading.Thread(target=stop_now, daemon=True).start()  # not in the pump's thread

        code: int | None = None
        message: str | None = None
        sandbox: Path | None = None
        events_fd = -1
        try:
            # The child's channel: a file of the hub's, written through an inherited descriptor.
            events_fd = os.open(folder / "events.jsonl",
                                os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
            sandbox = make_sandbox(folder, checkout, launch.repo, launch.commit_sha, user)
            argv = [launch_python(limits), "-m", "brain", "launch", "--json",
                    f"--events-fd={events_fd}", f"--checkout={sandbox / 'repo'}",
                    *(f"--allow-data={pattern}" for pattern in self.settings.allow_data),
                    "--", launch.link]
            cap = Limits(cpu_seconds=limits.cpu_seconds,
                         # With a memory cgroup, the kernel counts what is really used (and
                         # says so); address space is only the fallback measure.
                         memory_bytes=None if cgroups.procs else limits.memory,
                         file_bytes=limits.file_size,
                         # Per user, so only with a dedicated one; above the cgroup's own
                         # count when there is one, so that the cgroup says what was hit.
                         processes=None if user is None else
                         limits.processes * (2 if cgroups.procs else 1),
                         uid=user.uid if user else None, gid=user.gid if user else None,
                         cgroups=cgroups.procs)
            env = launch_environment(sandbox, limits.pass_env, user)
            if launch.id in self._ports:
                env.update(app_environment(launch.id, self._bases.get(launch.id, "")))
            code, _ = run_live(argv, cwd=sandbox, env=env,
                               stdout_log=folder / "result.json",
                               stderr_log=Path(launch.log_path), on_start=started,
                               stdout=io.StringIO(), limits=cap, pass_fds=(events_fd,),
                               log_limit=limits.log_size, on_log_full=too_much_output)
        except BrainError as error:
            message = error.message
        except Exception as error:  # a launch thread must always finish its row
            message = f"internal error: {type(error).__name__}: {error}"
        finally:
            if events_fd >= 0:
                os.close(events_fd)
            for timer in timers:
                timer.cancel()
            cgroups.kill_all()  # whatever the launch left running ends with it
            with self._lock:
                self._children.pop(launch.id, None)
                self._owners.pop(launch.id, None)
                self._bases.pop(launch.id, None)
                self._ports.pop(launch.id, None)
                self._visits.pop(launch.id, None)
                stopped = self._stopped.pop(launch.id, None)
        changes = outcome(folder, launch, code, message, limits)
        if stopped is not None and changes["status"] in ("interrupted", "failed"):
            changes.update(status="stopped", message=stopped)
        elif timed_out.is_set():
            changes.update(status="timed-out", message=timeout_message(limits))
        elif log_full.is_set():
            changes.update(status="failed", message=log_message(limits))
        elif cgroups.memory_hit():
            changes.update(status="failed", message=memory_message(limits))
        elif cgroups.processes_hit() and changes["status"] != "succeeded":
            changes.update(status="failed", message=processes_message(limits))
        cgroups.remove()
        if sandbox is not None and user is not None:
            seal(sandbox)
        keep_record(folder, launch)  # before the launch shows as finished; never raises
        with self._lock:  # sealed: its id may serve the next launch
            self._users.pop(launch.id, None)
        self.history.update(launch.id, **changes)


def app_environment(launch_id: str, root: str = "") -> dict[str, str]:
    """What tells an app where the hub serves it (the proxy strips that prefix): BRAIN_BASE_PATH,
    and Dash's own variable for it; uvicorn takes `--root-path "$BRAIN_BASE_PATH"`."""
    from brain.share.proxy import base_path

    path = base_path(launch_id, root)
    return {"BRAIN_BASE_PATH": path, "DASH_REQUESTS_PATHNAME_PREFIX": path}


def read_log(log: Path, offset: int, limit: int = 1 << 20) -> tuple[bytes, int]:
    """Bytes of `log` from `offset` (at most `limit`), and the offset to ask for next."""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, offset))
            data = handle.read(limit)
    except OSError:
        return b"", offset
    return data, max(0, offset) + len(data)

#!/usr/bin/env python3
"""The least a recorded run costs in Python: the yardstick of `brain run`'s start-up.

What brain does for a run of a ready environment, with nothing else: a stat of the files that
say the environment is current, the run's start and end kept as JSON files (written apart and
renamed, as brain's spool is), a log folder, the command started in a session of its own with
its output copied to the terminal and to two logs, the child reaped, and a detached process
started (brain's store sync). No plan, no spec, no checks, no provenance from git, no Ctrl-C
escalation: a floor, not a runner. Only os, sys, time, json, signal and select are imported.

    python benchmarks/floor_run.py PROJECT COMMAND [ARG ...]

Used by benchmarks/compare.py as a peer of `brain run` (its files go under PROJECT/.floor/).
"""

import json
import os
import select
import signal
import sys
import time


def main(project: str, argv: list[str]) -> int:
    """Run `argv` in `project` the way a recorded run does, at the least cost."""
    venv = os.path.join(project, ".brain", "venv")
    for name in ("onebrain.yml", "onebrain.yaml", "onebrain.lock", ".brain", ".brain/venv",
                 ".brain/venv/bin/python", "pyproject.toml"):
        try:
            os.stat(os.path.join(project, name))
        except OSError:
            continue
    run_id = os.urandom(8).hex()
    floor = os.path.join(project, ".floor")
    logs_dir = os.path.join(floor, "runs", run_id)
    os.makedirs(logs_dir)
    row = {"id": run_id, "pid": os.getpid(), "started_at": time.time(), "status": "running",
           "host": os.uname().nodename, "command": " ".join(argv), "project_path": project}
    _keep(floor, row, "start")
    logs = [os.open(os.path.join(logs_dir, f"{name}.log"),
                    os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
            for name in ("stdout", "stderr")]
    env = {**os.environ, "VIRTUAL_ENV": venv,
           "PATH": f"{venv}/bin{os.pathsep}{os.environ.get('PATH', '')}"}
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, out_write, 1), (os.POSIX_SPAWN_DUP2, err_write, 2),
               (os.POSIX_SPAWN_CLOSE, out_read), (os.POSIX_SPAWN_CLOSE, err_read)]
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM,
                                                                      signal.SIGHUP)}
    os.chdir(project)
    # The venv's bin first, as the child's PATH says (posix_spawnp would search ours).
    program = os.path.join(venv, "bin", argv[0])
    if os.sep in argv[0] or not os.path.exists(program):
        child = os.posix_spawnp(argv[0], argv, env, file_actions=actions, setsid=True)
    else:
        child = os.posix_spawn(program, argv, env, file_actions=actions, setsid=True)
    os.close(out_write)
    os.close(err_write)
    copies = {out_read: (1, logs[0]), err_read: (2, logs[1])}
    while copies:
        ready, _, _ = select.select(list(copies), [], [])
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                os.close(fd)
                del copies[fd]
                continue
            terminal, log = copies[fd]
            os.write(log, chunk)
            os.write(terminal, chunk)
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    row.update(status="succeeded" if code == 0 else "failed", exit_code=code,
               ended_at=time.time())
    _keep(floor, row, "end")
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    os.posix_spawn(sys.executable, [sys.executable, "-S", "-c", "pass"], env,
                   file_actions=quiet, setsid=True)
    sys.stderr.write(f"run {run_id} ended (exit {code})\n")
    return code


def _keep(floor: str, row: dict[str, object], kind: str) -> None:
    spool = os.path.join(floor, "spool")
    os.makedirs(spool, exist_ok=True)
    target = os.path.join(spool, f"{row['id']}.{kind}.json")
    temporary = f"{target}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.write(fd, json.dumps(row, sort_keys=True).encode())
    os.close(fd)
    os.replace(temporary, target)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    # os.path, not pathlib: importing pathlib would cost the floor what it measures.
    sys.exit(main(os.path.abspath(sys.argv[1]), sys.argv[2:]))  # noqa: PTH100

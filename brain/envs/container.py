"""Run one command in a fresh container, through the docker SDK, as a child process of brain.

`DockerEnvironment.invocation` returns `python -m brain.envs.container` with the request in
the environment (`BRAIN_CONTAINER_REQUEST`, JSON; the environment, unlike argv, is private to
the user). brain's process gateway then runs it like any command: output streamed live and
logged, Ctrl-C forwarded as SIGINT. This process turns those into container terms:

- the container's stdout/stderr are streamed to ours, live;
- its exit code becomes ours (a command that cannot start exits 127, as in a shell);
- SIGINT/SIGTERM send SIGINT to the container, then kill it after a short grace; exit 130;
- the container is removed however the run ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from brain.process_waits import quiet_thread

GRACE_SECONDS = 3  # below process.GRACE_SECONDS, so brain never has to SIGKILL this process
EXIT_CANNOT_RUN = 127
EXIT_INTERRUPTED = 130


class _Stop(Exception):
    """SIGTERM arrived: stop like on Ctrl-C."""


def run_container(request: Mapping[str, Any]) -> int:
    """Create, start, stream, wait, remove; returns the exit code to pass through."""
    import docker
    from docker.errors import APIError, DockerException, NotFound
    from docker.types import DeviceRequest

    try:
        client = docker.from_env(timeout=None)
        client.ping()
    except DockerException as error:
        _say(f"cannot reach the Docker daemon: {_first_line(error)}")
        return 3
    from brain import settings

    host = settings.text("BRAIN_DOCKER_PUBLISH_HOST") or "127.0.0.1"
    ports = {f"{port}/tcp": (host, port) for port in request.get("ports", [])}
    gpus = int(request.get("gpus") or 0)
    container = None
    try:
        container = client.containers.create(
            request["image"],
            entrypoint=list(request["argv"][:1]),
            command=list(request["argv"][1:]),
            environment=dict(request.get("environment", {})),
            working_dir=request.get("workdir"),
            labels=dict(request.get("labels", {})),
            nano_cpus=request.get("nano_cpus"),
            mem_limit=request.get("mem_limit"),
            device_requests=[DeviceRequest(count=gpus, capabilities=[["gpu"]])] if gpus else None,
            ports=ports or None,
            init=True,  # PID 1 that forwards signals and reaps, so SIGINT reaches the command
            stdin_open=False,
            tty=False,
        )
        stream = client.api.attach(container.id, stdout=True, stderr=True, stream=True,
                                   logs=True, demux=True)
        pump = quiet_thread(_copy_output, stream)
        try:
            container.start()
        except APIError as error:
            _say(f"cannot start {request['argv'][0]!r} in the image: {_start_reason(error, gpus)}")
            return EXIT_CANNOT_RUN
        code = _wait(container)
        pump.join(timeout=10)
        return code
    except KeyboardInterrupt:
        if container is not None:
            _stop(container)
        return EXIT_INTERRUPTED
    except APIError as error:
        _say(f"container failed: {_first_line(error)}")
        return 3
    finally:
        if container is not None:
            try:
                with contextlib.suppress(NotFound):  # already gone: nothing is left behind
                    container.remove(force=True)
            except APIError as error:  # the daemon is removing it already, or went away
                if "already in progress" not in str(error):
                    _say(f"could not remove container {container.short_id}: "
                         f"{_first_line(error)}")


def _wait(container: Any) -> int:
    try:
        return int(container.wait()["StatusCode"])
    except _Stop:
        raise KeyboardInterrupt from None


def _stop(container: Any) -> None:
    """SIGINT first (as a terminal's Ctrl-C would), then kill when the grace runs out."""
    from docker.errors import APIError

    # Whatever stops the polite stop (the daemon, a second Ctrl-C, a read timeout from the
    # SDK), the forced removal in run_container follows anyway.
    with contextlib.suppress(APIError, KeyboardInterrupt, _Stop, Exception):
        container.kill(signal="SIGINT")
        container.wait(timeout=GRACE_SECONDS)


def _copy_output(stream: Any) -> None:
    out = sys.stdout.buffer
    err = sys.stderr.buffer
    try:
        for stdout_chunk, stderr_chunk in stream:
            if stdout_chunk:
                out.write(stdout_chunk)
                out.flush()
            if stderr_chunk:
                err.write(stderr_chunk)
                err.flush()
    except Exception:  # the stream breaks off when the container is removed: nothing lost
        return


def _start_reason(error: Exception, gpus: int) -> str:
    text = _first_line(error)
    if gpus and ("device driver" in text or "gpu" in text.lower()):
        return (f"{text} (hardware.gpu={gpus} needs the NVIDIA container toolkit on the "
                "Docker host)")
    return text


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "explanation", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _say(text: str) -> None:
    print(f"brain: {text}", file=sys.stderr, flush=True)


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def main() -> None:
    """`python -m brain.envs.container`: run the request in BRAIN_CONTAINER_REQUEST."""
    raw = os.environ.get("BRAIN_CONTAINER_REQUEST")
    if not raw:
        _say("BRAIN_CONTAINER_REQUEST is not set (this module is run by brain)")
        sys.exit(2)
    # brain stops a run by sending SIGINT: honour it even when started with SIGINT ignored
    # (as `nohup` or a parent that ignores it would leave it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        code = run_container(json.loads(raw))
    except (KeyboardInterrupt, _Stop):
        code = EXIT_INTERRUPTED
    sys.exit(code)


if __name__ == "__main__":
    main()

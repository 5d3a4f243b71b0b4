"""The `docker` command as the image store of builds: look an image up, tag it.

Where a docker CLI builds with BuildKit (brain.envs.buildkit), the whole build path goes
through that CLI, so the docker SDK (and requests, urllib3: ~0.2-0.6 s of imports) is loaded
only to run containers. `SdkImages` does the same two things through the SDK, for machines
whose only builder is the SDK's classic one.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Protocol

from brain.errors import EnvironmentFailure

DAEMON_HINT = ("start it (as root, scripts/docker-setup installs Debian's docker.io and starts "
               "one), or point DOCKER_HOST at a running daemon")
_NO_DAEMON = ("cannot connect to the docker daemon", "is the docker daemon running",
              "error during connect")
_NO_IMAGE = ("no such image", "no such object")


class FoundImage(NamedTuple):
    """An image the daemon has: its id, labels and the references that name it."""

    image_id: str
    labels: dict[str, str]
    tags: tuple[str, ...]


class ImageBuild(NamedTuple):
    """What `DockerEnvironment.build` produced."""

    image_id: str
    tags: tuple[str, ...]
    identity: str
    built: bool  # False: an image with this identity already existed
    seconds: float
    log: tuple[str, ...] = ()  # the daemon's build output, line by line
    cached_steps: int = 0  # steps answered "Using cache"
    pushed: tuple[str, ...] = ()


class ImageStore(Protocol):
    """What a build asks of the daemon besides the build itself."""

    def find(self, reference: str) -> FoundImage | None:
        """The image `reference` names, or None when there is none."""
        ...

    def tag(self, image_id: str, reference: str) -> None:
        """Point `reference` (repository:tag) at `image_id`."""
        ...


class CliImages:
    """`docker image inspect` and `docker tag`, through brain's process gateway."""

    def __init__(self, docker: str) -> None:
        self.docker = docker

    def find(self, reference: str) -> FoundImage | None:
        """The image `reference` names (None: no such image); no daemon: EnvironmentFailure."""
        from brain.process import run_captured

        done = run_captured([self.docker, "image", "inspect", "--", reference],
                            timeout=60, what="docker image inspect")
        if done.returncode != 0:
            reason = _first_line(done.stderr or done.stdout)
            if any(phrase in reason.lower() for phrase in _NO_IMAGE):
                return None
            raise _daemon_failure(reason)
        try:
            found = json.loads(done.stdout)[0]
        except (ValueError, IndexError, KeyError) as error:
            raise EnvironmentFailure(f"docker image inspect answered what brain cannot read: "
                                     f"{error}") from None
        return found_image(found)

    def tag(self, image_id: str, reference: str) -> None:
        """`docker tag image_id reference`."""
        from brain.process import run_captured

        done = run_captured([self.docker, "tag", image_id, reference], timeout=60,
                            what="docker tag")
        if done.returncode != 0:
            raise _daemon_failure(_first_line(done.stderr or done.stdout))


class SdkImages:
    """The same through the docker SDK (a client from `brain.envs.docker.docker_client`)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def find(self, reference: str) -> FoundImage | None:
        """The image `reference` names, or None."""
        from docker.errors import NotFound

        try:
            return found_image(self.client.api.inspect_image(reference))
        except NotFound:
            return None

    def tag(self, image_id: str, reference: str) -> None:
        """Point `reference` at `image_id`."""
        repository, _, tag = reference.rpartition(":")
        self.client.api.tag(image_id, repository, tag, force=True)


def built_from(images: ImageStore, reference: str, identity: str) -> FoundImage | None:
    """The image `reference` names when it was built from the context `identity` (its
    `brain.identity` label), else None: the one question "is the image up to date?"."""
    from brain.envs.image_names import LABEL

    found = images.find(reference)
    if found is None or found.labels.get(f"{LABEL}.identity") != identity:
        return None
    return found


def found_image(inspected: dict[str, Any]) -> FoundImage:
    """A FoundImage from the daemon's inspect answer (the same JSON for CLI and SDK)."""
    labels = (inspected.get("Config") or {}).get("Labels") or {}
    return FoundImage(str(inspected["Id"]), {str(k): str(v) for k, v in labels.items()},
                      tuple(str(tag) for tag in inspected.get("RepoTags") or ()))


def _daemon_failure(reason: str) -> EnvironmentFailure:
    if any(phrase in reason.lower() for phrase in _NO_DAEMON):
        return EnvironmentFailure(f"cannot reach the Docker daemon: {reason}", hint=DAEMON_HINT)
    return EnvironmentFailure(f"the Docker daemon refused: {reason}", hint=DAEMON_HINT)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no answer"

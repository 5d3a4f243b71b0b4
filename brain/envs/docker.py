"""The Docker backend: one image per project, carrying its environment, brain's dispatcher and
its code, built with BuildKit through the docker CLI where one here can (`brain.envs.buildkit`),
else with the SDK's classic builder, and run through the docker SDK (imported lazily).

The code is baked into the image, not mounted: the image is the unit that is pushed, handed to
a scheduler and re-run later, so what ran must be exactly what the image holds. Its identity
is the hash of the whole build context (`BuildContext.identity`), stored as a label, so
`is_ready` is one inspect of the version tag, and a code-only change rebuilds only the last
layer.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from brain.envs.base import EnsureResult, Invocation, Progress, RevisionSource, SourceRevision
from brain.envs.docker_cli import (
    DAEMON_HINT,
    CliImages,
    FoundImage,
    ImageBuild,
    ImageStore,
    SdkImages,
    built_from,
)
from brain.envs.image_names import (
    LABEL,
    image_tags,
    memory_bytes,
    parse_registry,
    repository_name,
    revision_labels,
    tag_text,
)
from brain.errors import EnvironmentFailure, InvalidInput
from brain.extras import require_extra

if TYPE_CHECKING:
    from brain.envs.build_context import BuildContext
    from brain.envs.dockerfile import BuildSettings
    from brain.envs.select import EnvironmentOptions
    from brain.spec.loader import Project

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the daemon colours what a step wrote to stderr


def docker_client() -> Any:
    """A client for the local daemon (DOCKER_HOST honoured); a clear error when none answers."""
    require_extra("docker", "the docker backend")
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except DockerException as error:
        raise EnvironmentFailure(f"cannot reach the Docker daemon: {_reason(error)}",
                                 hint=DAEMON_HINT) from None
    return client


class DockerEnvironment:
    """A project's image; implements `brain.envs.base.Environment`."""

    name = "docker"

    def __init__(self, project: Project, *, options: EnvironmentOptions | None = None,
                 settings: BuildSettings | None = None,
                 revision: RevisionSource | None = None) -> None:
        from brain.envs.dockerfile import BuildSettings

        require_extra("docker", "the docker backend")
        self.project = project
        self.options = options  # venv-only options today (installer, frozen lock)
        self.settings = settings or BuildSettings.from_environment()
        self._context: BuildContext | None = None
        self._image_id: str | None = None
        self._revision = revision  # the commit and dirty flag, read by the caller's means
        self._git_state: tuple[str | None, bool | None] | None = None

    # -- the Environment protocol ------------------------------------------------------

    def identity(self) -> str:
        """The hash of the build context: dependencies, settings, brain and the code."""
        return self.context().identity

    def is_ready(self) -> bool:
        """True when an image built from exactly this context exists (False: no daemon)."""
        try:
            return self._find_image(self._images()) is not None
        except EnvironmentFailure:
            return False

    def ensure(self, progress: Progress | None = None) -> EnsureResult:
        """Build the image unless one with this identity exists (then only re-tag it)."""
        result = self.build(progress=progress)
        return EnsureResult(identity=result.identity, changed=result.built,
                            location=result.tags[0], seconds=result.seconds)

    def invocation(self, argv: Sequence[str], variables: Mapping[str, str], *,
                   ports: Sequence[int] = ()) -> Invocation:
        """Run `argv` in a fresh container of the image, through `brain.envs.container`.

        `ports` (and `BRAIN_PORT` when set in `variables`) are published on the host, for app
        entry points. The container gets the spec's hardware limits, is stopped on Ctrl-C
        and removed however it ends. Without a built image (a dry run) the tag is named.
        """
        from brain.envs.dockerfile import APP_DIR
        from brain.process import scrubbed_environment

        if not argv:
            raise InvalidInput("nothing to run: the command is empty")
        image = self._image_id or self._find_image_quietly() or self.tags()[0]
        published = [int(port) for port in ports]
        if variables.get("BRAIN_PORT", "").isdigit():
            published.append(int(variables["BRAIN_PORT"]))
        spec = self.project.spec
        hardware = spec.hardware
        request = {
            "image": image,
            "argv": list(argv),
            # An app listens on every address of the container's own network: only the
            # published port (on the host's 127.0.0.1 by default) reaches it.
            "environment": {**variables, "BRAIN_PROJECT_DIR": APP_DIR,
                            "BRAIN_APP_HOST": "0.0.0.0"},
            "workdir": APP_DIR,
            "nano_cpus": int(hardware.cpu * 1e9) if hardware.cpu else None,
            "mem_limit": memory_bytes(hardware.memory) if hardware.memory else None,
            "gpus": hardware.gpu,
            "ports": sorted(set(published)),
            "labels": {f"{LABEL}.project": f"{spec.namespace}/{spec.name}",
                       f"{LABEL}.run-id": variables.get("BRAIN_RUN_ID", "")},
        }
        env = scrubbed_environment({"BRAIN_CONTAINER_REQUEST": json.dumps(request)})
        return Invocation(argv=[sys.executable, "-m", "brain.envs.container"], env=env)

    def python_version(self) -> str | None:
        """The Python version the spec asks of the image (the build checks the base has it)."""
        return self.project.spec.env.python.version

    # -- building ----------------------------------------------------------------------

    def context(self) -> BuildContext:
        """The build context (generated once per object: hashing reads every file)."""
        if self._context is None:
            from brain import __version__
            from brain.envs.build_context import build_context

            self._context = build_context(self.project, self.settings,
                                          brain_version=__version__)
        return self._context

    def tags(self) -> list[str]:
        """`<namespace>/<name>:<version>`, then `:<short sha>` (`-dirty` when uncommitted)."""
        spec = self.project.spec
        return image_tags(repository_name(spec.namespace, spec.name), tag_text(spec.version),
                          *self._git())

    def static_labels(self) -> dict[str, str]:
        """The labels the spec decides: names, version, spec hash, entry points."""
        from brain import __version__

        spec = self.project.spec
        return {
            "org.opencontainers.image.title": spec.name,
            "org.opencontainers.image.version": spec.version,
            "org.opencontainers.image.description": spec.description or "",
            f"{LABEL}.namespace": spec.namespace,
            f"{LABEL}.name": spec.name,
            f"{LABEL}.version": spec.version,
            f"{LABEL}.spec-hash": self.project.spec_hash,
            f"{LABEL}.entry-points": ",".join(spec.entry_points),
            f"{LABEL}.brain-version": __version__,
        }

    def labels(self) -> dict[str, str]:
        """Provenance labels: commit, dirty flag, spec hash, identities, entry points."""
        context = self.context()
        return {**self.static_labels(),
                **revision_labels(*self._git(), context.identity, context.env_identity)}

    def build(self, *, progress: Progress | None = None, extra_tags: Sequence[str] = (),
              force: bool = False) -> ImageBuild:
        """Build (or find) the image, tag it, and return what happened."""
        started = time.monotonic()
        images = self._images()
        context = self.context()
        tags = [*self.tags(), *extra_tags]
        existing = None if force else self._find_image(images)
        log: list[str] = []
        if existing is None:
            image_id, log = self._run_build(images, context, tags, progress)
            missing = tags if isinstance(images, SdkImages) else []  # BuildKit tagged them all
        else:
            image_id = existing.image_id
            missing = [tag for tag in tags if tag not in existing.tags]
        for reference in missing:
            images.tag(image_id, reference)
        self._image_id = image_id
        cached = sum(1 for line in log if "Using cache" in line)
        result = ImageBuild(image_id, tuple(tags), context.identity, existing is None,
                            time.monotonic() - started, tuple(log), cached)
        from brain.envs.docker_plan import keep

        # The next code-only rebuild skips the spec (brain.cli.quick).
        keep(self.project, self.context(), self.settings, self.static_labels(), result)
        return result

    def push(self, build: ImageBuild, registry: str, progress: Progress | None = None
             ) -> list[str]:
        """Tag the built image under `registry` and push every tag; returns the references."""
        registry = parse_registry(registry)
        client = docker_client()
        pushed = []
        for reference in build.tags:
            repository, _, tag = reference.rpartition(":")
            target = f"{registry}/{repository}"
            client.api.tag(build.image_id, target, tag, force=True)
            for event in client.api.push(target, tag=tag, stream=True, decode=True):
                if "error" in event:
                    raise EnvironmentFailure(
                        f"push of {target}:{tag} failed: {event['error'].strip()}",
                        hint="check the registry address and `docker login` to it")
                if progress is not None and event.get("status") and not event.get("id"):
                    progress(str(event["status"]))
            pushed.append(f"{target}:{tag}")
        return pushed

    def _git(self) -> tuple[str | None, bool | None]:
        if self._git_state is None:
            state = self._revision() if self._revision is not None else SourceRevision()
            self._git_state = (state.commit, state.dirty)
        return self._git_state

    def _images(self) -> ImageStore:
        """The docker CLI where it builds with BuildKit (no SDK import), else the SDK."""
        from brain.envs.buildkit import buildkit_builder

        builder = buildkit_builder()
        if builder is not None:
            return CliImages(builder.argv[0])
        return SdkImages(docker_client())

    def _find_image(self, images: ImageStore) -> FoundImage | None:
        # The version tag points at the last build: one inspect answers "up to date?". An
        # older image with this identity (code switched back) is not searched for (a label
        # scan costs ~0.2 s on every rebuild): the build then finds its layers in the cache.
        found = built_from(images, self.tags()[0], self.identity())
        if found is not None:
            self._image_id = found.image_id
        return found

    def _find_image_quietly(self) -> str | None:
        try:
            found = self._find_image(self._images())
        except EnvironmentFailure:
            return None
        return found.image_id if found is not None else None

    def _run_build(self, images: ImageStore, context: BuildContext, tags: list[str],
                   progress: Progress | None) -> tuple[str, list[str]]:
        from brain.envs.buildkit import BuildKitFailed, buildkit_builder
        from brain.envs.dockerfile import label_instruction

        log: list[str] = []
        image_id: str | None = None
        suffix = label_instruction(self.labels())
        builder = buildkit_builder()
        try:
            if builder is not None:  # several times faster on a code-only change
                from brain.envs.docker_stage import build_staged

                if progress is not None:
                    progress(f"building with BuildKit ({builder.name})")
                try:
                    image_id, log = build_staged(
                        builder, context, self.project.root, dockerfile_suffix=suffix,
                        tags=tags, buildargs=dict(self.settings.pip_args),
                        network=self.settings.network_mode, on_wait=progress)
                except BuildKitFailed as failure:
                    log = failure.log
                    raise _BuildError(str(failure)) from None
            else:
                assert isinstance(images, SdkImages)
                with context.tar(dockerfile_suffix=suffix) as archive:
                    image_id = self._classic_build(images, archive, tags[0], progress, log)
        except _BuildError as error:
            steps = [line for line in log if line.startswith("Step ")]
            if not steps or steps[-1].startswith("Step 1/"):
                from brain.envs.dockerfile import default_base_image

                base = default_base_image(self.project, self.settings)
                raise EnvironmentFailure(
                    f"the base image {base} is not on this machine and cannot be pulled: "
                    f"{error}", hint=_BASE_IMAGE_HINT) from None
            raise EnvironmentFailure(
                f"image build of {self.project.spec.name} failed at "
                f"{_failure_summary(log, str(error))}",
                hint=_build_hint("\n".join([str(error), *log[-12:]]), self.project),
            ) from None
        if image_id is None:
            raise EnvironmentFailure("image build ended without an image id",
                                     hint="the last lines were: " + " | ".join(log[-3:]))
        return image_id, log

    def _classic_build(self, images: SdkImages, archive: IO[bytes], tag: str,
                       progress: Progress | None, log: list[str]) -> str | None:
        """The SDK's classic builder; fills `log`, returns the image id it announced."""
        from docker.errors import APIError

        from brain.envs.build_context import DOCKERFILE_PATH

        image_id = None
        try:
            events = images.client.api.build(
                fileobj=archive, custom_context=True, dockerfile=DOCKERFILE_PATH,
                tag=tag, buildargs=dict(self.settings.pip_args),
                network_mode=self.settings.network_mode, rm=True, forcerm=True,
                pull=False, decode=True,
            )
            for line, found in _build_lines(events):
                log.append(line)
                image_id = found or image_id
                if progress is not None and line.startswith("Step "):
                    progress(line)
        except APIError as error:
            raise EnvironmentFailure(f"image build failed: {_reason(error)}",
                                     hint=_build_hint(_reason(error), self.project)) from None
        return image_id


class _BuildError(Exception):
    """An error event in the build stream."""


def _build_lines(events: Iterator[dict[str, Any]]) -> Iterator[tuple[str, str | None]]:
    """(line, image id when the line announces it) from the daemon's build events."""
    for event in events:
        if "error" in event:
            raise _BuildError(str(event["error"]).strip())
        aux = event.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            yield f"image {aux['ID']}", str(aux["ID"])
            continue
        text = _ANSI.sub("", str(event.get("stream") or event.get("status") or ""))
        for line in text.splitlines():
            if line.strip():
                yield line.rstrip(), None


def _failure_summary(log: list[str], error: str) -> str:
    """`Step 4/28 (RUN python3 -m venv ...), exit 1:` and the last lines the step printed."""
    start = max(i for i, line in enumerate(log) if line.startswith("Step "))
    number, _, instruction = log[start].partition(" : ")
    if len(instruction) > 60:
        instruction = instruction[:57] + "..."
    code = re.search(r"(?:returned a non-zero code|exit code): (\d+)", error)
    printed = [line.strip() for line in log[start + 1:] if line.strip()
               and not line.startswith((" ---> ", "Removing intermediate container"))]
    head = f"{number} ({instruction})" + (f", exit {code.group(1)}" if code else "")
    detail = "\n".join(printed[-12:]) if printed else error
    return f"{head}:\n{detail}"


_BASE_IMAGE_HINT = ("set env.docker.base_image in onebrain.yml or BRAIN_DOCKER_BASE_IMAGE to an "
                    "image this machine has (scripts/docker-setup builds brain-base:bookworm)")


def _build_hint(message: str, project: Project) -> str:
    lowered = message.lower()
    missing = ("pull access denied", "no such image", "failed to resolve", "manifest unknown",
               "repository does not exist")
    if any(phrase in lowered for phrase in missing):
        return _BASE_IMAGE_HINT
    if "env.r" in lowered or "r-base-core" in lowered:
        return ("check env.r in onebrain.yml: R packages come from the base image's Debian "
                "r-cran-* packages and from env.r.repos (docs/r.md, In Docker)")
    if "pip" in lowered or "requirements" in lowered:
        return ("check env.python in onebrain.yml; builds use the host's pip index settings "
                "and CA bundle (BRAIN_DOCKER_CA_BUNDLE)")
    return f"`brain build --docker --print-dockerfile` in {project.root} shows the Dockerfile"


def _reason(error: Exception) -> str:
    explanation = getattr(error, "explanation", None)
    text = str(explanation or error).strip()
    return text.splitlines()[0] if text else type(error).__name__

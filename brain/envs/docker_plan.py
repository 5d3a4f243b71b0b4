"""`brain build --docker` after a code-only change, without loading the spec.

The full path (brain.envs.docker) validates onebrain.yml with pydantic and generates the
image's environment part (Dockerfile, requirements, settings): about 0.3 s of a rebuild whose
docker build takes 0.1 s. That part depends only on inputs checked here in a few
milliseconds: the spec's bytes, onebrain.lock, the requirements file the spec names,
.dockerignore, the build settings (environment variables, pip's config files, the CA bundle),
brain's version and build code, and the libraries the dispatcher installs. After each build
the full path keeps the part as a plan, with a key over those inputs; a later build whose
inputs give the same key (only code changed) takes the plan back, gathers and hashes the code
as the full path does (brain.envs.build_context.assemble, so identities agree), and builds.

Anything else (no plan, another key, an R project, a link where an input should be, a failed
build) goes the full way, which says what is wrong in its own words.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.envs.base import SourceRevision
    from brain.envs.build_context import BuildContext
    from brain.envs.docker_cli import ImageBuild
    from brain.envs.dockerfile import BuildSettings
    from brain.spec.loader import Project

_FORMAT = 1
_INPUT_LIMIT = 16 * 2**20
# What generates the environment part: an edited checkout of brain (same version) counts.
_SOURCES = ("envs/dockerfile.py", "envs/build_context.py", "envs/docker.py",
            "envs/docker_plan.py", "envs/image_names.py", "spec/models.py")
# The dispatcher's libraries: their versions are pinned in the image (dispatcher_requirements).
_LIBRARIES = ("pydantic", "yaml", "jinja2", "packaging")
# The generated files kept as text, in the order brain.envs.build_context gathers them (the
# Dockerfile first, the CA bundle after them, read again from its file).
_TEXTS = ("_brain/requirements.txt", "_brain/dispatcher-requirements.txt")


class Declined(Exception):
    """The plan cannot answer: the full path builds."""


def inputs_key(root: Path, spec_file: Path, requirements: str | None,
               settings: BuildSettings | None = None) -> str:
    """A key over every input of the environment part, with this machine's build `settings`
    (read when not given); Declined when an input cannot be read plainly (a link, a special
    file, one too large): the full path then checks it."""
    from brain.cache_stamp import files_stamp
    from brain.envs.dockerfile import BuildSettings

    settings = settings or BuildSettings.from_environment()
    digest = hashlib.sha256(f"{_FORMAT}\0{files_stamp(_SOURCES)}\0{sys.version}\0"
                            f"{spec_file}\0{settings!r}\0".encode())
    inputs = [spec_file, root / "onebrain.lock", root / ".dockerignore"]
    if requirements is not None:
        inputs.append(root / requirements)
    for path in inputs:
        digest.update(_content_key(path, root).encode())
    if settings.ca_bundle is not None:  # its bytes, not only its name
        digest.update(_content_key(settings.ca_bundle, None).encode())
    for library in _LIBRARIES:
        digest.update(f"{library}:{_installed_key(library)}\0".encode())
    return digest.hexdigest()


def _content_key(path: Path, root: Path | None) -> str:
    """The sha256 of a plain file's bytes, or "absent"; Declined for anything else, and for a
    file outside `root` (when given) however it is reached."""
    import stat

    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return "absent"
    except OSError as error:
        raise Declined(f"{path}: {error.strerror}") from None
    with os.fdopen(handle, "rb") as reader:
        info = os.fstat(reader.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _INPUT_LIMIT:
            raise Declined(f"{path} is not a plain file of a plain size")
        if root is not None and not os.path.realpath(path).startswith(
                os.path.realpath(root) + os.sep):
            raise Declined(f"{path} is outside the project")
        return hashlib.file_digest(reader, "sha256").hexdigest()


def _stat_key(path: Path) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return "absent"
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _installed_key(module: str) -> str:
    """Changes when `module` is installed, upgraded or removed (its folder's entries change)."""
    from importlib.util import find_spec

    found = find_spec(module)
    if found is None or found.origin is None:
        return "absent"
    return _stat_key(Path(found.origin).parent.parent)


def plan_file(root: Path) -> Path:
    """Where the plan of the project at `root` is kept."""
    from brain.envs.build_context import project_key
    from brain.paths import cache_dir

    return cache_dir() / "docker-plans" / f"{project_key(root)}.json"


def keep(project: Project, context: BuildContext, settings: BuildSettings,
         labels: dict[str, str], build: ImageBuild) -> None:
    """Keep the environment part of the image just built from `context` for `project` with
    `settings` and the spec's `labels` (best effort)."""
    from brain.cache_stamp import write_cached
    from brain.envs.dockerfile import BuildSettings, dockerignore_patterns
    from brain.envs.image_names import tag_text

    if project.spec.env.r is not None:
        return  # its context has more inputs than are checked here: always the full path
    if settings != BuildSettings.from_environment():
        return  # settings handed in by a caller: not what the next command will read
    python = project.spec.env.python
    try:
        key = inputs_key(project.root, project.spec_file, python.requirements, settings)
    except Declined:
        return
    texts = [[member.name, member.data.decode()] for member in context.files
             if member.name in _TEXTS and member.data is not None]
    write_cached(plan_file(project.root), {
        "format": _FORMAT, "key": key, "root": str(project.root),
        "requirements": python.requirements,
        "dockerfile": context.dockerfile, "texts": texts,
        "patterns": dockerignore_patterns(project),
        "repository": build.tags[0].rpartition(":")[0],
        "version_tag": tag_text(project.spec.version),
        "labels": labels,
        "last": {"identity": build.identity, "image_id": build.image_id},
    })


def read_plan(root: Path, spec_file: Path, settings: BuildSettings) -> dict[str, Any]:
    """The kept plan of the project at `root`, when its inputs (`settings` among them) are
    still those it was made from; Declined otherwise."""
    from brain.cache_stamp import read_cached

    plan = read_cached(plan_file(root))
    if plan is None or plan.get("format") != _FORMAT or plan.get("root") != str(root):
        raise Declined("no plan")
    requirements = plan.get("requirements")
    if requirements is not None and not isinstance(requirements, str):
        raise Declined("a damaged plan")
    if plan.get("key") != inputs_key(root, spec_file, requirements, settings):
        raise Declined("the environment's inputs changed")
    return plan


def planned_context(root: Path, plan: dict[str, Any], settings: BuildSettings) -> BuildContext:
    """The build context the full path would assemble, from the plan, `settings` (those the
    plan's key was checked with) and the code."""
    from brain.envs.build_context import (
        DOCKERFILE_PATH,
        ContextFile,
        assemble,
        code_files,
        digest_memo,
        read_bytes,
    )

    try:
        dockerfile = str(plan["dockerfile"])
        files = [ContextFile(DOCKERFILE_PATH, data=dockerfile.encode())]
        files += [ContextFile(str(name), data=str(text).encode())
                  for name, text in plan["texts"] if name in _TEXTS]
        patterns = [str(pattern) for pattern in plan["patterns"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise Declined("a damaged plan") from None
    if settings.ca_bundle is not None:
        files.append(ContextFile("_brain/ca-certificates.crt", data=read_bytes(settings.ca_bundle)))
    memo = digest_memo(root)
    context = assemble(dockerfile, files, settings.pip_args, settings.network_mode,
                       code_files(root, patterns), memo)
    memo.save()
    return context


def planned_build(root: Path, spec_file: Path,
                  progress: Callable[[str], None] | None = None) -> ImageBuild:
    """Build (or find) the image of the project at `root` from its kept plan, as
    DockerEnvironment.build would; Declined when the plan cannot answer or the build fails."""
    import time

    from brain.envs.buildkit import BuildKitFailed, buildkit_builder
    from brain.envs.docker_cli import CliImages, ImageBuild, built_from
    from brain.envs.docker_stage import build_staged
    from brain.envs.dockerfile import BuildSettings, label_instruction
    from brain.envs.image_names import image_tags, revision_labels
    from brain.extras import require_extra
    from brain.runs.provenance import source_revision

    require_extra("docker", "the docker backend")
    started = time.monotonic()
    settings = BuildSettings.from_environment()
    plan = read_plan(root, spec_file, settings)
    builder = buildkit_builder()
    if builder is None:
        raise Declined("no BuildKit here")
    import threading

    revision: list[SourceRevision] = []
    # git status (two processes) runs while the code is hashed.
    reading = threading.Thread(target=lambda: revision.append(source_revision(root)),
                               daemon=True)
    reading.start()
    try:
        context = planned_context(root, plan, settings)
    finally:
        reading.join()
    if not revision:
        raise Declined("the code's git state could not be read")
    commit, dirty = revision[0]
    try:
        tags = image_tags(str(plan["repository"]), str(plan["version_tag"]), commit, dirty)
        labels = {**{str(k): str(v) for k, v in plan["labels"].items()},
                  **revision_labels(commit, dirty, context.identity, context.env_identity)}
        last = plan["last"]
        same = isinstance(last, dict) and last.get("identity") == context.identity
    except (KeyError, TypeError, AttributeError):
        raise Declined("a damaged plan") from None
    if same:  # nothing changed since the last build: is its image still there?
        images = CliImages(builder.argv[0])
        found = built_from(images, tags[0], context.identity)
        if found is not None:
            for reference in tags:
                if reference not in found.tags:
                    images.tag(found.image_id, reference)
            return ImageBuild(found.image_id, tuple(tags), context.identity, False,
                              time.monotonic() - started, (), 0)
    if progress is not None:
        progress(f"building with BuildKit ({builder.name})")
    try:
        image_id, log = build_staged(
            builder, context, root, dockerfile_suffix=label_instruction(labels), tags=tags,
            buildargs=dict(settings.pip_args), network=settings.network_mode, on_wait=progress)
    except BuildKitFailed as failure:
        raise Declined(f"the build failed: {failure}") from None
    from brain.cache_stamp import write_cached

    write_cached(plan_file(root), {**plan, "last": {"identity": context.identity,
                                                    "image_id": image_id}})
    cached = sum(1 for line in log if "Using cache" in line)
    return ImageBuild(image_id, tuple(tags), context.identity, True,
                      time.monotonic() - started, tuple(log), cached)


def forget(root: Path) -> list[Path]:
    """Remove the kept plan and build folder of the project at `root` (`brain clean --all`);
    what was there. Both are brain's cache: the next build makes them again."""
    import shutil

    from brain.envs.docker_stage import stage_folder

    removed = []
    plan = plan_file(root)
    if os.path.lexists(plan):
        plan.unlink()
        removed.append(plan)
    folder = stage_folder(root)
    if os.path.lexists(folder):
        if os.path.islink(folder):
            folder.unlink()  # never what it points at
        else:
            shutil.rmtree(folder)
        removed.append(folder)
    return removed

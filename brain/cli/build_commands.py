"""`brain build`: turn a project into a deliverable. `--docker` builds the project image.

Each kind of artifact is one flag and one `_build_<kind>` function returning a JSON-ready
dict; a new kind (e.g. `--wheel`) is a new flag, a new function and a line in `_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.spec.loader import Project

_EPILOG = ("Exit codes: 0 ok; 2 invalid spec or options; 3 the build or push failed (no Docker "
           "daemon, a base image that is not available, a dependency that does not install).")


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked `brain build` for, beyond the artifact kinds."""

    print_dockerfile: bool
    registry: str | None
    tags: tuple[str, ...]
    force: bool
    quiet: bool


@click.command("build", epilog=_EPILOG)
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--wheel", "wheel", is_flag=True,
              help="Build the library: wheel and sdist into dist/ (needs build_enabled: true).")
@click.option("--r-package", "r_package", is_flag=True,
              help="Build the R source package (R CMD build) into dist/; the default for a "
              "project with a DESCRIPTION.")
@click.option("--docker", "docker", is_flag=True,
              help="Build the Docker image: the environment, the code and every entry point.")
@click.option("--print-dockerfile", is_flag=True,
              help="Print the generated Dockerfile and .dockerignore instead of building.")
@click.option("--push", "registry", metavar="REGISTRY",
              help="Push the image's tags to REGISTRY (host[:port][/path]) after building.")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="An extra tag: `latest`, or a full `repository:tag`. Repeatable.")
@click.option("--force", is_flag=True, help="Rebuild even when the image is up to date.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def build(project: Path | None, wheel: bool, r_package: bool, docker: bool,
          print_dockerfile: bool, registry: str | None, tags: tuple[str, ...], force: bool,
          as_json: bool) -> None:
    """Build the project's deliverables; `--docker` builds one image with every entry point.

    The image is tagged <namespace>/<name>:<version> and :<short commit> (`-dirty` when the
    tree has uncommitted changes), labelled with its provenance, and runs anywhere:
    `docker run IMAGE ENTRY -P name=value`, `docker run IMAGE --help`. Layers go from base
    image to code, so after a code-only change a rebuild takes seconds.

    Settings: BRAIN_DOCKER_BASE_IMAGE (base image when the spec sets none; default
    python:X.Y-slim), BRAIN_DOCKER_NETWORK (build network, default host),
    BRAIN_DOCKER_CA_BUNDLE (CA bundle given to pip in the build, default the system one).

    \b
    Examples:
      brain build --wheel
      brain build --r-package
      brain build --docker
      brain build --docker --print-dockerfile
      brain build --docker --tag latest --push registry.example.com:5000
    """
    chosen = [kind for kind, wanted in (("wheel", wheel), ("r", r_package), ("docker", docker))
              if wanted]
    if not chosen and (output.project_folder(project) / "DESCRIPTION").is_file():
        chosen = ["r"]  # an R package: what else would `brain build` mean
    if not chosen:
        raise click.UsageError("choose what to build: --wheel, --r-package or --docker")
    if (print_dockerfile or registry or tags) and not docker:
        raise click.UsageError("--print-dockerfile, --push and --tag go with --docker")
    from brain.spec.loader import load_project

    loaded = load_project(output.project_folder(project))
    options = BuildOptions(print_dockerfile, registry, tags, force, quiet=as_json)
    results = {kind: _BUILDERS[kind](loaded, options) for kind in chosen}
    if as_json and not print_dockerfile:
        output.print_json(results)


def _build_docker(project: Project, options: BuildOptions) -> dict[str, Any]:
    from brain.envs.docker import DockerEnvironment
    from brain.envs.image_names import parse_reference, parse_registry, repository_name
    from brain.runs.provenance import source_revision

    registry = parse_registry(options.registry) if options.registry else None
    environment = DockerEnvironment(project, revision=lambda: source_revision(project.root))
    if options.print_dockerfile:
        from brain import __version__
        from brain.envs.dockerfile import dockerfile_text, dockerignore_text, label_instruction

        click.echo(dockerfile_text(project, environment.settings, brain_version=__version__)
                   + label_instruction(environment.labels()), nl=False)
        click.echo("\n# .dockerignore (applied by brain when it assembles the context)")
        click.echo(dockerignore_text(project), nl=False)
        return {}
    default_repository = repository_name(project.spec.namespace, project.spec.name)
    extra = [parse_reference(tag, default_repository) for tag in options.tags]
    with output.progress("building the image", quiet=options.quiet) as progress:
        result = environment.build(progress=progress, extra_tags=extra, force=options.force)
        pushed = environment.push(result, registry, progress) if registry else []
    if not options.quiet:
        from brain.cli.build_flow import report_image

        report_image(result, pushed)
    return {"image_id": result.image_id, "tags": list(result.tags), "built": result.built,
            "identity": result.identity, "seconds": round(result.seconds, 3),
            "cached_steps": result.cached_steps, "pushed": pushed}


def _build_wheel(project: Project, options: BuildOptions) -> dict[str, Any]:
    from brain.publish.build import build_project

    result = build_project(project)
    if not options.quiet:
        for warning in result.warnings:
            output.warn(warning)
        output.success(f"built {result.name} {result.version}")
        for dist in result.files:
            output.echo(f"  {dist.path}")
    return result.as_dict()


def _build_r(project: Project, options: BuildOptions) -> dict[str, Any]:
    from brain.rlang.repository import build_r_package

    built = build_r_package(project.root)
    if not options.quiet:
        output.success(f"built the R package {built.name} {built.version}")
        output.echo(f"  {built.path}")
    return {"name": built.name, "version": built.version, "files": [str(built.path)]}


_BUILDERS: dict[str, Callable[[Project, BuildOptions], dict[str, Any]]] = {
    "wheel": _build_wheel,
    "r": _build_r,
    "docker": _build_docker,
}


__all__ = ["build"]

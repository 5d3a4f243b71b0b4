"""What `brain build --docker` says, and its quick form (click-free, so that brain.cli.quick
answers `brain build --docker [PROJECT]` after a code-only change without loading click or
the spec: brain.envs.docker_plan)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from brain.cli import output

if TYPE_CHECKING:
    from brain.envs.docker_cli import ImageBuild


def quick_docker_build(project: Path | None) -> bool:
    """Build from the project's kept plan and say so; False (nothing said) when the plan
    cannot answer and the full command must run."""
    from brain.envs.docker_plan import Declined, planned_build
    from brain.paths import find_spec_file

    target = output.project_folder(project)
    spec_file = find_spec_file(target) if target.is_dir() else target
    if spec_file is None:
        return False
    try:
        with output.progress("building the image", lazy=True) as progress:
            # The root and spec file as brain.spec.loader names them (the plan's keys).
            result = planned_build(spec_file.parent.resolve(), spec_file.resolve(), progress)
    except Declined:
        return False
    report_image(result, ())
    return True


def report_image(result: ImageBuild, pushed: Sequence[str]) -> None:
    """The lines `brain build --docker` prints about the image."""
    steps = sum(1 for line in result.log if line.startswith("Step "))
    if result.built:
        output.success(f"built {result.tags[0]} ({result.image_id[7:19]}) in "
                       f"{result.seconds:.1f}s, {result.cached_steps} of {steps} "
                       "steps from cache")
    else:
        output.echo(f"image up to date: {result.tags[0]} ({result.image_id[7:19]})")
    output.echo("tags: " + ", ".join(result.tags))
    for reference in pushed:
        output.echo(f"pushed {reference}")
    output.echo(f"try it: docker run --rm {result.tags[0]} --help")

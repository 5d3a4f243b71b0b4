"""`brain setup-deps`, `brain lock`, `brain clean`: the project's environment.

Kept light at import: `setup-deps` with nothing changed must answer in well under 150 ms, so
rich, pydantic and the backends load only when there is work to do.
"""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output
from brain.cli.setup_flow import shown_location as _shown
from brain.envs.select import DEFAULT_BACKEND, backend_names

_EXIT_CODES = ("Exit codes: 0 ok; 2 invalid spec or options; 3 environment failure (Python "
               "version not installed, a requirement that cannot be resolved or installed, "
               "--frozen with a missing or stale lock); 4 the project stayed busy (another "
               "brain holds its lock) past BRAIN_LOCK_TIMEOUT.")


@click.command("setup-deps", epilog=_EXIT_CODES)
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--backend", type=click.Choice(backend_names()), default=DEFAULT_BACKEND,
              show_default=True, help="Where entry points run.")
@click.option("--installer", type=click.Choice(["uv", "pip"]), default="uv", show_default=True,
              help="venv: uv, or virtualenv + pip as the fallback.")
@click.option("--frozen", is_flag=True,
              help="Install exactly onebrain.lock; fail if it is missing or stale.")
@click.option("--wait", "wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="How long to wait for another brain busy with this project "
              "[default: BRAIN_LOCK_TIMEOUT or 900].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def setup_deps(project: Path | None, backend: str, installer: str, frozen: bool,
               wait: float | None, as_json: bool) -> None:
    """Create or refresh the project's environment; a no-op when nothing changed.

    The environment lives in <project>/.brain/venv, built with the Python version of
    env.python.version and the requirements of env.python.pip / env.python.requirements
    (or exactly onebrain.lock when the project has one).

    \b
    Examples:
      brain setup-deps
      brain setup-deps examples/fit-model --frozen
      brain setup-deps --installer pip --json
    """
    from brain.cli.setup_flow import set_up_environment

    set_up_environment(project, backend=backend, installer=installer, frozen=frozen,
                       wait=wait, as_json=as_json)


@click.command("lock", epilog=_EXIT_CODES)
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--upgrade", is_flag=True, help="Re-resolve everything, ignoring current pins.")
@click.option("--renv", is_flag=True,
              help="Also export the R packages' pins as renv.lock (for renv users).")
@click.option("--json", "as_json", is_flag=True, help="Print the pinned packages as JSON.")
def lock(project: Path | None, upgrade: bool, renv: bool, as_json: bool) -> None:
    """Resolve the dependencies and pin them with hashes into onebrain.lock.

    The lock is universal (valid on every platform) and records a digest of the spec's
    requirements, so `brain setup-deps --frozen` can tell when it is stale. Re-locking keeps
    the existing pins unless the spec needs otherwise (or --upgrade). A project with env.r
    also gets onebrain.r.lock (name, version, repository, checksum of each R package).

    \b
    Examples:
      brain lock
      brain lock --upgrade
      brain lock --renv
    """
    from brain.envs.lock import lock_project, locked_packages
    from brain.spec.loader import load_project

    loaded = load_project(output.project_folder(project))
    with output.progress("lock", quiet=False) as progress:
        written = lock_project(loaded, upgrade=upgrade, progress=progress)
    packages = locked_packages(written)
    from brain.rlang.lock_command import lock_r

    r_lock = lock_r(loaded, renv=renv, quiet=as_json)
    if as_json:
        output.print_json({"lock": str(written.path), "packages": packages,
                           "requirements_sha256": written.requirements_digest, **r_lock})
    else:
        output.success(f"wrote {_shown(str(written.path))}: {len(packages)} package(s) pinned")
        for line in r_lock.get("messages", []):
            output.success(line)


@click.command("clean")
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--all", "everything", is_flag=True,
              help="Also remove the rest of <project>/.brain (run logs, caches) and the "
              "image build folder brain keeps for it.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
def clean(project: Path | None, everything: bool, as_json: bool) -> None:
    """Remove the project's environment (with --all, all its local state in .brain/).

    The shared package cache is kept: rebuilding stays fast. Run records stay in the store.

    \b
    Examples:
      brain clean
      brain clean examples/fit-model --all
    """
    from brain.envs.clean import remove_environment
    from brain.paths import find_spec_file

    target = output.project_folder(project)
    root = target.parent if target.is_file() else target
    if find_spec_file(root) is None:
        from brain.errors import InvalidInput

        raise InvalidInput(f"no onebrain.yml in {root}",
                           hint="pass a project folder (brain clean only touches projects)")
    with output.progress("clean", quiet=as_json) as progress:
        removed = remove_environment(root.resolve(), everything=everything, progress=progress)
    if as_json:
        output.print_json({"removed": [str(path) for path in removed]})
    elif removed:
        output.success("removed " + ", ".join(_shown(str(path)) for path in removed))
    else:
        output.echo("nothing to remove")


__all__ = ["clean", "lock", "setup_deps"]

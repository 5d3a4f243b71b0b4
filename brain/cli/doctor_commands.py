"""`brain doctor`: check the machine for what brain needs, and say how to fix what is missing."""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output


@click.command()
@click.option("--no-docker", is_flag=True, help="Skip the Docker daemon check.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(no_docker: bool, as_json: bool) -> None:
    """Check this machine: interpreters, uv, git, BRAIN_HOME, the run store, the package
    cache's filesystem, and the Docker daemon.

    Essential parts failing exit 3; optional ones (Docker, the cache's filesystem) only warn.

    \b
    Examples:
      brain doctor
      brain doctor --no-docker --json
    """
    from brain.doctor import FAIL, OK, run_checks
    from brain.errors import EXIT_ENVIRONMENT

    checks = run_checks(Path.cwd(), docker=not no_docker)
    if as_json:
        output.print_json([check.as_dict() for check in checks])
    else:
        rows = [[check.name, check.status, check.detail + (f" (fix: {check.hint})"
                                                            if check.hint and check.status != OK
                                                            else "")]
                for check in checks]
        output.table("brain doctor", ["check", "status", "found"], rows)
    if any(check.status == FAIL for check in checks):
        raise SystemExit(EXIT_ENVIRONMENT)


__all__ = ["doctor"]

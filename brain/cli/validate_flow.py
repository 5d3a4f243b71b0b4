"""What `brain validate` does once its arguments are typed (click-free, so that
`brain.cli.quick` answers `brain validate [PATH...]` without loading click)."""

from __future__ import annotations

from pathlib import Path

from brain.cli import output


def validate_specs(paths: tuple[Path, ...], *, as_json: bool = False) -> None:
    """Validate the specs `paths` name (default: here); exit 2 when any is invalid."""
    from brain.errors import EXIT_INVALID
    from brain.spec.validation import validate_paths

    report = validate_paths(list(paths) or [Path.cwd()])
    if as_json:
        output.print_json(report.as_dict())
    else:
        for result in report.results:
            if result.problems:
                for line in result.lines():
                    output.echo(line, err=True)
            else:
                output.success(f"ok: {result.shown}")
        checked = len(report.results)
        summary = (f"{checked} {_plural(checked, 'spec')} checked: {report.valid} valid, "
                   f"{report.invalid} invalid")
        if report.invalid:
            output.echo(f"{summary} ({report.problem_count} "
                        f"{_plural(report.problem_count, 'problem')})", err=True)
        elif checked > 1:
            output.echo(summary)
    if report.invalid:
        raise SystemExit(EXIT_INVALID)


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"

"""The entry-point dispatcher inside a project image: `docker run IMAGE ENTRY -P name=value`.

It is the image's ENTRYPOINT (`python -I -m brain.dispatch`, from brain's own venv in the
image) and gives the image the same interface as `brain run`: the same entry point name
matching, typed parameter checks and shell quoting (it calls `brain.runs.plan.plan_run`), the
same variables. `docker run IMAGE --help` lists the entry points and their parameters.

As the container's PID 1 it forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT to the command (a PID 1
that does not would make `docker stop` wait for its timeout) and exits with the command's
exit code. Usage errors exit 2, a command that cannot start exits 127.

This module runs where only brain's runtime libraries exist: pydantic, PyYAML, Jinja2,
packaging. It must not import click, rich, docker or git.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from brain.errors import BrainError, InvalidInput

if TYPE_CHECKING:
    from brain.runs.plan import RunPlan
    from brain.spec.loader import Project
    from brain.spec.models import EntryPoint

EXIT_CANNOT_RUN = 127
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_USAGE = "usage: docker run IMAGE [ENTRY] [-P name=value]... [--dry-run] [--help]"


class Request:
    """The parsed command line: an entry point (or None: the default one) and `-P` pairs."""

    def __init__(self) -> None:
        self.entry: str | None = None
        self.pairs: list[str] = []
        self.help = False
        self.dry_run = False


def parse_arguments(args: Sequence[str]) -> Request:
    """`[ENTRY] [-P k=v | -Pk=v | --param k=v | --param=k=v]... [--dry-run] [-h]`.

    Written by hand rather than with argparse: a value may start with `-` (`-P x=-1`) and
    must reach the entry point verbatim.
    """
    request = Request()
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-P", "--param"):
            if index + 1 >= len(args):
                raise InvalidInput(f"{arg} needs a value", hint="write -P name=value")
            request.pairs.append(args[index + 1])
            index += 2
            continue
        if arg.startswith("--param="):
            request.pairs.append(arg.removeprefix("--param="))
        elif arg.startswith("-P") and arg != "-P":
            request.pairs.append(arg[2:])
        elif arg in ("-h", "--help"):
            request.help = True
        elif arg == "--dry-run":
            request.dry_run = True
        elif arg.startswith("-"):
            raise InvalidInput(f"unknown option {arg!r}", hint=_USAGE)
        elif request.entry is None:
            request.entry = arg
        else:
            raise InvalidInput(f"unexpected argument {arg!r} (the entry point is "
                               f"{request.entry!r})", hint="pass parameters as -P name=value")
        index += 1
    return request


def project_dir() -> Path:
    """The project inside the image: BRAIN_PROJECT_DIR, else the working directory."""
    return Path(os.environ.get("BRAIN_PROJECT_DIR") or Path.cwd())


def describe(project: Project, entry_name: str | None = None) -> str:
    """The help text: the image's entry points (or one of them) and their parameters."""
    spec = project.spec
    lines = [_USAGE, "", f"{spec.namespace}/{spec.name} {spec.version}"
             + (f": {spec.description}" if spec.description else "")]
    if entry_name is not None:
        found = spec.entry_point(entry_name)
        if found is None:
            declared = ", ".join(_cli_name(name) for name in spec.entry_points) or "none"
            raise InvalidInput(f"unknown entry point {entry_name!r} (declared: {declared})",
                               hint="`docker run IMAGE --help` lists the entry points")
        entries = [found]
    else:
        entries = list(spec.entry_points.items())
        lines += ["", "Entry points:" if entries else "No entry points."]
    default = _default_entry(project)
    for name, entry in entries:
        lines += _describe_entry(name, entry, is_default=name == default)
    lines += ["", "Examples:"]
    for name, entry in entries[:2]:
        example = " ".join(f"-P {p}={_example_value(entry, p)}" for p in entry.parameters)
        lines.append(f"  docker run IMAGE {_cli_name(name)} {example}".rstrip())
    return "\n".join(lines) + "\n"


def _describe_entry(name: str, entry: EntryPoint, *, is_default: bool) -> list[str]:
    from brain.params import format_default, format_value

    head = f"  {_cli_name(name)} ({entry.type})" + ("  [default]" if is_default else "")
    lines = [head]
    if entry.description:
        lines.append(f"      {entry.description}")
    width = max((len(p) for p in entry.parameters), default=0)
    for param_name, param in entry.parameters.items():
        kind: str = param.type
        if param.choices:
            kind += " {" + ",".join(format_value(c) for c in param.choices) + "}"
        if param.min is not None or param.max is not None:
            low = "" if param.min is None else f"{param.min:g}"
            high = "" if param.max is None else f"{param.max:g}"
            kind += f" [{low}..{high}]"
        default = ("required" if param.default is None
                   else f"default {format_default(param.default)}")
        text = f"      -P {param_name.ljust(width)}  {kind}, {default}"
        lines.append(text + (f": {param.help}" if param.help else ""))
    return lines


def _cli_name(name: str) -> str:
    from brain.entry_names import normalize_entry_name

    return normalize_entry_name(name)


def _example_value(entry: EntryPoint, name: str) -> str:
    import shlex

    from brain.params import format_default

    param = entry.parameters[name]
    if param.default is not None:
        return shlex.quote(format_default(param.default))
    return {"int": "1", "float": "0.5", "bool": "true", "date": "2024-01-01",
            "path": "data.csv", "uri": "s3://bucket/key", "json": "'[1, 2]'"}.get(
                param.type, "VALUE")


def _default_entry(project: Project) -> str | None:
    from brain.entry_names import default_entry

    found = default_entry(project.spec.entry_points)
    return found[0] if found else None


def plan(project: Project, request: Request) -> RunPlan:
    """The run plan for `request`, exactly as `brain run` would make it."""
    from brain.params import parse_assignments
    from brain.runs.plan import plan_run

    return plan_run(project, request.entry, parse_assignments(request.pairs))


def run(plan: RunPlan) -> int:
    """Run the planned command with signals forwarded; returns its exit code."""
    env = {**os.environ, **plan.variables}
    try:
        # Not brain.process.run_live: in the container the command must inherit the
        # terminal and stdio, and this process stays in front only to forward signals.
        child = subprocess.Popen(list(plan.argv), cwd=plan.cwd, env=env)
    except (FileNotFoundError, PermissionError) as error:
        print(f"error: cannot run {plan.argv[0]!r}: {error.strerror}", file=sys.stderr)
        return EXIT_CANNOT_RUN

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signum)  # a no-op once the child has been reaped

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    returncode = child.wait()
    return 128 - returncode if returncode < 0 else returncode


def main(args: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Parse, check, run; returns the exit code (usage errors 2, as in `brain run`)."""
    from brain.spec.loader import load_project

    out = stdout or sys.stdout
    try:
        request = parse_arguments(list(sys.argv[1:] if args is None else args))
        project = load_project(project_dir())
        if request.help:
            out.write(describe(project, request.entry))
            return 0
        if request.entry is None and _default_entry(project) is None:
            sys.stderr.write(describe(project) + "\n")
            raise InvalidInput("which entry point? this image has several and no `main`",
                               hint="docker run IMAGE ENTRY [-P name=value]...")
        planned = plan(project, request)
    except BrainError as error:
        _print_error(error)
        return error.exit_code
    if request.dry_run:
        import shlex

        out.write(shlex.join(planned.argv) + "\n")
        return 0
    out.flush()
    return run(planned)


def _print_error(error: BrainError) -> None:
    for line in getattr(error, "problems", []):
        print(line, file=sys.stderr)
    print(f"error: {error.message}", file=sys.stderr)
    if error.hint:
        hint = error.hint.replace("`brain info`", "`docker run IMAGE --help`")
        print(f"hint: {hint}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

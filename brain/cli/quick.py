"""Answers to the commonest command lines without loading click (about a third of the start-up
of `brain run` on a ready environment, and most of `brain --help`).

Only exact, simple forms are answered here; anything else (another option, a typo, `--help`
after a command) returns None and goes to click, which owns the CLI's meaning. Tests check
that both read every form answered here the same way.
"""

from __future__ import annotations

import os
import sys

from brain import __version__
from brain.settled import cache_root as cache_root  # where the help cache has found it

TYPE_CHECKING = False  # not typing's: importing typing costs the fast path a few ms
if TYPE_CHECKING:
    from collections.abc import Callable

_RUN_VALUES = {"-e": "entry", "--entry": "entry", "-P": "params", "--param": "params"}
_RUN_FLAGS = {"--no-setup": "no_setup", "--force": "force"}


def quick_call(argv: list[str]) -> Callable[[], int | None] | None:
    """What to do for `argv` without click, or None when click must read it."""
    if argv in (["--help"], ["-h"]):
        return _show_help
    if argv == ["--version"]:
        return _show_version
    if argv[:1] == ["setup-deps"] and len(argv) <= 2 and not any(
            arg.startswith("-") for arg in argv[1:]):
        return lambda: _set_up(argv[1:])
    if argv[:1] == ["validate"] and not any(arg.startswith("-") for arg in argv[1:]):
        return lambda: _validate(argv[1:])
    if argv[:2] == ["build", "--docker"] and len(argv) <= 3 and not any(
            arg.startswith("-") for arg in argv[2:]):
        return lambda: _build_docker(argv[2:])
    if argv[:1] == ["run"]:
        options = parse_run(argv[1:])
        if options is not None:
            return lambda: _run(options)
    return None


def parse_run(args: list[str]) -> dict[str, object] | None:
    """`brain run` options from the simple forms (`-e X`, `--entry=X`, `-P k=v`, `--no-setup`,
    `--force`, one project folder), as click would type them; None for anything else."""
    options: dict[str, object] = {"project": None, "entry": None, "params": [],
                                  "no_setup": False, "force": False}
    position = 0
    while position < len(args):
        arg = args[position]
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in _RUN_VALUES:
            if equals:
                value = inline
            elif position + 1 < len(args) and not args[position + 1].startswith("-"):
                position += 1
                value = args[position]
            else:
                return None  # a missing value, or one that looks like an option: click's call
            key = _RUN_VALUES[name]
            if key == "params":
                options["params"] = [*options["params"], value]  # type: ignore[misc]
            elif options["entry"] is None:
                options["entry"] = value
            else:
                return None  # repeated -e: click's rule (the last wins) is click's to apply
        elif arg in _RUN_FLAGS and not equals:
            options[_RUN_FLAGS[arg]] = True
        elif arg.startswith("-") or options["project"] is not None:
            return None
        else:
            from pathlib import Path

            options["project"] = Path(arg)
        position += 1
    options["params"] = tuple(options["params"])  # type: ignore[arg-type]
    return options


def _run(options: dict[str, object]) -> int | None:
    if not (options["no_setup"] or options["force"]):
        from brain.runs.express import express_run

        # A run whose plan and environment nothing has changed since the last one: from its
        # card, without loading the run core (brain.runs.express); else the full path.
        code = express_run(options["project"], options["entry"],  # type: ignore[arg-type]
                           options["params"], note=_note)  # type: ignore[arg-type]
        if code is not None:
            return code
    from brain.cli.run_flow import run_entry_point

    run_entry_point(**options)  # type: ignore[arg-type]
    return None


def _note(text: str) -> None:
    """brain.cli.output.note for text already escaped (without importing output)."""
    sys.stderr.write(f"brain: {text}\n")
    sys.stderr.flush()


def _set_up(args: list[str]) -> None:
    from brain.settled import SETUP_NO_OP, folder_key, recall

    # A no-op whose every input file is as it was: its line again, before importing pathlib,
    # json, typing and brain's environment code (about half of the no-op's time).
    try:
        answer = recall(cache_root(), SETUP_NO_OP, folder_key(args[0] if args else None))
    except OSError:  # the working directory is gone: the full path says so
        answer = None
    line = answer.get("line") if answer is not None else None
    if isinstance(line, str):
        sys.stdout.write(f"{line}\n")
        return
    from pathlib import Path

    from brain.cli.setup_flow import set_up_environment

    set_up_environment(Path(args[0]) if args else None)


def _build_docker(args: list[str]) -> int | None:
    from pathlib import Path

    from brain.cli.build_flow import quick_docker_build

    if quick_docker_build(Path(args[0]) if args else None):
        return None
    from brain.cli.app import run_cli  # no kept plan, or it cannot answer: the full command

    return run_cli(["build", "--docker", *args])


def _validate(args: list[str]) -> None:
    from pathlib import Path

    from brain.cli.validate_flow import validate_specs

    validate_specs(tuple(Path(arg) for arg in args))


def _show_version() -> int:
    sys.stdout.write(f"brain, version {__version__}\n")
    return 0


def _show_help() -> int:
    """The help text, rendered by click once per version and width and then kept."""
    formatting = sys.modules.get("click.formatting")
    if formatting is not None and formatting.FORCED_WIDTH is not None:
        # A width forced in-process (click's CliRunner forces 80): not the terminal's, so
        # neither read from nor written to the cache a real terminal of that width reads.
        from brain.cli.app import help_text

        sys.stdout.write(f"{help_text()}\n")
        return 0
    try:  # the app's own file: a changed CLI is rendered again
        stamp = os.stat(os.path.join(os.path.dirname(__file__), "app.py")).st_mtime_ns
    except OSError:
        stamp = 0
    name = f"{__version__}-{stamp}-{_columns()}.txt"
    try:
        with open(os.path.join(cache_root(), "cli-help", name), encoding="utf-8") as kept_file:
            text = kept_file.read()
    except OSError:
        import contextlib

        from brain.cli.app import help_text
        from brain.paths import cache_dir

        kept = cache_dir() / "cli-help" / name
        text = help_text()
        with contextlib.suppress(OSError):  # a cache: shown all the same, rendered next time
            kept.parent.mkdir(parents=True, exist_ok=True)
            temporary = kept.with_name(f".{kept.name}.{os.getpid()}")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(kept)
            for stale in kept.parent.glob(f"*-{_columns()}.txt"):  # of an earlier brain
                if stale != kept:
                    stale.unlink(missing_ok=True)
    sys.stdout.write(f"{text}\n")
    return 0


def _columns() -> int:
    """`shutil.get_terminal_size().columns` (what click wraps to), without importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80

"""The `brain` console script: a fast path for the commonest argv, click for the rest, and the
one error handler.

Importing this package loads nothing heavy: `brain --help`, `brain --version` and the common
forms of `brain run` are answered without click (`brain.cli.quick`); everything else goes to
the click application in `brain.cli.app`.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs `brain --help` a few ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn


def _debugging() -> bool:
    from brain import settings
    from brain.errors import InvalidInput

    try:
        return settings.flag("BRAIN_DEBUG") or "--debug" in sys.argv[1:]
    except InvalidInput:
        return True  # asked for, though misspelt: never hide a traceback someone wants


def main(args: list[str] | None = None) -> None:
    """Entry point of the `brain` console script: run the CLI, map errors to exit codes."""
    from brain.cli.quick import quick_call

    call = quick_call(sys.argv[1:] if args is None else list(args))
    if call is None:
        from brain.cli.app import run_cli

        def call() -> int:
            return run_cli(args)

    handle(call)


def handle(call: Callable[[], int | None]) -> NoReturn:
    """Run `call` and leave with its exit code, turning every failure into a message and one."""
    from brain.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, BrainError, Terminated

    try:
        code = call()
        _flush_stdout()
        _spool_notes()
    except BrainError as error:
        from brain.cli.output import print_error

        if _debugging():
            import traceback

            traceback.print_exc()
        print_error(error)
        _spool_notes()
        sys.exit(error.exit_code)
    except SystemExit:  # `brain run` leaves with the entry point's own code
        _flush_stdout()
        raise
    except KeyboardInterrupt:
        _say("Interrupted.")
        sys.exit(EXIT_INTERRUPTED)
    except Terminated as stop:  # SIGTERM/SIGHUP while an installer ran: it is stopped
        _say(f"Terminated (signal {stop.signum}).")
        sys.exit(128 + stop.signum)
    except BrokenPipeError:
        # Output piped into `head`, which closed it: the command itself went fine, and
        # nothing more can be written there (even at exit, when Python flushes stdout).
        _discard_stdout()
        code = 0
    except Exception as error:  # the one place that turns bugs into exit 1
        if "click" in sys.modules:  # click's own usage errors, aborts and exits
            from brain.cli.app import click_failure

            shown = click_failure(error)
            if shown is not None:
                sys.exit(shown)
        if _debugging():
            raise
        _say(f"brain: internal error: {type(error).__name__}: {error} "
             "(run with --debug for the traceback, and please report it)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(code or 0)


def _spool_notes() -> None:
    """What a reader could not sync into the store (brain.store.spool), one line each."""
    spool = sys.modules.get("brain.store.spool")  # only a command that used the store
    if spool is not None:
        for line in spool.notes():
            _say(line)


def _say(text: str) -> None:
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def _flush_stdout() -> None:
    """Flush now, so that a reader that went away is noticed here and not at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except ValueError:
        return  # stdout already closed (an embedding caller did it)


def _discard_stdout() -> None:
    # Python's documented recipe (signal module docs, "Note on SIGPIPE"): point stdout at
    # devnull so that the flush at interpreter exit cannot raise BrokenPipeError again.
    # No real file descriptor behind stdout (tests capture it): nothing to flush.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        return

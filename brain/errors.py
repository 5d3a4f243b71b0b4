"""The one exception family; the CLI turns each into a message and an exit code.

Exit codes (DESIGN.md section 7): 0 ok, 1 internal error, 2 invalid input, 3 environment or
dependency failure, 4 lock/busy timeout, 5 a data check failed (brain.checks), 6 a
reproduced run's outputs differ from its record (`brain runs reproduce`), 130 interrupted.
`brain run` passes the entry point's own exit code through.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2
EXIT_ENVIRONMENT = 3
EXIT_BUSY = 4
EXIT_CHECK_FAILED = 5  # a data check on a run's inputs or outputs failed
EXIT_DIFFERENT = 6  # `brain runs reproduce`: the outputs differ from the record
EXIT_INTERRUPTED = 130


class BrainError(Exception):
    """A failure the user can act on: a message, an optional hint, an exit code."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(BrainError):
    """Bad spec, parameter, template or usage (exit 2)."""

    exit_code = EXIT_INVALID


class SpecInvalid(InvalidInput):
    """A spec with one or more problems; `problems` holds one formatted line each."""

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} found", hint=hint)
        self.problems = problems


class EnvironmentFailure(BrainError):
    """The environment or its dependencies could not be built or used (exit 3)."""

    exit_code = EXIT_ENVIRONMENT


class Busy(BrainError):
    """A lock or the store stayed busy past its timeout (exit 4)."""

    exit_code = EXIT_BUSY


class Terminated(BaseException):
    """brain received SIGTERM or SIGHUP while a contained child ran (brain.process stopped
    it); the CLI exits 128+signal. A BaseException, like KeyboardInterrupt: cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum

"""Metrics a run reports: the flat JSON object of numbers an entry point's `metrics:` names.

Read after the run ends and kept in the record (`extra["metrics"]`), so `runs show`, `runs
diff`, `runs list --json` and the sweep table can compare runs by them. The file is the
entry point's own output, so it is read defensively: at most MAX_BYTES, never through a
symlink out of the project, numbers only (no NaN or infinity). A bad file costs a warning,
never the run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from brain.run_plan import RUN_DIR_VARIABLE as RUN_DIR_VARIABLE  # re-exported

MAX_BYTES = 1 << 20  # a metrics file is a handful of numbers; more is a mistake
MAX_NAMES = 1000


@dataclass(frozen=True)
class Metrics:
    """The values read (possibly none) and why some or all were not."""

    values: dict[str, float | int]
    warnings: tuple[str, ...] = ()


def metrics_file(declared: str, cwd: Path, run_dir: str | None) -> Path:
    """Where a run's metrics are: in its own folder when it wrote them there, else in `cwd`."""
    if run_dir:
        own = Path(run_dir) / declared
        if own.exists() or own.is_symlink():
            return own
    return cwd / declared


def read_metrics(declared: str, cwd: Path, root: Path, run_dir: str | None = None) -> Metrics:
    """The metrics the entry point wrote to `declared` (relative to its folder)."""
    path = metrics_file(declared, cwd, run_dir)
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return _none(f"metrics file {declared} cannot be resolved (a symlink loop?)")
    if not resolved.is_relative_to(root.resolve()):
        return _none(f"metrics file {declared} points outside the project; not read")
    try:
        with open(resolved, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return _none(f"metrics file {declared} was not written by the run")
    except OSError as error:
        return _none(f"metrics file {declared} cannot be read: {error.strerror}")
    if len(data) > MAX_BYTES:
        return _none(f"metrics file {declared} is larger than {MAX_BYTES} bytes; not read")
    return parse_metrics(data, declared)


def parse_metrics(data: bytes | str, name: str = "metrics") -> Metrics:
    """A flat JSON object of finite numbers; anything else is dropped with a warning."""
    try:
        parsed = json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return _none(f"{name} is not valid JSON (numbers only: no NaN or Infinity)")
    if not isinstance(parsed, dict):
        return _none(f"{name} must be a JSON object of numbers, got a {type(parsed).__name__}")
    values: dict[str, float | int] = {}
    skipped: list[str] = []
    for key, value in parsed.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and len(values) < MAX_NAMES:
            values[str(key)[:200]] = value
        else:
            skipped.append(str(key)[:40])
    warnings: tuple[str, ...] = ()
    if skipped:
        shown = ", ".join(repr(key) for key in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        warnings = (f"{name}: {len(skipped)} value(s) are not finite numbers and were not "
                    f"recorded: {shown}",)
    return Metrics(values, warnings)


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number JSON allows")


def _none(warning: str) -> Metrics:
    return Metrics({}, (warning,))

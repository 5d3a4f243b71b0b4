"""Output for the CLI layer: rich on a terminal, plain text when piped, NO_COLOR honoured."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

    from brain.errors import BrainError


def _write(text: str, *, err: bool = False) -> None:
    """One line on stdout (or stderr), flushed: click.echo for plain text, without importing
    click (which `brain run`'s fast path never loads)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n")
    stream.flush()


def is_rich(stream: Any = None) -> bool:
    """True when output goes to a terminal and colour is allowed."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


@lru_cache(maxsize=2)
def console(stderr: bool = False) -> Console:
    """A rich console for the terminal (only used when `is_rich`)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def printable(text: str, *, lines: bool = True) -> str:
    """`text` safe for a terminal: control, bidi and zero-width characters as escapes.

    User data (entry point names, values, log lines) may hold ESC sequences that rewrite the
    screen or a U+202E that reverses what follows; shown escaped (`\\x1b`, `\\u202e`),
    they are visible and inert. With `lines`, newlines and tabs are kept as they are.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, at the cost of two scans
    kept = "\n\t" if lines else ""
    return "".join(char if char.isprintable() or char in kept else _escaped(char)
                   for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def echo(text: str = "", *, err: bool = False) -> None:
    """Print a line of plain text (control characters escaped)."""
    _write(printable(text), err=err)


def note(text: str) -> None:
    """A status line from brain itself, on stderr so stdout stays the entry point's own."""
    _write(f"brain: {printable(text)}", err=True)


def project_folder(path: Path | None, *,
                   hint: str = "pass a project folder, or run `brain generate` to create one",
                   ) -> Path:
    """The project folder given, else the nearest one at or above the working directory."""
    from brain.errors import InvalidInput
    from brain.paths import find_project_root

    if path is not None:
        return path
    root = find_project_root(Path.cwd())
    if root is None:
        raise InvalidInput("no onebrain.yml here or in any parent folder", hint=hint)
    return root


@contextmanager
def progress(title: str, *, quiet: bool = False,
             lazy: bool = False) -> Iterator[Callable[[str], None]]:
    """Long work as it advances: a spinner with the latest phrase on a terminal (each phrase
    kept as a dim line), plain `title: phrase` lines on stderr when piped. `lazy`: the
    spinner starts with the first phrase, so work that says none (a no-op `setup-deps`)
    never imports rich (about 40 ms)."""
    if quiet:
        yield lambda _phrase: None
        return
    if not is_rich(sys.stderr):
        yield lambda phrase: _write(printable(f"{title}: {phrase}"), err=True)
        return
    started: list[Status] = []

    def spinner() -> Status:
        if not started:
            started.append(console(stderr=True).status(f"{title}...", spinner="dots"))
            started[0].start()
        return started[0]

    def update(phrase: str) -> None:
        status = spinner()
        text = _escape(phrase)
        console(stderr=True).print(f"[dim]{text}[/dim]")
        status.update(f"{title}: {text}")

    if not lazy:
        spinner()
    try:
        yield update
    finally:
        if started:
            started[0].stop()


def print_json(data: Any) -> None:
    """Print `data` as indented JSON (dates and paths as strings)."""
    _write(json.dumps(data, indent=2, default=str))


def success(text: str) -> None:
    """A green line on a terminal, plain otherwise."""
    if is_rich():
        console().print(f"[green]{_escape(text)}[/green]")
    else:
        _write(printable(text))


def warn(text: str) -> None:
    """A warning on stderr."""
    if is_rich(sys.stderr):
        console(stderr=True).print(f"[yellow]warning:[/yellow] {_escape(text)}")
    else:
        _write(f"warning: {printable(text)}", err=True)


def table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
          err: bool = False, no_wrap: Sequence[str] = ()) -> None:
    """A table on a terminal; tab-separated columns when piped (on stderr with `err`). Columns
    named in `no_wrap` (run ids, which people copy) are never wrapped or cut; the others fold."""
    if is_rich(sys.stderr if err else None):
        from rich.table import Table

        grid = Table(title=title, title_justify="left", header_style="bold")
        for header in headers:
            keep = header in no_wrap
            grid.add_column(header, overflow="ignore" if keep else "fold", no_wrap=keep,
                            min_width=max((len(_cell(row[headers.index(header)]))
                                           for row in rows), default=0) if keep else None)
        for row in rows:
            grid.add_row(*(_escape(_cell(cell)) for cell in row))
        console(stderr=err).print(grid)
        return
    if title:
        _write(printable(title), err=err)
    _write("\t".join(headers), err=err)
    for row in rows:
        _write("\t".join(_cell(cell) for cell in row), err=err)


def short_run_ids(ids: Sequence[str]) -> dict[str, str]:
    """Run ids as tables show them: on a terminal each one's shortest unique prefix (at
    least 8 characters, like git's short hashes); piped, the full ids scripts compare."""
    if not is_rich():
        return {run_id: run_id for run_id in ids}
    from brain.runs.history import kept_short_ids

    found = kept_short_ids(list(ids))
    if found is not None:
        return found
    from brain.runs.run_ids import short_ids
    from brain.runs.store import RunStore

    with RunStore() as store:
        return short_ids(ids, store.neighbours)


def print_error(error: BrainError) -> None:
    """The red one-liner (plus problem lines and hint) for a BrainError, on stderr."""
    from brain.errors import SpecInvalid

    rich = is_rich(sys.stderr)
    out = console(stderr=True) if rich else None
    lines = list(error.problems) if isinstance(error, SpecInvalid) else []
    head = f"error: {error.message}"
    if out is not None:
        for line in lines:
            out.print(f"[red]{_escape(line)}[/red]")
        out.print(f"[bold red]{_escape(head)}[/bold red]")
        if error.hint:
            out.print(f"[dim]hint: {_escape(error.hint)}[/dim]")
        return
    for line in lines:
        _write(printable(line), err=True)
    _write(printable(head), err=True)
    if error.hint:
        _write(printable(f"hint: {error.hint}"), err=True)


def _cell(value: Any) -> str:
    """A table cell: one line, every control character escaped (a tab would split it)."""
    return printable("" if value is None else str(value), lines=False)


def _escape(text: str) -> str:
    """Rich markup escaped, and control characters too (see `printable`)."""
    from rich.markup import escape

    return escape(printable(text))

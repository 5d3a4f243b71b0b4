"""Progress of dataset transfers on a terminal: files and bytes, as rich progress bars.

dvc-data reports through fsspec callbacks (one per transfer counting files, a branch per
file counting bytes); this turns them into two bars. Off a terminal nothing is drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fsspec.callbacks import Callback

from brain.cli import output

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class _Bytes(Callback):  # type: ignore[misc]  # fsspec ships no types
    """One file's bytes, added to the shared bytes bar."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        super().__init__()
        self._bar, self._task, self._sized, self._seen = bar, task, False, 0

    def call(self, *args: Any, **kwargs: Any) -> None:
        if self.size and not self._sized:
            self._sized = True
            self._bar.update(self._task, total=(self._bar.tasks[self._task].total or 0)
                             + self.size, visible=True)
        if self.value > self._seen:
            self._bar.advance(self._task, self.value - self._seen)
            self._seen = self.value


class TransferProgress(Callback):  # type: ignore[misc]
    """Files done out of files to move, with a byte bar fed by each file's branch."""

    def __init__(self, bar: Progress, title: str) -> None:
        super().__init__()
        self._bar = bar
        self._files = bar.add_task(f"{title}: files", total=None)
        # Shown once a file reports its size (a local copy by sendfile reports none).
        self._bytes = bar.add_task(f"{title}: bytes", total=0, visible=False)

    def call(self, *args: Any, **kwargs: Any) -> None:
        self._bar.update(self._files, total=self.size, completed=self.value)

    def branched(self, path_1: Any, path_2: Any, **kwargs: Any) -> Callback:
        return _Bytes(self._bar, self._bytes)


@contextmanager
def transfer_progress(title: str) -> Iterator[Callback | None]:
    """A callback drawing `title`'s progress on stderr's terminal, else None."""
    if not output.is_rich(sys.stderr):
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), console=output.console(stderr=True), transient=True)
    with bar:
        yield TransferProgress(bar, title)

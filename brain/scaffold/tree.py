"""Writing a tree of files into a staging folder without ever leaving it.

Every output path is checked (no `..`, no absolute path, no empty segment, no `.git`), every
write refuses to follow a symlink, and a symlink is reproduced only when it points inside the
tree it comes from. Files are read through `brain.inputfs`: regular files only, bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from brain.errors import InvalidInput
from brain.inputfs import open_input, read_input

PathMapper = Callable[[str], str | None]
ContentMapper = Callable[[str, bytes], bytes]
_DRIVE = re.compile(r"^[A-Za-z]:")
# Bigger files are data: copied as they are, in chunks, never rendered or renamed.
MAX_MAPPED_BYTES = 5_000_000


def check_relative_path(text: str, *, where: str) -> PurePosixPath:
    """`text` as a safe relative path, or InvalidInput saying why it is not one."""
    def refuse(why: str) -> InvalidInput:
        return InvalidInput(f"{where}: unsafe path {text!r}: {why}",
                            hint="a template may only write inside the new project")

    if not text.strip():
        raise refuse("it is empty")
    if "\x00" in text or "\\" in text:
        raise refuse("it holds a NUL or backslash character")
    if text.startswith("/") or _DRIVE.match(text):
        raise refuse("it is absolute")
    parts = text.split("/")
    if any(part == "" for part in parts):
        raise refuse("it has an empty segment")
    if any(part in (".", "..") for part in parts):
        raise refuse("it has a '.' or '..' segment")
    if any(part.lower() == ".git" for part in parts):
        # files under .git (hooks, config) would run code at the first commit
        raise refuse("it writes into .git")
    return PurePosixPath(text)


def is_inside(path: str | Path, root: str | Path) -> bool:
    """True when `path` is `root` or below it (both already resolved)."""
    path, root = os.fspath(path), os.fspath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass
class TreeWriter:
    """Copies `source` into `staging`, mapping each relative path and each file's content.

    `map_path(rel)` returns the output path (or None to leave the entry out);
    `map_content(rel, data)` returns the bytes to write. `skip_dir(rel, path)` prunes folders.
    """

    source: Path
    staging: Path
    map_path: PathMapper
    map_content: ContentMapper
    skip_dir: Callable[[str, Path], bool]
    kind: str = "template"
    written: dict[str, str] = field(default_factory=dict)  # output path -> source path

    def run(self) -> list[str]:
        """Write everything; returns the output paths, sorted."""
        self.source = Path(os.path.realpath(self.source))
        self.staging = Path(os.path.realpath(self.staging))
        links: list[tuple[str, str]] = []
        for rel, path, mode in self._walk():
            out = self._output(rel)
            if out is None:
                continue
            if stat.S_ISLNK(mode):
                links.append((rel, out))
            elif stat.S_ISDIR(mode):
                continue  # folders are made for the files in them; empty ones are not kept
            elif stat.S_ISREG(mode):
                executable = bool(mode & stat.S_IXUSR)
                if os.lstat(path).st_size > MAX_MAPPED_BYTES:
                    self._write_file(out, rel, path, executable=executable)  # data: copied
                else:
                    data = self.map_content(rel, read_input(path, root=self.source,
                                                            cap=MAX_MAPPED_BYTES))
                    self._write_file(out, rel, data, executable=executable)
            # sockets, fifos and devices are never copied
        for rel, out in links:  # after the files, so a link's target folder exists
            self._link(rel, out)
        return sorted(self.written)

    def _walk(self) -> Iterator[tuple[str, Path, int]]:
        for directory, subdirs, files in os.walk(self.source, followlinks=False):
            base = Path(directory)
            kept = []
            for name in sorted(subdirs):
                path = base / name
                rel = path.relative_to(self.source).as_posix()
                if self.skip_dir(rel, path):
                    continue
                if path.is_symlink():
                    yield rel, path, os.lstat(path).st_mode
                else:
                    kept.append(name)
                    yield rel, path, os.lstat(path).st_mode
            subdirs[:] = kept
            for name in sorted(files):
                path = base / name
                yield path.relative_to(self.source).as_posix(), path, os.lstat(path).st_mode

    def _output(self, rel: str) -> str | None:
        mapped = self.map_path(rel)
        if mapped is None:
            return None
        return str(check_relative_path(mapped, where=f"{self.kind} file {rel}"))

    def add(self, out: str, data: bytes, *, what: str) -> None:
        """Write one more file that comes from brain, not from the source tree."""
        checked = str(check_relative_path(out, where=what))
        self._write_file(checked, what, data, executable=False)

    def _mkdir(self, out: str, rel: str) -> None:
        target = self.staging / out
        self._check_parent(target, rel)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InvalidInput(f"{self.kind} folder {rel}: cannot create {out}: "
                               f"{error.strerror}") from None

    def _write_file(self, out: str, rel: str, data: bytes | Path, *, executable: bool) -> None:
        if out in self.written:
            raise InvalidInput(f"{self.kind} files {self.written[out]} and {rel} both "
                               f"become {out}")
        target = self.staging / out
        if "/" in out:
            self._mkdir(str(PurePosixPath(out).parent), rel)
        self._check_parent(target, rel)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            handle = os.open(target, flags, 0o755 if executable else 0o644)
        except OSError as error:
            raise InvalidInput(f"{self.kind} file {rel}: cannot write {out}: "
                               f"{error.strerror}") from None
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, Path):
                with open_input(data, root=self.source) as source:
                    shutil.copyfileobj(source, stream, 1 << 20)
            else:
                stream.write(data)
        self.written[out] = rel

    def _link(self, rel: str, out: str) -> None:
        where = f"{self.kind} symlink {rel}"
        real = os.path.realpath(self.source / rel)
        if not is_inside(real, self.source):
            raise InvalidInput(
                f"{where} points outside the {self.kind} ({os.readlink(self.source / rel)}); "
                "refusing to follow it",
                hint="replace the link with a copy of the file, or point it inside the "
                     f"{self.kind}")
        target_rel = os.path.relpath(real, self.source)
        mapped = "." if target_rel == "." else self.map_path(target_rel.replace(os.sep, "/"))
        if mapped is None:
            raise InvalidInput(f"{where} points to {target_rel}, which is left out")
        link_path = self.staging / out
        self._check_parent(link_path, rel)
        link_path.parent.mkdir(parents=True, exist_ok=True)
        text = os.path.relpath(self.staging / mapped, link_path.parent)
        if out in self.written or os.path.lexists(link_path):
            raise InvalidInput(f"{where}: {out} is written twice")
        os.symlink(text, link_path)
        if not is_inside(os.path.realpath(link_path), self.staging):
            link_path.unlink()
            raise InvalidInput(f"{where} would point outside the new project")
        self.written[out] = rel

    def _check_parent(self, target: Path, rel: str) -> None:
        # a folder reached through a link made earlier must still be inside the staging folder
        parent = target.parent
        while not parent.exists() and parent != self.staging:
            parent = parent.parent
        if not is_inside(os.path.realpath(parent), self.staging):
            raise InvalidInput(f"{self.kind} file {rel}: {target.relative_to(self.staging)} "
                               "would be written outside the new project")

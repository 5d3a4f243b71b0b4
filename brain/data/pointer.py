"""Pointer files: `<path>.dvc` beside a dataset, in DVC's own format, so DVC reads them too.

    outs:
    - md5: 3a1f...            # a folder's ends in `.dir` (the hash of its listing)
      size: 1048576
      nfiles: 12              # folders only
      hash: md5
      path: train.csv         # relative to the pointer file's folder

A pointer comes from a repository someone else wrote: it is read bounded (brain.inputfs),
parsed with the safe YAML loader, and its `path` must stay beside it (no `..`, absolute
path or separator games): brain never reads or writes a path a pointer chose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from brain.errors import InvalidInput

SUFFIX = ".dvc"
MAX_POINTER_BYTES = 64 * 1024
_MD5 = re.compile(r"[0-9a-f]{32}")


class PointerInvalid(InvalidInput):
    """A pointer file brain will not use (exit 2); the message names the file and why."""


@dataclass(frozen=True)
class Pointer:
    """One dataset version: what its pointer file says."""

    path: str  # relative to the pointer's folder, a plain name or a relative path below it
    md5: str  # 32 hex digits, plus `.dir` for a folder
    size: int | None = None
    nfiles: int | None = None

    @property
    def is_dir(self) -> bool:
        """True for a folder (its hash is of the listing object, `<md5>.dir`)."""
        return self.md5.endswith(".dir")


def pointer_file(dataset: Path) -> Path:
    """The pointer file of the dataset at `dataset`: `<dataset>.dvc`."""
    return dataset.with_name(dataset.name + SUFFIX)


def parse_pointer(text: str, where: str) -> Pointer:
    """The pointer in `text` (a `.dvc` file's content); PointerInvalid naming `where`."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise PointerInvalid(f"{where}{at}: not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("outs"), list):
        raise PointerInvalid(f"{where}: expected `outs:` with one entry (a DVC pointer file)")
    outs = data["outs"]
    if len(outs) != 1 or not isinstance(outs[0], dict):
        raise PointerInvalid(f"{where}: expected exactly one entry under `outs:`")
    return _out(outs[0], where)


def _out(out: dict[Any, Any], where: str) -> Pointer:
    path, md5 = out.get("path"), out.get("md5")
    problem = relative_path_problem(path)
    if problem:
        raise PointerInvalid(f"{where}: outs.path {problem}",
                             hint="a pointer names the file or folder beside it")
    if not isinstance(md5, str) or not _MD5.fullmatch(md5.removesuffix(".dir")):
        raise PointerInvalid(f"{where}: outs.md5 is not an md5 hash (32 hex digits, "
                             "`.dir` for a folder)")
    if out.get("hash", "md5") != "md5":
        raise PointerInvalid(f"{where}: outs.hash {out.get('hash')!r} is not supported; "
                             "brain reads DVC 3 pointers (hash: md5)",
                             hint="re-add the dataset with DVC 3 or `brain data add`")
    size, nfiles = out.get("size"), out.get("nfiles")
    for key, value in (("size", size), ("nfiles", nfiles)):
        if value is not None and (type(value) is not int or value < 0):
            raise PointerInvalid(f"{where}: outs.{key} is not a whole number")
    if nfiles is not None and not md5.endswith(".dir"):
        raise PointerInvalid(f"{where}: outs.nfiles is for a folder (an md5 ending in .dir)")
    return Pointer(path=str(path), md5=md5, size=size, nfiles=nfiles)


def relative_path_problem(value: object) -> str | None:
    """Why `value` cannot be a pointer's path (beside or below the pointer file), or None."""
    if not isinstance(value, str) or not value or "\x00" in value or "\\" in value:
        return "is not a relative path"
    pure = PurePosixPath(value)
    if pure.is_absolute() or value.startswith("~"):
        return f"{value!r} is absolute; brain only follows paths inside the project"
    if ".." in pure.parts or pure.parts[0] == ".":
        return f"{value!r} leads out of its folder ('..'); brain only follows paths inside it"
    if any(not char.isprintable() for char in value):
        return "holds a control character"
    return None


def render_pointer(pointer: Pointer) -> str:
    """The `.dvc` file text for `pointer`, with DVC's key order."""
    import yaml

    out: dict[str, Any] = {"md5": pointer.md5}
    if pointer.size is not None:
        out["size"] = pointer.size
    if pointer.nfiles is not None:
        out["nfiles"] = pointer.nfiles
    out["hash"] = "md5"
    out["path"] = pointer.path
    return str(yaml.safe_dump({"outs": [out]}, sort_keys=False, allow_unicode=True))


def read_pointer(dataset: Path, root: Path) -> Pointer | None:
    """The pointer of the dataset at `dataset` (inside `root`), or None when there is none.

    Refused (PointerInvalid) when it names another path than its dataset's: a pointer is
    only ever used for the file or folder it sits beside.
    """
    from brain.inputfs import read_input_text

    file = pointer_file(dataset)
    if not file.exists() and not file.is_symlink():
        return None
    where = str(file.relative_to(root)) if file.is_relative_to(root) else str(file)
    pointer = parse_pointer(read_input_text(file, root=root, cap=MAX_POINTER_BYTES), where)
    if PurePosixPath(pointer.path) != PurePosixPath(dataset.name):
        raise PointerInvalid(f"{where}: outs.path {pointer.path!r} is not the dataset it sits "
                             f"beside ({dataset.name!r})")
    return pointer

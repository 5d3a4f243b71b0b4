"""brain's own state on disk: folders, files and deletions that never follow a symlink.

State lives under a trusted base the user chose (a project folder, `BRAIN_HOME`, the cache
folder): the base itself may be a symlink, but nothing below it is ever followed through
one. A folder is used only when `lstat` says it is a real folder; files are opened with
`O_NOFOLLOW` and must be plain, single-link files (a hard link to a file elsewhere would be
written through); writes go to a temporary file renamed over the target; a folder is deleted
only when it carries brain's marker, written when brain created it. A repository can commit
anything into its `.brain/`, so each refusal names the path and the fix, and touches nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from brain.errors import EnvironmentFailure

MARKER = ".brain-state"  # in every folder brain created and may delete as a whole
_MARKER_TEXT = "made by brain: brain may delete this folder and everything in it\n"
# The folder `.brain` is made in, beside it, then renamed: a run's provenance (brain.vcs.state)
# does not count it as a change to the code, since it lives only while `.brain` is made.
STAGING_PREFIX = ".brain-new-"
_IGNORE_TEXT = "# brain's per-project state: never committed\n*\n"
# The .gitignore earlier brain versions wrote: a `.brain/` holding one of these (and no
# symlink where state goes) is brain's own, from before the marker existed.
_LEGACY_IGNORES = (_IGNORE_TEXT, "*\n")
_LEGACY_FOLDERS = ("envs", "runs", "reports")
# What `.brain/venv` may point to: a build folder brain named, relative, inside envs/.
_BUILD_LINK = re.compile(r"envs/(venv-[0-9a-f]{12}-[0-9a-f]{6})")
_READ_LIMIT = 4 << 20  # stamps, plans, lock owners: small JSON


class UnsafeState(EnvironmentFailure):
    """Something brain did not create sits where its state goes (exit 3); nothing touched."""

    def __init__(self, path: Path | str, what: str) -> None:
        super().__init__(f"{path} {what}; brain never follows, overwrites or deletes "
                         "what it did not create", hint=f"remove {path}: brain did not create it")
        self.path = Path(path)


def _describe(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "is a symlink"
    if stat.S_ISDIR(mode):
        return "is a folder"
    return "is not a folder" if not stat.S_ISREG(mode) else "is a file"


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # a file where a folder should be:
        return None  # whoever creates the path next reports it


def safe_dir(base: Path, *parts: str, mark: bool = False, create: bool = True) -> Path:
    """`base/parts...` as a real folder, made where missing (marked when `mark`).

    `base` is trusted and made as needed; every component below it must be a folder, never a
    symlink (UnsafeState otherwise). `mark` writes brain's marker into the last folder when
    this call created it. With `create=False` a missing folder raises FileNotFoundError.
    """
    base.mkdir(parents=True, exist_ok=True)
    current = base
    names = [name for part in parts for name in Path(part).parts]
    for index, name in enumerate(names):
        if name in ("", ".", "..") or "/" in name:
            raise UnsafeState(current / name, "is not a plain folder name")
        current = current / name
        info = _lstat(current)
        created = False
        if info is None:
            if not create:
                raise FileNotFoundError(str(current))
            try:
                os.mkdir(current, 0o755)
                created = True
            except FileExistsError:  # made meanwhile by another brain: check what it is
                info = os.lstat(current)
        if not created and info is not None and not stat.S_ISDIR(info.st_mode):
            raise UnsafeState(current, _describe(info.st_mode))
        if created and mark and index == len(names) - 1:
            _write_marker(current)
    return current


def is_marked(folder: Path) -> bool:
    """True when `folder` carries brain's marker (a plain file, not a link)."""
    info = _lstat(folder / MARKER)
    return info is not None and stat.S_ISREG(info.st_mode)


def _write_marker(folder: Path) -> None:
    write_atomic(folder / MARKER, _MARKER_TEXT)


def project_state(root: Path) -> Path:
    """`<root>/.brain`, made and marked by brain; UnsafeState when brain did not make it."""
    state = root / ".brain"
    info = _lstat(state)
    if info is None:
        try:
            _create_state(state)
        except OSError as error:  # a read-only project, a full disk
            raise EnvironmentFailure(f"cannot create {state}: {error.strerror or error}",
                                     hint=f"check that {root} is writable") from None
        info = os.lstat(state)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeState(state, _describe(info.st_mode))
    if not is_marked(state):
        if not _legacy_state(state):
            raise UnsafeState(state, f"has no {MARKER} marker (a repository brought it?)")
        for folder in _legacy_folders(state):
            _write_marker(folder)
        _write_marker(state)
    return state


def _create_state(state: Path) -> None:
    """Make `state` whole, marker and .gitignore included, in one rename: a second brain
    starting at the same moment sees no folder or a marked one, never an unmarked one."""
    import shutil
    import tempfile

    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=state.parent))
    try:
        # The .gitignore comes first, written in place (the folder is new and ours alone),
        # so the folder is ignored once renamed; until then provenance skips it by name.
        descriptor = os.open(staging / ".gitignore",
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as ignore:
            ignore.write(_IGNORE_TEXT)
        _write_marker(staging)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, state)
        except OSError:
            if not os.path.lexists(state):
                raise
            # Another brain made it first: theirs is used, and checked by the caller.
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _legacy_folders(state: Path) -> list[Path]:
    """The real, unmarked folders an older brain made: envs/, runs/, reports/, the builds."""
    def real_folder(path: Path) -> bool:
        found = _lstat(path)
        return found is not None and stat.S_ISDIR(found.st_mode) and not is_marked(path)

    folders = [state / name for name in _LEGACY_FOLDERS if real_folder(state / name)]
    if state / "envs" in folders:
        folders += [child for child in (state / "envs").iterdir()
                    if build_name(child.name) and real_folder(child)]
    return folders


def _legacy_state(state: Path) -> bool:
    try:
        return read_text(state / ".gitignore", limit=1024) in _LEGACY_IGNORES
    except (OSError, UnicodeDecodeError, UnsafeState):
        return False


def state_folder(root: Path, *parts: str, mark: bool = True) -> Path:
    """A folder under `<root>/.brain` (each new one marked), e.g. ("runs", run_id)."""
    state = project_state(root)
    current = state
    for part in parts:
        current = safe_dir(current, part, mark=mark)
    return current


def current_build(root: Path) -> Path | None:
    """The build folder `<root>/.brain/venv` points to, or None when there is none.

    The link is brain's only when it is relative and names a build folder inside `envs/`;
    anything else (a link elsewhere, a plain folder) is refused, never followed.
    """
    state = root / ".brain"
    info = _lstat(state)
    if info is None:
        return None
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeState(state, _describe(info.st_mode))
    link = state / "venv"
    info = _lstat(link)
    if info is None:
        return None
    if not stat.S_ISLNK(info.st_mode):
        raise UnsafeState(link, f"{_describe(info.st_mode)} where brain keeps a link")
    if _BUILD_LINK.fullmatch(os.readlink(link)) is None:
        raise UnsafeState(link, f"points to {os.readlink(link)!r}, not to a brain build")
    envs = _lstat(state / "envs")
    if envs is None:
        return None
    if not stat.S_ISDIR(envs.st_mode):
        raise UnsafeState(state / "envs", _describe(envs.st_mode))
    target = state / os.readlink(link)
    found = _lstat(target)
    if found is None:
        return None
    if not stat.S_ISDIR(found.st_mode):
        raise UnsafeState(target, _describe(found.st_mode))
    return target


def build_name(name: str) -> bool:
    """True when `name` is how brain names a build folder in `envs/`."""
    return _BUILD_LINK.fullmatch(f"envs/{name}") is not None


def check_database(path: Path) -> None:
    """UnsafeState unless the SQLite file `path` and its journals are plain files or missing
    (SQLite opens them by name, following links)."""
    for candidate in (path, path.with_name(path.name + "-wal"),
                      path.with_name(path.name + "-shm"), path.with_name(path.name + "-journal")):
        info = _lstat(candidate)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise UnsafeState(candidate, _describe(info.st_mode))


def open_file(path: Path, flags: int, mode: int = 0o644) -> int:
    """`os.open` that refuses a symlink, a non-file and a hard-linked file (UnsafeState)."""
    try:
        # O_NONBLOCK: a FIFO put where a file belongs must not hang the open (it is refused
        # just below); on a regular file the flag changes nothing.
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, mode)
    except OSError:
        info = _lstat(path)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise UnsafeState(path, _describe(info.st_mode)) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise UnsafeState(path, _describe(info.st_mode) if not stat.S_ISREG(info.st_mode)
                          else "is a hard link to another file")
    return fd


def open_append(path: Path) -> BinaryIO:
    """`path` opened to append bytes (created when missing), never through a link."""
    return os.fdopen(open_file(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")


def read_text(path: Path, *, limit: int = _READ_LIMIT) -> str:
    """The text of the plain file `path` (at most `limit` bytes), never through a link."""
    fd = open_file(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit).decode("utf-8")


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` whole: a temporary file beside it, renamed over it.

    The parent folder must already be safe (see `safe_dir`); a target that is a symlink or a
    folder is refused, so a rename never replaces what brain did not write.
    """
    info = _lstat(path)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise UnsafeState(path, _describe(info.st_mode))
    # A fresh name opened O_EXCL | O_NOFOLLOW, as tempfile.mkstemp would make it: importing
    # tempfile (random, shutil and the compressors) costs every `brain run` about 3 ms.
    temporary = str(path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"))
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove(path: Path) -> bool:
    """Delete `path` if it is brain's: a plain file, or a folder carrying brain's marker.

    A symlink (brain's own build link excepted, see `remove_link`) or an unmarked folder is
    refused; a folder is removed with `shutil.rmtree`, which never follows the links inside it.
    Returns False when there was nothing to delete.
    """
    info = _lstat(path)
    if info is None:
        return False
    check_removable(path, info)
    if stat.S_ISDIR(info.st_mode):
        import shutil

        # Linux: rmtree works through file descriptors and never follows a symlink.
        assert shutil.rmtree.avoids_symlink_attacks
        shutil.rmtree(path)
    else:
        os.unlink(path)
    return True


def check_removable(path: Path, info: os.stat_result | None = None) -> None:
    """UnsafeState unless `path` (missing is fine) is something `remove` may delete."""
    info = info or _lstat(path)
    if info is None or stat.S_ISREG(info.st_mode):
        return
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeState(path, _describe(info.st_mode))
    if not is_marked(path):
        raise UnsafeState(path, f"has no {MARKER} marker: brain did not create it")


def remove_build_link(link: Path) -> bool:
    """Delete `.brain/venv` when it is brain's link (the link only, never its target)."""
    if _lstat(link) is None:
        return False
    current_build(link.parent.parent)  # refuses a link that is not brain's
    os.unlink(link)
    return True

"""Answers kept under stat guards: a command's answer is shown again while none of the files it
was computed from has changed, without loading what computed it.

The no-op `brain setup-deps` is answered this way (brain.cli.quick): loading the modules that
check an environment (pathlib, typing, json, brain's own) costs about half its time, while a
stat of each input file says the same thing. A guard is each file's (mode, inode, device,
size, mtime, ctime), or its absence, as git's index keeps them (for a folder: which folder
it is, since its times move with every file made in it); the environment variables
that name brain's settings and brain's own version are guarded too. A file changed within
RACY_SECONDS of the answer is not guarded: a clock tick may not tell two writes apart (git
calls such entries racy), so no answer is kept until the files are older.

Standard library only, and only modules Python has loaded before `site` runs (os, marshal):
this module is on the fast path. Cards live in brain's cache folder, never in a project, and
a card that does not read back whole (truncated, foreign, another key) is a miss. A card
starts with the sha256 of the rest, checked before marshal reads it: marshal trusts sizes
written in its data, and a damaged card could ask it for gigabytes. (Whoever can write the
user's cache folder can already change what the user runs; cards add nothing to that.)
"""

from __future__ import annotations

import marshal
import os
import sys

from brain import __version__
from brain.small_hash import small_sha256

TYPE_CHECKING = False  # not typing's: importing typing costs the fast path a few ms
if TYPE_CHECKING:
    from collections.abc import Iterable

CARD_FORMAT = 1
RACY_SECONDS = 2.0
_DIGEST_SIZE = 32
_MAX_CARD = 1 << 16  # an answer is a few hundred bytes; anything bigger is not a card
_GUARDED_PREFIX = "BRAIN_"  # every setting brain reads from the environment
_GUARDED_VARIABLES = ("HOME",)  # where ~/.brain is when BRAIN_HOME is unset


def recall(cache: str, kind: str, key: str) -> dict[str, object] | None:
    """The answer kept for (`kind`, `key`) in the cache folder `cache`, or None when there is
    none or any guarded file or setting changed since it was kept. A cache folder that is not
    an absolute path (no home folder to put it in) has no cards: it would be the working
    directory's, which may be a project's."""
    if not os.path.isabs(cache):
        return None
    try:
        card = _read_card(_card_path(cache, kind, key))
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(card, dict) or card.get("identity") != _identity(kind, key):
        return None
    guards, answer, variables = card.get("guards"), card.get("answer"), card.get("variables")
    if not (isinstance(guards, list) and isinstance(answer, dict)
            and isinstance(variables, dict)):
        return None
    if any(os.environ.get(name) != value for name, value in variables.items()):
        return None
    for guard in guards:
        if not (isinstance(guard, tuple) and len(guard) == 3):
            return None
        path, how, seen = guard
        if not isinstance(path, str) or _signature(path, how) != seen:
            return None
    return answer


FOLLOW, LINK, FOLDER = "follow", "link", "folder"  # how a guarded path is looked at
SETUP_NO_OP = "setup-deps"  # the line of a no-op `brain setup-deps [PROJECT]`


def folder_key(project: str | os.PathLike[str] | None) -> str:
    """The key of an answer about `project` (default: the working directory) as seen from the
    working directory: both resolved, since a line may name paths relative to it."""
    return f"{os.path.realpath(os.curdir)}\0{os.path.realpath(project or os.curdir)}"


def remember(cache: str, kind: str, key: str, answer: dict[str, object],
             files: Iterable[tuple[str, str]], variables: Iterable[str] = (), *,
             computed_at: int | None = None) -> bool:
    """Keep `answer` for (`kind`, `key`), guarded by `files`: (path, how) pairs, where how is
    FOLLOW (the file a link names), LINK (the link itself) or FOLDER (which folder it is);
    and by the environment `variables` named (set or not), besides the `BRAIN_*` ones.
    `answer` holds what marshal can: str, int, float, None, lists, dicts.

    `computed_at` (time.time_ns()) is when the answer's computing began: a file changed
    since then, or within RACY_SECONDS before, may not be what the answer was computed from.
    Returns False, keeping nothing, when a file is racy so, the cache folder is not an
    absolute path, or it cannot be written: a cache, so never an error.
    """
    import time

    if not os.path.isabs(cache):
        return False
    began = time.time_ns() if computed_at is None else min(computed_at, time.time_ns())
    newest = began - int(RACY_SECONDS * 1e9)
    guards = []
    for path, how in files:
        seen = _signature(path, how)
        if seen is not None and how != FOLDER and max(seen[4], seen[5]) >= newest:
            return False
        guards.append((path, how, seen))
    body = marshal.dumps({"identity": _identity(kind, key), "guards": guards,
                          "answer": dict(answer),
                          "variables": {name: os.environ.get(name) for name in variables}})
    card = small_sha256(body).digest() + body
    target = _card_path(cache, kind, key)
    temporary = f"{target}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, card)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except OSError:
        from contextlib import suppress

        with suppress(OSError):  # never made, or already gone: nothing left behind either way
            os.unlink(temporary)
        return False
    return True


def forget(cache: str, kind: str, key: str) -> None:
    """Drop the answer kept for (`kind`, `key`), if any."""
    from contextlib import suppress

    with suppress(OSError):  # none kept: nothing to drop
        os.unlink(_card_path(cache, kind, key))


def cache_root() -> str:
    """brain.paths.cache_dir() as text, without loading pathlib and brain.settings (a third of
    `brain --help`): BRAIN_CACHE_DIR, else BRAIN_HOME/cache, else ~/.brain/cache. A value
    brain.settings would refuse (control characters) is left to brain.paths, which says why.
    """
    for name, below in (("BRAIN_CACHE_DIR", ""), ("BRAIN_HOME", "cache")):
        value = os.environ.get(name, "").strip()
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            from brain.paths import cache_dir

            return str(cache_dir())
        if value:
            return os.path.join(os.path.expanduser(value), below)
    return os.path.join(os.path.expanduser("~"), ".brain", "cache")


def _identity(kind: str, key: str) -> tuple[object, ...]:
    """What a card must have been kept for: this brain, this interpreter, these settings."""
    settings = sorted((name, value) for name, value in os.environ.items()
                      if name.startswith(_GUARDED_PREFIX) or name in _GUARDED_VARIABLES)
    # Which brain: two checkouts of one version keep apart.
    return (CARD_FORMAT, __version__, os.path.dirname(__file__), sys.executable, kind, key,
            tuple(settings))


def _card_path(cache: str, kind: str, key: str) -> str:
    digest = small_sha256(f"{kind}\0{key}".encode("utf-8", "surrogateescape")).hexdigest()
    return os.path.join(cache, "settled", f"{kind}-{digest[:40]}")


def _read_card(path: str) -> object:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        data = os.read(fd, _MAX_CARD + 1)
    finally:
        os.close(fd)
    if len(data) > _MAX_CARD:
        raise ValueError("not a card: too big")
    digest, body = data[:_DIGEST_SIZE], data[_DIGEST_SIZE:]
    if small_sha256(body).digest() != digest:
        raise ValueError("not a card: damaged")
    return marshal.loads(body)


def _signature(path: str, how: object) -> tuple[int, ...] | None:
    """What a guard compares: the file's stat (a folder's identity), None when absent."""
    try:
        info = os.stat(path, follow_symlinks=how == FOLLOW)
    except (OSError, ValueError, TypeError):
        return None
    if how == FOLDER:
        return (info.st_mode, info.st_ino, info.st_dev)
    return (info.st_mode, info.st_ino, info.st_dev, info.st_size, info.st_mtime_ns,
            info.st_ctime_ns)

"""Whether a project's spec declares `env.r`, cached by the bytes of its input files (spec,
locks, the user's settings; brain.cache_stamp), and where its library link is: so that the
no-op `setup-deps` and `run` of a Python-only project load neither brain.rlang.library nor
the spec."""

from __future__ import annotations

from pathlib import Path


def library_dir(root: Path) -> Path:
    """`<project>/.brain/r-library`: the current library (a symlink to its build)."""
    from brain.paths import project_state_dir

    return project_state_dir(root) / "r-library"


def plan_key(root: Path) -> str:
    """The hash of the spec, the locks and the user's settings, as bytes."""
    from brain.envs.identity import quick_key
    from brain.rlang.pins import R_LOCK_NAME

    return quick_key(root, [R_LOCK_NAME])


def declared(root: Path, key: str | None = None) -> bool | None:
    """Whether the spec with these input bytes declares `env.r`; None when not known."""
    from brain.cache_stamp import read_cached

    record = read_cached(_plan_path(key or plan_key(root)))
    return None if record is None else bool(record.get("declared"))


def remember(key: str, is_declared: bool) -> None:
    """Cache whether the spec with the input bytes of `key` declares `env.r`."""
    from brain.cache_stamp import write_cached

    write_cached(_plan_path(key), {"declared": is_declared})


def _plan_path(key: str) -> Path:
    from brain.paths import cache_dir

    return cache_dir() / "r-plans" / f"{key}.json"

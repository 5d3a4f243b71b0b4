"""brain.process.Limits: limits and a user applied in the child before exec, a capped log."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest

from brain.process import Limits, run_checked, run_live


def test_limits_reach_the_child() -> None:
    done = run_checked(["python3", "-c", "import resource as r; print(*(r.getrlimit(k) for k in "
                        "(r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_FSIZE)))"],
                       what="reading limits",
                       limits=Limits(cpu_seconds=7, memory_bytes=1 << 30, file_bytes=1 << 20))
    assert done.stdout.split() == ["(7,", "12)", f"({1 << 30},", f"{1 << 30})",
                                   f"({1 << 20},", f"{1 << 20})"]


def test_a_larger_file_ends_the_writer(tmp_path: Path) -> None:
    code, _ = run_live(["bash", "-c", "head -c 5M /dev/zero > big.bin"], cwd=tmp_path,
                       env={"PATH": os.environ["PATH"]}, stdout=io.StringIO(),
                       limits=Limits(file_bytes=1 << 20))
    assert code == 128 + signal.SIGXFSZ
    assert (tmp_path / "big.bin").stat().st_size == 1 << 20


def test_the_log_keeps_at_most_its_limit(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    calls: list[int] = []
    code, _ = run_live(["bash", "-c", "head -c 300000 /dev/zero | tr '\\0' x >&2"],
                       cwd=tmp_path, env={"PATH": os.environ["PATH"]}, stdout=io.StringIO(),
                       stderr_log=log, log_limit=1000, on_log_full=lambda: calls.append(1))
    assert code == 0
    assert log.read_bytes() == b"x" * 1000 and calls == [1]


def test_a_passed_descriptor_is_the_only_one(tmp_path: Path) -> None:
    channel = tmp_path / "channel"
    kept = os.open(channel, os.O_WRONLY | os.O_CREAT, 0o600)
    other = os.open(tmp_path / "other", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        code, _ = run_live(["bash", "-c", f"echo hi >&{kept}; echo no >&{other}"],
                           cwd=tmp_path, env={"PATH": os.environ["PATH"]}, stdout=io.StringIO(),
                           pass_fds=(kept,))
    finally:
        os.close(kept)
        os.close(other)
    assert code != 0  # the descriptor it was not given is closed
    assert channel.read_text() == "hi\n" and (tmp_path / "other").read_text() == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can switch users")
def test_the_child_runs_as_the_given_user_without_groups(tmp_path: Path) -> None:
    done = run_checked(["python3", "-c", "import os; print(os.getuid(), os.geteuid(), "
                        "os.getgid(), os.getgroups())"], cwd=Path("/"),
                       env={"PATH": "/usr/bin:/bin"}, what="who am I",
                       limits=Limits(uid=65534, gid=65534, processes=50))
    assert done.stdout.split() == ["65534", "65534", "65534", "[]"]

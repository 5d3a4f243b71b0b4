"""A 2 GB dataset is streamed: add, push and pull each stay within bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SIZE = 2 << 30
LIMIT = 400 << 20  # peak RSS allowed per command: a fifth of the file

# Runs one brain command in a child and prints the child's peak RSS (KiB on Linux).
MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "brain", *sys.argv[1:]], capture_output=True,
                      text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": done.returncode, "peak": peak, "stderr": done.stderr[-2000:]}))
"""


def _measured(root: Path, *args: str) -> int:
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=root, check=True,
                          capture_output=True, text=True)
    result = json.loads(done.stdout)
    assert result["code"] == 0, result["stderr"]
    return int(result["peak"])


@pytest.mark.timeout(300)
def test_a_2_gb_dataset_moves_in_bounded_memory(data_project: Callable[..., Path]) -> None:
    root = data_project()
    big = root / "data" / "big.bin"
    with open(big, "wb") as sparse:  # sparse: made at once, read back as 2 GB of bytes
        sparse.truncate(SIZE)
        sparse.seek(SIZE // 2)
        sparse.write(b"a marker in the middle")
    peaks = {"add": _measured(root, "data", "add", "data/big.bin"),
             "push": _measured(root, "data", "push")}
    big.unlink()
    peaks["pull"] = _measured(root, "data", "pull")
    assert big.stat().st_size == SIZE
    with open(big, "rb") as pulled:
        pulled.seek(SIZE // 2)
        assert pulled.read(22) == b"a marker in the middle"
    for command, peak in peaks.items():
        assert peak < LIMIT, f"brain data {command} peaked at {peak >> 20} MiB"

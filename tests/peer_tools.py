"""Real peer tools (MLflow, DVC) in test-only environments, made once with uv and kept under
the test cache (BRAIN_TEST_CACHE, default .test-cache/) so later sessions start at once.

Used by the MLflow tracking tests and benchmarks/bench_peers.py. Never part of brain."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# What each peer environment holds: the tool, and what the wine-shaped example imports.
PEERS = {
    "mlflow": ["mlflow", "scikit-learn", "pandas"],
    "dvc": ["dvc"],
}


def cache_dir() -> Path:
    """The folder test-only environments and caches live in."""
    return Path(os.environ.get("BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache"))


class PeerMissing(Exception):
    """The peer tool could not be installed here."""


def peer_bin(tool: str) -> Path:
    """The bin folder of a venv holding `tool` (and its PEERS packages), installed on first
    use; PeerMissing when uv cannot install it (no network, no wheels)."""
    from uv import find_uv_bin

    env = cache_dir() / f"peer-{tool}"
    done = env / ".installed"
    if done.exists():
        return env / "bin"
    uv = find_uv_bin()
    environment = {**os.environ, "UV_CACHE_DIR": str(cache_dir() / "uv")}
    try:
        subprocess.run([uv, "venv", "-q", "--allow-existing", "-p", sys.executable, str(env)],
                       check=True, capture_output=True, timeout=300, env=environment)
        subprocess.run([uv, "pip", "install", "-q", "--python", str(env / "bin" / "python"),
                        *PEERS[tool]], check=True, capture_output=True, timeout=1200,
                       env=environment)
    except (subprocess.SubprocessError, OSError) as error:
        shutil.rmtree(env, ignore_errors=True)
        detail = getattr(error, "stderr", b"") or b""
        raise PeerMissing(f"{tool} could not be installed: {error} "
                          f"{detail.decode(errors='replace')[-500:]}") from None
    done.write_text("")
    return env / "bin"


def peer_version(tool: str, package: str) -> str:
    """The version of `package` installed in the `tool` environment."""
    python = peer_bin(tool) / "python"
    found = subprocess.run([str(python), "-c", "import importlib.metadata as m, sys; "
                            f"print(m.version({package!r}))"],
                           check=True, capture_output=True, text=True, timeout=60)
    return found.stdout.strip()

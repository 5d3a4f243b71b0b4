"""Remote work over SSH: `brain remote push` and `brain remote run` against a private sshd on
127.0.0.1 (tests/remote/sshd.py), next to their floors: `ssh true`, a bare rsync of the same
tree, and a local `brain run` of the same entry point.

    python benchmarks/bench_remote.py              # 7 runs each (as root in a container)
    python benchmarks/bench_remote.py --runs 15 --files 500

Not a test: it prints medians. Needs sshd, ssh and rsync (scripts/ssh-setup).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.remote.sshd import missing_tools, private_sshd  # noqa: E402 - after the path

BRAIN = str(Path(sys.executable).parent / "brain")
SPEC = """name: bench
version: 0.1.0
entry_points:
  main:
    type: shell
    command: python -c "print('hello')"
"""


def timed(argv: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median(argv: list[str], runs: int, *, cwd: Path, env: dict[str, str],
           before: object = None) -> float:
    samples = []
    for _ in range(runs):
        if callable(before):
            before()
        samples.append(timed(argv, cwd=cwd, env=env))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=200, help="small files in the project")
    args = parser.parse_args()
    if missing_tools():
        sys.exit(f"missing: {', '.join(missing_tools())} (run scripts/ssh-setup)")
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as temporary:
        base = Path(temporary)
        (base / "sshd").mkdir()
        with private_sshd(base / "sshd") as sshd:
            project = base / "bench"
            (project / "src").mkdir(parents=True)
            (project / "onebrain.yml").write_text(SPEC)
            for index in range(args.files):
                (project / "src" / f"module_{index}.py").write_text(f"VALUE = {index}\n" * 50)
            (project / "data.bin").write_bytes(os.urandom(1 << 20))
            remote = base / "box" / "bench"
            env = {**os.environ, "BRAIN_HOME": str(base / "home"),
                   "BRAIN_SSH_CONFIG": str(sshd.client_config), "NO_COLOR": "1"}
            subprocess.run([BRAIN, "remote", "add", "box", sshd.url(remote)], env=env,
                           check=True)
            ssh = ["ssh", "-F", str(sshd.client_config), "-o", "BatchMode=yes", "-p",
                   str(sshd.port), "--", "127.0.0.1", "true"]
            floor = median(ssh, args.runs, cwd=project, env=env)
            first = timed([BRAIN, "remote", "push", "box"], cwd=project, env=env)
            unchanged = median([BRAIN, "remote", "push", "box"], args.runs, cwd=project,
                               env=env)
            counter = iter(range(1_000_000))

            def touch() -> None:
                (project / "src" / "module_0.py").write_text(f"VALUE = {next(counter)}\n")

            one_file = median([BRAIN, "remote", "push", "box"], args.runs, cwd=project,
                              env=env, before=touch)
            shell = (f"ssh -F {sshd.client_config} -o BatchMode=yes -p {sshd.port}")
            bare = base / "bare"
            rsync = ["rsync", "-a", "-e", shell, f"{project}/", f"127.0.0.1:{bare}/"]
            rsync_first = timed(rsync, cwd=project, env=env)
            rsync_unchanged = median(rsync, args.runs, cwd=project, env=env)
            run_first = timed([BRAIN, "remote", "run", "box", "-e", "main"], cwd=project,
                              env=env)
            run_warm = median([BRAIN, "remote", "run", "box", "-e", "main"], args.runs,
                              cwd=project, env=env)
            subprocess.run([BRAIN, "setup-deps"], cwd=project, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            local = median([BRAIN, "run", "-e", "main"], args.runs, cwd=project, env=env)
    size = f"{args.files} files + 1 MiB"
    print(f"project: {size}; medians of {args.runs} runs (first runs single)")
    print(f"  ssh true (floor)                      {floor * 1000:8.0f} ms")
    print(f"  rsync -a, first copy                  {rsync_first * 1000:8.0f} ms")
    print(f"  rsync -a, nothing changed             {rsync_unchanged * 1000:8.0f} ms")
    print(f"  brain remote push, first copy         {first * 1000:8.0f} ms")
    print(f"  brain remote push, nothing changed    {unchanged * 1000:8.0f} ms")
    print(f"  brain remote push, one file changed   {one_file * 1000:8.0f} ms")
    print(f"  brain remote run, first (builds env)  {run_first * 1000:8.0f} ms")
    print(f"  brain remote run, warm                {run_warm * 1000:8.0f} ms")
    print(f"  brain run, warm (local, same entry)   {local * 1000:8.0f} ms")


if __name__ == "__main__":
    main()

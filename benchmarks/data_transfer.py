"""Dataset transfer throughput: `brain data push` / `brain data pull` of one large file to a
folder remote, to an SSH remote (a private sshd on 127.0.0.1, tests/remote/sshd.py) and to an
S3-compatible bucket (moto's server on 127.0.0.1, tests/data/s3server.py), next to the raw
copy of the same file (`cp`; `scp` and `rsync` over the same sshd; boto3's own managed
upload_file / download_file against the same bucket).

    python benchmarks/data_transfer.py              # 500 MB, 3 runs each, medians
    python benchmarks/data_transfer.py --mb 100 --runs 5

Not a test: it prints MB/s and brain's time as a ratio of the raw copy's. A pull is timed
from an empty cache and an empty project (download, hash check, checkout). Needs sshd, ssh,
scp and rsync (scripts/ssh-setup) for the SSH half; without them only the folder half runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.data.s3server import CREDENTIALS, MOTO_SERVER, moto_server  # noqa: E402
from tests.remote.sshd import missing_tools, private_sshd  # noqa: E402 - after the path

BRAIN = [sys.executable, "-m", "brain"]
SPEC = "name: bench\nversion: 0.1.0\ndata:\n  remotes:\n    storage: {{url: '{url}'}}\n"


def timed(argv: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return time.perf_counter() - started


def median(runs: int, before: Callable[[], None], argv: list[str], *, cwd: Path,
           env: dict[str, str]) -> float:
    samples = []
    for _ in range(runs):
        before()
        samples.append(timed(argv, cwd=cwd, env=env))
    return statistics.median(samples)


def make_file(path: Path, megabytes: int) -> None:
    chunk = os.urandom(1 << 20)  # incompressible, as most datasets on the wire are
    with open(path, "wb") as out:
        for index in range(megabytes):
            out.write(chunk[index % 256:] + chunk[:index % 256])


def project(folder: Path, url: str, data: Path, env: dict[str, str],
            spec: str | None = None) -> Path:
    root = folder / "project"
    (root / "data").mkdir(parents=True)
    (root / "onebrain.yml").write_text(spec or SPEC.format(url=url))
    os.link(data, root / "data" / "big.bin")
    subprocess.run([*BRAIN, "data", "add", "data/big.bin"], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return root


def clear(*paths: Path) -> Callable[[], None]:
    def remove() -> None:
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    return remove


def row(label: str, raw_name: str, raw: float, brain: float, megabytes: int) -> None:
    print(f"{label:<22} {raw_name:<6} {megabytes / raw:8.0f} MB/s   brain "
          f"{megabytes / brain:8.0f} MB/s   ratio {brain / raw:5.2f}x  "
          f"({raw:.2f} s vs {brain:.2f} s)")


def folder_half(work: Path, data: Path, megabytes: int, runs: int,
                env: dict[str, str]) -> None:
    remote = work / "folder-remote"
    root = project(work / "folder", str(remote), data, env)
    raw_copy = work / "raw-copy.bin"
    cp_push = median(runs, clear(raw_copy), ["cp", str(data), str(raw_copy)], cwd=work, env=env)
    push = median(runs, clear(remote), [*BRAIN, "data", "push"], cwd=root, env=env)
    back = work / "raw-back.bin"
    cp_pull = median(runs, clear(back), ["cp", str(raw_copy), str(back)], cwd=work, env=env)
    pull = median(runs, clear(root / ".brain" / "data" / "cache", root / "data" / "big.bin"),
                  [*BRAIN, "data", "pull"], cwd=root, env=env)
    row("folder remote: push", "cp", cp_push, push, megabytes)
    row("folder remote: pull", "cp", cp_pull, pull, megabytes)


def ssh_half(work: Path, data: Path, megabytes: int, runs: int, env: dict[str, str]) -> None:
    (work / "sshd").mkdir()
    with private_sshd(work / "sshd") as sshd:
        env = {**env, "BRAIN_SSH_CONFIG": str(sshd.client_config)}
        ssh = f"ssh -F {sshd.client_config} -p {sshd.port}"
        remote = work / "ssh-remote"
        root = project(work / "ssh", sshd.url(remote), data, env)
        target = f"{sshd.user}@127.0.0.1:{work / 'scp-copy.bin'}"
        scp = ["scp", "-q", "-F", str(sshd.client_config), "-P", str(sshd.port)]
        raw_scp = median(runs, clear(work / "scp-copy.bin"), [*scp, str(data), target],
                         cwd=work, env=env)
        raw_rsync = median(runs, clear(work / "scp-copy.bin"),
                           ["rsync", "-a", "-e", ssh, str(data), target], cwd=work, env=env)
        push = median(runs, clear(remote), [*BRAIN, "data", "push"], cwd=root, env=env)
        back = work / "scp-back.bin"
        raw_back = median(runs, clear(back), [*scp, target, str(back)], cwd=work, env=env)
        pull = median(runs, clear(root / ".brain" / "data" / "cache", root / "data" / "big.bin"),
                      [*BRAIN, "data", "pull"], cwd=root, env=env)
        row("ssh remote: push", "scp", raw_scp, push, megabytes)
        row("ssh remote: push", "rsync", raw_rsync, push, megabytes)
        row("ssh remote: pull", "scp", raw_back, pull, megabytes)


# The bare SDK call: boto3's managed transfer (multipart, threads), as a script would do it.
_BOTO = ("import boto3, sys; s3 = boto3.client('s3', endpoint_url=sys.argv[1]); "
         "getattr(s3, sys.argv[2])(*sys.argv[3:])")


def s3_half(work: Path, data: Path, megabytes: int, runs: int, env: dict[str, str]) -> None:
    import boto3

    env = {**env, **CREDENTIALS}
    os.environ.update(CREDENTIALS)
    with moto_server(work / "moto.log") as endpoint:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
        spec = (f"name: bench\nversion: 0.1.0\ndata:\n  remotes:\n    storage: "
                f"{{url: 's3://bench/brain', endpoint_url: '{endpoint}'}}\n")
        root = project(work / "s3", "", data, env, spec)
        boto = [sys.executable, "-c", _BOTO, endpoint]
        raw_up = median(runs, lambda: None, [*boto, "upload_file", str(data), "bench", "raw.bin"],
                        cwd=work, env=env)
        push = median(runs, lambda: _empty_bucket(endpoint, "brain/"),
                      [*BRAIN, "data", "push"], cwd=root, env=env)
        back = work / "s3-back.bin"
        raw_down = median(runs, clear(back),
                          [*boto, "download_file", "bench", "raw.bin", str(back)],
                          cwd=work, env=env)
        pull = median(runs, clear(root / ".brain" / "data" / "cache", root / "data" / "big.bin"),
                      [*BRAIN, "data", "pull"], cwd=root, env=env)
        row("s3 remote: push", "boto3", raw_up, push, megabytes)
        row("s3 remote: pull", "boto3", raw_down, pull, megabytes)


def _empty_bucket(endpoint: str, prefix: str) -> None:
    import boto3

    bucket = boto3.resource("s3", endpoint_url=endpoint).Bucket("bench")
    bucket.objects.filter(Prefix=prefix).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="dataset size in MB")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="brain-bench-data-") as temporary:
        work = Path(temporary)
        env = {**os.environ, "BRAIN_HOME": str(work / "home"), "NO_COLOR": "1"}
        data = work / "big.bin"
        make_file(data, options.mb)
        print(f"{options.mb} MB, median of {options.runs} runs")
        folder_half(work, data, options.mb, options.runs, env)
        missing = missing_tools() + [tool for tool in ("scp",) if shutil.which(tool) is None]
        if missing:
            print(f"ssh remote: skipped ({', '.join(missing)} missing: scripts/ssh-setup)")
        else:
            ssh_half(work, data, options.mb, options.runs, env)
        if MOTO_SERVER.exists():
            s3_half(work, data, options.mb, options.runs, env)
        else:
            print("s3 remote: skipped (moto_server missing: pip install -e '.[test]')")


if __name__ == "__main__":
    main()

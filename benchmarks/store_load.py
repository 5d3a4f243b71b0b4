"""The run store under load, on SQLite and on a real PostgreSQL: not a test, a measurement.

1. Write load: RECORDS run records from WRITERS concurrent processes (each with its own
   connection), each recorded as `brain run` does (insert `running`, then finish). Counts
   lost and duplicated records (must be 0) and the time, for both stores.
2. The same PostgreSQL load with the server restarted (pg_ctl restart) mid-way: writers retry
   (BRAIN_STORE_RETRIES / BRAIN_STORE_RETRY_SECONDS) and nothing may be lost.
3. `brain runs list` (a subprocess, piped, median of REPEAT) over 1,000,000 records on
   PostgreSQL (bulk-loaded with COPY) and 100,000 on SQLite; plain and filtered.

Starts its own PostgreSQL (initdb + pg_ctl on 127.0.0.1, tests/postgres.py); needs the
postgres extra. Prints a table with ratios.

    python benchmarks/store_load.py [--records 20000] [--writers 50] [--pg-list 1000000]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from brain.runs.provenance import host_name  # noqa: E402
from brain.runs.record import GitState, RunRecord  # noqa: E402
from brain.runs.store import RunStore  # noqa: E402
from brain.runs.store_schema import COLUMNS, row_of  # noqa: E402


def record(number: int, writer: int, started: float) -> RunRecord:
    """A plausible record; ids are unique per (writer, number)."""
    return RunRecord(
        id=f"{writer:04x}{number:012x}", namespace=f"team{number % 5}",
        project=f"project-{number % 50}", version="0.1.0",
        project_path=f"/work/projects/project-{number % 50}",
        entry_point=["fit models", "main", "report", "query", "train"][number % 5],
        parameters={"alpha": (number % 97) / 97, "ds": "2024-01-01", "n": number},
        command=f"python src/fit.py --alpha {number}", backend="venv",
        env_identity=f"sha256:{number % 7:064x}", spec_hash=f"sha256:{number % 3:064x}",
        python_version="3.11.7", host=host_name(), user=f"user{number % 20}", pid=1,
        started_at=started, git=GitState(commit=f"{number:040x}", branch="main",
                                         remote=None, dirty=number % 4 == 0),
        stdout_log=f"/work/projects/x/.brain/runs/{number}/stdout.log",
        stderr_log=f"/work/projects/x/.brain/runs/{number}/stderr.log")


def _writer(where: str, writer: int, count: int, errors: multiprocessing.Queue) -> None:
    failures = 0
    with RunStore(where) as store:
        for number in range(count):
            run = record(number, writer, time.time())
            try:
                store.insert(run)
                store.finish(run.id, "succeeded", 0, time.time(), extra={"w": writer})
            except Exception as error:  # counted and reported: the benchmark's finding
                failures += 1
                if failures <= 3:
                    errors.put(f"writer {writer}: {error}")
    errors.put(("failures", failures))


def write_load(where: str, records: int, writers: int,
               during: threading.Thread | None = None) -> dict[str, object]:
    """RECORDS records from WRITERS processes into `where`; returns time and counts."""
    with RunStore(where) as store:
        store.count()  # create and migrate before the race: the race is about records
    each = records // writers
    errors: multiprocessing.Queue = multiprocessing.Queue()
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    processes = [context.Process(target=_writer, args=(where, w, each, errors))
                 for w in range(writers)]
    for process in processes:
        process.start()
    if during is not None:
        during.start()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    if during is not None:
        during.join()
    failures, messages = 0, []
    while not errors.empty():
        item = errors.get()
        if isinstance(item, tuple):
            failures += item[1]
        else:
            messages.append(item)
    expected = {f"{w:04x}{n:012x}" for w in range(writers) for n in range(each)}
    with RunStore(where) as store:
        found = store.database.read(lambda db: [row[0] for row in db.exec_driver_sql(
            "SELECT id FROM runs").fetchall()])
        finished = store.database.read(lambda db: db.exec_driver_sql(
            "SELECT count(*) FROM runs WHERE status = 'succeeded'").scalar_one())
    return {"seconds": elapsed, "expected": len(expected), "stored": len(found),
            "lost": len(expected - set(found)), "duplicated": len(found) - len(set(found)),
            "finished": finished, "failures": failures, "messages": messages[:3]}


def bulk_postgres(url: str, count: int) -> float:
    """COPY `count` finished records into the store at `url`; returns seconds."""
    import psycopg

    with RunStore(url) as store:
        store.count()
    started = time.perf_counter()
    base = time.time() - 365 * 86400
    with psycopg.connect(url) as db, db.cursor() as cursor:
        quoted = ", ".join(f'"{name}"' for name in COLUMNS)
        with cursor.copy(f"COPY runs ({quoted}) FROM STDIN") as copy:
            for number in range(count):
                run = record(number, 0, base + number * (365 * 86400 / count))
                run.id = f"{number:016x}"
                run.ended_at, run.status, run.exit_code = run.started_at + 5, "succeeded", 0
                copy.write_row(tuple(row_of(run)[name] for name in COLUMNS))
        db.commit()
        db.execute("ANALYZE runs")
    return time.perf_counter() - started


def bulk_sqlite(path: Path, count: int) -> float:
    started = time.perf_counter()
    base = time.time() - 365 * 86400
    with RunStore(path) as store:
        for first in range(0, count, 10_000):
            batch = []
            for number in range(first, min(count, first + 10_000)):
                run = record(number, 0, base + number * (365 * 86400 / count))
                run.id = f"{number:016x}"
                run.ended_at, run.status, run.exit_code = run.started_at + 5, "succeeded", 0
                batch.append(run)
            store.insert_many(batch)
    return time.perf_counter() - started


def time_list(where: str, args: list[str], repeat: int) -> float:
    """Median seconds of `brain runs list ARGS` as a piped subprocess."""
    env = {**os.environ, "BRAIN_STORE": where, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "brain", "runs", "list", *args]
    subprocess.run(command, env=env, check=True, capture_output=True)  # warm the caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--pg-list", type=int, default=1_000_000)
    parser.add_argument("--sqlite-list", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    from tests.postgres import start_server

    scratch = Path(tempfile.mkdtemp(prefix="brain-store-load-"))
    os.environ["BRAIN_HOME"] = str(scratch / "home")
    server = start_server()
    rows: list[tuple[str, str]] = []
    try:
        sqlite = write_load(str(scratch / "load.db"), options.records, options.writers)
        postgres = write_load(server.database(), options.records, options.writers)

        def restart() -> None:
            time.sleep(max(1.0, postgres["seconds"] / 3))  # type: ignore[operator]
            server.stop("fast")
            time.sleep(1.0)
            server.start()

        restarted = write_load(server.database(), options.records, options.writers,
                               during=threading.Thread(target=restart))
        for name, result in (("SQLite", sqlite), ("PostgreSQL", postgres),
                             ("PostgreSQL, restarted mid-load", restarted)):
            rate = result["stored"] / result["seconds"]  # type: ignore[operator]
            rows.append((f"write {options.records} from {options.writers} writers: {name}",
                         f"{result['seconds']:.1f} s ({rate:.0f} records/s), lost "
                         f"{result['lost']}, duplicated {result['duplicated']}, unfinished "
                         f"{result['stored'] - result['finished']}, errors "  # type: ignore
                         f"{result['failures']}"))
            for message in result["messages"]:  # type: ignore[attr-defined]
                rows.append(("  first errors", str(message)))
        rows.append(("write time PostgreSQL / SQLite",
                     f"{postgres['seconds'] / sqlite['seconds']:.2f}x"))  # type: ignore

        big = server.database()
        loaded = bulk_postgres(big, options.pg_list)
        rows.append((f"PostgreSQL bulk load of {options.pg_list} (COPY)", f"{loaded:.1f} s"))
        small = scratch / "list.db"
        loaded = bulk_sqlite(small, options.sqlite_list)
        rows.append((f"SQLite load of {options.sqlite_list} (executemany)", f"{loaded:.1f} s"))
        floor = time_list(str(scratch / "empty.db"), [], options.repeat)
        rows.append(("`brain runs list` on an empty SQLite store (the floor)",
                     f"{floor * 1000:.0f} ms"))
        since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
        for label, args in (("", []), (" --user user7", ["--user", "user7"]),
                            (" --project project-3", ["--project", "project-3"]),
                            (f" --since {since}", ["--since", since]),
                            (" --user user7 --project project-7",
                             ["--user", "user7", "--project", "project-7"])):
            pg = time_list(big, args, options.repeat)
            lite = time_list(str(small), args, options.repeat)
            rows.append((f"runs list{label}: PostgreSQL {options.pg_list:,} / "
                         f"SQLite {options.sqlite_list:,}",
                         f"{pg * 1000:.0f} ms / {lite * 1000:.0f} ms "
                         f"({pg / lite:.2f}x; {pg / floor:.2f}x and {lite / floor:.2f}x "
                         "the floor)"))
    finally:
        server.stop("immediate")
        shutil.rmtree(server.base, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    out = io.StringIO()
    for name, value in rows:
        out.write(f"{name.ljust(width)}  {value}\n")
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()

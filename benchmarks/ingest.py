"""Ingest benchmark: ``python -m benchmarks.ingest [--records N]``.

Generates N synthetic manifest records (about 700 bytes each), runs ``dsr ingest`` on
them in a child process and prints records/s, the peak resident memory of the whole
process tree (workers included) and database bytes per input byte.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from .memory import peak_of_tree
from .report import print_table
from .synthetic import manifest_in


def run_ingest(manifest: Path, db: Path, workers: int | None) -> tuple[float, int, str]:
    """Run ``dsr ingest`` in a child process: (seconds, peak tree RSS, summary line)."""
    argv = [sys.executable, "-m", "dsr_app", "ingest", str(manifest), "--db", str(db)]
    if workers:
        argv += ["--workers", str(workers)]
    return run_child(argv)


def run_child(argv: list[str]) -> tuple[float, int, str]:
    """Run a command, sampling its process tree's RSS: (seconds, peak, last line)."""
    started = time.monotonic()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with peak_of_tree(psutil.Process(child.pid)) as peak:
        out, err = child.communicate()
    seconds = time.monotonic() - started
    if child.returncode:
        raise SystemExit(f"{' '.join(argv[2:4])} failed: {err.decode()}")
    return seconds, peak.bytes, out.decode().strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> None:
    """Generate, ingest, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = manifest_in(folder, args.records)
        db = folder / f"bench-{args.records}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        seconds, peak, summary = run_ingest(manifest, db, args.workers)
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        in_bytes, db_bytes = manifest.stat().st_size, db.stat().st_size
        rows = [
            ("records", f"{args.records:,}"),
            ("input (JSONL)", f"{in_bytes / 1e6:,.1f} MB"),
            ("wall time", f"{seconds:,.1f} s"),
            ("records/s", f"{args.records / seconds:,.0f}  (target >= 25,000)"),
            ("peak RSS, all processes", f"{peak / 2**20:,.0f} MiB  (target < 300)"),
            ("database / input bytes", f"{db_bytes / in_bytes:.2f}  (target <= 1.5)"),
        ]
        print(f"dsr ingest: {summary}")
        print_table(rows)


if __name__ == "__main__":
    main()

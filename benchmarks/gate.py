"""Clearance gate benchmark: ``python -m benchmarks.gate [--records N]``.

``dsr gate check --manifest`` on an N-record JSONL manifest (default 1,000,000)
against N/10 listed entries (default 100,000) held by the store's removal lists,
beside ``dsr removals verify`` with the same lists as files on the same manifest,
in turns in one run; prints both times and their ratio. The store is built
directly (the lists, and the matches they were issued from, 100 entries a list):
what is measured is the check, not an ingest.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dsr_app.db import open_db
from dsr_app.signing import public_key_b64, sign

from .report import print_table
from .synthetic import manifest_in

PER_LIST = 100


def _store(folder: Path, records: int) -> tuple[Path, list[Path]]:
    """A store whose lists name every tenth record of version 1; the lists as files."""
    db_path = folder / "gate.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    open_db(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = OFF")  # no requests: only lists and matches
    listed = [f"r{i:09d}" for i in range(0, records, 10)]
    files = []
    for n in range(0, len(listed), PER_LIST):
        request_id, list_id = f"req{n}", f"rl_bench{n}"
        ids = listed[n : n + PER_LIST]
        document = sign(
            {
                "format": "dsr-removal-list/1",
                "id": list_id,
                "request_id": request_id,
                "request_type": "objection",
                "legal_basis": "GDPR Art. 21(1)",
                "issued_at": "2026-01-01T00:00:00Z",
                "approved_by": "1",
                "entries": [
                    {"dataset": "bench", "record_id": r, "content_sha256": "",
                     "reason": "mention"}
                    for r in ids
                ],
                "suppression": [],
            },
            folder,
        )  # fmt: skip
        conn.execute(
            "INSERT INTO removal_lists (id, request_id, issued_at, entries, document)"
            " VALUES (?, ?, ?, ?, ?)",
            [list_id, request_id, document["issued_at"], len(ids)]
            + [json.dumps(document)],
        )
        conn.executemany(
            "INSERT INTO matches (match_id, request_id, dataset, dataset_version,"
            " record_id, match_kind, matched_on, confidence, snippet, policy_flags,"
            " decision, found_at, seen_at) VALUES (?, ?, 'bench', '1', ?, 'own',"
            " 'account', 'verified', '', '[]', 'include', 'x', 'x')",
            [(f"m{r}", request_id, r) for r in ids],
        )
        path = folder / "lists" / f"{list_id}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(document))
        files.append(path)
    # One record of version 1, so that the version counts as ingested.
    conn.execute(
        "INSERT INTO manifests (id, file_name, file_sha256, format, dataset_option,"
        " dataset_version, records, rejects, violations, ingested_at)"
        " VALUES (1, 'b', 'h', 'jsonl', '', '1', 1, 0, 0, 'x')"
    )
    conn.execute(
        "INSERT INTO records (manifest_id, dataset, dataset_version, record_id,"
        " content_sha256, policy_flags) VALUES (1, 'bench', '1', 'r000000000', 'h', 0)"
    )
    conn.commit()
    conn.close()
    return db_path, files


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds (user + sys) of one command, and its exit code: on a
    shared machine the CPU time moves less with the load than the wall time."""
    started, cpu = time.monotonic(), _cpu()
    done = subprocess.run(argv, capture_output=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[3:5])} failed: {done.stderr.decode()}")
    return time.monotonic() - started, _cpu() - cpu, done.returncode


def main(argv: list[str] | None = None) -> None:
    """Generate, check both ways in turns, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = manifest_in(folder, args.records)
        db_path, files = _store(folder, args.records)
        dsr = [sys.executable, "-m", "dsr_app"]
        gate = [*dsr, "gate", "check", "--dataset", "bench", "--version", "1",
                "--manifest", str(manifest), "--db", str(db_path)]  # fmt: skip
        verify = [*dsr, "removals", "verify", "--manifest", str(manifest),
                  "--public-key", public_key_b64(folder), "--db", str(db_path),
                  *(a for f in files for a in ("--list", str(f)))]  # fmt: skip
        walls: dict[str, list[float]] = {"gate": [], "verify": []}
        cpus: dict[str, list[float]] = {"gate": [], "verify": []}
        turn = [("gate", gate), ("verify", verify)]
        for n in range(args.repeat):
            # In turns, and each turn in the other order than the one before: the
            # machine's speed drifts, and the second of a pair would gain from it.
            for name, argv in turn if n % 2 == 0 else turn[::-1]:
                seconds, cpu, code = _timed(argv)
                assert code == 1  # the listed records are in the file
                walls[name].append(seconds)
                cpus[name].append(cpu)
        gates, verifies = walls["gate"], walls["verify"]
        gate_cpu, verify_cpu = cpus["gate"], cpus["verify"]
        mb = manifest.stat().st_size / 1e6
        g, v = min(gates), min(verifies)
        g_cpu, v_cpu = min(gate_cpu), min(verify_cpu)
        entries = (args.records + 9) // 10
        print_table(
            [
                ("records / listed entries / lists", f"{args.records:,} / "
                 f"{entries:,} / {len(files):,}"),
                ("input (JSONL)", f"{mb:,.1f} MB"),
                ("gate check --manifest: wall time (best of runs)",
                 f"{g:,.2f} s ({mb / g:,.1f} MB/s); runs "
                 + ", ".join(f"{s:.2f}" for s in gates)),
                ("removals verify: wall time (best of runs)",
                 f"{v:,.2f} s ({mb / v:,.1f} MB/s); runs "
                 + ", ".join(f"{s:.2f}" for s in verifies)),
                ("gate / verify", f"{g / v:.2f}  (target <= 1.10)"),
                ("CPU time, user + sys (best of runs): gate / verify",
                 f"{g_cpu:,.2f} s / {v_cpu:,.2f} s = {g_cpu / v_cpu:.2f}; gate runs "
                 + ", ".join(f"{s:.2f}" for s in gate_cpu) + "; verify runs "
                 + ", ".join(f"{s:.2f}" for s in verify_cpu)),
            ]
        )  # fmt: skip


if __name__ == "__main__":
    main()

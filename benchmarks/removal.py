"""Removal benchmark: ``python -m benchmarks.removal [--records N]``.

Applies a signed list of N/10 entries (default 100,000) to an N-record JSONL manifest
(default 1,000,000) with ``dsr removals apply`` in a child process; prints MB/s, peak
RSS, and for comparison the time of a plain ``cat`` of the same file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dsr_app.signing import public_key_b64, sign

from .ingest import run_child
from .report import print_table
from .synthetic import manifest_in


def main(argv: list[str] | None = None) -> None:
    """Generate, sign, apply, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = manifest_in(folder, args.records)
        entries = [
            {
                "dataset": "bench",
                "record_id": f"r{i:09d}",
                "content_sha256": "",
                "reason": "mention",
            }
            for i in range(0, args.records, 10)
        ]
        document = sign(
            {
                "format": "dsr-removal-list/1",
                "id": "rl_bench",
                "request_id": "bench",
                "request_type": "objection",
                "legal_basis": "GDPR Art. 21(1)",
                "issued_at": "2026-01-01T00:00:00Z",
                "approved_by": "1",
                "entries": entries,
                "suppression": [],
            },
            folder,
        )
        rl = folder / "rl.json"
        rl.write_text(json.dumps(document))
        out = folder / "out.jsonl"
        argv_apply = [
            sys.executable,
            "-m",
            "dsr_app",
            "removals",
            "apply",
            "--list",
            str(rl),
            "--manifest",
            str(manifest),
            "--out",
            str(out),
            "--public-key",
            public_key_b64(folder),
        ]
        seconds, peak, summary = run_child(argv_apply)
        started = time.monotonic()
        subprocess.run(["cat", str(manifest)], stdout=subprocess.DEVNULL, check=True)
        cat_seconds = time.monotonic() - started
        mb = manifest.stat().st_size / 1e6
        print(f"dsr removals apply: {summary}")
        print_table(
            [
                ("records / list entries", f"{args.records:,} / {len(entries):,}"),
                ("input (JSONL)", f"{mb:,.1f} MB"),
                ("apply: wall time", f"{seconds:,.1f} s"),
                ("apply: throughput", f"{mb / seconds:,.1f} MB/s  (target >= 100)"),
                ("apply: peak RSS", f"{peak / 2**20:,.0f} MiB  (target < 200)"),
                (
                    "cat of the same file",
                    f"{cat_seconds:,.2f} s ({mb / cat_seconds:,.0f} MB/s)",
                ),
            ]
        )


if __name__ == "__main__":
    main()

"""Spark benchmark: ``python -m benchmarks.spark [--records N] [--shards S]``.

The same sweep and the same removal application, with the local engine (both cores)
and with Spark (``--master``, default ``local[2]``), over N synthetic records
(default 1,000,000) in S JSON Lines shards; prints both times, their ratio, whether
the results are identical, and how Spark divided the work across partitions.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from dsr_app.engines import ENGINES
from dsr_app.matching import spark_sweep
from dsr_app.matching.sweep import sweep
from dsr_app.matching.sweep_input import part_records, plan
from dsr_app.removal.shards import apply_shards, shard_pairs
from dsr_app.removal.targets import load_lists
from dsr_app.signing import public_key_b64, sign
from dsr_app.spark import session

from .matching import identities, write_manifest
from .report import print_table


def _split(manifest: Path, folder: Path, shards: int) -> list[Path]:
    """The manifest cut into ``shards`` files of whole lines."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = manifest.read_bytes().splitlines(keepends=True)
    step = -(-len(lines) // shards)
    paths = []
    for n in range(shards):
        path = folder / f"part-{n:05d}.jsonl"
        path.write_bytes(b"".join(lines[n * step : (n + 1) * step]))
        paths.append(path)
    return paths


def _signed_list(folder: Path, records: int) -> Path:
    """A signed list naming every tenth record (contract section 6)."""
    document = sign(
        {
            "format": "dsr-removal-list/1",
            "id": "rl_spark_bench",
            "request_id": "bench",
            "request_type": "objection",
            "legal_basis": "GDPR Art. 21(1)",
            "issued_at": "2026-01-01T00:00:00Z",
            "approved_by": "1",
            "entries": [
                {
                    "dataset": "bench",
                    "record_id": f"r{i:09d}",
                    "content_sha256": "",
                    "reason": "mention",
                }
                for i in range(0, records, 10)
            ],
            "suppression": [],
        },
        folder,
    )
    path = folder / "rl.json"
    path.write_text(json.dumps(document))
    return path


def _timed(func, *args, **kwargs):
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - started


def _keyed(report) -> set[tuple]:
    return {
        (m.request_id, m.record_id, m.match_kind, m.matched_on, m.snippet)
        for found in report.matches.values()
        for m in found
    }


def main(argv: list[str] | None = None) -> None:
    """Generate, run both engines, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--requesters", type=int, default=1000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        people = identities(args.requesters)
        whole = folder / f"spark-{args.records}.jsonl"
        if not whole.exists():
            write_manifest(whole, args.records, people)
        shards = _split(whole, folder / "shards", args.shards)
        mb = sum(p.stat().st_size for p in shards) / 1e6

        spark, startup = _timed(session, args.master)
        local, local_s = _timed(sweep, people, manifests=shards, workers=2)
        remote, spark_s = _timed(spark_sweep.sweep, people, shards, master=args.master)
        parts = plan(None, shards, None, "1", spark.sparkContext.defaultParallelism * 2)
        sizes = (
            spark.sparkContext.parallelize(parts, len(parts))
            .map(lambda part: sum(1 for _ in part_records(part)))
            .collect()
        )

        rl = _signed_list(folder, args.records)
        key = public_key_b64(folder)
        out_local, out_spark = folder / "out-local", folder / "out-spark"
        applied, apply_local_s = _timed(
            apply_shards,
            shard_pairs([folder / "shards"], out_local),
            load_lists([rl], key),
        )
        _, apply_spark_s = _timed(
            apply_shards,
            shard_pairs([folder / "shards"], out_spark),
            load_lists([rl], key),
            ENGINES["spark"].apply_shards,
            master=args.master,
        )
        same_files = all(
            (out_local / p.name).read_bytes() == (out_spark / p.name).read_bytes()
            for p in shards
        )
        spark.stop()
        print_table(
            [
                ("records / shards", f"{args.records:,} / {args.shards}"),
                ("input (JSONL)", f"{mb:,.1f} MB"),
                ("requesters", f"{args.requesters:,}"),
                ("Spark master / session start", f"{args.master} / {startup:.1f} s"),
                (
                    "sweep, local engine (2 processes)",
                    f"{local_s:,.1f} s ({mb / local_s:,.1f} MB/s), "
                    f"{sum(map(len, local.matches.values())):,} matches",
                ),
                (
                    "sweep, Spark",
                    f"{spark_s:,.1f} s ({mb / spark_s:,.1f} MB/s), "
                    f"{sum(map(len, remote.matches.values())):,} matches",
                ),
                ("sweep, Spark / local time", f"{spark_s / local_s:.2f}"),
                (
                    "sweep, identical matches",
                    "yes" if _keyed(local) == _keyed(remote) else "NO",
                ),
                (
                    "sweep, Spark partitions (records each)",
                    f"{len(sizes)} ({min(sizes):,} to {max(sizes):,})",
                ),
                (
                    "apply, local engine (shard by shard)",
                    f"{apply_local_s:,.1f} s ({mb / apply_local_s:,.1f} MB/s), "
                    f"{applied.removed:,} removed",
                ),
                (
                    "apply, Spark (one task per shard)",
                    f"{apply_spark_s:,.1f} s ({mb / apply_spark_s:,.1f} MB/s)",
                ),
                ("apply, Spark / local time", f"{apply_spark_s / apply_local_s:.2f}"),
                ("apply, identical output bytes", "yes" if same_files else "NO"),
            ]
        )


if __name__ == "__main__":
    main()

"""Matching benchmark: ``python -m benchmarks.matching [--records N]``.

1. Per-request search over the index at N/10 and N records (default N = 1,000,000):
   p50 and p99 over requesters with an e-mail, a phone, two handles and a name and
   fewer than 100 matches; and, separately, a common name with thousands of weak
   matches.
2. The sweep over the N-record JSONL with 1, 100 and 10,000 requesters (both cores),
   in MB/s and records/s, peak memory (PSS of this process and its workers); and
   ripgrep's literal scan (`rg -F -c -f`) of
   the same identifiers for comparison.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from dsr_app.db import open_db
from dsr_app.ingest import ingest
from dsr_app.matching import Identity
from dsr_app.search import search
from dsr_app.sweep import sweep

from .memory import peak_of_this_tree
from .report import print_table
from .synthetic import record

LOCALES = [
    "de_DE",
    "fr_FR",
    "pl_PL",
    "cs_CZ",
    "da_DK",
    "hu_HU",
    "es_ES",
    "it_IT",
    "nl_NL",
    "sv_SE",
    "fi_FI",
    "hr_HR",
]


def identities(n: int, seed: int = 7) -> list[Identity]:
    """``n`` requesters with e-mail, phone, two handles and a realistic full name."""
    from faker import Faker

    fake = Faker(LOCALES)
    Faker.seed(seed)
    out = []
    for i in range(n):
        out.append(
            Identity.build(
                request_id=f"req{i}",
                country="DE",
                full_name=fake.name(),
                email=f"person{i}@bench.example",
                phone=f"+49151{i:08d}",
                account_ids=frozenset({f"bench-{i:07d}"}),
                verified_handles=frozenset({f"bench{i}"}),
                other_handles=frozenset({f"bench{i}.alt"}),
            )
        )
    return out


def write_manifest(path: Path, n: int, people: list[Identity]) -> None:
    """Synthetic records; in the first 100,000, mentions of the first 200 requesters
    are planted in 1 of 500 (the same ones at every size: the number of matches does
    not grow with the index) and one own post for each of the first 100."""
    rng = random.Random(3)
    with open(path, "wb") as fh:
        for i in range(n):
            rec = record(rng, i)
            if i < 100_000 and i % 1000 == 1:
                rec["author_id"] = f"bench-{(i // 1000) % 200:07d}"
            if i < 100_000 and i % 500 == 0:
                p = people[(i // 500) % 200]
                rec["text"] += rng.choice(
                    [
                        f" ping {p.email}",
                        f" call {p.phone[:3]} {p.phone[3:6]} {p.phone[6:]}",
                        f" hi @{next(iter(p.verified_handles))}",
                        f" met {p.full_name}",
                    ]
                )
            fh.write(orjson.dumps(rec) + b"\n")


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the sweep's
    workers, ripgrep)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum((u.ru_utime + u.ru_stime) for u in (own, children))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def time_searches(db, people: list[Identity]) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, max matches) of one full search per requester."""
    times, most = [], 0
    for identity in people:
        start = time.perf_counter()
        found = search(db, identity)
        times.append((time.perf_counter() - start) * 1000)
        most = max(most, len(found))
    return statistics.median(times), percentile(times, 0.99), most


def main(argv: list[str] | None = None) -> None:
    """Build the data, run each measurement, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--requests", type=int, default=200, help="requesters timed per index size"
    )
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)
    people = identities(10_000)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sizes = [args.records // 10, args.records]
        for size in sizes:
            manifest = folder / f"match-{size}.jsonl"
            if not manifest.exists():
                print(f"generating {size:,} records ...", file=sys.stderr)
                write_manifest(manifest, size, people)
            db_path = folder / f"match-{size}.sqlite3"
            if not db_path.exists():
                print(f"ingesting {size:,} records ...", file=sys.stderr)
                ingest(open_db(db_path), [manifest])
            db = open_db(db_path)
            # once untimed: the index's pages in memory, as on a serving machine
            # (a first read from disk measures the disk)
            time_searches(db, people[: args.requests])
            p50, p99, most = time_searches(db, people[: args.requests])
            rows.append(
                (
                    f"search, {size:,} records: p50 / p99",
                    f"{p50:.2f} ms / {p99:.2f} ms (max {most} matches)",
                )
            )
            common = Identity.build(
                request_id="common", country="DE", full_name="Zoë Müller"
            )
            start = time.perf_counter()
            found = search(db, common)
            rows.append(
                (
                    f"common name, {size:,} records",
                    f"{(time.perf_counter() - start) * 1000:.0f} ms for "
                    f"{len(found):,} weak matches",
                )
            )
            db.close()
        manifest = folder / f"match-{args.records}.jsonl"
        mb = manifest.stat().st_size / 1e6
        peaks: dict[int, float] = {}
        for count in (1, 100, 10_000):
            start, cpu = time.perf_counter(), cpu_seconds()
            with peak_of_this_tree(interval=0.1) as peak:
                report = sweep(people[:count], manifests=[manifest], workers=2)
            seconds = time.perf_counter() - start
            peaks[count] = peak.bytes / 2**20
            rows.append(
                (
                    f"sweep, {count:,} requesters",
                    f"{mb / seconds:,.1f} MB/s, {report.records / seconds:,.0f} "
                    f"records/s, {sum(map(len, report.matches.values())):,} "
                    f"matches; {cpu_seconds() - cpu:,.1f} s CPU in all",
                )
            )
        rows.append(
            (
                "sweep peak memory, 1 / 100 / 10,000 requesters",
                " / ".join(f"{peaks[c]:,.0f}" for c in (1, 100, 10_000))
                + " MiB (this process and its workers, PSS)",
            )
        )
        rg = shutil.which("rg")
        for count in (1, 100, 10_000):
            if not rg:
                rows.append((f"ripgrep, {count:,} patterns", "rg not installed"))
                continue
            patterns = folder / f"patterns-{count}.txt"
            with open(patterns, "w") as fh:
                for p in people[:count]:
                    for literal in (
                        p.full_name,
                        p.email,
                        p.phone,
                        *(f"@{h}" for h in p.verified_handles),
                    ):
                        fh.write(literal + "\n")
            start, cpu = time.perf_counter(), cpu_seconds()
            subprocess.run(
                [rg, "-F", "-c", "-f", str(patterns), str(manifest)],
                stdout=subprocess.DEVNULL,
                check=False,
            )
            seconds = time.perf_counter() - start
            rows.append(
                (
                    f"ripgrep -F, {count:,} requesters' literals",
                    f"{mb / seconds:,.1f} MB/s; {cpu_seconds() - cpu:,.1f} s CPU",
                )
            )
    print_table(rows)


if __name__ == "__main__":
    main()

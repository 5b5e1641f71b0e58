"""Matching benchmark: ``python -m benchmarks.matching [--records N]``.

1. Per-request search over the index at N/10 and N records (default N = 1,000,000):
   p50 and p99 over requesters with an e-mail, a phone, two handles and a name and
   fewer than 100 matches; and, separately, a common name with thousands of weak
   matches.
2. The sweep over the N-record JSONL with 1, 100 and 10,000 requesters (both cores),
   in MB/s and records/s, peak memory (PSS of this process and its workers); and
   ripgrep's literal scan (`rg -F -c -f`) of the same identifiers, run in turns
   with the sweep for comparison.
3. Names in all their forms (issue 20): per language, ``--names`` generated people
   (tests/matching/namegen.py), four mentions and six look-alikes each: recall
   over the mentions and precision over both.
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

from dsr_app.corpus.ingest import ingest
from dsr_app.db import open_db
from dsr_app.matching.identity import Identity
from dsr_app.matching.search import search
from dsr_app.matching.sweep import sweep

from .memory import peak_of_tree
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
    parser.add_argument(
        "--repeat", type=int, default=3, help="turns of sweep and ripgrep (medians)"
    )
    parser.add_argument(
        "--names", type=int, default=250, help="generated people per language"
    )
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
        rows += sweep_rows(manifest, people, folder, max(1, args.repeat))
    rows += name_rows(args.names)
    print_table(rows)


def name_rows(people: int, seed: int = 20) -> list[tuple[str, str]]:
    """Recall and precision of the name rules per language on generated people."""
    from tests.matching import namegen

    rows = []
    for language in sorted(namegen.LANGUAGES):
        cases = namegen.cases(language, random.Random(seed), people)
        score = namegen.score(cases)
        rows.append(
            (
                f"names, {language}: recall / precision",
                f"{score.recall:.4f} / {score.precision:.4f} ({score.positives:,}"
                f" mentions, {score.negatives:,} look-alikes)",
            )
        )
    return rows


def sweep_rows(
    manifest: Path, people: list[Identity], folder: Path, repeat: int
) -> list[tuple[str, str]]:
    """The sweep and ripgrep over ``manifest``, run in turns ``repeat`` times for each
    requester count (the machine's speed drifts: turns compare like with like);
    medians reported."""
    mb = manifest.stat().st_size / 1e6
    rg = shutil.which("rg")
    rows, peaks, ratios = [], {}, {}
    for count in (1, 100, 10_000):
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
        ours, theirs, peak_bytes = [], [], 0
        for _ in range(repeat):
            start, cpu = time.perf_counter(), cpu_seconds()
            with peak_of_tree(interval=0.1) as peak:
                report = sweep(people[:count], manifests=[manifest], workers=2)
            ours.append((time.perf_counter() - start, cpu_seconds() - cpu))
            peak_bytes = max(peak_bytes, peak.bytes)
            if rg:
                start, cpu = time.perf_counter(), cpu_seconds()
                subprocess.run(
                    [rg, "-F", "-c", "-f", str(patterns), str(manifest)],
                    stdout=subprocess.DEVNULL,
                    check=False,
                )
                theirs.append((time.perf_counter() - start, cpu_seconds() - cpu))
        peaks[count] = peak_bytes / 2**20
        seconds, cpu = statistics.median_low(ours)
        rows.append(
            (
                f"sweep, {count:,} requesters",
                f"{mb / seconds:,.1f} MB/s, {report.records / seconds:,.0f} "
                f"records/s, {sum(map(len, report.matches.values())):,} "
                f"matches; {cpu:,.1f} s CPU in all",
            )
        )
        if theirs:
            rg_seconds, rg_cpu = statistics.median_low(theirs)
            rows.append(
                (
                    f"ripgrep -F, {count:,} requesters' literals",
                    f"{mb / rg_seconds:,.1f} MB/s; {rg_cpu:,.1f} s CPU",
                )
            )
            turns = sorted(r / o for (o, _), (r, _) in zip(ours, theirs, strict=True))
            ratios[count] = (rg_seconds / seconds, turns)
        else:
            rows.append((f"ripgrep, {count:,} patterns", "rg not installed"))
    rows.append(
        (
            "sweep peak memory, 1 / 100 / 10,000 requesters",
            " / ".join(f"{peaks[c]:,.0f}" for c in (1, 100, 10_000))
            + " MiB (this process and its workers, PSS)",
        )
    )
    if 10_000 in ratios:
        ratio, turns = ratios[10_000]
        rows.append(
            (
                "sweep speed / ripgrep's, 10,000 requesters",
                f"{ratio:.2f} (medians; turn by turn "
                + ", ".join(f"{t:.2f}" for t in turns)
                + ")  (target >= 1)",
            )
        )
    return rows


if __name__ == "__main__":
    main()

"""Pointer benchmark: ``python -m benchmarks.pointers [--records N] [--lookups L]``.

N synthetic records (benchmarks/synthetic.py; default 1,000,000) are ingested (timed
as the reference), then the pointer index is built as its job builds it
(pointer_index.refresh_index with ``--workers``, default one per core: timed, with
the bytes it adds to the store; ``--rebuild`` empties the index of a store kept in
``--dir`` first). Then, in turns, L lookups of each kind:

- a passage cut from a random record (12 to 60 of its words) and edited as people
  paste it: upper case or not, accents and punctuation changed, one word replaced;
  found when its record is among the hits (passages.find);
- a passage of the same words in an order no record has (must find nothing);
- a record's URL as shared (upper-case host, ``www.``, ``utm_*``, a fragment), by
  pointers.pointed_records.

Prints p50, p99 and the slowest of each, and how many found their record.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from unidecode import unidecode

from dsr_app.corpus.ingest import ingest
from dsr_app.db import open_db
from dsr_app.matching import passages
from dsr_app.matching.pointer_index import refresh_index
from dsr_app.matching.pointers import pointed_records

from .report import print_table
from .synthetic import manifest_in


def edited(rng: random.Random, text: str) -> str:
    """A part of ``text`` as a person might paste it back (see the module doc)."""
    words = text.split()
    size = min(len(words), rng.randint(12, 60))
    start = rng.randrange(len(words) - size + 1)
    part = words[start : start + size]
    part[rng.randrange(2, size - 2)] = "zebra"  # one word changed inside
    quoted = unidecode(" ".join(part))  # accents dropped
    quoted = ", ".join(quoted.split(" ", 4))  # punctuation that was not there
    return quoted.upper() if rng.random() < 0.5 else quoted


def nowhere(rng: random.Random, text: str) -> str:
    """The words of ``text`` in an order no record has."""
    words = text.split()[:40]
    rng.shuffle(words)
    return " ".join(words)


def shared_url(rng: random.Random, url: str) -> str:
    """``url`` as a share button writes it."""
    return url.replace("https://", "HTTPS://www.").replace(
        "example.com", "Example.COM"
    ) + rng.choice(("/?utm_source=share&utm_medium=app", "#comments", "/"))


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{statistics.median(ordered) * 1000:.2f} / {p99 * 1000:.2f} /"
        f" {ordered[-1] * 1000:.2f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    """Build a store of ``--records`` records and time pointer lookups in it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--workers", type=int, default=None, help="index workers (default: per core)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="empty a kept store's index first"
    )
    args = parser.parse_args(argv)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = manifest_in(folder, args.records)
        db_path = folder / f"pointers-{args.records}.sqlite3"
        db = open_db(db_path)
        if not db.execute("SELECT 1 FROM records LIMIT 1").fetchone():
            start = time.perf_counter()
            ingest(db, [manifest], dataset="bench", version="1")
            took = time.perf_counter() - start
            rows.append(("ingest (reference)", f"{args.records / took:,.0f} records/s"))
        if args.rebuild:
            db.execute(
                "INSERT INTO passage_prints (passage_prints) VALUES ('delete-all')"
            )
            db.execute("DELETE FROM record_urls")
            db.execute("UPDATE pointer_index SET indexed_to = 0")
            db.execute("VACUUM")
        before = db_path.stat().st_size
        start = time.perf_counter()
        built = refresh_index(db, workers=args.workers)
        seconds = time.perf_counter() - start
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        added = db_path.stat().st_size - before
        (count,) = db.execute("SELECT count(*) FROM records").fetchone()
        rows.append(("records", f"{count:,}"))
        if built:
            rows.append(
                (
                    f"index build (the pointer_index job's refresh, workers:"
                    f" {args.workers or 'one per core'})",
                    f"{seconds:,.1f} s, {built / seconds:,.0f} records/s,"
                    f" {added / 2**20:,.1f} MiB ({added / max(built, 1):,.0f} B a"
                    " record)",
                )
            )
        rng = random.Random(args.seed)
        ids = [rng.randint(1, count) for _ in range(args.lookups)]
        near, far, links = [], [], []
        found = false_hits = urls_found = 0
        for record in ids:
            text, url = db.execute(
                "SELECT text, url FROM records WHERE id = ?", [record]
            ).fetchone()
            passage, other = edited(rng, text), nowhere(rng, text)
            link = shared_url(rng, url)
            start = time.perf_counter()
            hits = passages.find(db, passage)
            near.append(time.perf_counter() - start)
            found += record in {r for r, _ in hits}
            start = time.perf_counter()
            false_hits += len(passages.find(db, other))
            far.append(time.perf_counter() - start)
            start = time.perf_counter()
            pointed = pointed_records(db, link, [])
            links.append(time.perf_counter() - start)
            urls_found += record in {r["id"] for r, _ in pointed}
        n = len(ids)
        rows += [
            (f"edited passage, {n} lookups: p50 / p99 / max", _ms(near)),
            ("edited passage: found its record", f"{found} of {n}"),
            ("passage from nowhere: p50 / p99 / max", _ms(far)),
            ("passage from nowhere: records found", f"{false_hits}"),
            ("shared URL: p50 / p99 / max", _ms(links)),
            ("shared URL: found its record", f"{urls_found} of {n}"),
        ]
        db.close()
    print_table(rows)


if __name__ == "__main__":
    main()

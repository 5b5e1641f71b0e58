"""The sweep on Apache Spark (PySpark): what matching/sweep.py does on this machine.

The work is planned as for the local engine (files, big JSON Lines files split by
bytes, or id ranges of the index) and read on the executors by the local readers,
so both engines see the same records; every verified requester's identifiers are
broadcast; own content comes from a broadcast join of the records' ``author_id``
with the requesters' owned accounts; mentions are found by the shared matcher per
partition (``mapPartitions``); the matches come back to the driver, which stores
them like the local engine does.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path

from dsr_app.errors import BadInput
from dsr_app.matching.identity import Identity
from dsr_app.matching.sweep import Matcher, SweepReport, sweep_records
from dsr_app.matching.sweep_input import part_records, plan
from dsr_app.spark import session, spark_error

# Columns of our own in the joined frame; a record travels pickled, so a manifest's
# own fields (unknown ones are kept) can never collide with them.
_AUTHOR, _RECORD, _OWNERS = "author_key", "record", "owners"


def sweep(
    identities: list[Identity],
    manifests: list[Path] | None = None,
    dataset: str | None = None,
    version: str = "1",
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
    db_path: str | None = None,
) -> SweepReport:
    """Match every identity against manifest files (or the indexed records of
    ``db_path`` when there are none), on Spark."""
    from pyspark.sql import functions as F

    matcher = Matcher(identities)
    spark = session(master, conf)
    sc = spark.sparkContext
    parts = plan(db_path, manifests, dataset, version, sc.defaultParallelism * 2)
    report = SweepReport()
    if not parts:
        return report
    shared = sc.broadcast(matcher)
    try:
        records = spark.createDataFrame(
            sc.parallelize(parts, len(parts)).flatMap(_keyed_records),
            f"{_AUTHOR} string, {_RECORD} binary",
        )
        owners = F.broadcast(_owners_frame(spark, matcher))
        joined = records.join(owners, _AUTHOR, "left")
        pieces = joined.rdd.mapPartitions(
            lambda rows: [_sweep_partition(rows, shared.value)]
        ).collect()
    except Exception as exc:  # Py4J and Spark errors: one line, not a Java trace
        raise BadInput("--engine spark", spark_error(exc)) from exc
    finally:
        shared.unpersist()
    for piece in pieces:
        report.merge(piece)
    return report


def _keyed_records(part: tuple) -> Iterator[tuple[str | None, bytes]]:
    """(author_id, pickled record) for every record of a piece (on an executor),
    read by the local engine's readers: both engines see the same records."""
    for rec in part_records(part):
        author = rec.get("author_id")
        yield author if isinstance(author, str) else None, pickle.dumps(rec)


def _owners_frame(spark, matcher: Matcher):
    """(author_key, owners): each owned account and the requesters who own it."""
    rows = [(account, sorted(n)) for account, n in matcher.by_author.items()]
    return spark.createDataFrame(rows, f"{_AUTHOR} string, {_OWNERS} array<int>")


def _sweep_partition(rows: Iterator, matcher: Matcher) -> SweepReport:
    """One partition through the shared loop (on an executor). Own content comes
    from the join: ``owners`` of the record's author (none: an empty list)."""
    return sweep_records(
        matcher,
        (
            (
                pickle.loads(row[_RECORD]),
                (row[_OWNERS] or ()) if row[_AUTHOR] is not None else None,
            )
            for row in rows
        ),
    )

"""The Spark engine: the sweep and removal application on Apache Spark (PySpark).

Not a second implementation of the rules: the readers and the matcher (sweep.py,
matching.py) and the removal test (removal_apply.Targets) are imported and shipped
to the executors. Spark brings the scheduling, the partitioning and the cluster:

- sweep: the work is planned as for the local engine (files, big JSON Lines files
  split by bytes, or id ranges of the index) and read on the executors by the local
  readers, so both engines see the same records; every verified requester's
  identifiers are broadcast; own content comes from a broadcast join of the
  records' ``author_id`` with the requesters' owned accounts; mentions are found by
  the shared matcher per partition (``mapPartitions``); the matches come back to
  the driver, which stores them like the local engine does.
- removals apply: one task per input shard writes one output shard, with the local
  engine's per-file code (kept lines byte for byte, Parquet schema and order).

PySpark is an optional extra: ``pip install 'dsr-app[spark]'`` (and Java 17+).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from dsr_app.errors import BadInput
from dsr_app.matching.identity import Identity
from dsr_app.matching.sweep import Matcher, SweepReport, sweep_records
from dsr_app.matching.sweep_input import part_records, plan

DEFAULT_MASTER = "local[*]"


def session(master: str | None = None, conf: Mapping[str, str] | None = None):
    """A SparkSession: ``master`` (default: what spark-submit set, else local[*])
    and any ``spark.*`` settings (``--conf key=value``) passed through."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BadInput(
            "--engine spark", "PySpark is not installed: pip install 'dsr-app[spark]'"
        ) from exc
    builder = SparkSession.builder.appName("dsr")
    if master:
        builder = builder.master(master)
    elif not _submitted():
        builder = builder.master(DEFAULT_MASTER)
    # Defaults first, so that a --conf of the same key wins. The driver's UI, its
    # port search and the console progress bar are of no use to a command-line run
    # (dsr prints its own summary); executors run this interpreter, which has
    # dsr_app, unless told otherwise (spark-submit, PYSPARK_PYTHON). PySpark takes
    # the executors' Python from PYSPARK_PYTHON when the context starts, else
    # "python3" from PATH (the spark.pyspark.python setting is read by spark-submit
    # only), so the variable is what sets it.
    builder = builder.config("spark.ui.enabled", "false")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    if not _submitted() and "PYSPARK_PYTHON" not in os.environ:
        os.environ["PYSPARK_PYTHON"] = sys.executable
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _submitted() -> bool:
    """Whether spark-submit started us (it then has set the master already, and
    passes its JVM's address to the Python driver)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def parse_conf(pairs: Iterable[str]) -> dict[str, str]:
    """``["spark.executor.memory=4g", ...]`` as a dict (``--conf`` options)."""
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput("--conf", f"{pair!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    return conf


# --- sweep ---------------------------------------------------------------------

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
        raise BadInput("--engine spark", _spark_error(exc)) from exc
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


def _spark_error(exc: Exception) -> str:
    """The first line of a Spark failure, without the JVM's stack."""
    text = str(exc).strip() or type(exc).__name__
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("at ", "File ", "Traceback")):
            return line[:500]
    return text.splitlines()[0][:500]


# --- removals apply --------------------------------------------------------------


def apply_shards(
    shards: list[tuple[Path, Path]],
    targets,
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
):
    """Apply ``targets`` to each (input shard, output shard) pair, one task each.

    Every output is written beside its final name and renamed by its task only when
    complete (removal_apply.apply); the caller stages them (see removal_apply).
    """
    spark = session(master, conf)
    sc = spark.sparkContext
    shared = sc.broadcast(targets)
    try:
        results = (
            sc.parallelize([(str(i), str(o)) for i, o in shards], max(1, len(shards)))
            .map(lambda pair: _apply_task(pair, shared.value))
            .collect()
        )
    except Exception as exc:  # Py4J and Spark errors: one line, not a Java trace
        raise BadInput("--engine spark", _spark_error(exc)) from exc
    finally:
        shared.unpersist()
    return results


def _apply_task(pair: tuple[str, str], targets):
    """One shard (runs on an executor): the local engine's code, one process."""
    from dsr_app.removal.apply import apply

    targets.found = set()
    in_path, out_path = (Path(p) for p in pair)
    os.makedirs(out_path.parent, exist_ok=True)
    report = apply(in_path, out_path, targets, parallel=False)
    return report, targets.found

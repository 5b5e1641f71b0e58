"""The Spark engine: the sweep and removal application on Apache Spark (PySpark).

Not a second implementation of the rules: the matcher (sweep.Matcher, matching.py)
and the removal test (removal_apply.Targets) are imported and shipped to the
executors. Spark brings the reading, the partitioning and the cluster:

- sweep: manifests are read by Spark's own readers (JSON Lines as lines, split
  across partitions, each kept as its bytes; Parquet by row group); every verified
  requester's identifiers are broadcast; own content is a broadcast join of the
  records' ``author_id`` with the requesters' accounts; mentions are found by the
  shared matcher, applied per partition (``mapPartitions``); the matches come back
  to the driver, which stores them in the service database like the local engine.
- removals apply: one task per input shard writes one output shard, with the local
  engine's per-file code (kept lines byte for byte, Parquet schema and order).

PySpark is an optional extra: ``pip install 'dsr-app[spark]'`` (and Java 17+).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import orjson

from .errors import BadInput
from .matching import Identity
from .sweep import Matcher, SweepReport, file_record, sweep_records

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
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    # The driver's UI, its port search and the console progress bar are of no use to
    # a command-line run (dsr prints its own summary).
    builder = builder.config("spark.ui.enabled", "false")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
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


def sweep(
    identities: list[Identity],
    manifests: list[Path],
    dataset: str | None = None,
    version: str = "1",
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
) -> SweepReport:
    """Match every identity against the manifest files, on Spark."""
    from pyspark.sql import functions as F

    from .manifests import manifest_format

    matcher = Matcher(identities)
    report = SweepReport()
    if not manifests:
        return report
    spark = session(master, conf)
    sc = spark.sparkContext
    shared = sc.broadcast(matcher)
    owners = _owners_frame(spark, matcher)
    jsonl = [str(p) for p in manifests if manifest_format(p) != "parquet"]
    parquet = [str(p) for p in manifests if manifest_format(p) == "parquet"]
    frames = []
    if jsonl:
        lines = spark.read.option("lineSep", "\n").text(jsonl)
        # The line's own bytes (Spark keeps them; a cast to text would replace the
        # bytes of a line that is not UTF-8, which then must fail as it does locally).
        frames.append(
            (
                "jsonl",
                lines.select(
                    lines.value.cast("binary").alias("line"),
                    F.get_json_object(lines.value, "$.author_id").alias("author_key"),
                ),
            )
        )
    for path in parquet:  # one by one: shards may differ in their columns
        frame = spark.read.parquet(path)
        author = (
            F.col("author_id").cast("string")
            if "author_id" in frame.columns
            else F.lit(None).cast("string")
        )
        frames.append(("parquet", frame.withColumn("author_key", author)))
    try:
        for kind, frame in frames:
            joined = frame.join(F.broadcast(owners), "author_key", "left")
            pieces = joined.rdd.mapPartitions(
                lambda rows, kind=kind: [
                    _sweep_partition(rows, kind, shared.value, dataset, version)
                ]
            ).collect()
            for piece in pieces:
                report.merge(piece)
    finally:
        shared.unpersist()
    return report


def _owners_frame(spark, matcher: Matcher):
    """(author_key, owners): each owned account and the requesters who own it."""
    from pyspark.sql.types import (
        ArrayType,
        IntegerType,
        StringType,
        StructField,
        StructType,
    )

    schema = StructType(
        [
            StructField("author_key", StringType(), False),
            StructField("owners", ArrayType(IntegerType()), False),
        ]
    )
    rows = [(account, sorted(n)) for account, n in matcher.by_author.items()]
    return spark.createDataFrame(rows, schema)


def _sweep_partition(
    rows: Iterator, kind: str, matcher: Matcher, dataset, version
) -> SweepReport:
    """One partition through the shared loop (runs on an executor)."""

    def items():
        for row in rows:
            if kind == "jsonl":
                try:
                    rec = orjson.loads(row["line"])
                except orjson.JSONDecodeError:
                    continue
            else:
                rec = _parquet_record(row)
            rec = file_record(rec, dataset, version)
            if rec is None:
                continue
            key = row["author_key"]
            # The join read the author with Spark's JSON reader; where it reads a
            # line differently from ours (odd escapes), the matcher looks it up.
            if key is not None and rec.get("author_id") == key:
                yield rec, row["owners"] or ()
            else:
                yield rec, None

    return sweep_records(matcher, items())


def _parquet_record(row) -> dict:
    """A Spark row of a Parquet manifest as the local reader gives it (nulls are
    absent fields; dates as ISO 8601)."""
    from datetime import date, datetime

    skip = {"author_key", "owners"}
    return {
        k: v.isoformat() if isinstance(v, datetime | date) else v
        for k, v in row.asDict(recursive=True).items()
        if v is not None and k not in skip
    }


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
    finally:
        shared.unpersist()
    return results


def _apply_task(pair: tuple[str, str], targets):
    """One shard (runs on an executor): the local engine's code, one process."""
    from .removal_apply import apply

    targets.found = set()
    in_path, out_path = (Path(p) for p in pair)
    os.makedirs(out_path.parent, exist_ok=True)
    report = apply(in_path, out_path, targets, parallel=False)
    return report, targets.found

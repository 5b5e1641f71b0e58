"""Removal lists applied on Apache Spark (PySpark): one task per input shard writes
one output shard, with the local engine's per-file code (removal/apply.py: kept
lines byte for byte, Parquet schema and order)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dsr_app.errors import BadInput
from dsr_app.removal.apply import ApplyReport, apply
from dsr_app.removal.targets import Hits, Targets
from dsr_app.spark import session, spark_error


def apply_shards(
    shards: list[tuple[Path, Path]],
    targets: Targets,
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
) -> list[tuple[ApplyReport, Hits]]:
    """Apply ``targets`` to each (input shard, output shard) pair, one task each.

    Every output is written beside its final name and renamed by its task only when
    complete (``apply``); the caller stages them (removal/shards.py).
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
        raise BadInput("--engine spark", spark_error(exc)) from exc
    finally:
        shared.unpersist()
    return results


def _apply_task(pair: tuple[str, str], targets: Targets) -> tuple[ApplyReport, Hits]:
    """One shard (runs on an executor): the local engine's code, one process."""
    targets.reset()
    in_path, out_path = (Path(p) for p in pair)
    os.makedirs(out_path.parent, exist_ok=True)
    report = apply(in_path, out_path, targets, parallel=False)
    return report, targets.hits()

"""The engines the sweep and the removal application run on, chosen here only.

``local`` is this machine's processes; ``spark`` is Apache Spark (the optional
``[spark]`` extra, so its modules load only when it is chosen). Each engine has a
sweep, called as ``matching.sweep.sweep`` is, and an apply-shards function, called
as ``removal.shards.apply_each`` is; each takes its engine's own options (Spark's
``master`` and ``conf``) as keywords. The engines import neither each other nor
this registry. Nothing here is imported until a command runs an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Engine:
    """One engine's two jobs, and the engine a stored search names."""

    searched_by: str
    sweep: Callable
    apply_shards: Callable


def _local_sweep(*args, **options):
    from dsr_app.matching.sweep import sweep

    return sweep(*args, **options)


def _local_apply(jobs, targets, progress=None):
    from dsr_app.removal.shards import apply_each

    return apply_each(jobs, targets, progress)


def _spark_sweep(
    identities,
    db_path=None,
    manifests=None,
    dataset=None,
    version="1",
    workers=None,
    progress=None,
    master=None,
    conf=None,
):
    # ``workers`` is the local engine's: Spark's parallelism is the cluster's.
    from dsr_app.matching.spark_sweep import sweep

    report = sweep(identities, manifests, dataset, version, master, conf, db_path)
    if progress:
        progress(report.records)
    return report


def _spark_apply(jobs, targets, master=None, conf=None, progress=None):
    from dsr_app.removal.spark_apply import apply_shards

    results = apply_shards(jobs, targets, master, conf)
    if progress:  # the executors' counts come back at the end
        progress(sum(report.read for report, _ in results))
    return results


ENGINES: dict[str, Engine] = {
    # "sweep": the name local searches have been stored under since before Spark
    "local": Engine("sweep", _local_sweep, _local_apply),
    "spark": Engine("spark", _spark_sweep, _spark_apply),
}

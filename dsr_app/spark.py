"""Apache Spark plumbing shared by the Spark engine's two jobs: the session, the
``--conf`` options and Spark's errors in one line.

The jobs themselves are matching/spark_sweep.py (the sweep) and
removal/spark_apply.py (removal lists applied shard by shard); dsr_app/engines.py
chooses between them and the local engine. Not a second implementation of the
rules: the readers, the matcher and the removal test are the local engine's,
shipped to the executors. Spark brings the scheduling, the partitioning and the
cluster.

PySpark is an optional extra: ``pip install 'dsr-app[spark]'`` (and Java 17+).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

from dsr_app.errors import BadInput

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


def spark_error(exc: Exception) -> str:
    """The first line of a Spark failure, without the JVM's stack."""
    text = str(exc).strip() or type(exc).__name__
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("at ", "File ", "Traceback")):
            return line[:500]
    return text.splitlines()[0][:500]

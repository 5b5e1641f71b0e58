"""The benchmarks still run (at a tiny size; their figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout


def test_ingest_benchmark_prints_its_table():
    out = _run("benchmarks.ingest", "--records", "300")
    assert "| records/s " in out and "| peak RSS, all processes " in out
    assert "300 records, 0 rejects" in out


def test_matching_benchmark_prints_its_table():
    out = _run("benchmarks.matching", "--records", "1000", "--requests", "3")
    for measure in (
        "search, 1,000 records: p50 / p99",
        "sweep, 10,000 requesters",
        "common name, 100 records",
    ):
        assert measure in out, out


def test_removal_benchmark_prints_its_table():
    out = _run("benchmarks.removal", "--records", "500")
    assert "500 records read, 50 removed, 0 list entries not found" in out
    assert "| apply: throughput " in out


def test_spark_benchmark_runs_both_engines_to_the_same_results():
    out = _run(
        "benchmarks.spark", "--records", "2000", "--shards", "3", "--requesters", "20"
    )
    assert "| sweep, identical matches " in out and "| yes |" in out
    assert "| apply, identical output bytes" in out and "NO" not in out
    assert "200 removed" in out


def test_load_run_passes_its_checks():
    out = _run("benchmarks.load", "--seconds", "3", "--clients", "4")
    assert "| checks " in out and "| passed |" in out, out
    assert "| errors by status " in out and "| none |" in out, out
    assert "DSR_RATE_LIMIT_CREATE and DSR_RATE_LIMIT_VERIFY raised" in out

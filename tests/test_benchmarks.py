"""The benchmarks still run (at a tiny size; their figures are not checked here)."""

from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.memory import peak_of_tree

pytestmark = pytest.mark.benchmark

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
    out = _run(
        "benchmarks.matching",
        *("--records", "1000", "--requests", "3", "--repeat", "2", "--names", "3"),
    )
    for measure in (
        "search, 1,000 records: p50 / p99",
        "sweep, 10,000 requesters",
        "common name, 100 records",
        "names, ga: recall / precision",
        "names, el: recall / precision",
    ):
        assert measure in out, out
    row = r"sweep peak memory, 1 / 100 / 10,000 requesters +\| (.*) MiB"
    peaks = re.search(row, out)
    assert peaks and all(float(v) > 10 for v in peaks.group(1).split(" / ")), out
    if shutil.which("rg"):
        row = r"ripgrep's, 10,000 requesters +\| [0-9.]+ \(medians; turn by turn "
        turns = re.search(row + r"([0-9., ]+)\)", out)
        assert turns and len(turns.group(1).split(", ")) == 2, out


def test_peak_memory_counts_the_pages_of_workers():
    with multiprocessing.get_context("fork").Pool(1) as pool:
        with peak_of_tree(interval=0.01) as before:
            time.sleep(0.1)
        with peak_of_tree(interval=0.01) as peak:
            pool.apply(_hold, (64 * 2**20, 0.3))
    assert peak.bytes - before.bytes > 60 * 2**20


def _hold(size: int, seconds: float) -> None:
    block = bytearray(size)  # zeroed, so every page is touched
    time.sleep(seconds)
    del block


def test_removal_benchmark_prints_its_table():
    out = _run("benchmarks.removal", "--records", "500")
    assert "500 records read, 50 removed, 0 list entries not found" in out
    assert "| apply: throughput " in out


def test_gate_benchmark_prints_both_checks_and_their_ratio():
    out = _run("benchmarks.gate", "--records", "500", "--repeat", "1")
    assert "| 500 / 50 / 1 |" in out and "| gate / verify " in out


def test_pointers_benchmark_finds_edited_passages_and_links():
    out = _run("benchmarks.pointers", "--records", "500", "--lookups", "20")
    assert re.search(r"\| edited passage: found its record +\| 20 of 20 \|", out), out
    assert re.search(r"\| passage from nowhere: records found +\| 0 \|", out), out
    assert "| index build (the pointer_index job's refresh" in out


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


def test_timing_probe_times_both_groups_with_the_same_answers():
    # Few samples: the probe's statistics are the benchmark's; here, that it runs,
    # and that known and unknown get the same answers. --alpha 0: ten samples on
    # a loaded CI machine give p < 0.01 by chance now and then (a CI run failed
    # so); a differing status still exits 1.
    out = _run(
        "benchmarks.timing", "--samples", "10", "--login-samples", "4", "--alpha", "0"
    )
    create = next(line for line in out.splitlines() if line.startswith("| filing"))
    login = next(line for line in out.splitlines() if line.startswith("| staff login"))
    after = next(line for line in out.splitlines() if line.startswith("| next request"))
    assert "status 201;" in create  # one status for known and unknown alike
    assert "status 401;" in login  # the password really was checked
    assert "status 200;" in after  # verified, then answered, in both groups
    for line in (create, login, after):
        p = float(line.split("p = ")[1].split(" ")[0])
        assert 0.0 <= p <= 1.0


def test_json_libraries_benchmark_prints_both_on_every_path():
    out = _run("benchmarks.json_libs", "--records", "200", "--repeat", "1")
    for path in ("ingest: decode a line", "encode a record", "sweep: a block's rows"):
        line = next(row for row in out.splitlines() if row.startswith(f"| {path}"))
        assert "orjson " in line and "msgspec " in line, line


def test_mann_whitney_tells_shifted_samples_from_equal_ones():
    import random

    from benchmarks.timing import mann_whitney_p

    rng = random.Random(1)
    a = [rng.gauss(10, 1) for _ in range(200)]
    b = [rng.gauss(10, 1) for _ in range(200)]
    shifted = [x + 0.5 for x in b]
    assert mann_whitney_p(a, b) > 0.05
    assert mann_whitney_p(a, shifted) < 0.001
    assert mann_whitney_p([1.0] * 30, [1.0] * 30) == 1.0  # all tied

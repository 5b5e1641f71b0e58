"""Progress bars of the long commands: percentage and time left on a terminal,
nothing elsewhere (issue 21, item 5; dsr_app/cli/progress.py)."""

from __future__ import annotations

import gzip
import io
import sys

import pyarrow.parquet as pq

from dsr_app.cli.progress import Progress, lines_in
from tests.conftest import RECORDS_GZ, RECORDS_JSONL, RECORDS_PARQUET


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_percentage_and_the_time_left(monkeypatch):
    shown = Terminal()
    monkeypatch.setattr(sys, "stderr", shown)
    bar = Progress("records", 200)
    with bar as progress:
        bar.bar.mininterval = 0  # every update drawn
        progress(50)
        progress(50)
    drawn = shown.getvalue()
    assert "50%" in drawn and "100/200" in drawn
    assert "<00:0" in drawn  # the time left, after the time spent


def test_the_count_comes_from_its_thread(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    bar = Progress("records", lambda: 300)
    with bar as progress:
        bar.bar.mininterval = 0  # every update drawn, before or after the count
        progress(30)
        bar.counting.join()
        assert bar.bar.total == 300
        assert "10%" in sys.stderr.getvalue()


def test_nothing_on_a_pipe(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with Progress("records", lambda: 10) as progress:
        assert progress is None
    assert piped.getvalue() == ""


def test_lines_in_counts_the_records_of_each_format(tmp_path):
    records = len(RECORDS_JSONL.read_bytes().splitlines())
    unterminated = tmp_path / "last.jsonl"
    unterminated.write_bytes(RECORDS_JSONL.read_bytes().rstrip(b"\n"))
    assert lines_in([RECORDS_JSONL]) == records
    assert lines_in([RECORDS_GZ]) == len(
        gzip.decompress(RECORDS_GZ.read_bytes()).splitlines()
    )
    assert lines_in([unterminated]) == records
    rows = pq.ParquetFile(RECORDS_PARQUET).metadata.num_rows
    assert lines_in([RECORDS_JSONL, RECORDS_PARQUET]) == records + rows

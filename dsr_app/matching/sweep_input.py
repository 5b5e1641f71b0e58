"""Where a sweep's records come from: pieces of work, and the records of each.

A piece is an id range of the indexed records, a byte range of a big .jsonl file,
or a whole file (.jsonl.gz cannot be split; Parquet). Both engines read pieces with
these functions, this machine's processes and Spark's executors, so both see the
same records. JSON lines are parsed with msgspec: into the few fields the prefilter
and the counts need (``rows``), and whole only for the records that concern someone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import attrgetter
from pathlib import Path

import msgspec

from dsr_app import config
from dsr_app.corpus.manifests import (
    Limits,
    jsonl_blocks,
    jsonl_range_blocks,
    manifest_format,
    parquet_rows,
)
from dsr_app.corpus.record import (
    READ_STRINGS,
    STORED_COLUMNS,
    policy_flags,
    read_record,
)

BATCH = 1000  # lines parsed, and records scanned by the prefilter, at once

# Every record is read: the one column the sweep never looks at stays on disk.
_DB_COLUMNS = tuple(c for c in STORED_COLUMNS if c != "content_sha256")


def _db_records(db_path: str, low: int, high: int) -> Iterator[dict]:
    """Indexed records with ``low <= id < high``."""
    from dsr_app.db import connect

    db = connect(db_path)  # planned from an open store: migrated already
    try:
        rows = db.execute(
            f"SELECT {', '.join(_DB_COLUMNS)} FROM records WHERE id >= ? AND id < ?"
            " AND text IS NOT NULL",
            [low, high],
        )
        for r in rows:
            yield dict(zip(_DB_COLUMNS, r, strict=True))
    finally:
        db.close()


def file_records(
    rows: Iterable[object], dataset: str | None, version: str
) -> Iterator[dict]:
    """The rows that are records, as ``record.read_record`` reads them."""
    for rec in rows:
        rec = read_record(rec, dataset, version)
        if rec is not None:
            yield rec


# What msgspec raises for a line that is not JSON (or not UTF-8, or nested past
# its depth limit), or not of the type asked for.
_BAD_LINE = (msgspec.MsgspecError, ValueError, RecursionError)
_decode = msgspec.json.decode


def parsed(lines: Iterable[bytes]) -> Iterator[object]:
    """Lines as JSON values, a line that is not JSON left out. A batch at a time:
    one comprehension costs less than a ``try`` per line; a batch with a bad line
    is then read line by line."""
    lines = iter(lines)
    while batch := list(islice(lines, BATCH)):
        try:
            yield from [_decode(line) for line in batch]
        except _BAD_LINE:
            for line in batch:
                try:
                    yield _decode(line)
                except _BAD_LINE:
                    continue


# What of a manifest line decides whether it is read whole: its text and its author;
# and the fields whose type makes it a record ingest would refuse (``read_record``'s
# ``READ_STRINGS``, so that a line is a row exactly when it is a record as the rules
# read it). The text is kept as written (JSON), not built: the prefilter reads it
# so (``prefilter.json_view``), and says whether it is a string at all.
Row = msgspec.defstruct(
    "Row",
    [("text", msgspec.Raw), *((name, str | None, None) for name in READ_STRINGS)],
    gc=False,
    module=__name__,
)
_ROW = msgspec.json.Decoder(Row)  # other fields are skipped, not built


def rows(lines: list[bytes]) -> list[Row] | None:
    """The lines' rows (only the fields the sweep reads are built), or ``None`` when a
    line is not a record as the rules read it (not JSON, a field of the wrong type,
    no text; a text that is not a string is told by ``prefilter.json_view``): the
    caller then reads the batch as whole records."""
    try:
        return list(map(_ROW.decode, lines))
    except _BAD_LINE:
        return None


# Two JSON values on one line, or what looks so inside a string (then the block is
# read line by line all the same).
_TWO_VALUES = re.compile(rb"\}[ \t\r]*\{")


_RECORD_ID = attrgetter("record_id")
_DATASET = attrgetter("dataset")
_UNNAMED = (None, "")


def datasets(rows: list[Row], dataset: str | None) -> tuple[list | None, set[str]]:
    """Of each row, the dataset it is a record of (its own or the sweep's), None for
    one that is no record (without an id or a dataset, as ``read_record``), and
    the datasets of the records; the first is ``None`` when every row is a record
    (as a rule: then the rows are looked at as a set)."""
    ids, names = list(map(_RECORD_ID, rows)), set(map(_DATASET, rows))
    if None in ids or "" in ids or not (dataset or names.isdisjoint(_UNNAMED)):
        named = [(row.dataset or dataset) if row.record_id else None for row in rows]
        return named, {name for name in named if name}
    return None, {name or dataset for name in names}


def python_lines(block: bytes) -> int:
    """The lines of a block, -1 if one may hold two values side by side (in C:
    ``_scan.lines``, one pass instead of two)."""
    if _TWO_VALUES.search(block):
        return -1
    return block.count(b"\n") + (bool(block) and not block.endswith(b"\n"))


def python_lines_at(block: bytes, wanted: Iterable[int]) -> dict[int, bytes]:
    """Lines of a block by number (from 0; ``wanted`` in order), without splitting
    the others out (in C: ``_scan.lines_at``, without a call per line)."""
    found, number, start = {}, 0, 0
    for n in wanted:
        while number < n:
            start = block.index(b"\n", start) + 1
            number += 1
        end = block.find(b"\n", start)
        found[n] = block[start:] if end < 0 else block[start:end]
    return found


try:  # compiled by pip install (hatch_build.py)
    from dsr_app.matching._scan import lines as _lines
    from dsr_app.matching._scan import lines_at
except ImportError:  # pragma: no cover - a source tree nobody built
    _lines, lines_at = python_lines, python_lines_at


def block_rows(block: bytes) -> list[Row] | None:
    """``rows`` of the lines of a block (``manifests.jsonl_range_blocks``), read in
    one call, without the lines split out as objects first (splitting cost as much
    as decoding: docs/benchmarks.md, Matching); ``None`` when one of its lines is
    not one record: then ``block_lines`` and ``rows``.

    msgspec reads JSON values, whatever the lines: a value may span lines, and a
    line hold two. With no two values side by side on a line (``_TWO_VALUES``),
    every line holds at most the start of one, so as many rows as lines means one
    on each, whole.
    """
    try:
        found = _ROW.decode_lines(block)
    except _BAD_LINE:
        return None
    return found if len(found) == _lines(block) else None


def block_lines(block: bytes) -> list[bytes]:
    """The lines of a block without their line breaks, blank lines left out."""
    lines = block.split(b"\n")
    if not lines[-1]:
        lines.pop()
    return [line for line in lines if line.strip()] if b"" in lines else lines


def whole(line: bytes, dataset: str | None, version: str) -> dict | None:
    """One line read whole as a record (``record.read_record``), with its policy
    flags."""
    try:
        record = read_record(_decode(line), dataset, version)
    except _BAD_LINE:
        return None
    if record is not None:
        record["policy_flags"] = policy_flags(record)
    return record


def part_blocks(part: tuple) -> Iterator[bytes] | None:
    """The raw lines of a piece of JSON lines, whole lines a block at a time; ``None``
    for the index or Parquet."""
    kind, *args = part
    if kind == "range":  # lines of a .jsonl that begin in [start, end)
        path, start, end, protected, *_ = args
        return jsonl_range_blocks(Path(path), start, end, protected=protected)
    if kind == "file" and manifest_format(Path(args[0])) != "parquet":
        # whole lines a few megabytes at a time, with the reader limits of ingest
        path, protected, *_ = args
        blocks = jsonl_blocks(Path(path), Limits(), protected=protected)
        return (block for _, block in blocks)
    return None


def part_records(part: tuple) -> Iterator[dict]:
    """The records of one piece of work (see ``plan``), as the rules read them.

    The one reader of both engines: this machine's processes and Spark's executors
    (the local engine reads JSON lines with ``part_blocks`` and ``block_rows`` instead,
    which see the same records).
    """
    kind, *args = part
    if kind == "db":
        yield from _db_records(*args)
        return
    dataset, version = args[-2:]
    blocks = part_blocks(part)
    if blocks is None:  # Parquet
        path, protected, *_ = args
        found = (row for _, row in parquet_rows(Path(path), protected=protected))
    else:
        found = parsed(line for block in blocks for line in block_lines(block))
    yield from file_records(found, dataset, version)


def plan(
    db_path: str | None,
    manifests: list[Path] | None,
    dataset: str | None,
    version: str,
    pieces: int,
    protected: Iterable[Path] | None = None,
) -> list[tuple]:
    """Pieces of work, about ``pieces`` of them: id ranges of the index, or files,
    big .jsonl files split by bytes.

    A piece of a file names the folders whose files its reader refuses to read
    (``manifests.open_manifest``): ``protected``, by default those of the store at
    ``db_path`` (``config.secret_folders``), so that a worker on another machine
    (Spark's) refuses them too.
    """
    parts: list[tuple] = []
    if manifests:
        if protected is None:
            protected = config.secret_folders(Path(db_path)) if db_path else []
        secret = tuple(str(folder) for folder in protected)
        for path in manifests:
            size = path.stat().st_size
            if manifest_format(path) == "jsonl" and size > 8 * 1024 * 1024:
                step = size // max(pieces, 1) + 1
                for start in range(0, size, step):
                    end = min(size, start + step)
                    parts.append(
                        ("range", str(path), start, end, secret, dataset, version)
                    )
            else:
                parts.append(("file", str(path), secret, dataset, version))
        return parts
    from dsr_app.db import open_db

    db = open_db(db_path)
    low, high = db.execute("SELECT min(id), max(id) FROM records").fetchone()
    db.close()
    if low is None:
        return []
    step = (high - low) // max(pieces, 1) + 1
    return [("db", db_path, n, n + step) for n in range(low, high + 1, step)]

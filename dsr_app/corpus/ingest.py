"""Index manifest files into the store: records, identifier keys and full-text.

Each file is one transaction: it is stored whole or not at all (unless
``skip_invalid``, where its good lines are stored and the bad ones set aside).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import sqlite_utils

from dsr_app import config
from dsr_app.corpus.batches import prepared_batches
from dsr_app.corpus.manifests import (
    REJECTS_SUFFIX,
    Limits,
    ManifestRefused,
    file_sha256,
    manifest_files,
    manifest_format,
    parquet_num_rows,
)
from dsr_app.corpus.record import ABSENT
from dsr_app.corpus.records import Batch
from dsr_app.errors import BadInput
from dsr_app.sql import write_transaction

DEFAULT_VERSION = "1"

# Optional columns arrive as record.ABSENT when the record has no value.
_INSERT_RECORD = (
    "INSERT INTO records (id, manifest_id, dataset, dataset_version, record_id, text,"
    " content_sha256, source, kind, author_id, author_handle, author_handle_key,"
    " created_at, visibility, author_is_minor, lang, url, extra, policy_flags)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, {}, ?)".format(
        ", ".join([f"nullif(?, '{ABSENT}')"] * 11)
    )
)
_REBUILT_INDEXES = ("records_author_handle", "records_author_id")
_INSERT_KEY = "INSERT OR IGNORE INTO text_identifiers (value, record) VALUES (?, ?)"
_INSERT_FTS = "INSERT INTO records_fts (rowid, folded) VALUES (?, ?)"


class ManifestLineError(BadInput):
    """A bad line in strict mode: ``file:line: field: reason``."""

    def __init__(self, path: Path, line_no: int, field: str, reason: str):
        super().__init__(f"{path}:{line_no}", f"{field}: {reason}" if field else reason)
        self.path, self.line_no = path, line_no


@dataclass(frozen=True)
class FileReport:
    """What happened to one file."""

    path: Path
    status: str  # "ingested" or "unchanged"
    records: int = 0
    rejects: int = 0
    duplicates: int = 0
    violations: int = 0
    manifest_id: int | None = None


@dataclass(frozen=True)
class IngestReport:
    """What happened to every file of one ``dsr ingest`` run."""

    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def rejects(self) -> int:
        return sum(f.rejects for f in self.files)

    @property
    def violations(self) -> int:
        return sum(f.violations for f in self.files)

    @property
    def new_manifest_ids(self) -> list[int]:
        return [f.manifest_id for f in self.files if f.manifest_id is not None]

    def summary(self) -> str:
        """The one summary line ``dsr ingest`` always ends with."""
        unchanged = sum(f.status == "unchanged" for f in self.files)
        return (
            f"{len(self.files)} file(s) ({unchanged} unchanged), "
            f"{self.records:,} records, {self.rejects:,} rejects, "
            f"{self.violations:,} policy violations, {self.seconds:.1f} s"
        )


@dataclass
class _Batch:
    """Rows of one batch that made it in, counted."""

    records: int = 0
    duplicates: int = 0
    violations: int = 0
    clashes: list[tuple[int, tuple]] = field(default_factory=list)


def _clash_line(line_no: int, row: tuple) -> bytes:
    """A record refused for a clashing record_id, for the rejects file.

    The raw line is not kept for good lines (it would double the transfer from the
    workers), so the record is written back from its fields, with the reason.
    """
    dataset, version, record_id, text = row[2], row[3], row[4], row[5]
    return (
        orjson.dumps(
            {
                "record_id": record_id,
                "dataset": dataset,
                "text": text,
                "_rejected": f"line {line_no}: record_id already in {dataset!r} version"
                f" {version!r} with other content",
            }
        )
        + b"\n"
    )


def ingest(
    db: sqlite_utils.Database,
    paths: Iterable[str | Path],
    dataset: str | None = None,
    version: str | None = None,
    skip_invalid: bool = False,
    limits: Limits | None = None,
    workers: int | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    protected: Iterable[Path] | None = None,
) -> IngestReport:
    """Ingest every manifest file in ``paths`` (directories are searched).

    :param protected: folders no manifest is read from (``manifest_files``); by
        default the store's and the instance's.
    :raises BadInput: a path or file that cannot be ingested; files before it stay in.
    """
    started = time.monotonic()
    protected = _store_secrets(db) if protected is None else list(protected)
    files = manifest_files(paths, protected)
    reports = []
    for path in files:
        reports.append(
            ingest_file(
                db,
                path,
                dataset,
                version or DEFAULT_VERSION,
                skip_invalid,
                limits or Limits(),
                workers,
                batch_size,
                progress,
                protected,
            )
        )
    return IngestReport(reports, time.monotonic() - started)


def _store_secrets(db: sqlite_utils.Database) -> list[Path]:
    """The folders of ``db``'s store and instance (``config.secret_folders``)."""
    store = db.execute("PRAGMA database_list").fetchone()[2]
    return config.secret_folders(Path(store)) if store else []


def ingest_file(
    db: sqlite_utils.Database,
    path: Path,
    dataset: str | None,
    version: str,
    skip_invalid: bool,
    limits: Limits,
    workers: int | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
    protected: Sequence[Path] | None = None,
) -> FileReport:
    """Ingest one file in one transaction; the same file again is ``unchanged``.

    :param protected: folders whose files are never read, whatever ``path`` leads
        to (``manifests.open_manifest``); by default the store's and the instance's.
    """
    if protected is None:
        protected = _store_secrets(db)
    fmt = manifest_format(path)
    digest = file_sha256(path, protected)
    rejects_path = path.with_name(path.name + REJECTS_SUFFIX)
    if skip_invalid:
        _check_rejects_path(rejects_path)  # before anything is stored
    pending_rejects: Path | None = None
    rejects_file = None
    totals = _Batch()
    rejected = 0
    # A larger page cache keeps the index B-trees in memory during bulk inserts.
    db.conn.execute(f"PRAGMA cache_size = -{64 * 1024}")
    try:
        with write_transaction(db):
            # Checked under the write lock: two runs of one file cannot both ingest.
            if db.execute(
                "SELECT id FROM manifests WHERE file_sha256 = ? AND dataset_option = ?"
                " AND dataset_version = ?",
                [digest, dataset or "", version],
            ).fetchone():
                return FileReport(path, "unchanged")
            manifest_id = db.execute(
                "INSERT INTO manifests (file_name, file_sha256, format, dataset_option,"
                " dataset_version, records, rejects, violations, ingested_at)"
                " VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?)",
                [path.name, digest, fmt, dataset or "", version, _now()],
            ).lastrowid
            first_id = db.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM records"
            ).fetchone()[0]
            rebuild = (
                _drop_author_indexes(db.conn)
                if _records_estimate(path, fmt, protected) >= first_id
                else []
            )
            for batch in prepared_batches(
                path,
                fmt,
                dataset,
                version,
                limits,
                workers,
                batch_size,
                first_id,
                manifest_id,
                protected,
            ):
                for item in batch.rejects:
                    if not skip_invalid:
                        raise ManifestLineError(
                            path, item.line_no, item.field, item.reason
                        )
                    if rejects_file is None:
                        rejects_file, pending_rejects = _new_rejects(rejects_path)
                    rejects_file.write(
                        item.raw if item.raw.endswith(b"\n") else item.raw + b"\n"
                    )
                    rejected += 1
                counted = _write_batch(db.conn, path, batch, skip_invalid)
                for line_no, row in counted.clashes:
                    if rejects_file is None:
                        rejects_file, pending_rejects = _new_rejects(rejects_path)
                    rejects_file.write(_clash_line(line_no, row))
                    rejected += 1
                totals.records += counted.records
                totals.duplicates += counted.duplicates
                totals.violations += counted.violations
                if progress:
                    progress(len(batch.rows) + len(batch.rejects))
            for sql in rebuild:
                db.conn.execute(sql)
            db.execute(
                "UPDATE manifests SET records = ?, rejects = ?, violations = ?"
                " WHERE id = ?",
                [totals.records, rejected, totals.violations, manifest_id],
            )
            if rejects_file is not None:
                rejects_file.close()
        # Only after the commit: a rejects file never describes a rolled-back run.
        if rejects_file is not None:
            _check_rejects_path(rejects_path)
            os.replace(pending_rejects, rejects_path)  # replaces a name, follows none
    finally:
        if rejects_file is not None and not rejects_file.closed:
            rejects_file.close()
        if pending_rejects is not None and pending_rejects.exists():
            pending_rejects.unlink()
    return FileReport(
        path,
        "ingested",
        totals.records,
        rejected,
        totals.duplicates,
        totals.violations,
        manifest_id,
    )


def _check_rejects_path(rejects_path: Path) -> None:
    """Refuse a rejects path that holds anything but a regular file: a link planted
    there must not be followed, nor a folder or FIFO replaced (issue 16).

    :raises ManifestRefused: naming the rejects path.
    """
    try:
        mode = rejects_path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise ManifestRefused(
            str(rejects_path),
            "is a symbolic link; rejects are never written through one (remove it)",
        )
    if not stat.S_ISREG(mode):
        raise ManifestRefused(str(rejects_path), "exists and is not a regular file")


def _new_rejects(rejects_path: Path):
    """A new rejects file under a temporary name beside ``rejects_path``: created
    with O_EXCL and O_NOFOLLOW, mode 0600 (rejected lines are personal data), so
    nothing planted under that name is written into."""
    fd, name = tempfile.mkstemp(
        dir=rejects_path.parent, prefix=f".{rejects_path.name}.", suffix=".part"
    )
    return os.fdopen(fd, "wb"), Path(name)


def _records_estimate(path: Path, fmt: str, protected: Sequence[Path]) -> int:
    """About how many records a file holds, erring low (read from the footer of a
    Parquet file; JSON Lines records are rarely under 1 KiB, a fourth when gzipped)."""
    if fmt == "parquet":
        return parquet_num_rows(path, protected) or 0
    return path.stat().st_size // (256 if fmt == "jsonl.gz" else 1024)


def _drop_author_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the indexes on the records' authors; returns the SQL that makes them.

    For a file that at least doubles the store: building an index from sorted keys
    at the end costs a fraction of inserting its keys in random order
    (docs/benchmarks.md, Ingest). Inside the file's transaction, so readers and a
    rollback never see the store without them. The unique index stays: it finds
    clashing ids.
    """
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        " AND tbl_name = 'records' AND name IN (?, ?) ORDER BY name",
        _REBUILT_INDEXES,
    ).fetchall()
    for name, _ in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _write_batch(
    conn: sqlite3.Connection, path: Path, batch: Batch, skip_invalid: bool = False
) -> _Batch:
    """Insert one batch; on a clash of record ids, fall back to one row at a time."""
    conn.execute("SAVEPOINT batch")
    try:
        # executemany on the raw connection: sqlite-utils' insert_all is several
        # times slower here, and the transaction is ours (write_transaction).
        conn.executemany(_INSERT_RECORD, batch.rows)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO SAVEPOINT batch")
        conn.execute("RELEASE SAVEPOINT batch")
        return _write_rows_one_by_one(conn, path, batch, skip_invalid)
    conn.execute("RELEASE SAVEPOINT batch")
    conn.executemany(_INSERT_KEY, batch.keys)
    conn.executemany(_INSERT_FTS, batch.fts)
    return _Batch(len(batch.rows), 0, batch.violations)


def _write_rows_one_by_one(
    conn: sqlite3.Connection, path: Path, batch: Batch, skip_invalid: bool
) -> _Batch:
    """Insert rows singly: an identical record already stored is skipped as a
    duplicate; a different record under the same id is a bad line (set aside with
    ``skip_invalid``)."""
    counted = _Batch()
    written: set[int] = set()
    for row, line_no in zip(batch.rows, batch.line_nos, strict=True):
        dataset, version, record_id, digest = row[2], row[3], row[4], row[6]
        existing = conn.execute(
            "SELECT content_sha256 FROM records WHERE dataset = ?"
            " AND dataset_version = ? AND record_id = ?",
            [dataset, version, record_id],
        ).fetchone()
        if existing is None:
            conn.execute(_INSERT_RECORD, row)
            written.add(row[0])
            counted.records += 1
            counted.violations += 1 if row[-1] else 0
        elif existing[0] == digest:
            counted.duplicates += 1
        elif skip_invalid:
            counted.clashes.append((line_no, row))
        else:
            raise ManifestLineError(
                path,
                line_no,
                "record_id",
                f"{record_id!r} is already in dataset {dataset!r} version {version!r}"
                " with other content; give the new content a new --version",
            )
    conn.executemany(_INSERT_KEY, (k for k in batch.keys if k[1] in written))
    conn.executemany(_INSERT_FTS, (f for f in batch.fts if f[0] in written))
    return counted


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def limits_from_settings(settings: dict) -> Limits:
    """Reader limits from the app settings (``DSR_MAX_LINE_BYTES`` and friends)."""
    return Limits(
        max_line_bytes=int(settings["MAX_LINE_BYTES"]),
        max_gzip_ratio=int(settings["MAX_GZIP_RATIO"]),
        gzip_ratio_floor=int(settings["GZIP_RATIO_FLOOR_BYTES"]),
        max_json_depth=int(settings["MAX_JSON_DEPTH"]),
    )

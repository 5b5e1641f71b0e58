"""The SQLite store: open (WAL, foreign keys, migrations) and connect.

Framework-free: the web request's connection is dsr_app/server/connection.py's.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from dsr_app.file_modes import create_private_file
from dsr_app.migrations import migrations

WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes the WAL file keeps after a checkpoint


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store at ``path`` and apply pending migrations."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # 0600 before SQLite opens it, whatever the umask: the -wal and -shm SQLite
    # makes beside it take its mode (issue 16: the store was world-readable).
    create_private_file(path)
    db = connect(path)
    # 8 KiB pages (only takes effect on a new, empty file): manifest records are
    # about 1 KiB, and bigger pages made bulk ingest ~20% faster and the file smaller.
    db.conn.execute("PRAGMA page_size = 8192")
    # Kept in the file: every later connection works in WAL mode.
    db.conn.execute("PRAGMA journal_mode = WAL")
    migrations.apply(db)
    return db


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection to a store that ``open_db`` has created and migrated.

    The per-connection settings only: checking the migrations was most of what
    opening cost, on every web request (issue 7, load run; docs/benchmarks.md).
    """
    db = sqlite_utils.Database(Path(path), strict=True, execute_plugins=False)
    conn = db.conn
    # Readers and the writer work side by side (web app + CLI ingest); a second writer
    # waits up to 30 s for the lock instead of failing at once.
    conn.execute("PRAGMA busy_timeout = 30000")
    # NORMAL is durable in WAL mode except for the last commits on power loss; it
    # never corrupts the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # A big ingest passes the whole file through the WAL; without a limit the WAL
    # file keeps that size (a 1 GB manifest: about 1 GB more on disk) for as long
    # as any connection stays open, such as the web server's.
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    return db

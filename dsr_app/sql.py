"""SQL helpers every part uses on an open store: reading rows, one writing
transaction, a health check.

Below db.py (which opens and migrates), so that the audit log, which the
migrations seal, can write without importing the migrations back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlite_utils


def select_rows(
    db: sqlite_utils.Database, sql: str, params: Sequence = ()
) -> list[dict]:
    """The rows of a ``SELECT`` as dicts, for the queries every request runs.

    ``db.query()`` runs each statement inside a savepoint of its own (three
    statements, and a transaction begun and ended, for one read) to reject SQL
    that returns no rows; these are constant SELECTs (issue 7, load run). Column
    names must be unique.
    """
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def check(db: sqlite_utils.Database) -> None:
    """Raise unless the store answers a query (a health check's)."""
    db.execute("SELECT 1").fetchone()


def release(db: sqlite_utils.Database) -> None:
    """Roll back whatever a use of a kept connection left open."""
    if db.conn.in_transaction:
        db.conn.rollback()


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One writing transaction that takes the write lock at once (BEGIN IMMEDIATE).

    Reads inside it (such as the next free id) stay valid until it commits; on any
    exception everything since BEGIN is rolled back.
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")

"""Work done after answering: a durable queue in SQLite, run right after responses.

A job row is written in the same transaction as the change that calls for it, so
nothing is lost if the process stops; ``run_pending`` picks up whatever is left.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from . import deadlines
from .cases import resolve_ownership
from .search import search_and_store


def ownership_then_search(db: sqlite_utils.Database, request_id: str) -> int:
    """A channel was verified: who owns what, then search (issue 4: at once)."""
    resolve_ownership(db, request_id)
    return search_and_store(db, request_id, deadlines.now())


HANDLERS: dict[str, Callable[[sqlite_utils.Database, str], object]] = {
    "resolve_ownership": ownership_then_search,
}


def search_after_ingest(db: sqlite_utils.Database) -> int:
    """New manifests are in: search again for every open or decided request."""
    from .search import requests_to_search

    at = deadlines.now()
    count = 0
    for request_id in requests_to_search(db):
        search_and_store(db, request_id, at)
        count += 1
    return count


def run_pending(db: sqlite_utils.Database, limit: int = 100) -> int:
    """Run up to ``limit`` pending jobs in order; returns how many ran."""
    ran = 0
    for job_id, kind, request_id in db.execute(
        "SELECT id, kind, request_id FROM jobs WHERE done_at IS NULL ORDER BY id"
        " LIMIT ?",
        [limit],
    ).fetchall():
        # Claim the job first, so that two processes never run it twice.
        claimed = db.execute(
            "UPDATE jobs SET done_at = ? WHERE id = ? AND done_at IS NULL",
            [deadlines.now().isoformat(), job_id],
        ).rowcount
        if not claimed:
            continue
        try:
            HANDLERS[kind](db, request_id)
        except Exception as exc:  # noqa: BLE001 - recorded, never lost silently
            db.execute("UPDATE jobs SET error = ? WHERE id = ?", [repr(exc), job_id])
        ran += 1
    return ran

"""Work done after answering: a durable queue in SQLite, run right after responses.

A job row is written in the same transaction as the change that calls for it, so
nothing is lost if the process stops; ``run_pending`` picks up whatever is left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlite_utils

from dsr_app import deadlines
from dsr_app.cases.ownership import resolve_ownership
from dsr_app.matching.search import search_and_store


def ownership_then_search(db: sqlite_utils.Database, request_id: str) -> int:
    """A channel was verified: who owns what, then search (issue 4: at once) once
    the e-mail is verified (a phone alone does not open a case)."""
    resolve_ownership(db, request_id)
    verified = db.execute(
        "SELECT email_verified_at FROM requests WHERE id = ?", [request_id]
    ).fetchone()
    if not verified or not verified[0]:
        return 0
    return search_and_store(db, request_id, deadlines.now())


def letter_pdfs(db: sqlite_utils.Database, request_id: str) -> int:
    """An issued letter's PDF, made off the request path (review.issued)."""
    from dsr_app.review.issued import make_pdfs

    return make_pdfs(db, request_id)


# Records the pointer index takes in one job; the rest in the next, after the
# jobs queued meanwhile (a new request's search does not wait for a whole corpus).
INDEX_SLICE = 100_000


def pointer_index(db: sqlite_utils.Database, _request_id: None = None) -> int:
    """New records into the pointer index (matching/pointer_index.py), a slice at
    a time; once it holds them all, search again for each request that gave a link
    or a passage, whose last search read the index before. Returns how many
    records it indexed."""
    from dsr_app.matching.pointer_index import refresh_index, unindexed
    from dsr_app.matching.pointers import searches_index
    from dsr_app.matching.search import requests_to_search

    indexed = refresh_index(db, limit=INDEX_SLICE)
    if unindexed(db):
        queue_pointer_index(db)
    elif indexed:
        at = deadlines.now()
        for request_id in requests_to_search(db):
            if searches_index(db, request_id):
                search_and_store(db, request_id, at)
    return indexed


def queue_pointer_index(db: sqlite_utils.Database) -> bool:
    """Queue a ``pointer_index`` job if the index lacks records and no such job
    waits to run; whether it did."""
    waiting = db.execute(
        "SELECT 1 FROM jobs WHERE kind = 'pointer_index' AND done_at IS NULL"
        " AND claimed_at IS NULL AND attempts < ? LIMIT 1",
        [MAX_ATTEMPTS],
    ).fetchone()
    new = db.execute(
        "SELECT 1 FROM records WHERE id > (SELECT indexed_to FROM pointer_index)"
        " LIMIT 1"
    ).fetchone()
    if waiting or not new:
        return False
    db.execute(
        "INSERT INTO jobs (kind, created_at) VALUES ('pointer_index', ?)",
        [deadlines.now().isoformat()],
    )
    return True


HANDLERS: dict[str, Callable[[sqlite_utils.Database, str | None], object]] = {
    "resolve_ownership": ownership_then_search,
    "letter_pdf": letter_pdfs,
    "pointer_index": pointer_index,
}


def manifest_mark(db: sqlite_utils.Database) -> int:
    """The newest stored manifest's id (0 if none): taken before an ingest, it tells
    ``search_after_ingest`` which manifests are new."""
    return db.execute("SELECT coalesce(max(id), 0) FROM manifests").fetchone()[0]


def search_after_ingest(
    db: sqlite_utils.Database, since: int, instance: Path | None = None
) -> int:
    """If manifests came in after ``since`` (a ``manifest_mark``): queue the
    pointer index's job for their records, search again for every open or decided
    request, and issue follow-up removal lists for approved objections and
    erasures. Returns how many requests were searched."""
    from dsr_app.matching.search import requests_to_search
    from dsr_app.removal.lists import follow_up
    from dsr_app.sql import write_transaction

    newer = "SELECT 1 FROM manifests WHERE id > ? LIMIT 1"
    if db.execute(newer, [since]).fetchone() is None:
        return 0
    queue_pointer_index(db)
    at = deadlines.now()
    count = 0
    for request_id in requests_to_search(db):
        search_and_store(db, request_id, at)
        if instance is not None:
            with write_transaction(db):
                follow_up(db, request_id, instance, at)
        count += 1
    return count


MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)


def run_pending(db: sqlite_utils.Database, limit: int = 100) -> int:
    """Run up to ``limit`` pending jobs in order; returns how many succeeded.

    A job is claimed before it runs (two processes never run it at once), marked
    done only when it succeeds, and retried by a later run otherwise (at most 5
    times; a claim older than 5 minutes is taken to have died with its process).
    """
    ran = 0
    at = deadlines.now()
    stale = (at - LEASE).isoformat()
    pending = db.execute(
        "SELECT id, kind, request_id FROM jobs WHERE done_at IS NULL AND attempts < ?"
        " AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY id LIMIT ?",
        [MAX_ATTEMPTS, stale, limit],
    ).fetchall()
    for job_id, kind, request_id in pending:
        claimed = db.execute(
            "UPDATE jobs SET claimed_at = ?, attempts = attempts + 1 WHERE id = ?"
            " AND done_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)",
            [at.isoformat(), job_id, stale],
        ).rowcount
        if not claimed:
            continue
        try:
            HANDLERS[kind](db, request_id)
        except Exception as exc:  # noqa: BLE001 - kept for a retry, never lost
            db.execute(
                "UPDATE jobs SET claimed_at = NULL, error = ? WHERE id = ?",
                [repr(exc)[:1000], job_id],
            )
            continue
        db.execute(
            "UPDATE jobs SET done_at = ?, error = NULL WHERE id = ?",
            [deadlines.now().isoformat(), job_id],
        )
        ran += 1
    return ran

"""Per-request search over the index: candidates by B-tree and FTS5, then the rules.

The index narrows 1,000,000 records to the few that could concern a requester; the
shared rules of matching.py decide. Results are stored with the request, keeping staff
decisions on matches that are still found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import sqlite_utils

from dsr_app.corpus.record import STORED_COLUMNS
from dsr_app.matching.identity import CONTENT, Identity, Match
from dsr_app.matching.pointers import pointer_matches
from dsr_app.matching.reasons import rule_of
from dsr_app.matching.rules import match_record
from dsr_app.review.items import follow_item_decisions
from dsr_app.sql import write_transaction

_RECORD_COLUMNS = ", ".join(STORED_COLUMNS)
# Requests whose searches follow new data (issue 4: a new dataset version must not
# bring back what someone objected to).
SEARCHED_STATUSES = ("in_review", "needs_info", "completed")
MAX_NAME_CANDIDATES = 50_000


def identity_for(db: sqlite_utils.Database, request_id: str) -> Identity:
    """What to search for: only what the requester proved is ``verified``."""
    row = db.execute(
        "SELECT country, full_name, email, phone, email_verified_at, phone_verified_at"
        " FROM requests WHERE id = ?",
        [request_id],
    ).fetchone()
    country, full_name, email, phone, email_ok, phone_ok = row
    owned = db.execute(
        "SELECT DISTINCT o.account_id, a.handle FROM owned_accounts o"
        " LEFT JOIN accounts a ON a.account_id = o.account_id WHERE o.request_id = ?",
        [request_id],
    ).fetchall()
    named = [
        r[0]
        for r in db.execute(
            "SELECT handle FROM request_handles WHERE request_id = ?", [request_id]
        )
    ]
    return Identity.build(
        request_id=request_id,
        country=country,
        full_name=full_name,
        email=email if email_ok else None,
        phone=phone if phone_ok else None,
        account_ids=frozenset(a for a, _ in owned),
        verified_handles=frozenset(h for _, h in owned if h),
        other_handles=frozenset(named),
    )


def _fts_query(identity: Identity) -> str | None:
    """An FTS5 query for every spelling of the name: all its words, in any order."""
    # "Lastname, Firstname" is the same set of words: one group per set.
    word_sets = {frozenset(v.split()) for v in identity.names} - {frozenset()}
    groups = sorted(
        "(" + " AND ".join(f'"{w}"' for w in sorted(words)) + ")" for words in word_sets
    )
    return " OR ".join(groups) or None


def candidate_ids(db: sqlite_utils.Database, identity: Identity) -> set[int]:
    """Ids of records that could concern ``identity`` (a superset of the matches)."""
    ids: set[int] = set()
    if identity.account_ids:
        marks = ",".join("?" * len(identity.account_ids))
        ids.update(
            r[0]
            for r in db.execute(
                f"SELECT id FROM records WHERE author_id IN ({marks})",
                sorted(identity.account_ids),
            )
        )
    if identity.verified_handles:
        marks = ",".join("?" * len(identity.verified_handles))
        ids.update(
            r[0]
            for r in db.execute(
                f"SELECT id FROM records WHERE author_handle_key IN ({marks})"
                " AND author_id IS NULL",
                sorted(identity.verified_handles),
            )
        )
    keys = set(identity.phone_keys())
    if identity.email_key:
        keys.add("e:" + identity.email_key)
    keys.update("h:" + h for h in identity.verified_handles | identity.other_handles)
    if keys:
        marks = ",".join("?" * len(keys))
        ids.update(
            r[0]
            for r in db.execute(
                f"SELECT record FROM text_identifiers WHERE value IN ({marks})",
                sorted(keys),
            )
        )
    query = _fts_query(identity)
    if query:
        ids.update(
            r[0]
            for r in db.execute(
                # A bound on name candidates: a name of common words must not
                # load the whole corpus (name_variants refuses one-word names).
                "SELECT rowid FROM records_fts WHERE records_fts MATCH ? LIMIT ?",
                [query, MAX_NAME_CANDIDATES],
            )
        )
    return ids


def _records(db: sqlite_utils.Database, ids: Iterable[int]) -> Iterable[dict]:
    ids = sorted(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE id IN ({marks})"
            " AND text IS NOT NULL",
            chunk,
        ):
            yield dict(zip(STORED_COLUMNS, row, strict=True))


def search(db: sqlite_utils.Database, identity: Identity) -> list[Match]:
    """Every match of ``identity`` in the indexed manifests."""
    return [
        m
        for record in _records(db, candidate_ids(db, identity))
        for m in match_record(record, identity)
    ]


def indexed_versions(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """Every (dataset, version) in the index, in order.

    A few probes along the records' unique index (one per dataset and version):
    ``SELECT DISTINCT`` read every record, a cost linear in the corpus, and ran
    once per verification and per request in each sweep (issue 7).
    """
    versions: list[tuple[str, str]] = []
    dataset = db.execute("SELECT min(dataset) FROM records").fetchone()[0]
    while dataset is not None:
        version = db.execute(
            "SELECT min(dataset_version) FROM records WHERE dataset = ?", [dataset]
        ).fetchone()[0]
        while version is not None:
            versions.append((dataset, version))
            version = db.execute(
                "SELECT min(dataset_version) FROM records"
                " WHERE dataset = ? AND dataset_version > ?",
                [dataset, version],
            ).fetchone()[0]
        dataset = db.execute(
            "SELECT min(dataset) FROM records WHERE dataset > ?", [dataset]
        ).fetchone()[0]
    return versions


def store_matches(
    db: sqlite_utils.Database,
    request_id: str,
    matches: list[Match],
    at: datetime,
    engine: str,
    scope: list[tuple[str, str]] | None = None,
    searched: list[tuple[str, str]] | None = None,
) -> None:
    """Replace the request's matches within ``scope`` (all indexed versions if
    ``None``); ``searched``: the versions to record as searched (default: scope).

    An undecided match no longer found goes. A decided match is never deleted nor
    rewritten: an answered case stays as it was answered (its letter and lists
    name it) even when its text was purged since or a new version changes it, and
    what a later search finds becomes a follow-up (removal.follow_up; issue 16).
    """
    if scope is None:
        scope = indexed_versions(db)
    stamp = at.isoformat()
    with write_transaction(db):
        for m in matches:
            db.execute(
                "INSERT INTO matches (match_id, request_id, dataset, dataset_version,"
                " record_id, match_kind, matched_on, confidence, snippet, policy_flags,"
                " found_at, seen_at, rule, matched_words)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (match_id) DO UPDATE SET"
                " confidence = excluded.confidence, snippet = excluded.snippet,"
                " policy_flags = excluded.policy_flags, seen_at = excluded.seen_at,"
                " rule = excluded.rule, matched_words = excluded.matched_words"
                " WHERE matches.decision IS NULL",
                [
                    m.match_id,
                    request_id,
                    m.dataset,
                    m.dataset_version,
                    m.record_id,
                    m.match_kind,
                    m.matched_on,
                    m.confidence,
                    m.snippet,
                    json.dumps(list(m.policy_flags)),
                    stamp,
                    stamp,
                    rule_of(m.matched_on, m.confidence, m.rule),
                    m.matched_words,
                ],
            )
        # A new rule matching a record staff decided: one item, one decision.
        follow_item_decisions(db, request_id, at)
        for dataset, version in scope:
            # Copies by other authors (``content``) are the follow-up's, not the
            # search's, to find: they wait for staff until decided.
            db.execute(
                "DELETE FROM matches WHERE request_id = ? AND dataset = ?"
                " AND dataset_version = ? AND seen_at != ? AND decision IS NULL"
                " AND matched_on != ?",
                [request_id, dataset, version, stamp, CONTENT],
            )
        db.execute(
            "INSERT INTO searches (request_id, searched_at, engine, scope, matches)"
            " VALUES (?, ?, ?, ?, ?)",
            [request_id, stamp, engine, json.dumps(searched or scope), len(matches)],
        )


def search_and_store(db: sqlite_utils.Database, request_id: str, at: datetime) -> int:
    """Search the index for one request and store the result; returns the count."""
    identity = identity_for(db, request_id)
    matches = search(db, identity)
    # The items the person pointed to, found again with every search (issue 20).
    versions = indexed_versions(db)
    matches += pointer_matches(db, identity, matches, versions)
    store_matches(db, request_id, matches, at, "index", versions)
    return len(matches)


def requests_to_search(db: sqlite_utils.Database) -> list[str]:
    """Verified requests whose matches must follow new manifests."""
    marks = ",".join("?" * len(SEARCHED_STATUSES))
    return [
        r[0]
        for r in db.execute(
            f"SELECT id FROM requests WHERE status IN ({marks})"
            " AND email_verified_at IS NOT NULL ORDER BY received_at",
            list(SEARCHED_STATUSES),
        )
    ]

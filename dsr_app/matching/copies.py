"""Copies of a listed item's text, found when new manifests come in (issue 16).

A content hash alone does not identify an item: five authors post "Happy birthday!!"
and every empty record has the same hash. A copy by the listed item's own author
(same hash, same ``author_id``) is the same item and is listed without review; a
copy by anyone else is another person's post until legal staff decide otherwise,
so it is stored as a weak ``content`` match of the request and never removed or
purged on its own (contract section 6, v2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import sqlite_utils

from dsr_app.corpus.record import STORED_COLUMNS, policy_flag_names
from dsr_app.matching.identity import CONTENT, Identity, Match
from dsr_app.matching.masking import snippet
from dsr_app.matching.search import identity_for


def candidate(record: Mapping, identity: Identity) -> Match:
    """Another author's copy of a text the requester had removed: a weak match of
    their own content, shown with other people's identifiers masked."""
    return Match(
        identity.request_id,
        record["dataset"],
        record["dataset_version"],
        record["record_id"],
        "own",
        CONTENT,
        "weak",
        snippet(record["text"], (0, 0), identity, record),
        tuple(policy_flag_names(int(record.get("policy_flags") or 0))),
    )


def same_items(
    db: sqlite_utils.Database,
    request_id: str,
    earlier: list[dict],
    listed: set[tuple[str, str]],
    stamp: str,
) -> list[tuple[str, str, str, str, str]]:
    """Records carrying the content hash of an ``earlier`` list entry, not listed.

    Returns the copies by the entry's own author, as (dataset, record_id, hash,
    author_id, match kind) to list at once. Stores every other copy as a weak
    ``content`` match for staff, unless the search matched that record already; an
    empty text is nobody's copy of anything and is skipped.
    """
    hashes = {e["content_sha256"].lower() for e in earlier if e["content_sha256"]}
    if not hashes:
        return []
    kinds = {
        (e["content_sha256"].lower(), e["author_id"]): (
            "own" if e["reason"] == "own_content" else "mention"
        )
        for e in earlier
        if e["content_sha256"] and e.get("author_id")
    }
    matched = set(
        db.execute(
            "SELECT dataset, dataset_version, record_id FROM matches"
            " WHERE request_id = ?",
            [request_id],
        ).fetchall()
    )
    marks = ",".join("?" * len(hashes))
    same, identity = [], None
    for values in db.execute(
        f"SELECT {', '.join(STORED_COLUMNS)} FROM records"
        f" WHERE content_sha256 IN ({marks}) ORDER BY id",
        sorted(hashes),
    ).fetchall():
        record = dict(zip(STORED_COLUMNS, values, strict=True))
        dataset, version, record_id = (
            record["dataset"],
            record["dataset_version"],
            record["record_id"],
        )
        if (dataset, record_id) in listed:
            continue
        kind = kinds.get((record["content_sha256"], record["author_id"]))
        if kind:
            same.append(
                (
                    dataset,
                    record_id,
                    record["content_sha256"],
                    record["author_id"],
                    kind,
                )
            )
            continue
        text = record["text"]
        if not (text and text.strip()) or (dataset, version, record_id) in matched:
            continue
        if identity is None:
            identity = identity_for(db, request_id)
        found = candidate(record, identity)
        db.execute(
            "INSERT OR IGNORE INTO matches (match_id, request_id, dataset,"
            " dataset_version, record_id, match_kind, matched_on, confidence, snippet,"
            " policy_flags, content_sha256, found_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                found.match_id,
                request_id,
                dataset,
                version,
                record_id,
                found.match_kind,
                found.matched_on,
                found.confidence,
                found.snippet,
                json.dumps(list(found.policy_flags)),
                record["content_sha256"],
                stamp,
                stamp,
            ],
        )
    return same

"""Removal lists: issued with an approved objection or erasure, signed, applied by
training pipelines to their manifests, and checked afterwards.

A list names records by dataset and record id, with their content hash and author's
account id, plus keyed hashes of the requester's identifiers; never a name, e-mail,
phone or text in clear.

A content hash alone does not identify an item: five authors post "Happy birthday!!"
and every empty record has the same hash. A record leaves a manifest when its
dataset and record id match an entry, or when its hash and its author both do
(contract section 6, v2); other authors' copies are shown to staff, never removed or
purged without review (issue 16).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import orjson
import sqlite_utils

from dsr_app import audit
from dsr_app.errors import NotFound
from dsr_app.identifiers import index_text, text_identifier_keys
from dsr_app.matching import copies, pointer_index
from dsr_app.signing import canonical, sign, suppression_hash

FORMAT = "dsr-removal-list/1"
REMOVAL_TYPES = ("objection", "erasure")  # the requests a removal list answers


def legal_basis(row: dict) -> str:
    """The article a removal rests on: Art. 21(1) for an objection; for an erasure
    Art. 17(1) with the ground staff chose ((a) to (f)), or without one when none
    was chosen (issue 18, item 5: never a ground the record does not hold)."""
    if row["type"] == "objection":
        return "GDPR Art. 21(1)"
    ground = row.get("erasure_ground")
    return f"GDPR Art. 17(1)({ground})" if ground else "GDPR Art. 17(1)"


def _suppression(db: sqlite_utils.Database, row: dict, folder: Path) -> list[dict]:
    """Keyed hashes of the owned accounts, verified e-mail and phone, owned handles."""
    values: list[tuple[str, str]] = []
    for account_id, handle in db.execute(
        "SELECT DISTINCT o.account_id, a.handle FROM owned_accounts o LEFT JOIN"
        " accounts a ON a.account_id = o.account_id WHERE o.request_id = ?",
        [row["id"]],
    ):
        values.append(("account_id", account_id))
        if handle:
            values.append(("handle", handle.lower()))
    if row["email_verified_at"]:
        values.append(("email", row["email"].lower()))
    if row["phone_verified_at"] and row["phone"]:
        values.append(("phone", row["phone"]))
    return [
        {"type": kind, "hmac_sha256": suppression_hash(folder, kind, value)}
        for kind, value in sorted(set(values))
    ]


def _entry(
    dataset: str, record_id: str, digest: str | None, author: str | None, kind: str
) -> dict:
    """A list entry; ``author_id`` only when the record names one (an entry without
    it matches by dataset and record id alone)."""
    entry = {"dataset": dataset, "record_id": record_id, "content_sha256": digest or ""}
    if author:
        entry["author_id"] = author
    entry["reason"] = "own_content" if kind == "own" else "mention"
    return entry


def _entry_key(entry: dict) -> tuple:
    return (
        entry["dataset"],
        entry["record_id"],
        entry["content_sha256"],
        entry.get("author_id"),
    )


def issue(
    db: sqlite_utils.Database,
    request_id: str,
    staff_id: int,
    folder: Path,
    at: datetime,
) -> dict:
    """Issue and store the signed list of an approved objection or erasure.

    Call inside the decision's transaction: decision, list and audit entry are one.
    """
    row = dict(next(db.query("SELECT * FROM requests WHERE id = ?", [request_id])))
    unique: dict[tuple, dict] = {}
    for dataset, record_id, digest, author, kind in db.execute(
        "SELECT DISTINCT m.dataset, m.record_id, r.content_sha256, r.author_id,"
        " m.match_kind FROM matches m LEFT JOIN records r ON r.dataset = m.dataset"
        " AND r.dataset_version = m.dataset_version AND r.record_id = m.record_id"
        " WHERE m.request_id = ? AND m.decision = 'include'"
        " ORDER BY m.dataset, m.record_id, m.match_kind DESC",
        [request_id],
    ):
        entry = _entry(dataset, record_id, digest, author, kind)
        # Own content wins over mention for the same record.
        unique.setdefault(_entry_key(entry), entry)
    suppression = _suppression(db, row, folder)
    document = sign(
        {
            "format": FORMAT,
            "id": "rl_" + secrets.token_urlsafe(12),
            "request_id": request_id,
            "request_type": row["type"],
            "legal_basis": legal_basis(row),
            "issued_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "approved_by": str(staff_id),
            "entries": list(unique.values()),
            "suppression": suppression,
        },
        folder,
    )
    db.execute(
        "INSERT INTO removal_lists (id, request_id, issued_at, entries, document)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            document["id"],
            request_id,
            document["issued_at"],
            len(unique),
            json.dumps(document, ensure_ascii=False),
        ],
    )
    for item in suppression:
        db.execute(
            "INSERT OR IGNORE INTO suppression (type, hmac_sha256, request_id,"
            " added_at) VALUES (?, ?, ?, ?)",
            [item["type"], item["hmac_sha256"], request_id, at.isoformat()],
        )
    audit.append(
        db,
        f"staff:{staff_id}",
        "removal_list_issued",
        request_id,
        {
            "list_id": document["id"],
            "entries": len(unique),
            "suppression": len(suppression),
            # The list as signed: a stored list swapped later no longer matches.
            "document_sha256": hashlib.sha256(canonical(document)).hexdigest(),
        },
        at,
    )
    if row["type"] == "erasure":
        purge(db, request_id, unique.values())
    return document


def purge(db: sqlite_utils.Database, request_id: str, entries: Iterable[dict]) -> int:
    """Erase the text of removed records from our own index (Art. 17): dataset,
    record id and hash stay, so that removal can still be verified; the full-text
    and identifier entries go, and later searches cannot bring the text back.

    ``entries``: the requester's own items and the mentions staff approved, never a
    mere copy of their text. A record under a listed id but by another author (a
    dataset that reuses ids) is another person's item and keeps its text (issue 16).
    """
    count = 0
    for entry in entries:
        author = entry.get("author_id")
        for record, text in db.execute(
            "SELECT id, text FROM records WHERE dataset = ? AND record_id = ?"
            " AND text IS NOT NULL AND (? IS NULL OR author_id IS NULL"
            " OR author_id = ?)",
            [entry["dataset"], entry["record_id"], author, author],
        ).fetchall():
            searchable = index_text(text)
            pointer_index.forget(db, record)  # its URL and passage prints (issue 20)
            db.execute(
                "INSERT INTO records_fts (records_fts, rowid, folded)"
                " VALUES ('delete', ?, ?)",
                [record, searchable],
            )
            for key in text_identifier_keys(text):
                db.execute(
                    "DELETE FROM text_identifiers WHERE value = ? AND record = ?",
                    [key, record],
                )
            db.execute(
                "UPDATE records SET text = NULL, author_id = NULL,"
                " author_handle = NULL, author_handle_key = NULL, url = NULL,"
                " extra = NULL WHERE id = ?",
                [record],
            )
            count += 1
        # Every snippet but that of a version kept above as another author's.
        db.execute(
            "UPDATE matches SET snippet = '[erased]' WHERE request_id = ?"
            " AND dataset = ? AND record_id = ? AND dataset_version NOT IN"
            " (SELECT dataset_version FROM records WHERE dataset = ?"
            " AND record_id = ? AND text IS NOT NULL)",
            [request_id, *[entry["dataset"], entry["record_id"]] * 2],
        )
    return count


def follow_up(
    db: sqlite_utils.Database,
    request_id: str,
    folder: Path,
    at: datetime,
    staff_id: int | None = None,
) -> dict | None:
    """After new manifests: a follow-up list for an approved objection or erasure.

    New verified matches, and new copies of a listed item by the same author (same
    content hash and ``author_id`` as an entry of an earlier list), are included at
    once and issued, signed and audited, linked to the first list, without a new
    request. New weak matches, and copies of a listed text by anyone else, wait for
    legal staff (weak ``content`` matches, counted in ``follow_up_weak``, shown in
    the queue): a hash alone does not make someone else's post the requester's.
    """
    row = dict(next(db.query("SELECT * FROM requests WHERE id = ?", [request_id])))
    if row["status"] != "completed" or row["type"] not in REMOVAL_TYPES:
        return None
    first = db.execute(
        "SELECT id FROM removal_lists WHERE request_id = ? ORDER BY issued_at, rowid"
        " LIMIT 1",
        [request_id],
    ).fetchone()
    if first is None:
        return None
    earlier = [e for doc in _documents(db, request_id) for e in doc["entries"]]
    listed = {(e["dataset"], e["record_id"]) for e in earlier}
    stamp = at.isoformat()
    new_verified = db.execute(
        "UPDATE matches SET decision = 'include', decided_by = 'system', decided_at = ?"
        " WHERE request_id = ? AND decision IS NULL AND confidence = 'verified'",
        [stamp, request_id],
    ).rowcount
    entries = {}
    for dataset, record_id, digest, author, kind in db.execute(
        "SELECT DISTINCT m.dataset, m.record_id, r.content_sha256, r.author_id,"
        " m.match_kind FROM matches m LEFT JOIN records r ON r.dataset = m.dataset"
        " AND r.dataset_version = m.dataset_version AND r.record_id = m.record_id"
        " WHERE m.request_id = ? AND m.decision = 'include'"
        " ORDER BY m.match_kind DESC",
        [request_id],
    ):
        if (dataset, record_id) not in listed:
            entries.setdefault(
                (dataset, record_id), _entry(dataset, record_id, digest, author, kind)
            )
    for dataset, record_id, digest, author, kind in copies.same_items(
        db, request_id, earlier, listed, stamp
    ):
        entries.setdefault(
            (dataset, record_id), _entry(dataset, record_id, digest, author, kind)
        )
    for dataset, record_id in entries:
        # A record removed anyway: its other (weak) matches need no decision, and
        # those the approval left out are the same item (review.items; issue 20).
        db.execute(
            "UPDATE matches SET decision = 'include', decided_by = 'system',"
            " decided_at = ? WHERE request_id = ? AND dataset = ? AND record_id = ?"
            " AND (decision IS NULL OR decided_by = 'weak_left_out')",
            [stamp, request_id, dataset, record_id],
        )
    weak = db.execute(
        "SELECT count(*) FROM matches WHERE request_id = ? AND decision IS NULL",
        [request_id],
    ).fetchone()[0]
    db.execute(
        "UPDATE requests SET follow_up_weak = ? WHERE id = ?", [weak, request_id]
    )
    if row["type"] == "erasure":
        # Erased text must not come back with a new version of a dataset: purge the
        # new entries and any new version of an item listed before.
        purge(db, request_id, [*entries.values(), *earlier])
    if not entries:
        return None
    document = sign(
        {
            "format": FORMAT,
            "id": "rl_" + secrets.token_urlsafe(12),
            "request_id": request_id,
            "request_type": row["type"],
            "legal_basis": legal_basis(row),
            "issued_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "approved_by": "system",
            "follow_up_of": first[0],
            "entries": sorted(
                entries.values(), key=lambda e: (e["dataset"], e["record_id"])
            ),
            "suppression": _suppression(db, row, folder),
        },
        folder,
    )
    db.execute(
        "INSERT INTO removal_lists (id, request_id, issued_at, entries, document,"
        " follow_up_of) VALUES (?, ?, ?, ?, ?, ?)",
        [
            document["id"],
            request_id,
            document["issued_at"],
            len(entries),
            json.dumps(document, ensure_ascii=False),
            first[0],
        ],
    )
    audit.append(
        db,
        f"staff:{staff_id}" if staff_id else "system",
        "removal_list_follow_up",
        request_id,
        {
            "list_id": document["id"],
            "follow_up_of": first[0],
            "entries": len(entries),
            "auto_included": new_verified,
        },
        at,
    )
    return document


def _documents(db: sqlite_utils.Database, request_id: str) -> list[dict]:
    return [
        json.loads(r[0])
        for r in db.execute(
            "SELECT document FROM removal_lists WHERE request_id = ?", [request_id]
        )
    ]


def stored_list(db: sqlite_utils.Database, list_id: str) -> dict:
    """A stored removal list as issued.

    :raises NotFound: no list has this id.
    """
    document = next(stored_lists(db, [list_id]), None)
    if document is None:
        raise NotFound("no such removal list")
    return document


def stored_lists(db: sqlite_utils.Database, list_ids: list[str]) -> Iterator[dict]:
    """The stored lists among ``list_ids`` as issued, oldest first, in one query;
    unknown ids are left out.

    One document at a time: the clearance gate adds each to its targets and lets
    it go (issue 19), instead of holding every list's entries twice.
    """
    for (document,) in db.execute(
        "SELECT document FROM removal_lists WHERE id IN (SELECT value FROM"
        " json_each(?)) ORDER BY issued_at, rowid",
        [json.dumps(list_ids)],
    ):
        yield orjson.loads(document)

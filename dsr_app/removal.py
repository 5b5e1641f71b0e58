"""Removal lists: issued with an approved objection or erasure, signed, applied by
training pipelines to their manifests, and checked afterwards.

A list names records by dataset and record id, with their content hash, plus keyed
hashes of the requester's identifiers; never a name, e-mail, phone or text in clear.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlite_utils

from . import audit
from .identifiers import fold, text_identifier_keys
from .signing import sign, suppression_hash

FORMAT = "dsr-removal-list/1"
LEGAL_BASIS = {"objection": "GDPR Art. 21(1)", "erasure": "GDPR Art. 17(1)(c)"}


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
    entries = [
        {
            "dataset": m[0],
            "record_id": m[1],
            "content_sha256": m[2] or "",
            "reason": "own_content" if m[3] == "own" else "mention",
        }
        for m in db.execute(
            "SELECT DISTINCT m.dataset, m.record_id, r.content_sha256, m.match_kind"
            " FROM matches m LEFT JOIN records r ON r.dataset = m.dataset"
            " AND r.dataset_version = m.dataset_version AND r.record_id = m.record_id"
            " WHERE m.request_id = ? AND m.decision = 'include'"
            " ORDER BY m.dataset, m.record_id, m.match_kind DESC",
            [request_id],
        )
    ]
    unique: dict[tuple[str, str, str], dict] = {}
    for entry in entries:  # own content wins over mention for the same record
        unique.setdefault(
            (entry["dataset"], entry["record_id"], entry["content_sha256"]), entry
        )
    suppression = _suppression(db, row, folder)
    document = sign(
        {
            "format": FORMAT,
            "id": "rl_" + secrets.token_urlsafe(12),
            "request_id": request_id,
            "request_type": row["type"],
            "legal_basis": LEGAL_BASIS[row["type"]],
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
        },
        at,
    )
    if row["type"] == "erasure":
        purge(db, request_id, unique.values())
    return document


def purge(db: sqlite_utils.Database, request_id: str, entries: Iterable[dict]) -> int:
    """Erase the text of removed records from our own index (Art. 17): dataset,
    record id and hash stay, so that removal can still be verified; the full-text
    and identifier entries go, and later searches cannot bring the text back."""
    count = 0
    for entry in entries:
        for record, text in db.execute(
            "SELECT id, text FROM records WHERE dataset = ? AND record_id = ?"
            " AND text IS NOT NULL",
            [entry["dataset"], entry["record_id"]],
        ).fetchall():
            searchable = text if text.isascii() else fold(text)
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
        db.execute(
            "UPDATE matches SET snippet = '[erased]' WHERE request_id = ?"
            " AND dataset = ? AND record_id = ?",
            [request_id, entry["dataset"], entry["record_id"]],
        )
    return count

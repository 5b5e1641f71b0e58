"""The audit log: append-only, each entry chained to the one before by SHA-256.

Editing, removing or reordering an entry breaks the chain, which ``verify`` (and
``dsr audit verify``) reports with the first bad entry. Triggers refuse UPDATE and
DELETE; the chain catches changes made around them (another tool, a copied file).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from .db import write_transaction

GENESIS = "0" * 64


def entry_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    request_id: str | None,
    detail: str,
    prev_hash: str,
) -> str:
    """SHA-256 over an entry's fields and its predecessor's hash."""
    canonical = json.dumps(
        [seq, at, actor, action, request_id, detail, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    request_id: str | None,
    detail: Mapping,
    at: datetime,
) -> int:
    """Add an entry; returns its number.

    Inside the caller's transaction when there is one (the entry commits with the
    change it records); otherwise in its own write transaction, so that two writers
    never take the same number.
    """
    if not db.conn.in_transaction:
        with write_transaction(db):
            return append(db, actor, action, request_id, detail, at)
    last = db.execute(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    body = json.dumps(dict(detail), ensure_ascii=False, sort_keys=True)
    stamp = at.isoformat()
    db.execute(
        "INSERT INTO audit_log (seq, at, actor, action, request_id, detail, prev_hash,"
        " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            seq,
            stamp,
            actor,
            action,
            request_id,
            body,
            prev,
            entry_hash(seq, stamp, actor, action, request_id, body, prev),
        ],
    )
    return seq


@dataclass(frozen=True)
class AuditCheck:
    """The result of checking the chain."""

    entries: int
    first_bad: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify(db: sqlite_utils.Database) -> AuditCheck:
    """Walk the chain; report the first entry that was edited, removed or moved."""
    prev, expected_seq, count = GENESIS, 1, 0
    for row in db.execute(
        "SELECT seq, at, actor, action, request_id, detail, prev_hash, hash"
        " FROM audit_log ORDER BY seq"
    ):
        seq, at, actor, action, request_id, detail, prev_hash, stored = row
        count += 1
        if seq != expected_seq:
            return AuditCheck(count, seq, f"entry {expected_seq} is missing")
        if prev_hash != prev:
            return AuditCheck(count, seq, "does not follow the entry before it")
        if entry_hash(seq, at, actor, action, request_id, detail, prev_hash) != stored:
            return AuditCheck(count, seq, "its content was changed")
        prev, expected_seq = stored, seq + 1
    return AuditCheck(count)


def trail(db: sqlite_utils.Database, request_id: str) -> list[dict]:
    """A request's entries, oldest first."""
    return [
        {**row, "detail": json.loads(row["detail"])}
        for row in db.query(
            "SELECT seq, at, actor, action, detail FROM audit_log"
            " WHERE request_id = ? ORDER BY seq",
            [request_id],
        )
    ]

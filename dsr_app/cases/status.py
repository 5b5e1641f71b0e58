"""What a requester sees of their case: the request's row, its status token and
one-time status links, the status with expiry applied, the view of it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app.deadlines import UNVERIFIED_LIFETIME
from dsr_app.errors import NotFound
from dsr_app.removal.versions import request_versions
from dsr_app.review.issued import listing as issued_letters
from dsr_app.signing import token_hash
from dsr_app.sql import select_rows, write_transaction

STATUS_LINK_LIFETIME = timedelta(days=30)
_DUMMY_HASH = hashlib.sha256(b"no such request").hexdigest()


def request_row(db: sqlite_utils.Database, request_id: str) -> dict:
    """The stored row of a request.

    :raises NotFound: no such request.
    """
    found = select_rows(db, "SELECT * FROM requests WHERE id = ?", [request_id])
    if not found:
        raise NotFound("not found")
    return found[0]


def authorise(db: sqlite_utils.Database, request_id: str, token: str | None) -> dict:
    """The request if ``token`` is its status token.

    :raises NotFound: for a missing or wrong token, another request's id and an id
        that does not exist alike (contract section 5), in about the same time.
    """
    found = select_rows(db, "SELECT * FROM requests WHERE id = ?", [request_id])
    stored = found[0]["status_token_hash"] if found else _DUMMY_HASH
    given = token_hash(token or "")
    if not hmac.compare_digest(stored, given) or not found or not token:
        raise NotFound("not found")
    return found[0]


def new_status_link(db: sqlite_utils.Database, request_id: str, at: datetime) -> str:
    """A one-time token for the status link in e-mails (stored hashed)."""
    token = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO status_links (token_hash, request_id, expires_at)"
        " VALUES (?, ?, ?)",
        [token_hash(token), request_id, (at + STATUS_LINK_LIFETIME).isoformat()],
    )
    return token


def redeem_status_link(db: sqlite_utils.Database, token: str, at: datetime) -> str:
    """Use up a status-link token; returns its request id.

    :raises NotFound: unknown, used or expired token.
    """
    with write_transaction(db):
        row = db.execute(
            "SELECT request_id, expires_at, used_at FROM status_links"
            " WHERE token_hash = ?",
            [token_hash(token)],
        ).fetchone()
        if row is None or row[2] is not None or datetime.fromisoformat(row[1]) <= at:
            raise NotFound("this link is not valid (any more)")
        db.execute(
            "UPDATE status_links SET used_at = ? WHERE token_hash = ?",
            [at.isoformat(), token_hash(token)],
        )
    return row[0]


def verified_channels(row: Mapping) -> list[str]:
    """``["email", "phone"]``: the channels proven by a code."""
    return [c for c in ("email", "phone") if row[f"{c}_verified_at"]]


def effective_status(row: Mapping, at: datetime) -> str:
    """The status, with expiry applied on reading (no write on a GET: a reader must
    not wait behind an ingest holding the write lock)."""
    if (
        row["status"] == "pending_verification"
        and datetime.fromisoformat(row["received_at"]) < at - UNVERIFIED_LIFETIME
    ):
        return "expired"
    return row["status"]


def status_view(
    db: sqlite_utils.Database, row: Mapping, at: datetime | None = None
) -> dict:
    """What the requester may see of their request (contract section 5)."""
    from dsr_app.deadlines import now

    letters = issued_letters(db, row["id"])
    return {
        "id": row["id"],
        "type": row["type"],
        "status": effective_status(row, at or now()),
        "received_at": row["received_at"],
        "due_at": row["due_at"],
        # The issue of the first decision letter (contract section 5): an extension
        # or a request for information does not answer the request.
        "answered_at": next(
            (lt["issued_at"] for lt in letters if lt["kind"] == "decision"), None
        ),
        "verified_channels": verified_channels(row),
        # Every dataset version the removal touches, pending (null) until a
        # training team acknowledges it: never an ack of a version it does not
        # touch (issue 18, item 4).
        "removals": request_versions(db, row["id"]),
        # Each letter as issued, never re-rendered (contract section 5).
        "letters": letters,
    }

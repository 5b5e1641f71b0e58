"""Filing a data subject request, the daily limit per target, and the expiry of
requests nobody verified.

("request" stays the HTTP word in code; a GDPR request is a *case* here.)
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app import audit, messaging
from dsr_app.cases.channels import code_message
from dsr_app.cases.status import new_status_link
from dsr_app.deadlines import UNVERIFIED_LIFETIME, due_date, receipt_day, window_wait
from dsr_app.errors import TooManyAttempts
from dsr_app.identifiers import PhonePolicy, canonical_email, mailbox_key, sms_phone
from dsr_app.matching.pointers import save_pointers
from dsr_app.signing import token_hash
from dsr_app.sql import write_transaction

MAX_REQUESTS_PER_TARGET_PER_DAY = 3


def _wait_for_room(db: sqlite_utils.Database, column: str, value: str, at) -> int:
    """Seconds until ``value`` may file again under the daily limit (0: now): until
    the oldest of the requests that fill it is a day old (issue 16, finding 13)."""
    since = (at - timedelta(days=1)).isoformat()
    received = db.execute(
        f"SELECT received_at FROM requests WHERE {column} = ? AND received_at > ?"
        " ORDER BY received_at DESC LIMIT ?",
        [value, since, MAX_REQUESTS_PER_TARGET_PER_DAY],
    ).fetchall()
    times = (datetime.fromisoformat(r[0]) for r in received)
    return window_wait(times, MAX_REQUESTS_PER_TARGET_PER_DAY, timedelta(days=1), at)


def create_request(
    db: sqlite_utils.Database,
    config: Mapping,
    data: Mapping,
    key: bytes,
    at: datetime,
) -> dict:
    """File a request from validated ``data`` and send its verification codes.

    Answers the same whoever the person is: nothing here reads the registry or the
    manifests (docs/security.md L2).

    :raises TooManyAttempts: more than 3 requests a day for the same e-mail or phone.
    :raises BadInput: a phone number we send no codes to (``sms_phone``).
    """
    if data.get("phone"):  # no SMS to premium-rate or foreign numbers (issue 16)
        phone = sms_phone(
            data["phone"], data["country"], PhonePolicy.from_config(config)
        )
        data = {**data, "phone": phone}
    request_id = secrets.token_urlsafe(16)
    status_token = secrets.token_urlsafe(32)
    country = str(config["CONTROLLER_COUNTRY"]).upper()
    day = receipt_day(at, country)
    email_key = canonical_email(data["email"])
    mailbox = mailbox_key(data["email"])  # what the daily limit per target counts
    phone = data.get("phone")
    due = due_date(day, country).isoformat()
    outgoing: list[messaging.Message] = []
    with write_transaction(db):
        wait = max(
            _wait_for_room(db, "email_mailbox", mailbox, at),
            _wait_for_room(db, "phone", phone, at) if phone else 0,
        )
        if wait:
            raise TooManyAttempts("too many requests for this address today", wait)
        db.execute(
            "INSERT INTO requests (id, type, status, full_name, email, email_canonical,"
            " email_mailbox, phone, country, language, details, received_at,"
            " receipt_day, controller_country, due_at, status_token_hash, updated_at,"
            " region)"
            " VALUES (?, ?, 'pending_verification', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?)",
            [
                request_id,
                data["type"],
                data["full_name"],
                data["email"],
                email_key,
                mailbox,
                phone,
                data["country"],
                data["language"],
                data.get("details"),
                at.isoformat(),
                day.isoformat(),
                country,
                due,
                token_hash(status_token),
                at.isoformat(),
                data.get("region"),
            ],
        )
        for handle in data.get("handles") or []:
            db.execute(
                "INSERT OR IGNORE INTO request_handles (request_id, handle)"
                " VALUES (?, ?)",
                [request_id, handle],
            )
        # Items the person says are about them (issue 20, item 3): the audit log
        # counts them, the request keeps them.
        pointers = save_pointers(db, request_id, data.get("pointers") or [], at)
        audit.append(
            db,
            "requester",
            "request_filed",
            request_id,
            {"type": data["type"], "due_at": due, "pointers": pointers},
            at,
        )
        link = new_status_link(db, request_id, at)
        outgoing.append(
            code_message(db, config, key, request_id, "email", data, at, link)
        )
        if phone:
            outgoing.append(
                code_message(db, config, key, request_id, "phone", data, at, link)
            )
    for message in outgoing:
        messaging.deliver(db, config, message)
    return {
        "id": request_id,
        "status": "pending_verification",  # as stored: nobody has its token yet
        "status_token": status_token,
        "due_at": due,
    }


def expire_stale(db: sqlite_utils.Database, at: datetime) -> int:
    """Mark requests nobody verified within 14 days as ``expired``; returns how many."""
    cutoff = (at - UNVERIFIED_LIFETIME).isoformat()
    stale_query = (
        "SELECT id FROM requests WHERE status = 'pending_verification'"
        " AND received_at < ?"
    )
    # Runs before every new request: look first, so that the common case (nothing
    # to expire) does not queue for the write lock (issue 7, load run).
    if db.execute(stale_query + " LIMIT 1", [cutoff]).fetchone() is None:
        return 0
    with write_transaction(db):
        stale = [r[0] for r in db.execute(stale_query, [cutoff])]
        for request_id in stale:
            db.execute(
                "UPDATE requests SET status = 'expired', updated_at = ? WHERE id = ?",
                [at.isoformat(), request_id],
            )
            audit.append(
                db,
                "system",
                "expired",
                request_id,
                {"reason": "not verified within 14 days"},
                at,
            )
    return len(stale)

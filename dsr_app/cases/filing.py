"""A data subject request: filing, verification of its channels, status, expiry.

("request" stays the HTTP word in code; a GDPR request is a *case* here.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app import audit, messaging
from dsr_app.cases.verification import (
    check_code,
    check_open_for_codes,
    check_resend,
    issue_code,
)
from dsr_app.corpus.accounts import accounts_owned_by
from dsr_app.db import select_rows, write_transaction
from dsr_app.deadlines import UNVERIFIED_LIFETIME, due_date, receipt_day, window_wait
from dsr_app.errors import BadInput, Conflict, NotFound, TooManyAttempts
from dsr_app.i18n import text
from dsr_app.identifiers import PhonePolicy, canonical_email, mailbox_key, sms_phone
from dsr_app.review.decisions import resume_after_reply

MAX_REQUESTS_PER_TARGET_PER_DAY = 3
STATUS_LINK_LIFETIME = timedelta(days=30)
_DUMMY_HASH = hashlib.sha256(b"no such request").hexdigest()


def token_hash(token: str) -> str:
    """SHA-256 of a bearer secret: what we store instead of the secret."""
    return hashlib.sha256(token.encode()).hexdigest()


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
            " receipt_day, controller_country, due_at, status_token_hash, updated_at)"
            " VALUES (?, ?, 'pending_verification', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?)",
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
            ],
        )
        for handle in data.get("handles") or []:
            db.execute(
                "INSERT OR IGNORE INTO request_handles (request_id, handle)"
                " VALUES (?, ?)",
                [request_id, handle],
            )
        audit.append(
            db,
            "requester",
            "request_filed",
            request_id,
            {"type": data["type"], "due_at": due},
            at,
        )
        link = new_status_link(db, request_id, at)
        outgoing.append(
            _code_message(db, config, key, request_id, "email", data, at, link)
        )
        if phone:
            outgoing.append(
                _code_message(db, config, key, request_id, "phone", data, at, link)
            )
    for message in outgoing:
        messaging.deliver(db, config, message)
    return {
        "id": request_id,
        "status": "pending_verification",  # as stored: nobody has its token yet
        "status_token": status_token,
        "due_at": due,
    }


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


def _code_message(db, config, key, request_id, channel, data, at, link):
    code = issue_code(db, key, request_id, channel, at)
    lang = data["language"]
    if channel == "email":
        base = str(config["PUBLIC_URL"]).rstrip("/")
        body = text(lang, "code_email", code=code, link=f"{base}/r/{link}")
        return messaging.Message(
            "email", data["email"], text(lang, "code_subject"), body
        )
    return messaging.Message(
        "sms",
        data["phone"],
        text(lang, "code_subject"),
        text(lang, "code_sms", code=code),
    )


def _row(db: sqlite_utils.Database, request_id: str) -> dict:
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


def verified_channels(row: Mapping) -> list[str]:
    """``["email", "phone"]``: the channels proven by a code."""
    return [c for c in ("email", "phone") if row[f"{c}_verified_at"]]


def _open_channel(
    db: sqlite_utils.Database, request_id: str, channel: str, at: datetime, field: str
) -> dict:
    """The request, if ``channel`` still awaits its code (inside the transaction).

    :raises NotFound: no phone on the request. :raises Conflict: expired (waiting
        never lifts it: ``verification.closed_for_codes``'s rule).
    :raises BadInput: the channel is verified already (``field`` names the input).
    """
    row = _row(db, request_id)
    if channel == "phone" and not row["phone"]:
        raise NotFound("no phone number on this request")
    if effective_status(row, at) == "expired":
        raise Conflict("this request expired: please file a new one")
    if row[f"{channel}_verified_at"]:
        raise BadInput(field, "this channel is verified already")
    return row


def verify_channel(
    db: sqlite_utils.Database,
    key: bytes,
    request_id: str,
    channel: str,
    code: str,
    at: datetime,
) -> dict:
    """Check a code; a right one verifies its channel (email: the case is in review).

    Ownership is resolved afterwards by a job, so that the answer does not depend on
    whether the registry knows the person.
    """
    with write_transaction(db):
        row = _open_channel(db, request_id, channel, at, "code")
        failure = check_code(db, key, row, channel, code, at)
        if failure is None:
            status = row["status"]
            if channel == "email" and status == "pending_verification":
                status = "in_review"
            db.execute(
                f"UPDATE requests SET {channel}_verified_at = ?, status = ?,"
                " updated_at = ? WHERE id = ?",
                [at.isoformat(), status, at.isoformat(), request_id],
            )
            db.execute(
                "INSERT INTO jobs (kind, request_id, created_at) VALUES (?, ?, ?)",
                ["resolve_ownership", request_id, at.isoformat()],
            )
            audit.append(
                db,
                "requester",
                "channel_verified",
                request_id,
                {"channel": channel, "status": status},
                at,
            )
    if failure is not None:
        raise failure  # after the commit: the wrong try stays counted
    row = _row(db, request_id)
    return {"status": row["status"], "verified_channels": verified_channels(row)}


def resend_code(
    db: sqlite_utils.Database,
    config: Mapping,
    key: bytes,
    request_id: str,
    channel: str,
    at: datetime,
) -> dict:
    """Send a new code for a channel not yet verified, voiding the old one.

    :raises Conflict: the request is decided or expired, the channel's 14 days are
        over or it had its 10 codes. :raises BadInput: a phone we send no codes to
        (given before the rule, or under wider settings).
    """
    with write_transaction(db):
        check_open_for_codes(db, _row(db, request_id), channel, at)
        row = _open_channel(db, request_id, channel, at, "channel")
        if channel == "phone":
            sms_phone(row["phone"], row["country"], PhonePolicy.from_config(config))
        check_resend(db, request_id, channel, at)
        link = new_status_link(db, request_id, at)
        message = _code_message(db, config, key, request_id, channel, row, at, link)
    messaging.deliver(db, config, message)
    return {"status": row["status"], "verified_channels": verified_channels(row)}


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

    return {
        "id": row["id"],
        "type": row["type"],
        "status": effective_status(row, at or now()),
        "received_at": row["received_at"],
        "due_at": row["due_at"],
        "verified_channels": verified_channels(row),
        "removals": select_rows(
            db,
            "SELECT a.dataset, a.dataset_version, a.acknowledged_at"
            " FROM removal_acks a JOIN removal_lists l ON l.id = a.list_id"
            " WHERE l.request_id = ? ORDER BY a.acknowledged_at",
            [row["id"]],
        ),
    }


def resolve_ownership(db: sqlite_utils.Database, request_id: str) -> list[str]:
    """Record the registry accounts whose e-mail or phone equals a verified channel.

    Canonical forms only (docs/security.md L1): nothing else makes an account owned, and
    a handle the requester named is verified only if an owned account has it.
    """
    row = _row(db, request_id)
    owned: dict[str, set[str]] = {}
    if row["email_verified_at"]:
        for account in accounts_owned_by(db, email=row["email"]):
            owned.setdefault(account["account_id"], set()).add("email")
    if row["phone_verified_at"] and row["phone"]:
        for account in accounts_owned_by(db, phone=row["phone"]):
            owned.setdefault(account["account_id"], set()).add("phone")
    with write_transaction(db):
        for account_id, channels in owned.items():
            for via in channels:
                db.execute(
                    "INSERT OR IGNORE INTO owned_accounts (request_id, account_id, via)"
                    " VALUES (?, ?, ?)",
                    [request_id, account_id, via],
                )
        db.execute(
            "UPDATE request_handles SET verified = 1 WHERE request_id = ? AND handle IN"
            " (SELECT a.handle FROM owned_accounts o JOIN accounts a"
            " ON a.account_id = o.account_id WHERE o.request_id = ?)",
            [request_id, request_id],
        )
    return sorted(owned)


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


def reply(
    db: sqlite_utils.Database,
    config: Mapping,
    key: bytes,
    request_id: str,
    data: Mapping,
    at: datetime,
) -> dict:
    """Answer a request for information; the request goes back to review.

    A new phone number replaces the old one and must be verified with a code before
    it counts; new handles stay unverified unless an owned account has them.

    :raises Conflict: the request is not waiting for information.
    :raises BadInput: a phone number that is not possible in the request's country,
        or one we send no codes to (``sms_phone``).
    """
    phone = data.get("phone")
    outgoing = None
    with write_transaction(db):
        row = _row(db, request_id)
        if row["status"] != "needs_info":
            raise Conflict("this request is not waiting for information")
        if phone is not None:
            phone = sms_phone(phone, row["country"], PhonePolicy.from_config(config))
        db.execute(
            "INSERT INTO request_replies (request_id, received_at, details, handles,"
            " phone) VALUES (?, ?, ?, ?, ?)",
            [
                request_id,
                at.isoformat(),
                data.get("details"),
                json.dumps(data.get("handles") or []),
                phone,
            ],
        )
        for handle in data.get("handles") or []:
            db.execute(
                "INSERT OR IGNORE INTO request_handles (request_id, handle)"
                " VALUES (?, ?)",
                [request_id, handle],
            )
        if phone and phone != row["phone"]:
            # The limits of any new code; its window opens with this reply.
            check_open_for_codes(db, {**row, "phone": phone}, "phone", at)
            check_resend(db, request_id, "phone", at)
            db.execute(
                "UPDATE requests SET phone = ?, phone_verified_at = NULL WHERE id = ?",
                [phone, request_id],
            )
            link = new_status_link(db, request_id, at)
            fresh = {**row, "phone": phone}
            outgoing = _code_message(
                db, config, key, request_id, "phone", fresh, at, link
            )
        resume_after_reply(db, request_id, at)  # the paused clock runs again
        db.execute(
            "UPDATE requests SET status = 'in_review', updated_at = ? WHERE id = ?",
            [at.isoformat(), request_id],
        )
        audit.append(
            db,
            "requester",
            "info_received",
            request_id,
            {
                "details": bool(data.get("details")),
                "handles": len(data.get("handles") or []),
                "new_phone": bool(outgoing),
            },
            at,
        )
        db.execute(
            "INSERT INTO jobs (kind, request_id, created_at) VALUES (?, ?, ?)",
            ["resolve_ownership", request_id, at.isoformat()],
        )
    if outgoing is not None:
        messaging.deliver(db, config, outgoing)
    row = _row(db, request_id)
    return status_view(db, row)

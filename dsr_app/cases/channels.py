"""Proving a request's e-mail address and phone number: codes sent, checked and
sent again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from dsr_app import audit, messaging
from dsr_app.cases.status import (
    effective_status,
    new_status_link,
    request_row,
    verified_channels,
)
from dsr_app.cases.verification import (
    check_code,
    check_open_for_codes,
    check_resend,
    issue_code,
)
from dsr_app.errors import BadInput, Conflict, NotFound
from dsr_app.i18n import text
from dsr_app.identifiers import PhonePolicy, sms_phone
from dsr_app.sql import write_transaction


def code_message(db, config, key, request_id, channel, data, at, link):
    """A new code for ``channel``, in the message that carries it (not yet sent)."""
    code = issue_code(db, key, request_id, channel, at)
    lang = data["language"]
    if channel == "email":
        base = str(config["PUBLIC_URL"]).rstrip("/")
        # The reference finds the request again from any browser (issue 21).
        body = text(
            lang, "code_email", code=code, link=f"{base}/r/{link}", reference=request_id
        )
        return messaging.Message(
            "email", data["email"], text(lang, "code_subject"), body
        )
    return messaging.Message(
        "sms",
        data["phone"],
        text(lang, "code_subject"),
        text(lang, "code_sms", code=code),
    )


def _open_channel(
    db: sqlite_utils.Database, request_id: str, channel: str, at: datetime, field: str
) -> dict:
    """The request, if ``channel`` still awaits its code (inside the transaction).

    :raises NotFound: no phone on the request. :raises Conflict: expired (waiting
        never lifts it: ``verification.closed_for_codes``'s rule).
    :raises BadInput: the channel is verified already (``field`` names the input).
    """
    row = request_row(db, request_id)
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
    row = request_row(db, request_id)
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
        check_open_for_codes(db, request_row(db, request_id), channel, at)
        row = _open_channel(db, request_id, channel, at, "channel")
        if channel == "phone":
            sms_phone(row["phone"], row["country"], PhonePolicy.from_config(config))
        check_resend(db, request_id, channel, at)
        link = new_status_link(db, request_id, at)
        message = code_message(db, config, key, request_id, channel, row, at, link)
    messaging.deliver(db, config, message)
    return {"status": row["status"], "verified_channels": verified_channels(row)}

"""A requester's answer to a request for information."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from dsr_app import audit, messaging
from dsr_app.cases.channels import code_message
from dsr_app.cases.status import new_status_link, request_row, status_view
from dsr_app.cases.verification import check_open_for_codes, check_resend
from dsr_app.errors import Conflict
from dsr_app.identifiers import PhonePolicy, sms_phone
from dsr_app.matching.pointers import save_pointers
from dsr_app.review.decisions import resume_after_reply
from dsr_app.sql import write_transaction


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
        row = request_row(db, request_id)
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
        pointers = save_pointers(db, request_id, data.get("pointers") or [], at)
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
            outgoing = code_message(
                db, config, key, request_id, "phone", fresh, at, link
            )
        pause = resume_after_reply(db, request_id, at)  # the clock runs again
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
                "pointers": pointers,
                "new_phone": bool(outgoing),
                **pause,  # what the reply did to the clock
            },
            at,
        )
        db.execute(
            "INSERT INTO jobs (kind, request_id, created_at) VALUES (?, ?, ?)",
            ["resolve_ownership", request_id, at.isoformat()],
        )
    if outgoing is not None:
        messaging.deliver(db, config, outgoing)
    row = request_row(db, request_id)
    return status_view(db, row)

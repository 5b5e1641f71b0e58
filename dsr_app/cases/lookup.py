"""Finding a request again by its reference when the browser session is lost
(issue 21, item 3): a one-time code goes to the request's verified e-mail address,
and the code, not the reference, opens the request in the browser.

Every requester is an impostor until a code says otherwise (docs/security.md L1,
L2): the reference proves nothing (it is printed in letters a person may share),
and no answer tells whether a reference exists. An unknown reference, a request
whose e-mail address was never verified, an expired one and a request whose code
limits are used up answer alike, and every failed code is the same wrong code. The
code goes only to a verified address, so nobody can make us mail an address whose
owner never confirmed a request (nor get a lookup past a verification that never
happened). Codes are as the verification's (8 digits, 10 minutes, single use,
stored as an HMAC); 5 wrong tries kill one; a request gets a new one at most once
a minute and 4 an hour; the pages add the per-address limit of every code page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app import audit, messaging
from dsr_app.cases.verification import (
    CODE_COLUMNS,
    CODE_TTL,
    WRONG_CODE,
    code_hash,
    code_waits,
    new_code,
    spend_code,
)
from dsr_app.errors import BadInput
from dsr_app.i18n import text
from dsr_app.sql import select_rows, write_transaction

#: The channel name bound into a lookup code's HMAC: never a verification code's.
CHANNEL = "lookup"
MAX_REFERENCE_CHARS = 64


def clean_reference(given: str) -> str:
    """The reference as typed, without spaces (it is read off a letter or a page)."""
    return "".join(given.split())[:MAX_REFERENCE_CHARS]


def _findable(db: sqlite_utils.Database, reference: str) -> dict | None:
    """The request of ``reference`` if a lookup code may go to it: its e-mail
    address is verified (an expired request never has one)."""
    found = select_rows(
        db,
        "SELECT * FROM requests WHERE id = ? AND email_verified_at IS NOT NULL",
        [reference],
    )
    return found[0] if found else None


def _may_send(db: sqlite_utils.Database, request_id: str, at: datetime) -> bool:
    """Whether the spacing and the hourly cap leave room for a new code."""
    hour_ago = (at - timedelta(hours=1)).isoformat()
    issued = [
        datetime.fromisoformat(r[0])
        for r in db.execute(
            "SELECT created_at FROM lookup_codes WHERE request_id = ?"
            " AND created_at > ? ORDER BY id",
            [request_id, hour_ago],
        )
    ]
    return not any(code_waits(issued, at))


def send_code(
    db: sqlite_utils.Database,
    config: Mapping,
    key: bytes,
    reference: str,
    at: datetime,
) -> None:
    """Send a lookup code to the verified e-mail address of the request
    ``reference`` names, when there is one and its limits allow; else nothing.
    Returns nothing either way: the caller cannot tell the difference, and must
    not (L2)."""
    message = None
    with write_transaction(db):
        row = _findable(db, reference)
        if row is not None and _may_send(db, row["id"], at):
            db.execute(
                "UPDATE lookup_codes SET dead_at = ? WHERE request_id = ?"
                " AND used_at IS NULL AND dead_at IS NULL",
                [at.isoformat(), row["id"]],
            )
            code = new_code()
            db.execute(
                "INSERT INTO lookup_codes (request_id, code_hash, created_at,"
                " expires_at) VALUES (?, ?, ?, ?)",
                [
                    row["id"],
                    code_hash(key, row["id"], CHANNEL, code),
                    at.isoformat(),
                    (at + CODE_TTL).isoformat(),
                ],
            )
            audit.append(db, "requester", "lookup_code_sent", row["id"], {}, at)
            lang = row["language"]
            message = messaging.Message(
                "email",
                row["email"],
                text(lang, "lookup_subject"),
                text(lang, "lookup_email", code=code, reference=row["id"]),
            )
    if message is not None:
        messaging.deliver(db, config, message)


def check_code(
    db: sqlite_utils.Database, key: bytes, reference: str, code: str, at: datetime
) -> str:
    """The request id of ``reference`` if ``code`` is its live lookup code (used
    up by this call).

    :raises BadInput: (field ``code``) for every failure alike: an unknown
        reference, a wrong, expired, used or killed code.
    """
    found = None
    with write_transaction(db):
        row = _findable(db, reference)
        held = None
        if row is not None:
            held = db.execute(
                f"SELECT {CODE_COLUMNS} FROM lookup_codes WHERE request_id = ?"
                " ORDER BY id DESC LIMIT 1",
                [row["id"]],
            ).fetchone()
        # Hashed whatever the reference, so an unknown one costs the same work.
        given = code_hash(key, reference, CHANNEL, code.strip())
        if spend_code(db, "lookup_codes", held, given, at):
            audit.append(db, "requester", "found_by_reference", row["id"], {}, at)
            found = row["id"]
    if found is None:
        raise BadInput("code", WRONG_CODE)
    return found

"""One-time codes that prove control of an e-mail address or phone number.

Numbers from docs/security.md: 8 digits from ``secrets``, stored only as
HMAC-SHA-256(key, request | channel | code), valid 10 minutes, single use; 5 wrong
tries kill a code, 10 per request and channel in all; at most 3 resends an hour, at
least 60 s apart, and 10 codes per request and channel ever; no code at all for a
decided or expired request, or after a channel's 14 days (issue 16, finding 8).
Every check runs in one write transaction, so parallel guesses are serialised by
SQLite's write lock and cannot exceed the limits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app.deadlines import UNVERIFIED_LIFETIME, window_wait
from dsr_app.errors import BadInput, Conflict, DsrError, TooManyAttempts

CHANNELS = ("email", "phone")
CODE_DIGITS = 8
CODE_TTL = timedelta(minutes=10)
MAX_WRONG_PER_CODE = 5
MAX_WRONG_PER_CHANNEL = 10
MAX_CODES_PER_HOUR = 4  # the first code and 3 resends
MIN_RESEND_INTERVAL = timedelta(seconds=60)
# Codes per request and channel, ever: the hourly cap alone let a request that no
# one verifies send four SMS an hour for ever (issue 16, finding 8).
MAX_CODES_PER_CHANNEL = 10
WRONG_CODE = "wrong, expired or already used code"
# A stored code's columns as spend_code reads them (verification_codes, lookup_codes).
CODE_COLUMNS = "id, code_hash, expires_at, wrong_tries, used_at, dead_at"


def new_code() -> str:
    """Eight random digits (``secrets.randbelow``), leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(key: bytes, request_id: str, channel: str, code: str) -> str:
    """Keyed hash binding a code to its request and channel."""
    message = f"{request_id}|{channel}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue_code(
    db: sqlite_utils.Database, key: bytes, request_id: str, channel: str, at: datetime
) -> str:
    """Store a new code for (request, channel), voiding any earlier one; returns it.

    Call inside the caller's transaction.
    """
    db.execute(
        "UPDATE verification_codes SET dead_at = ? WHERE request_id = ? AND channel = ?"
        " AND used_at IS NULL AND dead_at IS NULL",
        [at.isoformat(), request_id, channel],
    )
    code = new_code()
    db.execute(
        "INSERT INTO verification_codes (request_id, channel, code_hash, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?)",
        [
            request_id,
            channel,
            code_hash(key, request_id, channel, code),
            at.isoformat(),
            (at + CODE_TTL).isoformat(),
        ],
    )
    return code


def _wrong_total(db: sqlite_utils.Database, request_id: str, channel: str) -> int:
    row = db.execute(
        "SELECT wrong_tries FROM verification_attempts WHERE request_id = ?"
        " AND channel = ?",
        [request_id, channel],
    ).fetchone()
    return row[0] if row else 0


def check_code(
    db: sqlite_utils.Database,
    key: bytes,
    request: Mapping,
    channel: str,
    code: str,
    at: datetime,
) -> DsrError | None:
    """Use up the live code of (``request``'s row, channel) if ``code`` is it.

    Call inside the caller's write transaction, and raise what it returns only after
    that transaction commits: a wrong try must be counted, not rolled back.

    :returns: ``None`` for the right code; ``TooManyAttempts`` (with the wait) when
        the code was killed by 5 wrong tries until a resend; ``Conflict`` when the
        channel has had 10 wrong tries in all, or its code is dead and no resend will
        ever be granted (``closed_for_codes``); ``BadInput`` (field ``code``) for a
        wrong, expired or used code.
    """
    request_id = request["id"]
    if _wrong_total(db, request_id, channel) >= MAX_WRONG_PER_CHANNEL:
        return _wrong_codes_end(channel)
    row = db.execute(
        f"SELECT {CODE_COLUMNS} FROM verification_codes WHERE request_id = ?"
        " AND channel = ?"
        " ORDER BY id DESC LIMIT 1",
        [request_id, channel],
    ).fetchone()
    if row is not None and row[3] >= MAX_WRONG_PER_CODE:
        # Only a new code lifts this: the wait is until one may be asked for, and
        # there is none to tell when no code will ever be sent again.
        closed = closed_for_codes(db, request, channel, at)
        if closed is not None:
            return closed
        wait = max(1, *resend_waits(db, request_id, channel, at))
        return TooManyAttempts("too many wrong tries: ask for a new code", wait)
    given = code_hash(key, request_id, channel, code.strip())
    if spend_code(db, "verification_codes", row, given, at):
        return None
    # Wrong: counted against the code (spend_code) and against the channel.
    db.execute(
        "INSERT INTO verification_attempts (request_id, channel, wrong_tries)"
        " VALUES (?, ?, 1) ON CONFLICT (request_id, channel)"
        " DO UPDATE SET wrong_tries = wrong_tries + 1",
        [request_id, channel],
    )
    return BadInput("code", WRONG_CODE)


def check_resend(
    db: sqlite_utils.Database, request_id: str, channel: str, at: datetime
) -> None:
    """Refuse a resend beyond the hourly limits (call inside the write transaction,
    after ``check_open_for_codes``, which refuses what waiting never lifts).

    :raises TooManyAttempts: with ``retry_after`` seconds when it may be tried again.
    """
    spacing, hourly = resend_waits(db, request_id, channel, at)
    # Retry-After is the real wait: until both limits allow it (issue 16, finding 13).
    if spacing:
        raise TooManyAttempts("wait before asking again", max(spacing, hourly))
    if hourly:
        raise TooManyAttempts("too many codes this hour", hourly)


def resend_waits(
    db: sqlite_utils.Database, request_id: str, channel: str, at: datetime
) -> tuple[int, int]:
    """Seconds until the 60-second spacing, and the hourly cap, allow a new code
    for the channel (0: they do now)."""
    hour_ago = (at - timedelta(hours=1)).isoformat()
    issued = [
        datetime.fromisoformat(r[0])
        for r in db.execute(
            "SELECT created_at FROM verification_codes WHERE request_id = ?"
            " AND channel = ? AND created_at > ? ORDER BY id",
            [request_id, channel, hour_ago],
        )
    ]
    return code_waits(issued, at)


def code_waits(issued: list[datetime], at: datetime) -> tuple[int, int]:
    """Seconds until the 60-second spacing, and the hourly cap, allow another code,
    given when the last hour's codes were ``issued`` (0: they do now)."""
    # The spacing is a window of one code per minute.
    spacing = window_wait(issued, 1, MIN_RESEND_INTERVAL, at)
    hourly = window_wait(issued, MAX_CODES_PER_HOUR, timedelta(hours=1), at)
    return spacing, hourly


def spend_code(
    db: sqlite_utils.Database,
    table: str,
    row: Sequence | None,
    given: str,
    at: datetime,
) -> bool:
    """Use up the code ``row`` of ``table`` (its ``CODE_COLUMNS``; ``None``: there
    is none) if it is live and ``given`` is its hash; else count a wrong try
    against it, which kills it at the 5th. Whether it was the code. Inside the
    caller's write transaction."""
    live = (
        row is not None
        and row[4] is None
        and row[5] is None
        and row[3] < MAX_WRONG_PER_CODE
        and datetime.fromisoformat(row[2]) > at
    )
    if live and hmac.compare_digest(given, row[1]):
        db.execute(
            f"UPDATE {table} SET used_at = ? WHERE id = ?", [at.isoformat(), row[0]]
        )
        return True
    # A wrong guess counts against the code, whatever its state.
    if row is not None:
        db.execute(
            f"UPDATE {table} SET wrong_tries = wrong_tries + 1,"
            " dead_at = CASE WHEN wrong_tries + 1 >= ? THEN ? ELSE dead_at END"
            " WHERE id = ?",
            [MAX_WRONG_PER_CODE, at.isoformat(), row[0]],
        )
    return False


def check_open_for_codes(
    db: sqlite_utils.Database, row: Mapping, channel: str, at: datetime
) -> None:
    """Refuse any new code for a request no code can help any more (call inside the
    write transaction, before ``check_resend``).

    :raises Conflict: waiting would not help (so no 429 and no Retry-After).
    """
    closed = closed_for_codes(db, row, channel, at)
    if closed is not None:
        raise closed


def _wrong_codes_end(channel: str) -> Conflict:
    return Conflict(
        f"too many wrong codes for this {channel}: no more codes are sent for it"
    )


def closed_for_codes(
    db: sqlite_utils.Database, row: Mapping, channel: str, at: datetime
) -> Conflict | None:
    """Why no code will ever be sent again for ``row``'s channel, else ``None``.

    The one rule for refusals that waiting does not lift (a 409 with no
    Retry-After, never a 429 with a wait that ends in another refusal, issue 16,
    finding 13): a decided (completed, rejected) or expired request gets no code,
    nor does a channel whose verification window has closed (14 days,
    ``UNVERIFIED_LIFETIME``, from when its address or number was given, at filing
    or in a reply to a request for information), that had 10 wrong tries or that
    was sent its 10 codes. The answer depends on the request alone, never on the
    registry.
    """
    if row["status"] in ("completed", "rejected"):
        return Conflict("this request is decided: no more codes are sent for it")
    opened = datetime.fromisoformat(row["received_at"])
    if row["status"] == "expired" or (
        row["status"] == "pending_verification" and opened < at - UNVERIFIED_LIFETIME
    ):
        return Conflict("this request expired: please file a new one")
    if channel == "phone" and row["phone"]:
        (given,) = db.execute(
            "SELECT max(received_at) FROM request_replies WHERE request_id = ?"
            " AND phone = ?",
            [row["id"], row["phone"]],
        ).fetchone()
        if given:
            opened = max(opened, datetime.fromisoformat(given))
    if opened < at - UNVERIFIED_LIFETIME:
        days = UNVERIFIED_LIFETIME.days
        return Conflict(
            f"the {days} days to verify this {channel} are over: no more codes are"
            " sent for it"
        )
    if _wrong_total(db, row["id"], channel) >= MAX_WRONG_PER_CHANNEL:
        return _wrong_codes_end(channel)
    (sent,) = db.execute(
        "SELECT count(*) FROM verification_codes WHERE request_id = ? AND channel = ?",
        [row["id"], channel],
    ).fetchone()
    if sent >= MAX_CODES_PER_CHANNEL:
        return Conflict(
            f"no more codes are sent for this request's {channel}:"
            f" {MAX_CODES_PER_CHANNEL} were sent already"
        )
    return None

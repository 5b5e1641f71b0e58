"""Staff API tokens: issued with an expiry, listed without their secret, revoked
one by one or all together, and checked on every API call."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from dsr_app import audit
from dsr_app.errors import BadInput, NotFound
from dsr_app.signing import token_hash
from dsr_app.sql import select_rows, write_transaction
from dsr_app.staff.accounts import staff_by_email

TOKEN_PREFIX = "dsr_staff_"
MIN_TOKEN_DAYS, MAX_TOKEN_DAYS = 1, 3650  # DSR_STAFF_TOKEN_DAYS' bounds
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret itself is shown once and never stored."""

    id: int
    email: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token: never the token or its hash."""

    id: int
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, at: datetime) -> str:
        """``revoked``, ``expired`` or ``live`` at ``at``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None or at >= self.expires_at:
            return "expired"
        return "live"


def token_lifetime(days: object) -> timedelta:
    """The lifetime ``DSR_STAFF_TOKEN_DAYS`` sets.

    :raises BadInput: not a whole number of days from 1 to 3650 (a token that lives
        for ever is what finding 15 of issue 16 ended).
    """
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not MIN_TOKEN_DAYS <= days <= MAX_TOKEN_DAYS
    ):
        raise BadInput(
            "DSR_STAFF_TOKEN_DAYS",
            f"must be a whole number of days from {MIN_TOKEN_DAYS} to {MAX_TOKEN_DAYS}",
        )
    return timedelta(days=days)


def new_token(
    db: sqlite_utils.Database, email: str, lifetime: timedelta, at: datetime
) -> IssuedToken:
    """A new API token for a staff user, valid for ``lifetime`` from ``at`` (256
    random bits; only its hash is kept); audited with its id and expiry."""
    user = staff_by_email(db, email)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = at + lifetime
    with write_transaction(db):
        token_id = db.execute(
            "INSERT INTO staff_tokens (staff_id, token_hash, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            [user["id"], token_hash(token), at.isoformat(), expires.isoformat()],
        ).lastrowid
        detail = {
            "staff": user["id"],
            "token": token_id,
            "expires_at": expires.isoformat(),
        }
        audit.append(db, "cli", "staff_token_issued", None, detail, at)
    return IssuedToken(token_id, user["email"], token, expires)


def list_tokens(db: sqlite_utils.Database, email: str, at: datetime) -> list[TokenInfo]:
    """Every token of a staff user, oldest first (revoked and expired included);
    the listing is audited."""
    user = staff_by_email(db, email)
    rows = select_rows(
        db,
        "SELECT id, created_at, expires_at, last_used_at, revoked_at"
        " FROM staff_tokens WHERE staff_id = ? ORDER BY id",
        [user["id"]],
    )
    audit.append(db, "cli", "staff_tokens_listed", None, {"staff": user["id"]}, at)
    return [
        TokenInfo(
            r["id"],
            *(
                _instant(r[k])
                for k in ("created_at", "expires_at", "last_used_at", "revoked_at")
            ),
        )
        for r in rows
    ]


def revoke_tokens(
    db: sqlite_utils.Database, email: str, at: datetime, token_id: int | None = None
) -> list[int]:
    """Revoke one live token of a staff user (``token_id``), or every one of them
    and their web sessions; returns the ids revoked; audited.

    :raises NotFound: no such user, or ``token_id`` is not one of theirs.
    """
    user = staff_by_email(db, email)
    with write_transaction(db):
        rows = [
            r
            for r in select_rows(
                db,
                "SELECT id, revoked_at FROM staff_tokens WHERE staff_id = ?"
                " ORDER BY id",
                [user["id"]],
            )
            if token_id is None or r["id"] == token_id
        ]
        if token_id is not None and not rows:
            raise NotFound(f"{user['email']} has no token {token_id}")
        revoked = [r["id"] for r in rows if r["revoked_at"] is None]
        for revoked_id in revoked:
            db.execute(
                "UPDATE staff_tokens SET revoked_at = ? WHERE id = ?",
                [at.isoformat(), revoked_id],
            )
        if token_id is None:
            # Revoking a user's access ends their web sessions too; one leaked
            # token is that token only.
            db.execute(
                "UPDATE staff_sessions SET ended_at = ? WHERE staff_id = ?"
                " AND ended_at IS NULL",
                [at.isoformat(), user["id"]],
            )
        detail = {"staff": user["id"], "tokens": revoked}
        audit.append(db, "cli", "staff_tokens_revoked", None, detail, at)
    return revoked


def staff_for_token(
    db: sqlite_utils.Database, token: str | None, at: datetime
) -> dict | None:
    """The staff user a live token belongs to at ``at``, else ``None``: unknown,
    revoked and expired tokens alike, so that the answer tells nothing of which."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    found = select_rows(
        db,
        "SELECT u.id, u.email, u.role, t.id AS token_id, t.expires_at,"
        " t.last_used_at FROM staff_tokens t JOIN staff_users u"
        " ON u.id = t.staff_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        [token_hash(token)],
    )
    if not found:
        return None
    row = found[0]
    expires = _instant(row["expires_at"])
    if expires is None or at >= expires:  # no expiry is no token (fail closed)
        return None
    _touch(db, row["token_id"], _instant(row["last_used_at"]), at)
    return {"id": row["id"], "email": row["email"], "role": row["role"]}


def _touch(
    db: sqlite_utils.Database, token_id: int, last: datetime | None, at: datetime
) -> None:
    """Note when a token was last used: at most once a minute, and never waiting
    for the write lock (a long ingest holds it), since it is a hint for staff
    deciding what to revoke, not a record the call depends on."""
    if last is not None and abs(at - last) < LAST_USED_GRANULARITY:
        return
    if db.conn.in_transaction:
        return
    (waited,) = db.conn.execute("PRAGMA busy_timeout").fetchone()
    db.conn.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute(
            "UPDATE staff_tokens SET last_used_at = ? WHERE id = ?",
            [at.isoformat(), token_id],
        )
    except sqlite3.OperationalError:
        pass  # busy: a later call records it
    finally:
        db.conn.execute(f"PRAGMA busy_timeout = {int(waited)}")


def _instant(value: str | None) -> datetime | None:
    """A stored timestamp as an aware datetime (UTC when stored without a zone),
    or ``None`` for none or one that is not a timestamp."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

"""Staff users: roles and Argon2id password hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlite_utils
from argon2 import PasswordHasher
from argon2 import exceptions as argon2_exceptions

from .db import select_rows
from .errors import BadInput, Conflict, NotFound

ROLES = ("legal", "training", "admin")
MIN_PASSWORD, MAX_PASSWORD = 8, 256  # OWASP ASVS 6.2.1 / 6.2.9 (security.md)

# argon2-cffi's defaults (Argon2id, t=3, m=64 MiB, p=4) exceed OWASP's minimum.
_HASHER = PasswordHasher()


def add_staff(db: sqlite_utils.Database, email: str, role: str, password: str) -> int:
    """Create a staff user; returns its id.

    :raises BadInput: unknown role, malformed e-mail or a password out of bounds.
    :raises Conflict: a staff user with that e-mail exists.
    """
    email = email.strip().lower()
    if role not in ROLES:
        raise BadInput("role", f"must be one of {', '.join(ROLES)}")
    if "@" not in email or any(c.isspace() for c in email):
        raise BadInput("email", "not an e-mail address")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BadInput(
            "password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long"
        )
    if db.execute("SELECT 1 FROM staff_users WHERE email = ?", [email]).fetchone():
        raise Conflict(f"staff user {email} exists already")
    return db.execute(
        "INSERT INTO staff_users (email, role, password_hash, created_at)"
        " VALUES (?, ?, ?, ?)",
        [email, role, _HASHER.hash(password), datetime.now(UTC).isoformat()],
    ).lastrowid


def staff_exists(db: sqlite_utils.Database, email: str) -> bool:
    """Whether a staff user with this e-mail exists."""
    found = db.execute(
        "SELECT 1 FROM staff_users WHERE email = ?", [email.strip().lower()]
    ).fetchone()
    return found is not None


TOKEN_PREFIX = "dsr_staff_"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_by_email(db: sqlite_utils.Database, email: str) -> dict:
    """The staff user with this e-mail.

    :raises NotFound: no such user.
    """
    rows = list(
        db.query(
            "SELECT id, email, role FROM staff_users WHERE email = ?",
            [email.strip().lower()],
        )
    )
    if not rows:
        raise NotFound(f"no staff user {email.strip().lower()}")
    return rows[0]


def new_token(db: sqlite_utils.Database, email: str) -> str:
    """A new API token for a staff user (256 random bits; only its hash is kept)."""
    user = staff_by_email(db, email)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO staff_tokens (staff_id, token_hash, created_at) VALUES (?, ?, ?)",
        [user["id"], _token_hash(token), datetime.now(UTC).isoformat()],
    )
    return token


def revoke_tokens(db: sqlite_utils.Database, email: str) -> int:
    """Revoke every live token of a staff user; returns how many."""
    user = staff_by_email(db, email)
    now = datetime.now(UTC).isoformat()
    # Revoking a user's access ends their web sessions too.
    db.execute(
        "UPDATE staff_sessions SET ended_at = ? WHERE staff_id = ?"
        " AND ended_at IS NULL",
        [now, user["id"]],
    )
    return db.execute(
        "UPDATE staff_tokens SET revoked_at = ? WHERE staff_id = ?"
        " AND revoked_at IS NULL",
        [now, user["id"]],
    ).rowcount


def staff_for_token(db: sqlite_utils.Database, token: str | None) -> dict | None:
    """The staff user a live token belongs to, else ``None``."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    found = select_rows(
        db,
        "SELECT u.id, u.email, u.role FROM staff_tokens t JOIN staff_users u"
        " ON u.id = t.staff_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        [_token_hash(token)],
    )
    return found[0] if found else None


# --- web sessions (server-side, so that logout and timeouts really end them) -------

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Verifying against this when the e-mail is unknown keeps the answer time the same.
_DUMMY_HASH = _HASHER.hash("not a staff password, only for constant time")


def check_password(db: sqlite_utils.Database, email: str, password: str) -> dict | None:
    """The staff user if ``password`` is theirs, else ``None`` (same time, both)."""
    rows = list(
        db.query(
            "SELECT id, email, role, password_hash FROM staff_users WHERE email = ?",
            [email.strip().lower()],
        )
    )
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except argon2_exceptions.VerificationError:
        return None
    except argon2_exceptions.InvalidHashError:
        return None
    if not rows:
        return None
    user = rows[0]
    return {"id": user["id"], "email": user["email"], "role": user["role"]}


def start_session(db: sqlite_utils.Database, staff_id: int, at: datetime) -> str:
    """A new session id (a fresh one at every login: no fixation)."""
    sid = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO staff_sessions (sid_hash, staff_id, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?)",
        [_token_hash(sid), staff_id, at.isoformat(), at.isoformat()],
    )
    return sid


def session_user(
    db: sqlite_utils.Database, sid: str | None, at: datetime
) -> dict | None:
    """The staff user of a live session, touching it; ``None`` once ended, idle for
    30 minutes or older than 12 hours (OWASP ASVS 4.0.3 3.3.2)."""
    if not sid:
        return None
    rows = list(
        db.query(
            "SELECT s.created_at, s.last_seen_at, s.ended_at, u.id, u.email, u.role"
            " FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_id"
            " WHERE s.sid_hash = ?",
            [_token_hash(sid)],
        )
    )
    if not rows or rows[0]["ended_at"]:
        return None
    row = rows[0]
    if (
        at - datetime.fromisoformat(row["last_seen_at"]) > IDLE_TIMEOUT
        or at - datetime.fromisoformat(row["created_at"]) > ABSOLUTE_TIMEOUT
    ):
        end_session(db, sid, at)
        return None
    db.execute(
        "UPDATE staff_sessions SET last_seen_at = ? WHERE sid_hash = ?",
        [at.isoformat(), _token_hash(sid)],
    )
    return {"id": row["id"], "email": row["email"], "role": row["role"]}


def end_session(db: sqlite_utils.Database, sid: str | None, at: datetime) -> None:
    """End a session server-side (logout, timeout)."""
    if sid:
        db.execute(
            "UPDATE staff_sessions SET ended_at = ? WHERE sid_hash = ?"
            " AND ended_at IS NULL",
            [at.isoformat(), _token_hash(sid)],
        )

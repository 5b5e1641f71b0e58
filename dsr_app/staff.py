"""Staff users: roles and Argon2id password hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import sqlite_utils
from argon2 import PasswordHasher

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
    return db.execute(
        "UPDATE staff_tokens SET revoked_at = ? WHERE staff_id = ?"
        " AND revoked_at IS NULL",
        [datetime.now(UTC).isoformat(), user["id"]],
    ).rowcount


def staff_for_token(db: sqlite_utils.Database, token: str | None) -> dict | None:
    """The staff user a live token belongs to, else ``None``."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    rows = list(
        db.query(
            "SELECT u.id, u.email, u.role FROM staff_tokens t JOIN staff_users u"
            " ON u.id = t.staff_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            [_token_hash(token)],
        )
    )
    return rows[0] if rows else None

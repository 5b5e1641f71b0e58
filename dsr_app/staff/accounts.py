"""Staff users: roles, e-mail addresses and Argon2id password hashes."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils
from argon2 import PasswordHasher
from argon2 import exceptions as argon2_exceptions

from dsr_app import bidi
from dsr_app.errors import BadInput, Conflict, NotFound

ROLES = ("legal", "training", "admin")
MIN_PASSWORD, MAX_PASSWORD = 8, 256  # OWASP ASVS 6.2.1 / 6.2.9 (docs/security.md)

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
    if hidden := bidi.controls(email):  # issue 16, finding 11
        raise BadInput("email", f"must not contain {bidi.refusal(hidden)}")
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

"""Staff users: roles and Argon2id password hashes."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils
from argon2 import PasswordHasher

from .errors import BadInput, Conflict

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

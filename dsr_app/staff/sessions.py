"""Staff browser sessions, kept server-side so that logout and timeouts really
end them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app.signing import token_hash

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)


def start_session(db: sqlite_utils.Database, staff_id: int, at: datetime) -> str:
    """A new session id (a fresh one at every login: no fixation)."""
    sid = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO staff_sessions (sid_hash, staff_id, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?)",
        [token_hash(sid), staff_id, at.isoformat(), at.isoformat()],
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
            [token_hash(sid)],
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
        [at.isoformat(), token_hash(sid)],
    )
    return {"id": row["id"], "email": row["email"], "role": row["role"]}


def end_session(db: sqlite_utils.Database, sid: str | None, at: datetime) -> None:
    """End a session server-side (logout, timeout)."""
    if sid:
        db.execute(
            "UPDATE staff_sessions SET ended_at = ? WHERE sid_hash = ?"
            " AND ended_at IS NULL",
            [at.isoformat(), token_hash(sid)],
        )

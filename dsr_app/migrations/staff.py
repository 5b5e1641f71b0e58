"""Schema steps of staff: users, API tokens, sessions and failed logins, the
columns of their decisions, and the audit log of what they do."""

from __future__ import annotations

import sqlite_utils


def m003_staff_users(db: sqlite_utils.Database) -> None:
    """Staff users with a role and an Argon2id password hash."""
    db.executescript(
        """
        CREATE TABLE staff_users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,       -- lower case
            role TEXT NOT NULL CHECK (role IN ('legal', 'training', 'admin')),
            password_hash TEXT NOT NULL,      -- Argon2id (argon2-cffi)
            created_at TEXT NOT NULL
        ) STRICT;
        """
    )


def m007_staff_tokens_audit(db: sqlite_utils.Database) -> None:
    """Staff API tokens, staff decisions' columns, and the append-only audit log."""
    db.executescript(
        """
        CREATE TABLE staff_tokens (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER NOT NULL REFERENCES staff_users (id),
            token_hash TEXT NOT NULL UNIQUE,    -- SHA-256 of the token
            created_at TEXT NOT NULL,
            revoked_at TEXT
        ) STRICT;

        ALTER TABLE requests ADD COLUMN decision TEXT;
        ALTER TABLE requests ADD COLUMN decision_reason TEXT;
        ALTER TABLE requests ADD COLUMN decided_by INTEGER;
        ALTER TABLE requests ADD COLUMN decided_at TEXT;
        ALTER TABLE requests ADD COLUMN strict_due_at TEXT;  -- before any pause
        ALTER TABLE requests ADD COLUMN extended_at TEXT;
        ALTER TABLE requests ADD COLUMN info_requested_at TEXT;

        -- Every state change and staff action. Each entry holds the SHA-256 of the
        -- one before it; rows can be added, never changed or removed.
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,                -- staff:<id>, requester, system
            action TEXT NOT NULL,
            request_id TEXT,
            detail TEXT NOT NULL,               -- JSON object
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_log_request ON audit_log (request_id, seq);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )


def m008_staff_sessions(db: sqlite_utils.Database) -> None:
    """Server-side staff sessions: logout and timeouts end them for good."""
    db.executescript(
        """
        CREATE TABLE staff_sessions (
            sid_hash TEXT PRIMARY KEY,          -- SHA-256 of the id in the cookie
            staff_id INTEGER NOT NULL REFERENCES staff_users (id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT
        ) STRICT;
        """
    )


def m014_audit_keyed(db: sqlite_utils.Database) -> None:
    """Audit entries keyed with an HMAC under a secret outside the store (issue 16,
    finding 14); the unkeyed entries of an older store sealed by a keyed entry, so
    that a log ending unkeyed is a stripped one (audit.verify)."""
    from dsr_app.audit import seal_unkeyed
    from dsr_app.deadlines import now

    db.execute("ALTER TABLE audit_log ADD COLUMN mac TEXT")
    seal_unkeyed(db, now())


def m015_staff_token_expiry(db: sqlite_utils.Database) -> None:
    """Staff API tokens expire, and remember when they were last used (issue 16,
    finding 15).

    A token made before this rule expires ``DSR_STAFF_TOKEN_DAYS``' default (90
    days) after it was made, like a new one: every row has its ``created_at`` (NOT
    NULL since m007), and counting from the upgrade instead would give the oldest,
    most exposed tokens the longest lives. A ``created_at`` that is not a date (a
    hand-made row) counts from the upgrade, so that no token is left without an
    expiry; one with none is refused (staff.tokens.staff_for_token fails closed).
    """
    from datetime import UTC, datetime, timedelta

    from dsr_app.config import DEFAULTS
    from dsr_app.deadlines import now

    lifetime = timedelta(days=int(DEFAULTS["STAFF_TOKEN_DAYS"]))
    db.execute("ALTER TABLE staff_tokens ADD COLUMN expires_at TEXT")
    db.execute("ALTER TABLE staff_tokens ADD COLUMN last_used_at TEXT")
    for token_id, created in db.execute(
        "SELECT id, created_at FROM staff_tokens"
    ).fetchall():
        try:
            start = datetime.fromisoformat(created)
        except (TypeError, ValueError):
            start = now()
        if start.tzinfo is None:  # new_token writes UTC; a naive one was meant so
            start = start.replace(tzinfo=UTC)
        db.execute(
            "UPDATE staff_tokens SET expires_at = ? WHERE id = ?",
            [(start + lifetime).isoformat(), token_id],
        )


def m016_login_failures(db: sqlite_utils.Database) -> None:
    """Failed staff logins, counted per address, per account and address and per
    account (logins.py; issue 16, finding 7). Rows older than a day are dropped."""
    db.executescript(
        """
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,     -- logins.account_key: a hash, not the text
            address TEXT NOT NULL,            -- the client address
            trusted INTEGER NOT NULL,         -- 1: a browser that logged in before
            at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX login_failures_account ON login_failures (account, at);
        CREATE INDEX login_failures_address ON login_failures (address, at);
        CREATE INDEX login_failures_at ON login_failures (at);
        """
    )

"""Versioned schema migrations, applied in order when the store is opened."""

from __future__ import annotations

import sqlite_utils

migrations = sqlite_utils.Migrations("dsr_app")


@migrations()
def m001_manifests_records(db: sqlite_utils.Database) -> None:
    """Manifests, their records, and the identifier and full-text indexes over them."""
    db.executescript(
        """
        -- One row per ingested manifest file. The same bytes with the same dataset and
        -- version options is the same manifest: ingesting it again changes nothing.
        CREATE TABLE manifests (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,          -- base name only, never a path (L6)
            file_sha256 TEXT NOT NULL,
            format TEXT NOT NULL,             -- jsonl | jsonl.gz | parquet
            dataset_option TEXT NOT NULL,     -- --dataset as given, '' when absent
            dataset_version TEXT NOT NULL,
            records INTEGER NOT NULL,
            rejects INTEGER NOT NULL,
            violations INTEGER NOT NULL,
            ingested_at TEXT NOT NULL,
            UNIQUE (file_sha256, dataset_option, dataset_version)
        ) STRICT;

        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            manifest_id INTEGER NOT NULL REFERENCES manifests (id),
            dataset TEXT NOT NULL,
            dataset_version TEXT NOT NULL,
            record_id TEXT NOT NULL,
            text TEXT,                        -- NULL once purged after an erasure
            content_sha256 TEXT NOT NULL,
            source TEXT,
            kind TEXT,
            author_id TEXT,
            author_handle TEXT,
            author_handle_key TEXT,           -- author_handle lower-cased (Python's)
            created_at TEXT,
            visibility TEXT,
            author_is_minor INTEGER,
            lang TEXT,
            url TEXT,
            extra TEXT,                       -- unknown fields, as a JSON object
            policy_flags INTEGER NOT NULL,    -- bit 1: not public, bit 2: minor author
            UNIQUE (dataset, dataset_version, record_id)
        ) STRICT;
        CREATE INDEX records_author_id ON records (author_id)
            WHERE author_id IS NOT NULL;
        CREATE INDEX records_author_handle ON records (author_handle_key)
            WHERE author_handle_key IS NOT NULL;

        -- Identifiers written in a record's text, extracted once at ingest so that a
        -- lookup is one B-tree probe. value = kind prefix + canonical form:
        -- 'e:' e-mail (lower case), 'h:' @handle (lower case, no @),
        -- 'p:' phone in E.164 (written internationally), 'n:' phone digits as written
        -- nationally (with trunk prefix; the region is decided at match time).
        -- No foreign key: rows are removed by (value, record) when a text is purged.
        CREATE TABLE text_identifiers (
            value TEXT NOT NULL,
            record INTEGER NOT NULL,
            PRIMARY KEY (value, record)
        ) STRICT, WITHOUT ROWID;

        -- Full-text index over the folded text (lower case, accents and
        -- transliteration removed by identifiers.fold); contentless, rowid =
        -- records.id, so the text is not stored twice.
        CREATE VIRTUAL TABLE records_fts USING fts5 (
            folded, content = '', detail = none, columnsize = 0,
            tokenize = 'unicode61 remove_diacritics 2'
        );
        """
    )


@migrations()
def m002_accounts(db: sqlite_utils.Database) -> None:
    """The platform account registry (contract section 4)."""
    db.executescript(
        """
        CREATE TABLE accounts (
            account_id TEXT PRIMARY KEY,
            handle TEXT,                  -- lower case, without @
            display_name TEXT,
            email TEXT,                   -- as given
            email_canonical TEXT,         -- domain lower-cased, for ownership checks
            phone TEXT,                   -- E.164
            country TEXT,
            birth_date TEXT,
            extra TEXT                    -- unknown fields, as a JSON object
        ) STRICT;
        CREATE INDEX accounts_email ON accounts (email_canonical);
        CREATE INDEX accounts_phone ON accounts (phone);
        CREATE INDEX accounts_handle ON accounts (handle);
        """
    )


@migrations()
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


@migrations()
def m004_requests(db: sqlite_utils.Database) -> None:
    """Data subject requests, their one-time codes, owned accounts and messages."""
    db.executescript(
        """
        CREATE TABLE requests (
            id TEXT PRIMARY KEY,                -- 128 random bits, URL-safe
            type TEXT NOT NULL CHECK (type IN ('access', 'objection', 'erasure')),
            status TEXT NOT NULL CHECK (status IN ('pending_verification',
                'in_review', 'needs_info', 'completed', 'rejected', 'expired')),
            full_name TEXT NOT NULL,
            email TEXT NOT NULL,                -- as normalised by email-validator
            email_canonical TEXT NOT NULL,      -- domain lower-cased
            phone TEXT,                         -- E.164
            country TEXT NOT NULL,
            language TEXT NOT NULL,
            details TEXT,
            received_at TEXT NOT NULL,          -- UTC instant
            receipt_day TEXT NOT NULL,          -- in the controller's time zone
            controller_country TEXT NOT NULL,   -- whose holidays roll the deadline
            due_at TEXT NOT NULL,               -- YYYY-MM-DD
            status_token_hash TEXT NOT NULL UNIQUE,
            email_verified_at TEXT,
            phone_verified_at TEXT,
            updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX requests_status_due ON requests (status, due_at);
        CREATE INDEX requests_email ON requests (email_canonical, received_at);
        CREATE INDEX requests_phone ON requests (phone, received_at)
            WHERE phone IS NOT NULL;

        -- Handles the requester named; verified only through an owned account.
        CREATE TABLE request_handles (
            request_id TEXT NOT NULL REFERENCES requests (id),
            handle TEXT NOT NULL,
            verified INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (request_id, handle)
        ) STRICT;

        -- Registry accounts whose e-mail or phone equals a verified channel.
        CREATE TABLE owned_accounts (
            request_id TEXT NOT NULL REFERENCES requests (id),
            account_id TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('email', 'phone')),
            PRIMARY KEY (request_id, account_id, via)
        ) STRICT;

        -- One-time codes: only a keyed hash is stored. A code is live while
        -- used_at and dead_at are NULL and it has not expired.
        CREATE TABLE verification_codes (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            channel TEXT NOT NULL CHECK (channel IN ('email', 'phone')),
            code_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            wrong_tries INTEGER NOT NULL DEFAULT 0,
            used_at TEXT,
            dead_at TEXT
        ) STRICT;
        CREATE INDEX verification_codes_request
            ON verification_codes (request_id, channel, id);

        -- Wrong tries per request and channel over all its codes (limit 10).
        CREATE TABLE verification_attempts (
            request_id TEXT NOT NULL REFERENCES requests (id),
            channel TEXT NOT NULL,
            wrong_tries INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (request_id, channel)
        ) STRICT;

        -- One-time links from e-mails to the status page (exchanged for a session).
        CREATE TABLE status_links (
            token_hash TEXT PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            expires_at TEXT NOT NULL,
            used_at TEXT
        ) STRICT;

        -- Messages "sent" by the outbox backend (contract section 2).
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT;

        -- Work that follows an answer (ownership, matching), done after responding
        -- so that the answer never depends on what the registry holds.
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            request_id TEXT REFERENCES requests (id),
            created_at TEXT NOT NULL,
            claimed_at TEXT,                -- a run holds it until done or stale
            attempts INTEGER NOT NULL DEFAULT 0,
            done_at TEXT,
            error TEXT                      -- the last failure, kept for operators
        ) STRICT;
        CREATE INDEX jobs_pending ON jobs (id) WHERE done_at IS NULL;
        """
    )


@migrations()
def m005_replies(db: sqlite_utils.Database) -> None:
    """Answers of requesters to a request for information (contract: reply)."""
    db.executescript(
        """
        CREATE TABLE request_replies (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            received_at TEXT NOT NULL,
            details TEXT,
            handles TEXT,                 -- JSON array of handles added
            phone TEXT                    -- E.164, when a new number was given
        ) STRICT;
        CREATE INDEX request_replies_request ON request_replies (request_id, id);
        """
    )


@migrations()
def m006_matches(db: sqlite_utils.Database) -> None:
    """Matches found for requests, with staff decisions, and the searches run."""
    db.executescript(
        """
        CREATE TABLE matches (
            match_id TEXT PRIMARY KEY,          -- stable: hash of the match's key
            request_id TEXT NOT NULL REFERENCES requests (id),
            dataset TEXT NOT NULL,
            dataset_version TEXT NOT NULL,
            record_id TEXT NOT NULL,
            match_kind TEXT NOT NULL CHECK (match_kind IN ('own', 'mention')),
            matched_on TEXT NOT NULL CHECK (matched_on IN
                ('account', 'email', 'phone', 'handle', 'name')),
            confidence TEXT NOT NULL CHECK (confidence IN
                ('verified', 'probable', 'weak')),
            snippet TEXT NOT NULL,
            policy_flags TEXT NOT NULL,         -- JSON array
            content_sha256 TEXT,
            decision TEXT CHECK (decision IN ('include', 'exclude')),
            decided_by TEXT,
            decided_at TEXT,
            found_at TEXT NOT NULL,
            seen_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX matches_request ON matches (request_id, match_kind, confidence);

        -- Each search run for a request: when, how, over which dataset versions
        -- (the access letter states the scope and date of the search).
        CREATE TABLE searches (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            searched_at TEXT NOT NULL,
            engine TEXT NOT NULL,               -- index | sweep
            scope TEXT NOT NULL,                -- JSON [[dataset, version], ...]
            matches INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX searches_request ON searches (request_id, id);
        """
    )


@migrations()
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


@migrations()
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


@migrations()
def m009_removal_lists(db: sqlite_utils.Database) -> None:
    """Signed removal lists, their acknowledgements, and the suppression hashes."""
    db.executescript(
        """
        CREATE TABLE removal_lists (
            id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            issued_at TEXT NOT NULL,
            entries INTEGER NOT NULL,
            document TEXT NOT NULL              -- the signed JSON (contract §6)
        ) STRICT;
        CREATE INDEX removal_lists_request ON removal_lists (request_id);

        CREATE TABLE removal_acks (
            list_id TEXT NOT NULL REFERENCES removal_lists (id),
            dataset TEXT NOT NULL,
            dataset_version TEXT NOT NULL,
            acknowledged_at TEXT NOT NULL,
            acknowledged_by INTEGER NOT NULL,
            PRIMARY KEY (list_id, dataset, dataset_version)
        ) STRICT;

        -- Identifiers to keep out of future training: keyed hashes only.
        CREATE TABLE suppression (
            type TEXT NOT NULL CHECK (type IN ('account_id', 'email', 'phone',
                'handle')),
            hmac_sha256 TEXT NOT NULL,
            request_id TEXT NOT NULL REFERENCES requests (id),
            added_at TEXT NOT NULL,
            PRIMARY KEY (type, hmac_sha256, request_id)
        ) STRICT;
        """
    )


@migrations()
def m010_follow_ups(db: sqlite_utils.Database) -> None:
    """Follow-up removal lists, linked to the list they extend."""
    db.executescript(
        """
        ALTER TABLE removal_lists ADD COLUMN follow_up_of TEXT;
        ALTER TABLE requests ADD COLUMN follow_up_weak INTEGER NOT NULL DEFAULT 0;
        """
    )


@migrations()
def m011_request_mailbox(db: sqlite_utils.Database) -> None:
    """The mailbox a request's e-mail reaches (identifiers.mailbox_key), on which
    the daily limit per target counts: ``Zoe+1@…`` and ``ZOE@…`` are ``zoe@…``."""
    from dsr_app.identifiers import mailbox_key

    db.execute("ALTER TABLE requests ADD COLUMN email_mailbox TEXT")
    for request_id, email in db.execute("SELECT id, email FROM requests").fetchall():
        db.execute(
            "UPDATE requests SET email_mailbox = ? WHERE id = ?",
            [mailbox_key(email), request_id],
        )
    db.execute("CREATE INDEX requests_mailbox ON requests (email_mailbox, received_at)")


@migrations()
def m012_fts_hashsize(db: sqlite_utils.Database) -> None:
    """A 16 MiB buffer of pending full-text entries instead of 1 MiB: bulk ingest
    flushes fewer, bigger segments (about 1.5 µs a record less, a smaller index)."""
    import sqlite3

    try:
        db.execute(
            "INSERT INTO records_fts (records_fts, rank) VALUES ('hashsize', ?)",
            [16 * 1024 * 1024],
        )
    except sqlite3.OperationalError:
        pass  # SQLite before 3.39 has no such option; it keeps its default


@migrations()
def m013_content_matches(db: sqlite_utils.Database) -> None:
    """Matches may be ``content``: another author's copy of a text the requester had
    removed, a candidate for staff, never removed unreviewed (copies.py; issue 16).

    SQLite cannot change a CHECK constraint in place: the table is rebuilt from its
    stored definition (with any column added since) and its indexes made again.
    """
    import re

    (sql,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'matches'"
    ).fetchone()
    indexes = [
        r[0]
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name = 'matches' AND sql IS NOT NULL"
        )
    ]
    check = re.compile(r"(CHECK\s*\(\s*matched_on\s+IN\s*\()([^)]*)\)")
    if "'content'" in check.search(sql).group(2):
        return
    sql = check.sub(lambda m: f"{m.group(1)}{m.group(2)}, 'content')", sql, count=1)
    sql = re.sub(r"^CREATE TABLE\s+\"?matches\"?", "CREATE TABLE matches_m013", sql)
    db.execute(sql)
    db.execute("INSERT INTO matches_m013 SELECT * FROM matches")
    db.execute("DROP TABLE matches")
    db.execute("ALTER TABLE matches_m013 RENAME TO matches")
    for index in indexes:
        db.execute(index)


@migrations()
def m014_audit_keyed(db: sqlite_utils.Database) -> None:
    """Audit entries keyed with an HMAC under a secret outside the store (issue 16,
    finding 14); the unkeyed entries of an older store sealed by a keyed entry, so
    that a log ending unkeyed is a stripped one (audit.verify)."""
    from dsr_app.audit import seal_unkeyed
    from dsr_app.deadlines import now

    db.execute("ALTER TABLE audit_log ADD COLUMN mac TEXT")
    seal_unkeyed(db, now())


@migrations()
def m015_staff_token_expiry(db: sqlite_utils.Database) -> None:
    """Staff API tokens expire, and remember when they were last used (issue 16,
    finding 15).

    A token made before this rule expires ``DSR_STAFF_TOKEN_DAYS``' default (90
    days) after it was made, like a new one: every row has its ``created_at`` (NOT
    NULL since m007), and counting from the upgrade instead would give the oldest,
    most exposed tokens the longest lives. A ``created_at`` that is not a date (a
    hand-made row) counts from the upgrade, so that no token is left without an
    expiry; one with none is refused (staff.staff_for_token fails closed).
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


@migrations()
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


@migrations()
def m017_canonical_mailbox(db: sqlite_utils.Database) -> None:
    """Every request's mailbox again under the provider table of
    identifiers.mailbox_key (Gmail's dots, googlemail.com, Yahoo's "-" tags, IDNA
    domains): requests filed before it count against the mailbox they reach
    (issue 16, finding 9). Ownership keeps ``email_canonical``, untouched."""
    from dsr_app.identifiers import mailbox_key

    for request_id, email in db.execute("SELECT id, email FROM requests").fetchall():
        db.execute(
            "UPDATE requests SET email_mailbox = ? WHERE id = ?",
            [mailbox_key(email), request_id],
        )

"""Schema steps of the cases: requests, their codes, status links, replies, the
outbox and the job queue, and the mailbox the daily limit counts on."""

from __future__ import annotations

import sqlite_utils


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


def m019_request_pauses(db: sqlite_utils.Database) -> None:
    """The days a request's clock stood still for requests for information, kept
    on the request (issue 18, item 6): each reply adds its pause, and every later
    due date (another pause, an extension) is counted with all of them. Replies
    recorded before keep theirs: summed from their audit entries."""
    db.execute("ALTER TABLE requests ADD COLUMN paused_days INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE requests SET paused_days = coalesce((SELECT"
        " sum(json_extract(a.detail, '$.paused_days')) FROM audit_log a"
        " WHERE a.request_id = requests.id AND a.action = 'info_received'), 0)"
    )


def m020_request_region(db: sqlite_utils.Database) -> None:
    """The person's region of residence (contract section 5 v2: ``region``, ISO
    3166-2, e.g. ``DE-BY``), which picks their supervisory authority where a
    country has several (issue 18, item 7). Older requests have none."""
    db.execute("ALTER TABLE requests ADD COLUMN region TEXT")


def m021_decision_grounds(db: sqlite_utils.Database) -> None:
    """The grounds staff chose for a decision (issue 18, items 5 and 8): the Art.
    17(1) ground of an approved erasure (``a``..``f``; NULL for decisions before it,
    whose letters cite Art. 17(1) without a ground) and the codes of the common
    reasons for a refusal, an extension or a request for information (a JSON list;
    review/grounds.py), beside the free-text ``decision_reason``."""
    db.execute(
        "ALTER TABLE requests ADD COLUMN erasure_ground TEXT"
        " CHECK (erasure_ground IN ('a', 'b', 'c', 'd', 'e', 'f'))"
    )
    db.execute("ALTER TABLE requests ADD COLUMN reason_codes TEXT")


def m026_request_pointers(db: sqlite_utils.Database) -> None:
    """The items a person points to (contract section 5 v2: ``pointers``; issue 20,
    item 3), kept with the request, and the index that finds them: each record's
    URL by a hash of its normal form, and its passage prints (matching/passages.py),
    filled on first use after an ingest up to ``pointer_index.indexed_to``; and
    matches found by them (``matched_on`` = ``pointer``)."""
    db.executescript(
        """
        -- As given (trimmed), in order, from the request and its replies.
        CREATE TABLE request_pointers (
            request_id TEXT NOT NULL REFERENCES requests (id),
            position INTEGER NOT NULL,
            value TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (request_id, position),
            UNIQUE (request_id, value)
        ) STRICT;

        -- A record's url as pointers.url_key, hashed to 63 bits (the lookup checks
        -- the url itself); records.id, no foreign key, as text_identifiers.
        CREATE TABLE record_urls (
            url_hash INTEGER NOT NULL,
            record INTEGER NOT NULL,
            PRIMARY KEY (url_hash, record)
        ) STRICT, WITHOUT ROWID;

        -- Winnowed word shingles of each record's folded text, as 20-bit buckets
        -- (passages.tokens); contentless, rowid = records.id.
        CREATE VIRTUAL TABLE passage_prints USING fts5 (
            prints, content = '', detail = none, columnsize = 0, tokenize = 'ascii'
        );

        -- The highest records.id both tables above hold (ids only grow).
        CREATE TABLE pointer_index (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            indexed_to INTEGER NOT NULL
        ) STRICT;
        INSERT INTO pointer_index (id, indexed_to) VALUES (1, 0);
        """
    )
    import sqlite3

    from dsr_app.migrations.review import allow_matched_on

    allow_matched_on(db, "pointer")  # contract section 5 v2
    try:  # fewer, bigger segments while an index is filled (as m012)
        db.execute(
            "INSERT INTO passage_prints (passage_prints, rank) VALUES ('hashsize', ?)",
            [16 * 1024 * 1024],
        )
    except sqlite3.OperationalError:
        pass  # SQLite before 3.39 keeps its default


def m028_pointer_index_job(db: sqlite_utils.Database) -> None:
    """The pointer index is filled by a job, no longer by the first search that
    needs it (issue 20): queue one for a store whose records it does not hold."""
    from datetime import UTC, datetime

    db.execute(
        "INSERT INTO jobs (kind, created_at) SELECT 'pointer_index', ?"
        " WHERE EXISTS (SELECT 1 FROM records"
        " WHERE id > (SELECT indexed_to FROM pointer_index))",
        [datetime.now(UTC).isoformat()],
    )


def m030_lookup_codes(db: sqlite_utils.Database) -> None:
    """One-time codes that find a request again by its reference when the browser
    session is lost (issue 21, item 3; cases/lookup.py), kept apart from the
    verification codes, whose limits count the proof of a channel."""
    db.executescript(
        """
        CREATE TABLE lookup_codes (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            code_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            wrong_tries INTEGER NOT NULL DEFAULT 0,
            used_at TEXT,
            dead_at TEXT
        ) STRICT;
        CREATE INDEX lookup_codes_request ON lookup_codes (request_id, id);
        """
    )

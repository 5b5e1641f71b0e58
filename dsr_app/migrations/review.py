"""Schema steps of review and removal: matches and the searches that found them,
signed removal lists, their acknowledgements and the suppression hashes."""

from __future__ import annotations

import sqlite_utils


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


def m010_follow_ups(db: sqlite_utils.Database) -> None:
    """Follow-up removal lists, linked to the list they extend."""
    db.executescript(
        """
        ALTER TABLE removal_lists ADD COLUMN follow_up_of TEXT;
        ALTER TABLE requests ADD COLUMN follow_up_weak INTEGER NOT NULL DEFAULT 0;
        """
    )


def m013_content_matches(db: sqlite_utils.Database) -> None:
    """Matches may be ``content``: another author's copy of a text the requester had
    removed, a candidate for staff, never removed unreviewed (copies.py; issue 16)."""
    allow_matched_on(db, "content")


def allow_matched_on(db: sqlite_utils.Database, value: str) -> None:
    """Let ``matches.matched_on`` hold ``value`` too (m013, m026).

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
    if f"'{value}'" in check.search(sql).group(2):
        return
    sql = check.sub(lambda m: f"{m.group(1)}{m.group(2)}, '{value}')", sql, count=1)
    sql = re.sub(r"^CREATE TABLE\s+\"?matches\"?", "CREATE TABLE matches_new", sql)
    db.execute(sql)
    db.execute("INSERT INTO matches_new SELECT * FROM matches")
    db.execute("DROP TABLE matches")
    db.execute("ALTER TABLE matches_new RENAME TO matches")
    for index in indexes:
        db.execute(index)


def m018_issued_letters(db: sqlite_utils.Database) -> None:
    """Letters as issued to the requester: rendered once, kept, never changed
    (contract section 5, "Issued letters are records"; issue 18, item 1).

    ``sha256`` is of ``txt`` and is also in the audit log; ``pdf`` is made from
    ``html`` by a job (or a download before it) and then set once (WeasyPrint is
    too slow to run inside a decision).
    """
    db.executescript(
        """
        CREATE TABLE issued_letters (
            id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests (id),
            kind TEXT NOT NULL CHECK (kind IN ('decision', 'extension',
                'request_info', 'removal_complete')),
            template TEXT NOT NULL,             -- letters/<template>.{html,txt}
            issued_at TEXT NOT NULL,
            lang TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            html BLOB NOT NULL,
            txt BLOB NOT NULL,
            pdf BLOB
        ) STRICT;
        CREATE INDEX issued_letters_request ON issued_letters (request_id, issued_at);
        """
    )


def m023_touched_index(db: sqlite_utils.Database) -> None:
    """The included matches of a request by record: the probe that finds which
    dataset versions a removal list touches (removal.versions; issue 19). The
    request index alone read every match of the request for each listed entry."""
    db.execute(
        "CREATE INDEX matches_record ON matches (request_id, dataset, record_id)"
        " WHERE decision = 'include'"
    )


def m027_match_rules(db: sqlite_utils.Database) -> None:
    """Why each match was made (issue 20, item 4): the rule's code
    (matching.reasons.RULES) and the words it matched, as written in the text, for
    the case page to mark. Matches stored before get the rule their basis implies
    and no words until a search finds them again."""
    db.executescript(
        """
        ALTER TABLE matches ADD COLUMN rule TEXT NOT NULL DEFAULT '';
        ALTER TABLE matches ADD COLUMN matched_words TEXT NOT NULL DEFAULT '';
        UPDATE matches SET rule = CASE
            WHEN matched_on = 'handle' AND confidence = 'weak' THEN 'handle_named'
            ELSE matched_on END;
        """
    )


def m029_case_assignment(db: sqlite_utils.Database) -> None:
    """Who works on a case and their note (issue 21, item 1): the queue filters
    by assignee ("mine", "unassigned"); both changes are audited (worklist.py)."""
    db.executescript(
        """
        ALTER TABLE requests ADD COLUMN assignee_id INTEGER
            REFERENCES staff_users (id);
        ALTER TABLE requests ADD COLUMN staff_note TEXT;
        CREATE INDEX requests_assignee ON requests (assignee_id, due_at)
            WHERE assignee_id IS NOT NULL;
        """
    )

"""Schema steps of the corpus: manifests, their records and identifier and
full-text indexes, and the platform account registry."""

from __future__ import annotations

import sqlite_utils


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


def m012_fts_hashsize(db: sqlite_utils.Database) -> None:
    """A 16 MiB buffer of pending full-text entries instead of 1 MiB: bulk ingest
    flushes fewer, bigger segments (docs/benchmarks.md)."""
    import sqlite3

    try:
        db.execute(
            "INSERT INTO records_fts (records_fts, rank) VALUES ('hashsize', ?)",
            [16 * 1024 * 1024],
        )
    except sqlite3.OperationalError:
        pass  # SQLite before 3.39 has no such option; it keeps its default

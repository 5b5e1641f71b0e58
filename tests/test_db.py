"""The store: WAL, foreign keys, STRICT tables, migrations applied once."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from dsr_app.db import open_db
from dsr_app.migrations import migrations


def test_open_db_sets_wal_and_foreign_keys(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_open_db_creates_parent_folder(tmp_path):
    path = tmp_path / "a" / "b" / "dsr.sqlite3"
    open_db(path).close()
    assert path.exists()


def test_tables_are_strict(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO manifests (file_name, file_sha256, format, dataset_option,"
            " dataset_version, records, rejects, violations, ingested_at)"
            " VALUES ('f', 'h', 'jsonl', '', '1', 'many', 0, 0, 'now')"
        )


def test_records_need_an_existing_manifest(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO records (manifest_id, dataset, dataset_version, record_id,"
            " content_sha256, policy_flags) VALUES (999, 'd', '1', 'r', 'h', 0)"
        )


def test_migrations_apply_once_and_reopen_cleanly(db_path):
    open_db(db_path).close()
    db = open_db(db_path)
    applied = [m.name for m in migrations.applied(db)]
    assert applied == [m.name for m in migrations._migrations]
    assert migrations.pending(db) == []


# The steps as stores have recorded them (``_sqlite_migrations``): renaming or
# reordering one would make every existing store run it again (issue 17 moved them
# from one module into dsr_app/migrations/).
RECORDED_STEPS = [
    "m001_manifests_records",
    "m002_accounts",
    "m003_staff_users",
    "m004_requests",
    "m005_replies",
    "m006_matches",
    "m007_staff_tokens_audit",
    "m008_staff_sessions",
    "m009_removal_lists",
    "m010_follow_ups",
    "m011_request_mailbox",
    "m012_fts_hashsize",
    "m013_content_matches",
    "m014_audit_keyed",
    "m015_staff_token_expiry",
    "m016_login_failures",
    "m017_canonical_mailbox",
    "m018_issued_letters",
    "m019_request_pauses",
    "m020_request_region",
    "m021_decision_grounds",
    "m022_training_runs",
    "m023_touched_index",
    "m024_model_measures",
    "m026_request_pointers",
    "m027_match_rules",
    "m028_pointer_index_job",
    "m029_case_assignment",
    "m030_lookup_codes",
]


def test_migration_steps_keep_their_names_and_order():
    fresh = sqlite_utils.Database(memory=True)
    assert [m.name for m in migrations.pending(fresh)] == RECORDED_STEPS


def test_a_store_migrated_before_the_split_has_nothing_to_apply():
    store = sqlite_utils.Database(memory=True)
    migrations.ensure_migrations_table(store)
    store[migrations.migrations_table].insert_all(
        {"migration_set": "dsr_app", "name": name, "applied_at": "2026-01-01"}
        for name in RECORDED_STEPS
    )
    assert migrations.pending(store) == []


def test_connect_sets_per_connection_pragmas_without_migrating(db_path, monkeypatch):
    from dsr_app.db import connect

    open_db(db_path).close()
    monkeypatch.setattr(
        migrations, "apply", lambda db: pytest.fail("connect() migrated")
    )
    db = connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in file
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    db.close()


def test_web_requests_do_not_check_migrations(app, client, monkeypatch):
    monkeypatch.setattr(
        migrations, "apply", lambda db: pytest.fail("a request migrated")
    )
    assert client.get("/api/v1/requests/nope").status_code == 404


def test_select_rows_runs_one_statement_and_gives_dicts(db):
    from dsr_app.sql import select_rows

    db.execute(
        "INSERT INTO outbox (channel, recipient, subject, body, created_at)"
        " VALUES ('email', 'a@example.org', 's', 'b', 'now')"
    )
    statements = []
    db.conn.set_trace_callback(statements.append)
    found = select_rows(
        db, "SELECT recipient, subject FROM outbox WHERE channel = ?", ["email"]
    )
    db.conn.set_trace_callback(None)
    assert found == [{"recipient": "a@example.org", "subject": "s"}]
    assert len(statements) == 1 and not db.conn.in_transaction


def test_the_wal_shrinks_after_a_big_ingest_while_others_are_connected(
    db_path, monkeypatch
):
    from pathlib import Path

    from dsr_app import db as store
    from dsr_app.corpus.ingest import ingest

    limit = 64 * 1024
    monkeypatch.setattr(store, "WAL_SIZE_LIMIT", limit)
    writer = open_db(db_path)
    assert writer.execute("PRAGMA journal_size_limit").fetchone()[0] == limit
    server = store.connect(db_path)  # keeps the WAL file from being deleted
    server.execute("SELECT count(*) FROM records").fetchall()
    manifest = Path(__file__).parents[1] / "fixtures/manifests"
    ingest(writer, [manifest / "public-posts-2025-01.jsonl.gz"], workers=0)
    wal = Path(f"{db_path}-wal")
    assert wal.stat().st_size > 10 * limit  # the file went through the WAL
    # as a commit does once the WAL holds 1,000 pages (a file of a few MB here)
    server.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    server.execute(
        "INSERT INTO manifests (file_name, file_sha256, format, dataset_option,"
        " dataset_version, records, rejects, violations, ingested_at)"
        " VALUES ('f', 'h', 'jsonl', '', '1', 0, 0, 0, 'now')"
    )
    server.conn.commit()
    assert wal.stat().st_size <= limit
    server.close()
    writer.close()

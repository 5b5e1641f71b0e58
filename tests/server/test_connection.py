"""The request's store connection: one per server thread, rolled back after use."""

from __future__ import annotations

import sqlite3

import pytest

from dsr_app.db import open_db
from dsr_app.server.connection import get_db


def test_requests_of_one_thread_share_its_connection(app):
    with app.app_context():
        first = get_db()
    with app.app_context():
        assert get_db() is first
        assert first.execute("SELECT count(*) FROM requests").fetchone() == (0,)


def test_a_transaction_left_open_is_rolled_back_after_the_request(app, db_path):
    with app.app_context():
        db = get_db()
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute(
            "INSERT INTO outbox (channel, recipient, subject, body, created_at)"
            " VALUES ('email', 'a@example.org', 's', 'b', 'now')"
        )
    assert not db.conn.in_transaction
    other = open_db(db_path)
    assert other.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    other.close()


def test_a_verification_queues_its_jobs_on_the_thread_connection(
    api, db_path, monkeypatch
):
    import sqlite_utils

    from tests.conftest import latest_code

    body = {"type": "access", "full_name": "Ada", "email": "ada@example.org"}
    made = api.post("/api/v1/requests", json={**body, "country": "DE"}).get_json()
    code = latest_code(db_path, "ada@example.org")
    monkeypatch.setattr(
        sqlite_utils, "Database", lambda *a, **k: pytest.fail("opened a connection")
    )
    answer = api.post(
        f"/api/v1/requests/{made['id']}/verify",
        json={"channel": "email", "code": code},
        headers={"Authorization": f"Bearer {made['status_token']}"},
    )
    assert answer.status_code == 200
    # Nothing runs when the response closes: the job runner does the work, apart
    # from the request's thread and connection (issue 16, finding 5).
    answer.close()
    check = sqlite3.connect(db_path)
    searched = check.execute("SELECT count(*) FROM searches").fetchone()
    pending = check.execute("SELECT kind FROM jobs WHERE done_at IS NULL").fetchall()
    assert (searched, pending) == ((0,), [("resolve_ownership",)])
    check.close()

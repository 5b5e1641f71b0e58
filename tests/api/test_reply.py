"""``POST /api/v1/requests/<id>/reply``: answering a request for information."""

from __future__ import annotations

from dsr_app.db import open_db
from tests.conftest import (
    assert_api_error,
    bearer,
    latest_code,
    new_request,
    outbox,
    verify,
)


def _needs_info(db_path, request_id: str) -> None:
    """Put a request where legal staff's request_info leaves it."""
    db = open_db(db_path)
    db.execute("UPDATE requests SET status = 'needs_info' WHERE id = ?", [request_id])
    db.close()


def _reply(api, created, body):
    return api.post(
        f"/api/v1/requests/{created['id']}/reply", json=body, headers=bearer(created)
    )


def test_reply_puts_the_request_back_in_review(api, db_path):
    created = new_request(api)
    verify(api, db_path, created, "email", "zoe@example.eu")
    _needs_info(db_path, created["id"])
    resp = _reply(
        api, created, {"details": "I posted as @zoe.m", "handles": ["@Zoe.M"]}
    )
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "in_review"
    db = open_db(db_path)
    handles = [r["handle"] for r in db["request_handles"].rows]
    assert handles == ["zoe.m"]
    reply = next(db["request_replies"].rows)
    assert reply["details"] == "I posted as @zoe.m"


def test_reply_with_a_new_phone_needs_its_code(api, db_path):
    created = new_request(api)
    verify(api, db_path, created, "email", "zoe@example.eu")
    _needs_info(db_path, created["id"])
    resp = _reply(api, created, {"phone": "0151 23456789"})
    assert resp.get_json()["verified_channels"] == ["email"]
    code = latest_code(db_path, "+4915123456789")
    ok = api.post(
        f"/api/v1/requests/{created['id']}/verify",
        json={"channel": "phone", "code": code},
        headers=bearer(created),
    )
    assert ok.get_json()["verified_channels"] == ["email", "phone"]


def test_reply_when_not_asked_is_409(api, db_path):
    created = new_request(api)
    assert_api_error(_reply(api, created, {"details": "hello"}), 409)


def test_empty_or_bad_reply_is_400(api, db_path):
    created = new_request(api)
    _needs_info(db_path, created["id"])
    assert_api_error(_reply(api, created, {}), 400, "_schema")
    assert_api_error(_reply(api, created, {"phone": "1"}), 400, "phone")
    assert_api_error(_reply(api, created, {"status": "completed"}), 400, "status")
    assert_api_error(_reply(api, created, {"handles": ["no spaces"]}), 400, "handles")


def test_reply_to_someone_elses_request_is_404(api, db_path):
    mine = new_request(api, email="a@example.org")
    theirs = new_request(api, email="b@example.org")
    _needs_info(db_path, theirs["id"])
    resp = api.post(
        f"/api/v1/requests/{theirs['id']}/reply",
        json={"details": "x"},
        headers=bearer(mine),
    )
    assert_api_error(resp, 404)


def test_reply_with_handles_and_phone_together(api, db_path):
    created = new_request(api)
    db = open_db(db_path)
    db.execute(
        "UPDATE requests SET status = 'needs_info' WHERE id = ?", [created["id"]]
    )
    resp = api.post(
        f"/api/v1/requests/{created['id']}/reply",
        json={"handles": ["@Zoe"], "phone": "0151 23456789"},
        headers=bearer(created),
    )
    assert resp.status_code == 200, resp.get_json()
    assert outbox(db_path, "+4915123456789")


def test_an_extension_after_a_reply_keeps_the_pause(api, staff, db_path, monkeypatch):
    """Received Thu 15 May 2025, asked Fri 16, answered Mon 19 (3 days paused),
    extended Tue 20: 15 Aug + 3 = Mon 18 Aug; strict (no pause) Fri 15 Aug."""
    from datetime import UTC, datetime

    from dsr_app import deadlines

    def at(day):
        monkeypatch.setattr(
            deadlines, "now", lambda: datetime(2025, 5, day, 9, tzinfo=UTC)
        )

    def decide(decision):
        resp = api.post(
            f"/api/v1/staff/requests/{created['id']}/decision",
            json={"decision": decision, "reason": "Which account is yours?"},
            headers=staff["legal"],
        )
        assert resp.status_code == 200, resp.get_json()

    at(15)
    created = new_request(api)
    verify(api, db_path, created, "email", "zoe@example.eu")
    at(16)
    decide("request_info")
    at(19)
    assert _reply(api, created, {"details": "@zm"}).status_code == 200
    row = open_db(db_path)["requests"].get(created["id"])
    assert row["due_at"] == "2025-06-18"  # 15 Jun + 3, a Wednesday
    at(20)
    decide("extend")
    row = open_db(db_path)["requests"].get(created["id"])
    assert (row["due_at"], row["strict_due_at"]) == ("2025-08-18", "2025-08-15")


def test_the_pause_is_kept_on_the_request_and_an_older_store_gets_it_back(
    api, staff, db_path, monkeypatch
):
    """A reply adds its pause to the request's ``paused_days``; a store whose
    replies predate that column (m019) sums them from the replies' audit entries."""
    from datetime import UTC, datetime

    from dsr_app import deadlines

    monkeypatch.setattr(deadlines, "now", lambda: datetime(2025, 5, 15, 9, tzinfo=UTC))
    created = new_request(api)
    verify(api, db_path, created, "email", "zoe@example.eu")
    monkeypatch.setattr(deadlines, "now", lambda: datetime(2025, 5, 16, 9, tzinfo=UTC))
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "request_info", "reason": "Which account is yours?"},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    monkeypatch.setattr(deadlines, "now", lambda: datetime(2025, 5, 19, 9, tzinfo=UTC))
    assert _reply(api, created, {"details": "@zm"}).status_code == 200
    db = open_db(db_path)
    assert db["requests"].get(created["id"])["paused_days"] == 3
    # The store as it was before m019: no column, the step not yet applied.
    db.execute("ALTER TABLE requests DROP COLUMN paused_days")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm019_request_pauses'")
    db.conn.commit()
    db.close()
    assert open_db(db_path)["requests"].get(created["id"])["paused_days"] == 3


def test_staff_api_shows_the_reply(api, staff, db_path):
    created = new_request(api)
    verify(api, db_path, created, "email", "zoe@example.eu")
    _needs_info(db_path, created["id"])
    _reply(api, created, {"details": "I posted as @zoe.m", "handles": ["@Zoe.M"]})
    case = api.get(
        f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"]
    ).get_json()
    (reply,) = case["replies"]
    assert reply["details"] == "I posted as @zoe.m"
    assert reply["handles"] == ["zoe.m"]
    assert reply["phone"] is None and reply["received_at"]

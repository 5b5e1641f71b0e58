"""Staff API: tokens and roles, the queue, a case, decisions; the audit chain."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from dsr_app import deadlines
from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from tests.conftest import REGISTRY, assert_api_error, new_request, verify


def verified_case(api, db_path, run, **overrides) -> str:
    """A verified objection by the registry's acc-1, searched over the test data."""
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    created = new_request(api, full_name="Zoë Müller-Łukasik", **overrides)
    verify(api, db_path, created, "email", "zoe@example.eu")
    run_pending(open_db(db_path))
    return created["id"]


def test_staff_calls_need_a_token_and_the_right_role(api, staff, db_path, run):
    assert_api_error(api.get("/api/v1/staff/requests"), 401)
    bad = {"Authorization": "Bearer dsr_staff_nope"}
    assert_api_error(api.get("/api/v1/staff/requests", headers=bad), 401)
    assert_api_error(api.get("/api/v1/staff/requests", headers=staff["training"]), 403)
    assert api.get("/api/v1/staff/requests", headers=staff["legal"]).status_code == 200
    assert api.get("/api/v1/staff/requests", headers=staff["admin"]).status_code == 200


def test_revoked_token_is_401(api, staff, run):
    result = run("staff", "revoke", "legal@staff.example")
    assert "1 token(s) revoked" in result.output
    assert_api_error(api.get("/api/v1/staff/requests", headers=staff["legal"]), 401)


def test_status_token_is_not_a_staff_token(api, staff):
    created = new_request(api)
    headers = {"Authorization": f"Bearer {created['status_token']}"}
    assert_api_error(api.get("/api/v1/staff/requests", headers=headers), 401)


def test_queue_is_ordered_by_due_date_with_marks_and_counts(
    api, staff, db_path, monkeypatch
):
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    for days, email in (
        (0, "a@example.org"),
        (10, "b@example.org"),
        (-40, "c@example.org"),
    ):
        monkeypatch.setattr(deadlines, "now", lambda d=days: start + timedelta(days=d))
        created = new_request(api, email=email)
        if email != "c@example.org":
            verify(api, db_path, created, "email", email)
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(days=27))
    body = api.get("/api/v1/staff/requests", headers=staff["legal"]).get_json()
    dues = [i["due_at"] for i in body["items"]]
    assert dues == sorted(dues)
    expired, first, second = body["items"]
    assert expired["status"] == "expired"  # never verified
    assert first["due_soon"] and not first["overdue"] and first["days_left"] == 4
    assert not second["due_soon"] and not second["overdue"]
    assert body["counts"]["in_review"] == 2 and body["counts"]["due_soon"] == 1
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(days=35))
    body = api.get(
        "/api/v1/staff/requests?status=in_review", headers=staff["legal"]
    ).get_json()
    assert [i["overdue"] for i in body["items"]] == [True, False]
    assert body["counts"]["overdue"] == 1
    assert_api_error(
        api.get("/api/v1/staff/requests?status=nope", headers=staff["legal"]),
        400,
        "status",
    )


def test_queue_pages_its_items_and_counts_them_all(api, staff, db_path):
    ids = []
    for n in range(5):
        created = new_request(api, email=f"p{n}@example.org")
        verify(api, db_path, created, "email", f"p{n}@example.org")
        ids.append(created["id"])
    url = "/api/v1/staff/requests?status=in_review"
    everything = api.get(url, headers=staff["legal"]).get_json()
    assert sorted(i["id"] for i in everything["items"]) == sorted(ids)  # default

    def page(query: str) -> dict:
        return api.get(f"{url}&{query}", headers=staff["legal"]).get_json()

    assert page("limit=2")["items"] == everything["items"][:2]
    assert page("limit=2&offset=3")["items"] == everything["items"][3:]
    assert page("offset=4")["items"] == everything["items"][4:]
    assert page("offset=9")["items"] == []
    assert page("limit=1")["counts"] == everything["counts"]  # never paged


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=x", "limit"), ("offset=-1", "offset")],
)
def test_queue_refuses_a_bad_page(api, staff, query, field):
    resp = api.get(f"/api/v1/staff/requests?{query}", headers=staff["legal"])
    assert_api_error(resp, 400, field)


def test_case_shows_matches_in_the_contract_shape(api, staff, db_path, run):
    request_id = verified_case(api, db_path, run)
    body = api.get(
        f"/api/v1/staff/requests/{request_id}", headers=staff["legal"]
    ).get_json()
    assert body["verified_channels"] == ["email"]
    assert body["owned_accounts"] == ["acc-1"]
    kinds = {
        (m["record_id"], m["match_kind"], m["matched_on"], m["confidence"])
        for m in body["matches"]
    }
    assert ("t-1", "own", "account", "verified") in kinds
    assert ("t-1", "mention", "name", "weak") in kinds
    for m in body["matches"]:
        assert {
            "match_id",
            "dataset",
            "record_id",
            "match_kind",
            "matched_on",
            "confidence",
            "snippet",
            "policy_flags",
        } <= set(m)
    actions = [e["action"] for e in body["audit"]]
    assert actions[:2] == ["request_filed", "channel_verified"]


def test_approve_decides_each_item_as_a_whole(api, staff, db_path, run):
    """Naming one match of a record decides all its matches (issue 20, item 4):
    t-1 holds the name (weak), the e-mail and the author (verified), and was
    once left half included, half excluded."""
    request_id = verified_case(api, db_path, run)
    case = api.get(
        f"/api/v1/staff/requests/{request_id}", headers=staff["legal"]
    ).get_json()
    items = {i["record_id"]: i for i in case["items"]}
    t1, t2 = items["t-1"], items["t-2"]
    weak = [r["match_id"] for r in t1["rules"] if r["confidence"] == "weak"]
    assert weak and len(t1["match_ids"]) == 3 and t1["confidence"] == "verified"
    resp = api.post(
        f"/api/v1/staff/requests/{request_id}/decision",
        json={"decision": "approve", "include": weak, "exclude": [t2["item_id"]]},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "completed"
    chosen = {m["match_id"]: m["decision"] for m in body["matches"]}
    assert {chosen[m] for m in t1["match_ids"]} == {"include"}
    assert {chosen[m] for m in t2["match_ids"]} == {"exclude"}
    decided = {i["record_id"]: i["decision"] for i in body["items"]}
    assert decided["t-1"] == "include" and decided["t-2"] == "exclude"
    again = api.post(
        f"/api/v1/staff/requests/{request_id}/decision",
        json={"decision": "reject", "reason": "x"},
        headers=staff["legal"],
    )
    assert_api_error(again, 409)


def test_decisions_need_reasons_and_own_match_ids(api, staff, db_path, run):
    request_id = verified_case(api, db_path, run)
    url = f"/api/v1/staff/requests/{request_id}/decision"
    for decision in ("reject", "extend", "request_info"):
        assert_api_error(
            api.post(url, json={"decision": decision}, headers=staff["legal"]),
            400,
            "reason",
        )
    assert_api_error(
        api.post(
            url,
            json={"decision": "approve", "include": ["m_x"]},
            headers=staff["legal"],
        ),
        400,
        "include",
    )
    assert_api_error(
        api.post(url, json={"decision": "delete"}, headers=staff["legal"]),
        400,
        "decision",
    )
    assert_api_error(
        api.post(url, json={"decision": "approve"}, headers=staff["training"]), 403
    )


def test_no_decision_on_an_unverified_request(api, staff):
    created = new_request(api)
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "approve"},
        headers=staff["legal"],
    )
    assert_api_error(resp, 409)


def test_extend_within_the_first_month_only_once(api, staff, db_path, run, monkeypatch):
    monkeypatch.setattr(deadlines, "now", lambda: datetime(2025, 5, 15, 9, tzinfo=UTC))
    request_id = verified_case(api, db_path, run)
    url = f"/api/v1/staff/requests/{request_id}/decision"
    resp = api.post(
        url,
        json={"decision": "extend", "reason": "many datasets"},
        headers=staff["legal"],
    )
    assert resp.get_json()["due_at"] == "2025-08-15"  # legal.md worked example
    assert_api_error(
        api.post(
            url, json={"decision": "extend", "reason": "again"}, headers=staff["legal"]
        ),
        409,
    )


def test_extend_after_the_one_month_due_date_is_400(
    api, staff, db_path, run, monkeypatch
):
    # Received Thu 15 May 2025: due Mon 16 June (15 June is a Sunday); an extension
    # on 17 June is too late (Art. 12(3)), and the answer names the field and why.
    start = datetime(2025, 5, 15, 9, tzinfo=UTC)
    monkeypatch.setattr(deadlines, "now", lambda: start)
    request_id = verified_case(api, db_path, run)
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(days=33))
    resp = api.post(
        f"/api/v1/staff/requests/{request_id}/decision",
        json={"decision": "extend", "reason": "late"},
        headers=staff["legal"],
    )
    body = assert_api_error(resp, 400, "decision")
    assert "2025-06-16" in body["errors"]["decision"][0]


def test_request_info_pauses_the_clock_until_the_reply(
    api, staff, db_path, run, monkeypatch
):
    # legal.md: received Mon 2 Mar 2026, asked Tue 3 Mar, answered Tue 10 Mar:
    # strict due Thu 2 Apr, with the 7-day pause Thu 9 Apr.
    monkeypatch.setattr(deadlines, "now", lambda: datetime(2026, 3, 2, 9, tzinfo=UTC))
    created_id = verified_case(api, db_path, run)
    monkeypatch.setattr(deadlines, "now", lambda: datetime(2026, 3, 3, 9, tzinfo=UTC))
    resp = api.post(
        f"/api/v1/staff/requests/{created_id}/decision",
        json={
            "decision": "request_info",
            "reason": "Which of your accounts posted as @zm?",
        },
        headers=staff["legal"],
    )
    body = resp.get_json()
    assert body["status"] == "needs_info" and body["strict_due_at"] == "2026-04-02"
    db = open_db(db_path)
    row = db["requests"].get(created_id)
    assert row["info_requested_at"]
    monkeypatch.setattr(deadlines, "now", lambda: datetime(2026, 3, 10, 9, tzinfo=UTC))
    from dsr_app.cases.replies import reply

    reply(
        db, {}, b"k" * 32, created_id, {"details": "yes, that is me"}, deadlines.now()
    )
    after = db["requests"].get(created_id)
    assert after["status"] == "in_review"
    assert after["due_at"] == "2026-04-09" and after["strict_due_at"] == "2026-04-02"


# --- audit log ---------------------------------------------------------------------


def test_audit_chain_verifies_and_breaks_when_tampered(api, staff, db_path, run):
    request_id = verified_case(api, db_path, run)
    api.post(
        f"/api/v1/staff/requests/{request_id}/decision",
        json={"decision": "approve"},
        headers=staff["legal"],
    )
    ok = run("audit", "verify")
    assert ok.exit_code == 0 and "audit log intact" in ok.output
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 1")
    # Another tool that drops the guard can still edit; the chain tells.
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 2")
    conn.commit()
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "broken at entry 2" in broken.output


def test_audit_detects_a_removed_entry(db_path, run):
    from dsr_app.audit import append

    db = open_db(db_path)
    for n in range(4):
        append(db, "system", "test", None, {"n": n}, datetime.now(UTC))
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.commit()
    result = run("audit", "verify")
    assert result.exit_code == 1 and "entry 2 is missing" in result.output


def test_audit_detects_reordered_entries(db_path, run):
    from dsr_app.audit import append

    db = open_db(db_path)
    for n in range(3):
        append(db, "system", "test", None, {"n": n}, datetime.now(UTC))
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET seq = seq + 10 WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE audit_log SET seq = 3 WHERE seq = 12")
    conn.commit()
    assert run("audit", "verify").exit_code == 1


def test_staff_add_refuses_duplicates_and_short_passwords(run):
    ok = run(
        "staff",
        "add",
        "x@staff.example",
        "--role",
        "legal",
        "--password-stdin",
        input="long enough password\n",
    )
    assert ok.exit_code == 0
    again = run(
        "staff",
        "add",
        "X@staff.example",
        "--role",
        "legal",
        "--password-stdin",
        input="long enough password\n",
    )
    assert again.exit_code == 2 and "exists already" in again.output
    short = run(
        "staff",
        "add",
        "y@staff.example",
        "--role",
        "legal",
        "--password-stdin",
        input="short\n",
    )
    assert short.exit_code == 2 and "password" in short.output
    assert run("staff", "token", "nobody@staff.example").exit_code == 2

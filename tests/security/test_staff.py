"""Staff and state changes: mass assignment on the API, role boundaries, revoked
tokens, staff sessions (fixation, logout, timeouts) and cross-site request forgery
against staff decisions in a real browser."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from dsr_app import deadlines
from tests.conftest import assert_api_error, bearer, outbox, snapshot
from tests.review.test_letters import decided
from tests.security.helpers import (
    ZOE_EMAIL,
    decide_ok,
    form_token,
    https_client,
    staff_login,
    stored,
    verified,
    world,
)

# --- mass assignment ----------------------------------------------------------------

CREATE = {"type": "access", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "completed"),
        ("verified_channels", ["email", "phone"]),
        ("due_at", "2099-12-31"),
        ("received_at", "2000-01-01T00:00:00+00:00"),
        ("id", "chosen-id"),
        ("status_token", "chosen-token-chosen-token-chosen-token-chosen"),
        ("email_verified_at", "2026-01-01T00:00:00+00:00"),
        ("decision", "approve"),
        ("owned_accounts", ["acc-1"]),
    ],
)
def test_mass_assignment_on_create_is_refused(api, db_path, field, value):
    """Attack: set fields of the request that only the service may set."""
    before = snapshot(db_path)
    resp = api.post("/api/v1/requests", json={**CREATE, field: value})
    assert_api_error(resp, 400, field)
    assert snapshot(db_path) == before
    assert outbox(db_path) == []


def test_mass_assignment_on_later_calls_is_refused(api, staff, db_path, run):
    """Attack: extra fields in verify, resend, reply, decisions, acknowledgements."""
    world(run)
    created = verified(api, db_path, type="access")
    decide_ok(api, staff, created["id"], decision="request_info", reason="which?")
    listed = verified(api, db_path, email="o@example.org")  # in review
    approved = verified(api, db_path, email="p@example.org")
    decide_ok(api, staff, approved["id"], decision="approve")  # a removal list
    list_id = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ][0]["id"]
    base = f"/api/v1/requests/{created['id']}"
    attempts = [
        (f"{base}/verify", {"channel": "phone", "code": "1", "status": "completed"}),
        (f"{base}/verify", {"channel": "phone", "code": "1", "verified_channels": []}),
        (f"{base}/resend", {"channel": "email", "to": "attacker@example.org"}),
        (f"{base}/resend", {"channel": "email", "email": "attacker@example.org"}),
        (f"{base}/reply", {"details": "me", "status": "completed"}),
        (f"{base}/reply", {"details": "me", "type": "erasure"}),
        (f"{base}/reply", {"details": "me", "due_at": "2099-12-31"}),
        (f"{base}/reply", {"details": "me", "email": "attacker@example.org"}),
        (f"{base}/reply", {"details": "me", "verified_channels": ["phone"]}),
    ]
    staff_attempts = [
        ({"decision": "reject", "reason": "x", "status": "completed"}, "status"),
        ({"decision": "reject", "reason": "x", "due_at": "2099-12-31"}, "due_at"),
        ({"decision": "reject", "reason": "x", "type": "erasure"}, "type"),
        ({"decision": "reject", "reason": "x", "decided_by": 99}, "decided_by"),
    ]
    before = snapshot(db_path)
    for url, body in attempts:
        (extra,) = set(body) - {"channel", "code", "details"}
        resp = api.post(url, json=body, headers=bearer(created))
        assert_api_error(resp, 400, extra)
    for body, extra in staff_attempts:
        resp = api.post(
            f"/api/v1/staff/requests/{listed['id']}/decision",
            json=body,
            headers=staff["legal"],
        )
        assert_api_error(resp, 400, extra)
    ack = api.post(
        f"/api/v1/removal-lists/{list_id}/ack",
        json={"dataset": "tiny", "dataset_version": "1", "acknowledged_by": 1},
        headers=staff["training"],
    )
    assert_api_error(ack, 400, "acknowledged_by")
    for method in ("put", "patch", "delete"):
        resp = getattr(api, method)(
            base, json={"status": "completed"}, headers=bearer(created)
        )
        assert_api_error(resp, 405)
    assert snapshot(db_path) == before
    assert stored(db_path, created)["status"] == "needs_info"


# --- roles and tokens -----------------------------------------------------------------


def _staff_calls(request_id: str, list_id: str) -> list[tuple]:
    """(method, url, a body that passes the role check but not validation, roles)."""
    legal = {"legal", "admin"}
    everyone = {"legal", "training", "admin"}
    return [
        ("get", "/api/v1/staff/requests", None, legal),
        ("get", f"/api/v1/staff/requests/{request_id}", None, legal),
        ("get", f"/api/v1/staff/requests/{request_id}/letter", None, legal),
        (
            "post",
            f"/api/v1/staff/requests/{request_id}/decision",
            {"decision": "erase everything"},
            legal,
        ),
        ("get", "/api/v1/removal-lists", None, everyone),
        ("get", f"/api/v1/removal-lists/{list_id}", None, everyone),
        ("get", f"/api/v1/removal-lists/{list_id}?format=csv", None, everyone),
        ("post", f"/api/v1/removal-lists/{list_id}/ack", {}, {"training", "admin"}),
        ("get", "/api/v1/suppression-list", None, everyone),
    ]


def test_role_boundaries_on_the_api(api, staff, db_path, run):
    """Attack: a training user decides a case, a legal user acknowledges a removal."""
    created = decided(api, staff, db_path, run, "objection", "en")
    list_id = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ][0]["id"]
    before = snapshot(db_path)
    for method, url, body, allowed in _staff_calls(created["id"], list_id):
        for role in ("legal", "training", "admin"):
            resp = getattr(api, method)(url, json=body, headers=staff[role])
            if role in allowed:
                assert resp.status_code in (200, 400), (url, role)
            else:
                assert_api_error(resp, 403)
    # Nothing changed but the audit trail, by the allowed downloads of the list
    # (3 roles, JSON and CSV): who took which list is kept.
    after = snapshot(db_path)
    new = set(after.pop("audit_log")) - set(before.pop("audit_log"))
    assert after == before
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT ?", [len(new)]
    ).fetchall()
    conn.close()
    assert len(new) == 6
    assert {action for action, _ in rows} == {"removal_list_downloaded"}
    assert sorted(json.loads(detail)["format"] for _, detail in rows) == [
        "csv",
        "csv",
        "csv",
        "json",
        "json",
        "json",
    ]


def test_role_boundaries_on_the_staff_pages(api, api_app, staff, db_path, run):
    """Attack: the same through the staff pages with a web session."""
    world(run)
    created = verified(api, db_path)
    training = https_client(api_app)
    staff_login(training, "training@staff.example")
    token = form_token(training, "/staff/removals")
    for path in (
        "/staff/",
        f"/staff/requests/{created['id']}",
        f"/staff/requests/{created['id']}/letter",
    ):
        assert training.get(path).status_code == 403, path
    resp = training.post(
        f"/staff/requests/{created['id']}/decision",
        data={"csrf_token": token, "decision": "approve"},
    )
    assert resp.status_code == 403
    assert stored(db_path, created)["status"] == "in_review"
    # Counts and runs, nothing of a person: training staff see them (issue 19).
    assert training.get("/staff/dashboard").status_code == 200
    legal = https_client(api_app)
    staff_login(legal)
    assert legal.get("/staff/removals").status_code == 403
    assert legal.get(f"/staff/requests/{created['id']}").status_code == 200


def test_revoked_tokens_and_sessions_are_refused(api, api_app, staff, db_path, run):
    """Attack: keep using a staff token (or web session) after it was revoked."""
    created = decided(api, staff, db_path, run, "objection", "en")
    list_id = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ][0]["id"]
    browser = https_client(api_app)
    staff_login(browser, "admin@staff.example")
    assert browser.get("/staff/").status_code == 200
    assert "1 token(s) revoked" in run("staff", "revoke", "admin@staff.example").output
    for method, url, body, _ in _staff_calls(created["id"], list_id):
        resp = getattr(api, method)(url, json=body, headers=staff["admin"])
        assert_api_error(resp, 401)
    assert browser.get("/staff/").status_code == 302  # the session ended too
    # The others' tokens still work.
    assert api.get("/api/v1/staff/requests", headers=staff["legal"]).status_code == 200


# --- staff sessions ------------------------------------------------------------------


def test_staff_session_fixation_is_defeated(api_app, staff):
    """Attack: plant a session cookie, let staff log in with it, reuse it (fixation)."""
    victim = https_client(api_app)
    victim.get("/staff/login")
    planted = victim.get_cookie("__Host-dsr_session").value
    attacker = https_client(api_app)
    attacker.set_cookie("__Host-dsr_session", planted, domain="localhost")
    assert staff_login(victim).status_code == 303
    assert victim.get("/staff/").status_code == 200
    assert victim.get_cookie("__Host-dsr_session").value != planted
    assert attacker.get("/staff/").status_code == 302
    # Planting the attacker's own live staff session does not work either: the
    # victim's login ends it and starts another.
    own = https_client(api_app)
    staff_login(own, "training@staff.example")
    theirs = own.get_cookie("__Host-dsr_session").value
    victim2 = https_client(api_app)
    victim2.set_cookie("__Host-dsr_session", theirs, domain="localhost")
    staff_login(victim2)
    assert victim2.get_cookie("__Host-dsr_session").value != theirs
    assert own.get("/staff/removals").status_code == 302


def test_staff_logout_ends_the_session_for_good(api_app, staff):
    """Attack: replay a staff session cookie captured before its owner logged out."""
    browser = https_client(api_app)
    staff_login(browser)
    stolen = browser.get_cookie("__Host-dsr_session").value
    resp = browser.post(
        "/staff/logout", data={"csrf_token": form_token(browser, "/staff/")}
    )
    assert resp.status_code == 303
    thief = https_client(api_app)
    thief.set_cookie("__Host-dsr_session", stolen, domain="localhost")
    assert thief.get("/staff/").status_code == 302
    assert browser.get("/staff/").status_code == 302


def test_staff_session_times_out_when_idle_and_after_12_hours(
    api_app, staff, monkeypatch
):
    """Attack: use a session left open (an unattended machine, a stolen cookie)."""
    idle = https_client(api_app)
    busy = https_client(api_app)
    staff_login(idle)
    staff_login(busy)
    start = deadlines.now()

    def at(delta: timedelta) -> None:
        monkeypatch.setattr(deadlines, "now", lambda: start + delta)

    at(timedelta(minutes=29))
    assert idle.get("/staff/").status_code == 200
    at(timedelta(minutes=29 + 31))
    assert idle.get("/staff/").status_code == 302  # 31 minutes idle
    for minutes in range(25, 12 * 60, 25):  # never idle for 30 minutes...
        at(timedelta(minutes=minutes))
        assert busy.get("/staff/").status_code == 200, minutes
    at(timedelta(hours=12, minutes=1))
    assert busy.get("/staff/").status_code == 302  # ...but 12 hours in all
    at(timedelta(hours=12, minutes=2))
    assert busy.get("/staff/").status_code == 302  # and it stays ended


# --- cross-site request forgery ------------------------------------------------------


OUR_ORIGIN = "http://localhost"  # the test client's host


def test_staff_api_refuses_session_calls_from_another_origin(
    api, api_app, staff, db_path, run
):
    """Attack: a cross-site call to the staff API riding on the session cookie."""
    world(run)
    created = verified(api, db_path)
    browser = https_client(api_app)
    staff_login(browser)
    url = f"/api/v1/staff/requests/{created['id']}/decision"
    body = {"decision": "approve"}
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:8443"},  # another port is another origin
        {"Origin": "null"},  # a sandboxed frame or a file
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": OUR_ORIGIN},
    ):
        assert_api_error(browser.post(url, json=body, headers=headers), 403)
    # What a cross-site form can send at all is not JSON.
    for data, kind in (
        ({"decision": "approve"}, "application/x-www-form-urlencoded"),
        ('{"decision": "approve"}', "text/plain"),
        ({"decision": "approve"}, "multipart/form-data"),
    ):
        assert_api_error(browser.post(url, data=data, content_type=kind), 415)
    assert stored(db_path, created)["status"] == "in_review"
    # The same session from our own pages does decide: the origin was the reason.
    own = browser.post(
        url,
        json={"decision": "request_info", "reason": "which?"},
        headers={"Origin": OUR_ORIGIN, "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 200
    assert stored(db_path, created)["status"] == "needs_info"


@pytest.mark.browser
def test_csrf_against_staff_decisions_from_another_origin_is_refused(
    live_server, page, canary, api, staff, db_path, run
):
    """Attack: CSRF against a staff decision from another origin, in Chromium."""
    world(run)
    created = verified(api, db_path)
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("E-mail").fill("legal@staff.example")
    page.get_by_label("Password").fill("a long demo password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")
    canary.pages["/form"] = (
        f'<form method="post" action="{live_server}/staff/requests/{created["id"]}'
        '/decision"><input name="decision" value="approve">'
        '<button id="go">Win a prize</button></form>'
    )
    canary.pages["/json"] = (
        f'<form method="post" enctype="text/plain" action="{live_server}'
        f'/api/v1/staff/requests/{created["id"]}/decision">'
        '<input name=\'{"decision": "approve", "x": "\' value=\'"}\'>'
        '<button id="go">Win a prize</button></form>'
    )
    for path, status in (("/form", 400), ("/json", 415)):
        page.goto(f"{canary.url}{path}")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("#go")
        response = posted.value
        assert response.status == status, path
        # The browser did send the staff session: only the defence stopped it.
        cookie = response.request.all_headers().get("cookie", "")
        assert "__Host-dsr_session=" in cookie, path
        assert response.request.all_headers()["origin"] == canary.url
    # A script on the other site, with the cookie: JSON needs a CORS preflight that
    # the API never grants, so the call is not even sent; without the preflight
    # ("no-cors"), the body goes as text/plain and is refused.
    api_url = f"{live_server}/api/v1/staff/requests/{created['id']}/decision"
    page.goto(f"{canary.url}/blank")
    script = """async ([url, mode]) => {
        try {
            await fetch(url, {method: "POST", mode, credentials: "include",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({decision: "approve"})});
            return "sent";
        } catch (e) { return "blocked"; }
    }"""
    assert page.evaluate(script, [api_url, "cors"]) == "blocked"
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        assert page.evaluate(script, [api_url, "no-cors"]) == "sent"
    assert posted.value.status == 415
    assert stored(db_path, created)["status"] == "in_review"
    assert stored(db_path, created)["decision"] is None
    page.goto(f"{live_server}/staff/")  # still logged in: the session was live
    assert page.locator(f'tr[data-request="{created["id"]}"]').count() == 1

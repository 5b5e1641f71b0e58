"""Staff pages through the test client: login, sessions, queue, case, decisions."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from dsr_app import deadlines
from tests.conftest import bearer
from tests.review.test_letters import decided

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a long demo password"


def csrf(client, path: str) -> str:
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def log_in(client, email="legal@staff.example", password=PASSWORD):
    token = csrf(client, "/staff/login")
    return client.post(
        "/staff/login", data={"csrf_token": token, "email": email, "password": password}
    )


def test_login_logout_and_server_side_session(browser, staff):
    assert browser.get("/staff/").status_code == 302  # to the login page
    assert log_in(browser, password="wrong password!").status_code == 401
    resp = log_in(browser)
    assert resp.status_code == 303 and resp.headers["Location"] == "/staff/"
    assert browser.get("/staff/").status_code == 200
    stolen = browser.get_cookie("__Host-dsr_session").value
    token = csrf(browser, "/staff/")
    assert browser.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    # The old cookie no longer opens anything: the session ended on the server.
    browser.set_cookie("__Host-dsr_session", stolen, domain="localhost")
    assert browser.get("/staff/").status_code == 302


def test_the_session_signer_is_built_only_for_a_session_cookie(
    browser, staff, monkeypatch
):
    """Calls without the cookie (every API call) skip it (issue 7); the staff
    session still works through the API."""
    from flask.sessions import SecureCookieSessionInterface

    assert log_in(browser).status_code == 303
    built = []
    original = SecureCookieSessionInterface.get_signing_serializer

    def counted(self, app):
        built.append(app)
        return original(self, app)

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counted)
    anonymous = browser.application.test_client()
    anonymous.environ_base["wsgi.url_scheme"] = "https"
    assert anonymous.get("/api/v1/requests/nope").status_code == 404
    assert built == []
    assert browser.get("/api/v1/staff/requests").status_code == 200
    assert built


def test_login_gives_a_new_session_id(browser, staff):
    browser.get("/staff/login")
    before = browser.get_cookie("__Host-dsr_session").value
    log_in(browser)
    after = browser.get_cookie("__Host-dsr_session").value
    assert before != after


def test_login_without_csrf_token_is_refused(browser, staff):
    resp = browser.post(
        "/staff/login", data={"email": "legal@staff.example", "password": PASSWORD}
    )
    assert resp.status_code == 400


def test_idle_session_times_out_after_30_minutes(browser, staff, monkeypatch):
    log_in(browser)
    start = deadlines.now()
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(minutes=29))
    assert browser.get("/staff/").status_code == 200
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(minutes=60))
    assert browser.get("/staff/").status_code == 302


def test_training_role_may_not_see_the_queue(browser, staff):
    log_in(browser, "training@staff.example")
    assert browser.get("/staff/").status_code == 403


EVERY_ROLE = {"/staff/dashboard", "/staff/runs", "/staff/report"}


@pytest.mark.parametrize(
    "role, home, links",
    [
        # Every role reads the training runs, the dashboard and the report
        # (issue 19).
        ("legal", "/staff/", {"/staff/", *EVERY_ROLE}),
        ("training", "/staff/removals", {"/staff/removals", *EVERY_ROLE}),
        ("admin", "/staff/", {"/staff/", "/staff/removals", *EVERY_ROLE}),
    ],
)
def test_login_lands_on_the_roles_own_page_with_only_its_links(
    browser, staff, role, home, links
):
    resp = log_in(browser, f"{role}@staff.example")
    assert resp.status_code == 303 and resp.headers["Location"] == home
    page = browser.get(home)
    assert page.status_code == 200
    nav = page.get_data(as_text=True).split('<nav aria-label="Staff">')[1]
    nav = nav.split("</nav>")[0]
    assert set(re.findall(r'<a href="(/staff/[a-z]*)"', nav)) == links


def test_queue_case_and_decision_through_the_pages(api, browser, staff, db_path, run):
    from tests.api.test_staff import verified_case

    request_id = verified_case(api, db_path, run)
    log_in(browser)
    queue = browser.get("/staff/").get_data(as_text=True)
    assert f'data-request="{request_id}"' in queue
    page = browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    # One row per record, one choice for all its matches (issue 20, item 4).
    rows = re.findall(
        r'data-match="(m_\w+)" data-confidence="\w+" data-matches="([^"]+)"', page
    )
    several = [(item, ids.split()) for item, ids in rows if len(ids.split()) > 1]
    assert several and len(rows) >= 2
    item, ids = several[0]
    other = next(i for i, _ in rows if i != item)
    token = CSRF_RE.search(page).group(1)
    form = {"csrf_token": token, "decision": "approve", f"m:{item}": "0"}
    form[f"m:{other}"] = "1"
    form["confirm"] = "1"  # the confirmation step's button (issue 21)
    resp = browser.post(f"/staff/requests/{request_id}/decision", data=form)
    assert resp.status_code == 303
    case = api.get(
        f"/api/v1/staff/requests/{request_id}", headers=staff["legal"]
    ).get_json()
    assert case["status"] == "completed"
    chosen = {m["match_id"]: m["decision"] for m in case["matches"]}
    assert {chosen[m] for m in ids} == {"exclude"} and chosen[other] == "include"


def test_decision_form_without_csrf_is_refused(api, browser, staff, db_path, run):
    from tests.api.test_staff import verified_case

    request_id = verified_case(api, db_path, run)
    log_in(browser)
    resp = browser.post(
        f"/staff/requests/{request_id}/decision", data={"decision": "approve"}
    )
    assert resp.status_code == 400
    case = api.get(
        f"/api/v1/staff/requests/{request_id}", headers=staff["legal"]
    ).get_json()
    assert case["status"] == "in_review"


def test_dashboard_draws_an_svg_chart_without_script(api, browser, staff, db_path, run):
    decided(api, staff, db_path, run, "objection", "en")
    log_in(browser)
    page = browser.get("/staff/dashboard").get_data(as_text=True)
    assert '<svg id="chart"' in page and "<rect" in page
    assert "<script" not in page
    assert re.search(r'id="median">\d', page)


def test_requester_status_page_offers_the_letter_once_answered(
    api, staff, db_path, run, api_app
):
    created = decided(api, staff, db_path, run, "access", "de")
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    from tests.conftest import outbox

    link = re.search(r"(/r/\S+)", outbox(db_path, "zoe@example.eu")[-1]["body"]).group(
        1
    )
    client.get(link)
    token = csrf(client, "/r")
    client.post("/r", data={"csrf_token": token})
    page = client.get("/status").get_data(as_text=True)
    assert 'id="letter"' in page and "/status/letter" in page and "/status/data" in page
    letter = client.get("/status/letter?format=pdf")
    assert letter.status_code == 200 and letter.data.startswith(b"%PDF-")
    data = client.get("/status/data").get_json()
    assert data["items"]
    assert bearer(created)  # the API token still works alongside
    from dsr_app.audit import trail
    from dsr_app.db import open_db

    actions = [e["action"] for e in trail(open_db(db_path), created["id"])]
    assert actions[-2:] == ["letter_downloaded", "data_downloaded"]


@pytest.mark.parametrize(
    ("decision", "reason", "status"),
    [
        ("reject", "Art. 21(1): needed for a legal claim.", "rejected"),
        ("extend", "Spread over many datasets.", "in_review"),
        ("request_info", "Which handle is yours?", "needs_info"),
    ],
)
def test_each_decision_through_the_pages(
    api, browser, staff, db_path, run, decision, reason, status
):
    from tests.api.test_staff import verified_case

    request_id = verified_case(api, db_path, run)
    log_in(browser)
    page = browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert 'id="draft"' in page  # the draft letter is previewed
    token = CSRF_RE.search(page).group(1)
    no_reason = browser.post(
        f"/staff/requests/{request_id}/decision",
        data={"csrf_token": token, "decision": decision},
    )
    # Refused before the confirmation, the form shown again with the error.
    assert no_reason.status_code == 400
    assert "reason" in no_reason.get_data(as_text=True).split('id="error"')[1][:200]
    form = {"csrf_token": token, "decision": decision, "reason": reason}
    check = browser.post(f"/staff/requests/{request_id}/decision", data=form)
    assert check.status_code == 200 and 'id="summary"' in check.get_data(as_text=True)
    resp = browser.post(
        f"/staff/requests/{request_id}/decision", data={**form, "confirm": "1"}
    )
    assert resp.status_code == 303
    case = browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert f'<dd id="case-status" data-status="{status}">' in case
    assert f"decision_{decision}" in case  # in the audit trail


def test_logins_logouts_and_tokens_are_audited(browser, staff, db_path, run):
    from dsr_app.db import open_db

    log_in(browser, password="wrong password!")
    log_in(browser)
    token = csrf(browser, "/staff/")
    browser.post("/staff/logout", data={"csrf_token": token})
    actions = [
        r[0]
        for r in open_db(db_path).execute("SELECT action FROM audit_log ORDER BY seq")
    ]
    assert actions.count("staff_token_issued") == 3  # the fixture made three
    assert actions[-3:] == ["staff_login_failed", "staff_login", "staff_logout"]
    assert run("audit", "verify").exit_code == 0


def test_the_staff_api_answers_a_logged_in_session(browser, staff, api, db_path, run):
    """Contract section 5: staff calls by token or by the web session; roles apply,
    and a session call that changes something from another origin is refused."""
    assert browser.get("/api/v1/staff/requests").status_code == 401
    log_in(browser)
    queue = browser.get("/api/v1/staff/requests")
    assert queue.status_code == 200 and "items" in queue.get_json()
    from dsr_app.cases.jobs import run_pending
    from dsr_app.db import open_db
    from tests.conftest import REGISTRY, new_request, verify

    run("accounts", "import", REGISTRY)
    created = new_request(api, type="objection", email="zoe@example.eu")
    verify(api, db_path, created, "email", "zoe@example.eu")
    run_pending(open_db(db_path))
    url = f"/api/v1/staff/requests/{created['id']}/decision"
    body = {"decision": "request_info", "reason": "Which account is yours?"}
    foreign = browser.post(url, json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    cross = browser.post(url, json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    case = browser.get(f"/api/v1/staff/requests/{created['id']}").get_json()
    assert case["status"] == "in_review"  # nothing was decided
    own = browser.post(url, json=body, headers={"Origin": "http://localhost"})
    assert own.status_code == 200, own.get_json()
    assert own.get_json()["status"] == "needs_info"
    # a legal session may not acknowledge removal lists (training's job)
    acked = browser.post(
        "/api/v1/removal-lists/rl_x/ack",
        json={"dataset": "d", "dataset_version": "1"},
    )
    assert acked.status_code == 403
    browser.post("/staff/logout", data={"csrf_token": csrf(browser, "/staff/")})
    assert browser.get("/api/v1/staff/requests").status_code == 401


def test_follow_up_can_be_decided_from_the_case_page(
    api, api_app, staff, db_path, run, tmp_path
):
    import re

    from tests.review.test_letters import decided
    from tests.web.test_staff import CSRF_RE, log_in

    created = decided(api, staff, db_path, run, "objection", "en")
    new = tmp_path / "v2.jsonl"
    new.write_text(
        json.dumps(
            {
                "record_id": "v2-name",
                "dataset": "tiny",
                "text": "met Zoe Mueller-Lukasik",
            }
        )
        + "\n"
    )
    run("ingest", new, "--version", "2")
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser)
    page = browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    form = {
        "csrf_token": CSRF_RE.search(page).group(1),
        "decision": "approve",
        "confirm": "1",
    }
    for match_id in re.findall(r'name="m:(m_\w+)"', page):
        form[f"m:{match_id}"] = "1"  # every radio, as a browser sends them
    browser.post(f"/staff/requests/{created['id']}/decision", data=form)
    case = api.get(
        f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"]
    ).get_json()
    assert case["follow_up_weak"] == 0
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    assert len(lists["items"]) == 2

"""The staff workbench (issue 21, item 1) through the test client: the queue's
search, filters, open and closed apart, pages and assignment; a decision's
confirmation; the decided case read-only with its timeline and links; a decision
posted after the session ended keeps the typed reason through the login."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dsr_app import config, deadlines
from dsr_app.audit import instance_of, trail
from dsr_app.cases.filing import create_request
from dsr_app.db import open_db
from dsr_app.review.worklist import Filters, find_cases
from dsr_app.schemas.requests import RequestCreateSchema
from tests.api.test_staff import verified_case
from tests.web.test_staff import CSRF_RE, PASSWORD

ROW = re.compile(r'<tr data-request="([\w-]+)" data-status="(\w+)">')


def _file(db, n: int, days_ago: int = 0, **person) -> str:
    """A request filed ``days_ago`` through the service's own filing."""
    data = {
        "type": "access",
        "full_name": f"Person {n:04d}",
        "email": f"person{n}@example.net",
        "country": "DE",
        **person,
    }
    key = config.instance_secret(instance_of(db), "code_hmac_key")
    at = deadlines.now() - timedelta(days=days_ago)
    settings = config.settings({"MAIL_BACKEND": "outbox"})
    made = create_request(db, settings, RequestCreateSchema().load(data), key, at)
    return made["id"]


def _queue(legal_browser, **args) -> list[tuple[str, str]]:
    page = legal_browser.get("/staff/", query_string=args).get_data(as_text=True)
    return ROW.findall(page)


def test_queue_finds_by_reference_name_email_and_phone(legal_browser, db_path):
    db = open_db(db_path)
    anna = _file(db, 1, full_name="Anna Nowak", email="anna.n@example.org")
    phoned = _file(db, 2, phone="+49 151 2345 6789")
    _file(db, 3)
    db.close()
    found = {
        q: [r for r, _ in _queue(legal_browser, q=q)]
        for q in ("nowak", "ANNA.N@example", anna[:8], "0151 23456789", "person3")
    }
    assert found["nowak"] == [anna] and found["ANNA.N@example"] == [anna]
    assert found[anna[:8]] == [anna]
    assert found["0151 23456789"] == [phoned]
    assert len(found["person3"]) == 1 and anna not in found["person3"]


def test_queue_keeps_open_and_closed_apart_and_filters(
    api, legal_browser, staff, db_path, run
):
    decided_id = verified_case(api, db_path, run)
    db = open_db(db_path)
    late = _file(db, 1, days_ago=40, type="erasure")  # unverified: expired
    soon = _file(db, 2, days_ago=3)
    db.close()
    page = legal_browser.get(f"/staff/requests/{decided_id}").get_data(as_text=True)
    form = {"csrf_token": CSRF_RE.search(page).group(1), "decision": "reject"}
    form |= {"reason": "Manifestly unfounded.", "confirm": "1"}
    legal_browser.post(f"/staff/requests/{decided_id}/decision", data=form)
    open_ids = dict(_queue(legal_browser))
    assert set(open_ids) == {soon}
    closed = dict(_queue(legal_browser, scope="closed"))
    assert closed == {decided_id: "rejected", late: "expired"}
    assert dict(_queue(legal_browser, scope="all", type="erasure")) == {late: "expired"}
    assert dict(_queue(legal_browser, scope="all", status="rejected")) == {
        decided_id: "rejected"
    }
    assert _queue(legal_browser, due="overdue") == []
    assert dict(_queue(legal_browser, due="30")) == {soon: "pending_verification"}


def test_queue_pages_through_many_cases(legal_browser, db_path):
    db = open_db(db_path)
    ids = [_file(db, n, days_ago=n % 10) for n in range(55)]
    db.close()
    first = legal_browser.get("/staff/").get_data(as_text=True)
    assert "55 requests, page 1 of 2" in first
    assert len(ROW.findall(first)) == 50
    second = legal_browser.get("/staff/?page=2")
    rows = ROW.findall(second.get_data(as_text=True))
    assert len(rows) == 5
    seen = {r for r, _ in ROW.findall(first)} | {r for r, _ in rows}
    assert seen == set(ids)
    # Soonest due first, across the pages.
    dues = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)"', first)
    assert dues == sorted(dues)


def test_find_cases_counts_the_whole_store_whatever_the_page(db):
    for n in range(12):
        _file(db, n, days_ago=n * 3)  # from 15 days on: expired
    found = find_cases(db, deadlines.now(), Filters(scope="all", page=2), 1, 5)
    assert (found["page"], found["pages"], found["total"]) == (2, 3, 12)
    assert len(found["items"]) == 5
    assert find_cases(db, deadlines.now(), Filters(page=9), 1, 5)["page"] == 1
    assert found["counts"]["pending_verification"] == 5
    assert found["counts"]["expired"] == 7 and found["counts"]["closed"] == 7


def test_assign_to_me_and_a_note_are_kept_filtered_and_audited(legal_browser, db_path):
    db = open_db(db_path)
    mine, other = _file(db, 1), _file(db, 2)
    db.close()
    page = legal_browser.get("/staff/").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    resp = legal_browser.post(
        f"/staff/requests/{mine}/work",
        data={"csrf_token": token, "assignee": "me", "back": "/staff/?scope=open"},
    )
    assert resp.headers["Location"] == "/staff/?scope=open"
    assert [r for r, _ in _queue(legal_browser, assignee="mine")] == [mine]
    assert [r for r, _ in _queue(legal_browser, assignee="unassigned")] == [other]
    note = "Called the person: sends the handle Monday."
    legal_browser.post(
        f"/staff/requests/{mine}/work",
        data={"csrf_token": token, "note": note, "assignee": ""},
    )
    page = legal_browser.get(f"/staff/requests/{mine}").get_data(as_text=True)
    assert f">{note}</textarea>" in page
    assert "Case unassigned" in page and "Note changed" in page  # the timeline
    actions = [(e["action"], e["detail"]) for e in trail(open_db(db_path), mine)]
    assert ("case_note_changed", {"characters": len(note)}) in actions
    assert [d for a, d in actions if a == "case_assigned"] == [
        {"from": None, "to": 1},
        {"from": 1, "to": None},
    ]
    assert note not in str(actions)  # the note's words stay out of the log


def test_decision_is_confirmed_then_the_case_is_read_only(
    api, legal_browser, staff, db_path, run
):
    request_id = verified_case(api, db_path, run)
    page = legal_browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert 'id="decision-form"' in page and 'id="draft"' in page
    assert 'value="approve" required checked' not in page  # nothing preselected
    token = CSRF_RE.search(page).group(1)
    form = {"csrf_token": token, "decision": "approve", "bulk:own": "include"}
    check = legal_browser.post(f"/staff/requests/{request_id}/decision", data=form)
    summary = check.get_data(as_text=True)
    assert check.status_code == 200 and 'id="summary"' in summary
    assert "zoe@example.eu" in summary and "removed from the training data" in summary
    assert 'id="removal"' in summary  # an objection: a removal list is issued
    api_case = api.get(f"/api/v1/staff/requests/{request_id}", headers=staff["legal"])
    assert api_case.get_json()["status"] == "in_review"  # nothing taken yet
    # The bulk choice decided every own item; the mentions kept their defaults.
    own = re.findall(r'<tr data-match="(m_\w+)"', page.split("<h3>Mentions")[0])
    assert own and f'name="m:{own[0]}" value="1"' in summary
    bulk = legal_browser.post(
        f"/staff/requests/{request_id}/decision",
        data={**form, "bulk:own": "exclude"},
    ).get_data(as_text=True)
    assert f'name="m:{own[0]}" value="0"' in bulk
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', summary))
    confirm = {**hidden, "confirm": "1"}
    done = legal_browser.post(f"/staff/requests/{request_id}/decision", data=confirm)
    assert done.status_code == 303
    after = legal_browser.get(done.headers["Location"]).get_data(as_text=True)
    assert 'role="status" id="message">Approved: the letter was issued' in after
    assert '<dd id="case-status" data-status="completed">Answered' in after
    assert 'id="decision-form"' not in after and 'id="decided"' in after
    assert 'name="m:' not in after and 'id="draft"' not in after
    assert 'id="sent-letter"' in after  # the answer as sent, beside the items
    letter = re.search(r'href="(/staff/requests/[\w-]+/letters/lt_[\w-]+)"', after)
    assert legal_browser.get(letter.group(1)).status_code == 200
    listed = re.search(r'href="(/staff/removals/rl_[\w-]+)"', after)
    assert listed, "a link to the removal list"
    timeline = after.split('id="timeline"')[1].split("</ol>")[0]
    for said in ("Request filed", "E-mail address verified", "Searched", "Approved"):
        assert said in timeline, said
    assert (
        "Letter issued (the answer)" in timeline and "Removal list issued" in timeline
    )
    assert "legal@staff.example" in timeline and "staff:1" not in timeline
    shown = re.sub(r"<[^>]+>", "", timeline)  # what a reader sees: no raw values
    assert not re.search(r"\d{4}-\d\d-\d\dT|staff:\d", shown)
    # Sent again (a second tab): refused with the reason, nothing offered again.
    again = legal_browser.post(f"/staff/requests/{request_id}/decision", data=confirm)
    assert again.status_code == 400
    text = again.get_data(as_text=True)
    assert "cannot approve a request that is completed" in text
    assert 'id="decision-form"' not in text


def test_decision_after_the_session_ended_keeps_the_reason(
    api, legal_browser, staff, db_path, run
):
    request_id = verified_case(api, db_path, run)
    page = legal_browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    legal_browser.post("/staff/logout", data={"csrf_token": token})
    reason = "Die Daten werden für ein laufendes Verfahren benötigt. <b>&</b>"
    form = {"csrf_token": token, "decision": "reject", "reason": reason}
    lost = legal_browser.post(f"/staff/requests/{request_id}/decision", data=form)
    login = lost.get_data(as_text=True)
    assert lost.status_code == 401 and "Your session ended" in login
    assert "Die Daten werden" in login and "<b>" not in login  # kept, escaped
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', login))
    fields |= {"email": "legal@staff.example", "password": PASSWORD}
    action = re.search(r'<form method="post" action="([^"]+)"', login).group(1)
    back = legal_browser.post(action.replace("&amp;", "&"), data=fields)
    shown = back.get_data(as_text=True)
    assert back.status_code == 200
    assert 'id="d-reject" name="decision" value="reject" required checked' in shown
    assert (
        "Die Daten werden für ein laufendes Verfahren"
        in shown.split('id="reason"')[1][:300]
    )
    status = api.get(f"/api/v1/staff/requests/{request_id}", headers=staff["legal"])
    assert status.get_json()["status"] == "in_review"  # nothing was sent


@pytest.mark.parametrize(
    "headers, kept",
    [
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Origin": "https://evil.example"}, False),
        ({"Referer": "https://evil.example/form.html"}, False),
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Origin": "https://localhost"}, True),
    ],
)
def test_a_decision_forged_on_another_site_is_not_kept_for_the_login(
    api, legal_browser, db_path, run, headers, kept
):
    """Attack: a page elsewhere posts a decision to a staff member whose session
    ended, hoping the login shows it filled in, one click from being sent."""
    request_id = verified_case(api, db_path, run)
    page = legal_browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    legal_browser.post("/staff/logout", data={"csrf_token": token})
    form = {"decision": "reject", "reason": "Forged elsewhere, sent in your name."}
    resp = legal_browser.post(
        f"/staff/requests/{request_id}/decision", data=form, headers=headers
    )
    shown = resp.get_data(as_text=True)
    assert ("Forged elsewhere" in shown) is kept
    assert ('name="draft_request"' in shown) is kept
    if not kept:
        assert resp.status_code == 303 and "/staff/login" in resp.headers["Location"]


@pytest.mark.parametrize("given", ["²", "abc", "9" * 30, "-1"])
def test_a_bad_assignee_is_refused_not_taken_for_nobody(
    api, legal_browser, db_path, run, given
):
    request_id = verified_case(api, db_path, run)
    page = legal_browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    work = f"/staff/requests/{request_id}/work"
    legal_browser.post(work, data={"csrf_token": token, "assignee": "me"})
    resp = legal_browser.post(work, data={"csrf_token": token, "assignee": given})
    assert resp.status_code == 303
    shown = legal_browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "no legal staff user of that id" in shown and "Saved." not in shown
    (still,) = (
        open_db(db_path)
        .execute("SELECT assignee_id FROM requests WHERE id = ?", [request_id])
        .fetchone()
    )
    assert still == 1  # kept, not given to nobody

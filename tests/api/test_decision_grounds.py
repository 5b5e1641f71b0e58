"""The decision's `erasure_ground` and `reason_codes` (issue 18, items 5 and 8):
what does not fit is a 400 naming the field; the case page shows the letter's
language, the six Art. 17(1) grounds and the common reasons, and approves an
erasure only with its ground."""

from __future__ import annotations

import re

import pytest

from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from dsr_app.review.grounds import REASONS
from dsr_app.review.letter_texts import TEXTS
from dsr_app.schemas.review import REASON_CODES
from tests.api.test_staff import verified_case
from tests.conftest import assert_api_error, new_request, verify

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _post(api, staff, request_id, **body):
    return api.post(
        f"/api/v1/staff/requests/{request_id}/decision",
        json=body,
        headers=staff["legal"],
    )


def test_the_schema_offers_every_reason_the_domain_knows():
    assert tuple(REASONS) == REASON_CODES


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("objection", {"decision": "reject", "reason_codes": ["nope"]}, "reason_codes"),
        (
            "objection",
            {"decision": "reject", "reason_codes": ["complexity"], "reason": "x"},
            "reason_codes",
        ),
        (
            "access",
            {
                "decision": "reject",
                "reason_codes": ["compelling_grounds"],
                "reason": "x",
            },
            "reason_codes",
        ),
        (
            "objection",
            {"decision": "reject", "reason_codes": ["legal_claims"]},
            "reason",
        ),
        ("objection", {"decision": "reject"}, "reason"),
        ("objection", {"decision": "reject", "reason_codes": []}, "reason"),
        ("objection", {"decision": "approve", "erasure_ground": "a"}, "erasure_ground"),
        ("erasure", {"decision": "approve", "erasure_ground": "g"}, "erasure_ground"),
        (
            "erasure",
            {"decision": "reject", "erasure_ground": "a", "reason": "x"},
            "erasure_ground",
        ),
    ],
)
def test_grounds_and_reasons_that_do_not_fit_are_400_naming_the_field(
    api, staff, db_path, run, kind, body, field
):
    request_id = verified_case(api, db_path, run, type=kind)
    assert_api_error(_post(api, staff, request_id, **body), 400, field)
    status = api.get(
        f"/api/v1/staff/requests/{request_id}", headers=staff["legal"]
    ).get_json()["status"]
    assert status == "in_review"  # nothing was decided


def test_ground_and_codes_are_kept_and_audited(api, staff, db_path, run):
    request_id = verified_case(api, db_path, run, type="erasure")
    resp = _post(api, staff, request_id, decision="approve", erasure_ground="d")
    assert resp.status_code == 200, resp.get_json()
    db = open_db(db_path)
    assert db.execute(
        "SELECT erasure_ground FROM requests WHERE id = ?", [request_id]
    ).fetchone() == ("d",)
    (entry,) = [
        e for e in resp.get_json()["audit"] if e["action"] == "decision_approve"
    ]
    assert entry["detail"]["erasure_ground"] == "d"


@pytest.fixture
def browser(api_app, staff):
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    page = client.get("/staff/login").get_data(as_text=True)
    client.post(
        "/staff/login",
        data={
            "csrf_token": CSRF_RE.search(page).group(1),
            "email": "legal@staff.example",
            "password": "a long demo password",
        },
    )
    return client


def test_case_page_asks_for_the_ground_and_the_reason_in_the_letters_language(
    api, browser, staff, db_path, run
):
    request_id = verified_case(api, db_path, run, type="erasure", language="de")
    page = browser.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert "The letter is in German: write your reason in German." in page
    assert re.findall(r'name="erasure_ground" value="([a-f])"', page) == list("abcdef")
    assert 'value="legal_claims"' in page and 'value="rights_of_others"' not in page
    # Each common reason shows the sentence the German letter will carry.
    assert TEXTS["de"]["reason_complexity"] in page
    form = {"csrf_token": CSRF_RE.search(page).group(1), "decision": "approve"}
    form["confirm"] = "1"  # the confirmation step's button (issue 21)
    url = f"/staff/requests/{request_id}/decision"
    again = browser.post(url, data=form)
    assert again.status_code == 400
    assert "Art. 17(1) ground" in again.get_data(as_text=True)
    case = api.get(f"/api/v1/staff/requests/{request_id}", headers=staff["legal"])
    assert case.get_json()["status"] == "in_review"
    assert browser.post(url, data={**form, "erasure_ground": "a"}).status_code == 303
    case = api.get(f"/api/v1/staff/requests/{request_id}", headers=staff["legal"])
    assert case.get_json()["status"] == "completed"
    objection = new_request(api, type="objection", email="x@example.net")
    verify(api, db_path, objection, "email", "x@example.net")
    run_pending(open_db(db_path))
    reject = objection["id"]
    page = browser.get(f"/staff/requests/{reject}").get_data(as_text=True)
    assert 'name="erasure_ground"' not in page  # only an erasure has a ground
    form = {
        "csrf_token": CSRF_RE.search(page).group(1),
        "decision": "reject",
        "reason_codes": ["legal_claims", "compelling_grounds"],
        "reason": "Case 123.",
        "confirm": "1",
    }
    assert browser.post(f"/staff/requests/{reject}/decision", data=form).status_code
    db = open_db(db_path)
    assert db.execute(
        "SELECT status, reason_codes FROM requests WHERE id = ?", [reject]
    ).fetchone() == ("rejected", '["legal_claims", "compelling_grounds"]')

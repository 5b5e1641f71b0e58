"""Account enumeration: no answer, header or message may tell whether a person is
known to the platform or present in the training data (security.md L2; Pavur &
Knerr: two thirds of the companies that answered revealed whether she had an
account). Each attack files the same thing for a known and an unknown person and
compares everything an attacker can observe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from dsr_app import deadlines
from dsr_app.db import open_db
from tests.conftest import bearer, latest_code, outbox
from tests.security.helpers import (
    ZOE_EMAIL,
    ZOE_PHONE,
    form_token,
    https_client,
    run_jobs,
    staff_login,
    world,
)

KNOWN = {
    "full_name": "Zoë Müller-Łukasik",
    "email": ZOE_EMAIL,
    "phone": ZOE_PHONE,
    "handles": ["zoe.mueller"],
}
UNKNOWN = {
    "full_name": "Nobody Herewith",
    "email": "nobody@example.net",
    "phone": "+4916012345678",
    "handles": ["nobody.here"],
}
# Headers that differ from one answer to the next whoever asks.
VOLATILE = {"Date"}


@pytest.fixture(autouse=True)
def _one_instant(monkeypatch):
    """Both people file at the same instant (no due date across midnight)."""
    fixed = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(deadlines, "now", lambda: fixed)


def _seen(resp, body_keys_only: bool = False, ignore: tuple = ()) -> tuple:
    """What an attacker observes of an answer, minus per-answer noise."""
    body = resp.get_json()
    if body_keys_only:
        body = sorted(body)
    headers = sorted(
        (k, v) for k, v in resp.headers.items() if k not in VOLATILE | set(ignore)
    )
    return resp.status_code, body, headers


def _masked(messages: list[dict]) -> list[tuple]:
    """Messages with their one-time code, link token and the request's reference
    (its id, issue 21) masked."""
    return [
        (
            m["channel"],
            m["subject"],
            re.sub(
                r"(?<!\d)\d{8}(?!\d)|/r/\S+|(?<![\w-])[\w-]{22}(?![\w-])",
                "X",
                m["body"],
            ),
        )
        for m in messages
    ]


def _file(api, person: dict, kind: str = "access"):
    return api.post(
        "/api/v1/requests",
        json={"type": kind, "country": "DE", "language": "de", **person},
    )


def test_create_answers_alike_for_known_and_unknown_people(api, db_path, run):
    """Attack: file a request and read the answer and mails for a sign of an account."""
    world(run)
    known, unknown = _file(api, KNOWN), _file(api, UNKNOWN)
    assert known.status_code == 201
    assert _seen(known, body_keys_only=True) == _seen(unknown, body_keys_only=True)
    k, u = known.get_json(), unknown.get_json()
    assert (k["status"], k["due_at"]) == (u["status"], u["due_at"])
    assert len(k["id"]) == len(u["id"]) and len(k["status_token"]) == len(
        u["status_token"]
    )
    to_known = outbox(db_path, KNOWN["email"]) + outbox(db_path, KNOWN["phone"])
    to_unknown = outbox(db_path, UNKNOWN["email"]) + outbox(db_path, UNKNOWN["phone"])
    assert len(to_known) == 2
    assert _masked(to_known) == _masked(to_unknown)
    # Nothing else went out (no "you have an account" note to anyone).
    assert len(outbox(db_path)) == 4


def test_verification_answers_alike_for_known_and_unknown_people(api, db_path, run):
    """Attack: verify both channels and watch answers, status and mails afterwards."""
    world(run)
    known, unknown = _file(api, KNOWN).get_json(), _file(api, UNKNOWN).get_json()
    answers = {}
    for name, created, person in (("k", known, KNOWN), ("u", unknown, UNKNOWN)):
        url = f"/api/v1/requests/{created['id']}/verify"
        steps = [
            api.post(
                url,
                json={"channel": "email", "code": "00000000"},
                headers=bearer(created),
            )
        ]
        for channel, to in (("email", person["email"]), ("phone", person["phone"])):
            steps.append(
                api.post(
                    url,
                    json={"channel": channel, "code": latest_code(db_path, to)},
                    headers=bearer(created),
                )
            )
        answers[name] = [_seen(s) for s in steps]
    assert answers["k"] == answers["u"]
    assert answers["k"][-1][:2] == (
        200,
        {"status": "in_review", "verified_channels": ["email", "phone"]},
    )
    run_jobs(db_path)
    db = open_db(db_path)
    found = {
        c["id"]: db.execute(
            "SELECT count(*) FROM matches WHERE request_id = ?", [c["id"]]
        ).fetchone()[0]
        for c in (known, unknown)
    }
    # Inside, the two differ (owned account, matches); outside they must not.
    assert found[known["id"]] > 0 and found[unknown["id"]] == 0
    views = [
        api.get(f"/api/v1/requests/{c['id']}", headers=bearer(c))
        for c in (known, unknown)
    ]
    bodies = [v.get_json() for v in views]
    for body in bodies:
        for volatile in ("id", "received_at"):
            body.pop(volatile)
    assert bodies[0] == bodies[1]
    # received_at's length may differ (microseconds): so may Content-Length.
    keys_and_headers = [
        _seen(v, body_keys_only=True, ignore=("Content-Length",)) for v in views
    ]
    assert keys_and_headers[0] == keys_and_headers[1]
    assert _masked(outbox(db_path, KNOWN["email"])) == _masked(
        outbox(db_path, UNKNOWN["email"])
    )
    assert len(outbox(db_path)) == 4  # the codes only, for both


def test_request_form_answers_alike_for_known_and_unknown_people(api_app, run):
    """Attack: the same probe through the web form instead of the API."""
    world(run)
    seen = []
    for person in (KNOWN, UNKNOWN):
        browser = https_client(api_app)
        token = form_token(browser, "/request")
        resp = browser.post(
            "/request",
            data={
                "csrf_token": token,
                "type": "erasure",
                "country": "DE",
                "language": "en",
                "full_name": person["full_name"],
                "email": person["email"],
                "phone": person["phone"],
                "handles": " ".join(person["handles"]),
            },
        )
        headers = sorted(
            (k, v)
            for k, v in resp.headers.items()
            if k not in VOLATILE | {"Set-Cookie"}
        )
        seen.append((resp.status_code, resp.get_data(), headers))
    assert seen[0] == seen[1]
    assert seen[0][0] == 303


def test_staff_login_answers_alike_for_known_and_unknown_accounts(api_app, staff):
    """Attack: probe staff e-mail addresses through the login form."""
    seen = []
    for email in ("legal@staff.example", "nobody@staff.example"):
        browser = https_client(api_app)
        resp = staff_login(browser, email, "not the password at all")
        page = re.sub(
            r'name="csrf_token" value="[^"]+"', "", resp.get_data(as_text=True)
        )
        # The form keeps what was typed (issue 21): the one difference allowed.
        assert page.count(f'value="{email}"') == 1
        page = page.replace(f'value="{email}"', 'value="(typed)"')
        headers = sorted(
            (k, v)
            for k, v in resp.headers.items()
            # the length follows the typed address, compared above as the page
            if k not in VOLATILE | {"Set-Cookie", "Content-Length"}
        )
        seen.append((resp.status_code, page, headers))
    assert seen[0] == seen[1]
    assert seen[0][0] == 401

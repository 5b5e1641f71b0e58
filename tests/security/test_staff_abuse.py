"""Abuse of the staff side found by the attack run of issue 16: a reviewer locked
out by someone else's wrong passwords (finding 7), answers of 500 to hostile input
(finding 10) and downloads audited in a staff member's name from another site
(finding 12)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from dsr_app import create_app, deadlines
from dsr_app.staff import logins
from tests.conftest import assert_api_error, bearer, new_request
from tests.review.test_letters import decided
from tests.security.helpers import PASSWORD, form_token, https_client, staff_login

ATTACKER = "203.0.113.9"
REVIEWER = "198.51.100.7"
WRONG = "wrong password!"


@pytest.fixture
def clock(monkeypatch):
    """``deadlines.now`` at a fixed instant; ``clock.move(seconds)`` moves it."""

    class Clock:
        at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

        def move(self, seconds: float) -> None:
            self.at += timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr(deadlines, "now", lambda: clock.at)
    return clock


@pytest.fixture
def limited(db_path):
    """The app with its abuse limits on (the ``web`` fixture has them off)."""
    return create_app({"TESTING": True, "DB": str(db_path)})


def from_address(app, address: str):
    """A browser-like client whose requests come from ``address``."""
    client = https_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _wait(resp) -> int:
    assert resp.status_code == 429, resp.status_code
    return int(resp.headers["Retry-After"])


# --- finding 7: reviewer lockout --------------------------------------------------


def test_wrong_passwords_from_one_address_leave_the_right_one_open_elsewhere(
    limited, staff, clock
):
    """Attack: fail a reviewer's password from one address to lock them out."""
    attacker = from_address(limited, ATTACKER)
    for _ in range(5):
        assert staff_login(attacker, password=WRONG).status_code == 401
    # The reviewer, elsewhere, logs in at once...
    assert staff_login(from_address(limited, REVIEWER)).status_code == 303
    # ...while the guesser's address is stopped for this account, for the real 15
    # minutes (Retry-After).
    assert _wait(staff_login(attacker)) == 15 * 60
    clock.move(15 * 60)
    assert staff_login(attacker).status_code == 303


def test_successful_logins_do_not_count_toward_the_login_limits(limited, staff, clock):
    """Attack (on availability): a reviewer who logs in often is refused."""
    reviewer = from_address(limited, REVIEWER)
    for _ in range(12):  # over the 5 per account and the 10 per address
        assert staff_login(reviewer).status_code == 303
    for _ in range(4):  # typos are forgiven by the success after them
        assert staff_login(reviewer, password=WRONG).status_code == 401
    assert staff_login(reviewer).status_code == 303
    for _ in range(5):  # failures still count
        assert staff_login(reviewer, password=WRONG).status_code == 401
    assert _wait(staff_login(reviewer)) == 15 * 60


def _guess_from_many_addresses(app, clock, email: str) -> list[tuple[int, int]]:
    """Guess ``email``'s password 14 times, from a new address each time, waiting as
    told; returns (status, Retry-After or 0) of each answer."""
    seen = []
    for n in range(14):
        resp = staff_login(from_address(app, f"203.0.113.{n}"), email, WRONG)
        if resp.status_code == 429:
            wait = _wait(resp)
            seen.append((429, wait))
            clock.move(wait)
            resp = staff_login(from_address(app, f"203.0.114.{n}"), email, WRONG)
        seen.append((resp.status_code, 0))
    return seen


def test_guessing_from_many_addresses_slows_the_account_down_without_locking_it(
    limited, staff, clock
):
    """Attack: guess one reviewer's password from many addresses (a botnet), which
    the old per-account limit stopped only by locking the reviewer out too."""
    reviewer = from_address(limited, REVIEWER)
    assert staff_login(reviewer).status_code == 303  # the reviewer's own browser
    known = _guess_from_many_addresses(limited, clock, "legal@staff.example")
    # Ten failures are free, then each try waits 1, 2, 4 … seconds after the last
    # failure, however many addresses the guesser has...
    waited = [(429, 1), (401, 0), (429, 2), (401, 0), (429, 4), (401, 0), (429, 8)]
    assert known == [(401, 0)] * 10 + waited + [(401, 0)]
    # ...up to a quarter of an hour: 96 guesses a day at most.
    delays = [logins.account_delay(n).total_seconds() for n in range(9, 23)]
    assert delays == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    # Meanwhile the reviewer's browser, which logged in before, gets in at once;
    # a new browser of theirs waits, and is let in when the wait is over.
    assert staff_login(reviewer).status_code == 303
    elsewhere = from_address(limited, "198.51.100.8")
    assert _wait(staff_login(elsewhere)) == 16
    clock.move(16)
    assert staff_login(elsewhere).status_code == 303
    # An unknown account is slowed down alike (the delays tell no one it exists).
    assert _guess_from_many_addresses(limited, clock, "nobody@staff.example") == known


def test_login_tries_count_when_admitted_not_when_answered(db_path, clock):
    """Attack: send a burst of guesses so that all are checked before any counts
    (Flask-Limiter's deduct_when would count them after their answers): a try is
    counted when admitted, and taken back only when it succeeds."""
    from dsr_app.db import open_db
    from dsr_app.errors import TooManyAttempts

    db = open_db(db_path)
    try:
        admitted = [
            logins.admit(db, "legal@staff.example", ATTACKER, False, clock.at)
            for _ in range(5)
        ]
        assert len({a.id for a in admitted}) == 5  # none answered yet
        with pytest.raises(TooManyAttempts) as refused:
            logins.admit(db, "legal@staff.example", ATTACKER, False, clock.at)
        assert refused.value.retry_after == 15 * 60
        logins.succeeded(db, admitted[0])  # the right password, after all
        logins.admit(db, "legal@staff.example", ATTACKER, False, clock.at)
    finally:
        db.close()


# --- finding 10: answers of 500 to hostile input ----------------------------------

HUGE = "9" * 5000  # over Python's 4,300-digit limit for reading an integer


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/requests", f'{{"type": "access", "full_name": {HUGE}}}'),
        ("/api/v1/requests", f'{{"type": "access", "extra": [-{HUGE}]}}'),
        ("/api/v1/requests/{id}/verify", f'{{"channel": "email", "code": {HUGE}}}'),
        ("/api/v1/staff/requests/{id}/decision", f'{{"decision": {HUGE}}}'),
    ],
)
def test_huge_json_integers_are_400_in_the_contracts_shape(api, staff, path, body):
    """Attack: a JSON number too long for Python's int() in any API body."""
    created = new_request(api)
    headers = {**bearer(created)} if "verify" in path else dict(staff["legal"])
    resp = api.post(
        path.format(id=created["id"]),
        data=body,
        content_type="application/json",
        headers=headers,
    )
    body = assert_api_error(resp, 400, "json")
    assert body["errors"]["json"] == ["A number is longer than 100 digits."]


def test_ordinary_json_numbers_and_bad_json_still_answer_as_before(api, staff):
    """Short numbers reach validation (naming the field); broken JSON is 400."""
    created = new_request(api)
    url = f"/api/v1/staff/requests/{created['id']}/decision"
    resp = api.post(
        url, json={"decision": 12345678901234567890}, headers=staff["legal"]
    )
    assert_api_error(resp, 400, "decision")
    resp = api.post(
        url, data="{", content_type="application/json", headers=staff["legal"]
    )
    assert assert_api_error(resp, 400, "json")["errors"]["json"] == [
        "Invalid JSON body."
    ]


@pytest.mark.parametrize(
    "target",
    [
        "/staff/\r\nSet-Cookie: planted=1",
        "/staff/\nX",
        "/staff/\x00",
        "/staff/\t/evil.example",
        "//evil.example/staff/",
        "/\\evil.example",
        "/staff/\\\\evil.example",
        "/staff//evil.example",
        "https://evil.example/staff/",
        "javascript:alert(1)",
        "/staff/é",
        "/elsewhere",
    ],
)
def test_staff_login_next_is_only_ever_a_local_staff_path(web, staff, target):
    """Attack: line breaks (header injection, a 500 before) or a foreign place in
    the login page's ``next``: ignored, the login goes to the role's home."""
    url = "/staff/login?next=" + quote(target, safe="")
    page = web.get(url)
    assert page.status_code == 200
    resp = web.post(
        url,
        data={
            "csrf_token": form_token(web, url),
            "email": "legal@staff.example",
            "password": PASSWORD,
        },
    )
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/staff/"
    assert "planted" not in str(resp.headers)


def test_staff_login_next_keeps_a_path_of_the_staff_pages(web, staff):
    """The redirect after a login still goes back to the page that asked for it."""
    url = "/staff/login?next=" + quote("/staff/dashboard", safe="")
    resp = web.post(
        url,
        data={
            "csrf_token": form_token(web, url),
            "email": "legal@staff.example",
            "password": PASSWORD,
        },
    )
    assert (resp.status_code, resp.headers["Location"]) == (303, "/staff/dashboard")


# --- finding 12: downloads audited from another site ------------------------------


def _downloads(db_path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'removal_list_downloaded'"
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["page", "api"])
def test_cross_site_staff_downloads_are_refused_and_not_audited(
    api, web, staff, db_path, run, kind
):
    """Attack: ``<img src>`` or ``location=`` to a staff CSV download from another
    site, which added an audit entry in the staff member's name."""
    decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    base = (
        f"/staff/removals/{item['id']}"
        if kind == "page"
        else f"/api/v1/removal-lists/{item['id']}"
    )
    staff_login(web, "training@staff.example")
    before = _downloads(db_path)
    for url in (f"{base}?format=csv", base):
        for site in ("cross-site", "same-site", None):  # None: no Fetch Metadata
            headers = {"Sec-Fetch-Site": site} if site else {}
            resp = web.get(url, headers=headers)
            assert resp.status_code == 403, (url, site)
            if kind == "api":
                assert_api_error(resp, 403)
    assert _downloads(db_path) == before
    for url in (f"{base}?format=csv", base):
        for site in ("same-origin", "none"):  # our own pages; the address bar
            resp = web.get(url, headers={"Sec-Fetch-Site": site})
            assert resp.status_code == 200, (url, site)
    assert _downloads(db_path) == before + 4
    # An API client with its token sends no Fetch Metadata: a direct request.
    api_url = f"/api/v1/removal-lists/{item['id']}?format=csv"
    assert api.get(api_url, headers=staff["training"]).status_code == 200
    assert _downloads(db_path) == before + 5

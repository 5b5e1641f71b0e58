"""One-time codes: brute force (also in parallel against a live server), resend
abuse, replay, expiry, and codes carried to another request or channel. The code
is the only proof of identity we accept (security.md L1), so each of these would
hand an impostor someone else's data."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

from dsr_app import deadlines
from dsr_app.db import open_db
from tests.conftest import assert_api_error, bearer, latest_code, new_request, outbox
from tests.security.helpers import ZOE_EMAIL, ZOE_PHONE, stored, wrong


def _verify(api, created, channel, code):
    return api.post(
        f"/api/v1/requests/{created['id']}/verify",
        json={"channel": channel, "code": code},
        headers=bearer(created),
    )


def _resend(api, created, channel="email"):
    return api.post(
        f"/api/v1/requests/{created['id']}/resend",
        json={"channel": channel},
        headers=bearer(created),
    )


def _at(monkeypatch, start, delta: timedelta) -> None:
    monkeypatch.setattr(deadlines, "now", lambda: start + delta)


def _wrong_tries(db_path, created, channel="email") -> int:
    row = (
        open_db(db_path)
        .execute(
            "SELECT wrong_tries FROM verification_attempts WHERE request_id = ?"
            " AND channel = ?",
            [created["id"], channel],
        )
        .fetchone()
    )
    return row[0] if row else 0


def test_code_brute_force_is_stopped_after_five_wrong_tries(api, db_path, monkeypatch):
    """Attack: guess codes one after another until one fits."""
    created = new_request(api)
    code = latest_code(db_path, ZOE_EMAIL)
    for n in range(1, 6):
        assert_api_error(_verify(api, created, "email", wrong(code, n)), 400, "code")
    blocked = _verify(api, created, "email", code)  # even the right one now
    assert_api_error(blocked, 429)
    assert int(blocked.headers["Retry-After"]) > 0
    assert _wrong_tries(db_path, created) == 5
    assert stored(db_path, created)["email_verified_at"] is None
    _at(monkeypatch, deadlines.now(), timedelta(seconds=61))
    assert _resend(api, created).status_code == 200
    fresh = latest_code(db_path, ZOE_EMAIL)
    if fresh != code:  # one chance in 10^8 that they are equal
        assert_api_error(_verify(api, created, "email", code), 400, "code")
    assert _verify(api, created, "email", fresh).status_code == 200


def test_parallel_code_brute_force_on_a_live_server_counts_exactly_five(
    live_server, db_path
):
    """Attack: 25 guesses at once from threads against the real server (waitress)."""

    def call(path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(
            f"{live_server}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    status, created = call(
        "/api/v1/requests",
        {"type": "erasure", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"},
    )
    assert status == 201
    code = latest_code(db_path, ZOE_EMAIL)
    url = f"/api/v1/requests/{created['id']}/verify"
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(25)

    def guess(n: int) -> None:
        start.wait()
        answer = call(
            url, {"channel": "email", "code": wrong(code, n)}, created["status_token"]
        )
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(1, 26)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(s for s, _ in answers)
    assert statuses == [400] * 5 + [429] * 20, statuses
    assert _wrong_tries(db_path, created) == 5
    # The right code is refused too, by the code's own lock (not the address limit:
    # 26 calls stay under its 30 an hour).
    status, body = call(
        url, {"channel": "email", "code": code}, created["status_token"]
    )
    assert (status, body) == (
        429,
        {"error": "too many wrong tries: ask for a new code"},
    )
    row = open_db(db_path).execute(
        "SELECT status, email_verified_at FROM requests WHERE id = ?", [created["id"]]
    )
    assert row.fetchone() == ("pending_verification", None)


def test_resends_cannot_buy_more_than_ten_guesses_per_channel(
    api, db_path, monkeypatch
):
    """Attack: 5 guesses, ask for a new code, 5 more guesses, and so on."""
    created = new_request(api)
    start = deadlines.now()
    for round_ in range(2):
        code = latest_code(db_path, ZOE_EMAIL)
        for n in range(1, 6):
            assert_api_error(
                _verify(api, created, "email", wrong(code, n)), 400, "code"
            )
        _at(monkeypatch, start, timedelta(seconds=61 * (round_ + 1)))
        if round_ == 0:
            assert _resend(api, created).status_code == 200
    assert_api_error(_resend(api, created), 409)  # no third code, ever
    assert_api_error(_verify(api, created, "email", code), 409)
    assert _wrong_tries(db_path, created) == 10
    assert len(outbox(db_path, ZOE_EMAIL)) == 2


def test_resend_abuse_is_spaced_and_capped_per_hour(api, db_path, monkeypatch):
    """Attack: flood the victim's inbox (or buy fresh codes) with resends."""
    created = new_request(api)
    start = deadlines.now()
    too_soon = _resend(api, created)
    assert_api_error(too_soon, 429)
    assert 1 <= int(too_soon.headers["Retry-After"]) <= 60
    _at(monkeypatch, start, timedelta(seconds=59))
    assert_api_error(_resend(api, created), 429)
    for minute in (1, 2, 3):
        _at(monkeypatch, start, timedelta(minutes=minute, seconds=1))
        assert _resend(api, created).status_code == 200
    _at(monkeypatch, start, timedelta(minutes=10))
    capped = _resend(api, created)
    assert_api_error(capped, 429)
    assert int(capped.headers["Retry-After"]) > 60  # until the hour is over
    assert len(outbox(db_path, ZOE_EMAIL)) == 4  # the first code and 3 resends
    _at(monkeypatch, start, timedelta(minutes=61, seconds=2))
    assert _resend(api, created).status_code == 200  # the window slides on


def test_replayed_code_is_refused(api, db_path, monkeypatch):
    """Attack: send a code that was already used, or one voided by a resend."""
    created = new_request(api, phone=ZOE_PHONE)
    used = latest_code(db_path, ZOE_EMAIL)
    assert _verify(api, created, "email", used).status_code == 200
    assert_api_error(_verify(api, created, "email", used), 400, "code")
    voided = latest_code(db_path, ZOE_PHONE)
    _at(monkeypatch, deadlines.now(), timedelta(seconds=61))
    assert _resend(api, created, "phone").status_code == 200
    if latest_code(db_path, ZOE_PHONE) != voided:
        assert_api_error(_verify(api, created, "phone", voided), 400, "code")
    assert stored(db_path, created)["phone_verified_at"] is None


def test_expired_code_is_refused(api, db_path, monkeypatch):
    """Attack: use a code (from an old mail, a shoulder-surfed screen) after 10 min."""
    created = new_request(api)
    code = latest_code(db_path, ZOE_EMAIL)
    _at(monkeypatch, deadlines.now(), timedelta(minutes=10, seconds=1))
    assert_api_error(_verify(api, created, "email", code), 400, "code")
    assert stored(db_path, created)["email_verified_at"] is None


def test_code_of_another_request_is_refused(api, db_path):
    """Attack: verify a request in the victim's name with my own request's code."""
    mine = new_request(api, email="attacker@example.org")
    theirs = new_request(api, email=ZOE_EMAIL)
    my_code = latest_code(db_path, "attacker@example.org")
    assert_api_error(_verify(api, theirs, "email", my_code), 400, "code")
    assert stored(db_path, theirs)["status"] == "pending_verification"
    assert _verify(api, mine, "email", my_code).status_code == 200  # it was real


def test_code_of_another_channel_is_refused(api, db_path):
    """Attack: prove the victim's phone with the code sent to the attacker's e-mail."""
    created = new_request(api, email="attacker@example.org", phone=ZOE_PHONE)
    email_code = latest_code(db_path, "attacker@example.org")
    assert_api_error(_verify(api, created, "phone", email_code), 400, "code")
    assert stored(db_path, created)["phone_verified_at"] is None
    assert _verify(api, created, "email", email_code).status_code == 200
    assert stored(db_path, created)["phone_verified_at"] is None

"""Every 429 says how long the refused action really stays refused (issue 16,
finding 13): a resend right after filing said ``Retry-After: 3600``, the reset of
the hourly per-address limit that Flask-Limiter wrote over our 60-second
cool-down. Our own limits move with ``deadlines.now``; Flask-Limiter's windows run
on the clock, so their waits are checked against the window's time left."""

from __future__ import annotations

import time

import pytest

from dsr_app import create_app
from tests.conftest import assert_api_error, bearer, latest_code, new_request
from tests.security.helpers import ZOE_EMAIL, form_token, https_client, wrong

HOUR = 3600


@pytest.fixture
def limited(db_path):
    """A client of the app with its per-address limits on, as served."""
    return https_client(create_app({"TESTING": True, "DB": str(db_path)}))


def _resend(client, created, channel="email"):
    return client.post(
        f"/api/v1/requests/{created['id']}/resend",
        json={"channel": channel},
        headers=bearer(created),
    )


def _verify(client, created, code):
    return client.post(
        f"/api/v1/requests/{created['id']}/verify",
        json={"channel": "email", "code": code},
        headers=bearer(created),
    )


def _wait(resp) -> int:
    assert_api_error(resp, 429)
    return int(resp.headers["Retry-After"])


def test_resend_in_its_cool_down_waits_what_is_left_of_the_minute(limited, clock):
    """The finding: a resend right after filing said 3600 (the wait is 60 s)."""
    created = new_request(limited)
    assert _wait(_resend(limited, created)) == 60
    clock(45)
    assert _wait(_resend(limited, created)) == 15
    clock(59.5)
    assert _wait(_resend(limited, created)) == 1  # rounded up, never early
    clock(60)
    assert _resend(limited, created).status_code == 200


def test_hourly_code_limit_waits_until_the_oldest_code_is_an_hour_old(limited, clock):
    created = new_request(limited)  # code 1 at 0 s
    for at in (60, 120, 180):  # codes 2 to 4
        clock(at)
        assert _resend(limited, created).status_code == 200
    clock(200)  # in the cool-down, and the hour is full: the longer wait counts
    assert _wait(_resend(limited, created)) == HOUR - 200
    clock(600)
    assert _wait(_resend(limited, created)) == HOUR - 600
    clock(HOUR)
    assert _resend(limited, created).status_code == 200


def test_code_killed_by_wrong_tries_waits_until_a_new_code_may_be_asked(
    limited, db_path, clock
):
    created = new_request(limited)
    code = latest_code(db_path, ZOE_EMAIL)
    for n in range(1, 6):
        assert_api_error(_verify(limited, created, wrong(code, n)), 400, "code")
    assert _wait(_verify(limited, created, code)) == 60
    clock(50)
    assert _wait(_verify(limited, created, code)) == 10
    clock(60)
    assert _resend(limited, created).status_code == 200
    fresh = latest_code(db_path, ZOE_EMAIL)
    assert _verify(limited, created, fresh).status_code == 200


def test_refusal_that_waiting_does_not_lift_carries_no_retry_after(
    limited, db_path, clock
):
    """Ten wrong codes on a channel end it: no wait would help (it said 60)."""
    created = new_request(limited)
    for round_ in range(2):
        code = latest_code(db_path, ZOE_EMAIL)
        for n in range(1, 6):
            assert_api_error(_verify(limited, created, wrong(code, n)), 400, "code")
        clock(60)
        if round_ == 0:
            assert _resend(limited, created).status_code == 200
    refused = _verify(limited, created, code)
    assert_api_error(refused, 409)
    assert "Retry-After" not in refused.headers


def test_code_killed_when_no_code_is_left_to_send_says_no_wait(api, db_path, clock):
    """A code killed by wrong tries said "wait 60 s" although the channel had had
    its 10 codes: no wait would bring an 11th. Refused like the other refusals
    that waiting does not lift: 409, no Retry-After."""
    created = new_request(api)  # code 1 at 0 s
    for at in (60, 120, 180, HOUR, HOUR + 60, HOUR + 120, HOUR + 180, 2 * HOUR):
        clock(at)
        assert _resend(api, created).status_code == 200
    clock(2 * HOUR + 60)
    assert _resend(api, created).status_code == 200  # the 10th and last code
    code = latest_code(db_path, ZOE_EMAIL)
    for n in range(1, 6):
        assert_api_error(_verify(api, created, wrong(code, n)), 400, "code")

    refused = _verify(api, created, code)

    assert_api_error(refused, 409)
    assert "Retry-After" not in refused.headers
    assert "10 were sent already" in refused.get_json()["error"]
    clock(3 * HOUR)
    assert_api_error(_resend(api, created), 409)


def test_verify_page_refusal_is_429_with_the_wait_in_the_header_and_in_words(
    limited, clock
):
    """The code page answered a resend in its cool-down with 400 and no wait at
    all, where the API says 429 and Retry-After."""
    form = {
        "csrf_token": form_token(limited, "/request"),
        "type": "access",
        "full_name": "Zoë",
        "email": ZOE_EMAIL,
        "country": "DE",
        "language": "en",
    }
    assert limited.post("/request", data=form).status_code == 303

    def resend():
        token = form_token(limited, "/verify")
        data = {"csrf_token": token, "channel": "email", "action": "resend"}
        return limited.post("/verify", data=data)

    page = resend()
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert page.headers["Retry-After"] == "60"
    assert "Please try again in 1 minute." in page.get_data(as_text=True)
    clock(45)
    page = resend()
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "15"
    assert "Please try again in 15 seconds." in page.get_data(as_text=True)
    clock(60)
    assert resend().status_code == 200


def test_daily_limit_per_address_waits_until_the_oldest_request_is_a_day_old(
    limited, clock
):
    for hours in (0, 1, 2):
        clock(hours * HOUR)
        new_request(limited)
    clock(3 * HOUR)
    body = {"type": "access", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"}
    assert _wait(limited.post("/api/v1/requests", json=body)) == 21 * HOUR
    clock(24 * HOUR)
    assert limited.post("/api/v1/requests", json=body).status_code == 201


def _window_left(started: float, seconds: int) -> tuple[int, int]:
    """Bounds of what a Flask-Limiter window opened after ``started`` has left."""
    return seconds - int(time.time() - started) - 1, seconds + 1


def test_per_address_limit_refuses_for_what_is_left_of_its_window(db_path):
    """Flask-Limiter's own refusals, on the API and on the pages."""
    client = https_client(
        create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMIT_CREATE": "2/hour"})
    )
    started = time.time()
    body = {"type": "access", "full_name": "X", "country": "DE"}
    for n in range(2):
        resp = client.post("/api/v1/requests", json={**body, "email": f"a{n}@x.eu"})
        assert resp.status_code == 201
        form = {**body, "email": f"f{n}@x.eu"}
        form["csrf_token"] = form_token(client, "/request")
        assert client.post("/request", data=form).status_code == 303
    low, high = _window_left(started, HOUR)
    resp = client.post("/api/v1/requests", json={**body, "email": "b@x.eu"})
    assert low <= _wait(resp) <= high
    form = {**body, "email": "g@x.eu", "csrf_token": form_token(client, "/request")}
    page = client.post("/request", data=form)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert low <= int(page.headers["Retry-After"]) <= high


def test_our_refusal_on_a_full_per_address_limit_waits_for_the_limit_too(
    db_path, clock
):
    """A resend refused for its cool-down when it was the address's last call of
    the hour is accepted only once that hour is over (it said 60: the reset of the
    minute limit beside it)."""
    app = create_app(
        {"TESTING": True, "DB": str(db_path), "RATE_LIMIT_VERIFY": "10/minute;3/hour"}
    )
    client = https_client(app)
    created = new_request(client)
    started = time.time()
    for _ in range(2):  # refused by our cool-down, with calls of the hour left
        assert _wait(_resend(client, created)) == 60
    low, high = _window_left(started, HOUR)
    assert low <= _wait(_resend(client, created)) <= high  # none left after it
    clock(60)  # the cool-down is over, the address's hour is not
    assert low <= _wait(_resend(client, created)) <= high

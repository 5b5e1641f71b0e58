"""Retry-After says the real wait on every 429, and the page says the same wait in
words, in the page's language (issue 20, item 5): the code cool-down, the hourly
code limit, the daily limit per address, a reply's new phone, and the per-address
limits of the pages. Our own limits move with ``deadlines.now`` (a frozen clock);
the per-address windows run on the clock, so their words are checked against the
header they must equal."""

from __future__ import annotations

import pytest

from dsr_app import create_app
from dsr_app.i18n import wait_words
from tests.conftest import assert_api_error, bearer, latest_code, new_request
from tests.security.helpers import ZOE_EMAIL, ZOE_PHONE, form_token, https_client

HOUR = 3600
WORDS = {
    "en": "Please try again in {}.",
    "de": "Bitte versuchen Sie es in {} erneut.",
    "fr": "Veuillez réessayer dans {}.",
}


def _client(db_path, **config):
    """A client of the app with its per-address limits on, as served."""
    return https_client(create_app({"TESTING": True, "DB": str(db_path), **config}))


def _file_on_the_page(client, lang="en", **fields):
    """File through the form in a session whose pages are in ``lang``."""
    client.get(f"/request?lang={lang}")
    form = {
        "csrf_token": form_token(client, "/request"),
        "type": "access",
        "full_name": "Zoë Müller-Łukasik",
        "email": ZOE_EMAIL,
        "country": "DE",
        "language": lang,
        **fields,
    }
    return client.post("/request", data=form)


def _resend_on_the_page(client, channel="email"):
    token = form_token(client, "/verify")
    data = {"csrf_token": token, "channel": channel, "action": "resend"}
    return client.post("/verify", data=data)


def _said(page, lang: str) -> str:
    """The page's words for the wait its Retry-After names."""
    wait = int(page.headers["Retry-After"])
    return WORDS[lang].format(wait_words(wait, lang))


@pytest.mark.parametrize("channel", ["email", "phone"])
def test_resend_right_after_filing_waits_what_is_left_of_the_minute(
    db_path, clock, channel
):
    """The finding: it answered 3600 (the hour of the per-address limit)."""
    client = _client(db_path)
    created = new_request(client, phone=ZOE_PHONE)
    clock(17)
    resp = client.post(
        f"/api/v1/requests/{created['id']}/resend",
        json={"channel": channel},
        headers=bearer(created),
    )
    assert_api_error(resp, 429)
    assert int(resp.headers["Retry-After"]) == 60 - 17


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Please try again in 43 seconds."),
        ("de", "Bitte versuchen Sie es in 43 Sekunden erneut."),
        ("fr", "Veuillez réessayer dans 43\xa0secondes."),
    ],
)
def test_code_page_says_the_cool_down_in_its_language(db_path, clock, lang, said):
    client = _client(db_path)
    assert _file_on_the_page(client, lang).status_code == 303
    clock(17)
    page = _resend_on_the_page(client)
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "43"
    assert said in page.get_data(as_text=True)


def test_code_page_says_the_hourly_code_limit_in_words(db_path, clock):
    client = _client(db_path)
    assert _file_on_the_page(client).status_code == 303  # code 1 at 0 s
    for at in (60, 120, 180):  # codes 2 to 4
        clock(at)
        assert _resend_on_the_page(client).status_code == 200
    clock(200)
    page = _resend_on_the_page(client)
    assert page.status_code == 429
    assert page.headers["Retry-After"] == str(HOUR - 200)
    assert "Please try again in 57 minutes." in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "in the last 24 hours. Please try again in 21 hours."),
        (
            "de",
            "24 Stunden zu viele Anfragen eingegangen. Bitte versuchen Sie es in 21",
        ),
        ("fr", "Veuillez réessayer dans 21\xa0heures."),
    ],
)
def test_request_form_refused_by_the_daily_limit_is_429_with_its_wait_in_words(
    db_path, clock, lang, said
):
    """The form answered 400, no Retry-After, and "try again tomorrow"."""
    client = _client(db_path)
    for hours in (0, 1, 2):
        clock(hours * HOUR)
        new_request(client)
    clock(3 * HOUR)
    page = _file_on_the_page(client, lang)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert page.headers["Retry-After"] == str(21 * HOUR)
    assert said in page.get_data(as_text=True)
    clock(3 * HOUR + 30)
    page = _file_on_the_page(client, lang)
    assert page.headers["Retry-After"] == str(21 * HOUR - 30)
    assert _said(page, lang) in page.get_data(as_text=True)  # 20 h and 60 min: 21 h
    clock(24 * HOUR)
    assert _file_on_the_page(client, lang).status_code == 303


def test_a_reply_whose_new_phone_waits_for_the_cool_down_says_so(db_path, clock, staff):
    client = _client(db_path)
    assert _file_on_the_page(client, phone=ZOE_PHONE).status_code == 303
    token = form_token(client, "/verify")
    code = latest_code(db_path, ZOE_EMAIL)
    data = {"csrf_token": token, "channel": "email", "code": code}
    assert client.post("/verify", data=data).status_code == 200  # phone waits
    queue = client.get("/api/v1/staff/requests", headers=staff["legal"]).get_json()
    (row,) = queue["items"]
    asked = client.post(
        f"/api/v1/staff/requests/{row['id']}/decision",
        json={"decision": "request_info", "reason": "Which account is yours?"},
        headers=staff["legal"],
    )
    assert asked.status_code == 200, asked.get_json()
    clock(10)  # the phone's code of the filing is 10 s old
    page = client.post(
        "/status/reply",
        data={
            "csrf_token": form_token(client, "/status"),
            "request_id": row["id"],
            "phone": "+49 151 23456780",
        },
    )
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "50"
    assert "Please try again in 50 seconds." in page.get_data(as_text=True)


def test_per_address_limit_of_a_page_says_its_wait_in_words(db_path):
    client = _client(db_path, RATE_LIMIT_CREATE="1/hour")
    assert _file_on_the_page(client).status_code == 303
    page = _file_on_the_page(client, email="other@example.eu")
    assert page.status_code == 429 and page.mimetype == "text/html"
    wait = int(page.headers["Retry-After"])
    assert HOUR - 60 <= wait <= HOUR
    assert _said(page, "en") in page.get_data(as_text=True)


def test_a_cool_down_on_a_full_address_hour_says_the_longer_wait(db_path, clock):
    """Refused for the code's minute when the address had no call left this
    hour: the page must not say "1 minute" when the header says the hour."""
    client = _client(db_path, RATE_LIMIT_VERIFY="10/minute;2/hour")
    assert _file_on_the_page(client).status_code == 303
    first = _resend_on_the_page(client)  # the hour has room left: the minute
    assert first.headers["Retry-After"] == "60"
    assert "Please try again in 1 minute." in first.get_data(as_text=True)
    page = _resend_on_the_page(client)  # the address's last call of the hour
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) > HOUR - 60
    assert _said(page, "en") in page.get_data(as_text=True)
    assert "1 minute." not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("seconds", "lang", "words"),
    [
        (59, "en", "59 seconds"),
        (60, "en", "1 minute"),
        (61, "en", "2 minutes"),  # rounded up: never come back early
        (3540, "en", "59 minutes"),
        (3541, "en", "1 hour"),
        (3601, "en", "1 hour and 1 minute"),
        (75600, "de", "21 Stunden"),
        (75601, "de", "21 Stunden und 1 Minute"),
        (75601, "fr", "21\xa0heures et 1 minute"),
    ],
)
def test_a_wait_in_words_counts_hours_from_an_hour_on(seconds, lang, words):
    """The daily limit's wait said "1,260 minutes"."""
    assert wait_words(seconds, lang) == words

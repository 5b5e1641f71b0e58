"""Finding a request again by its reference (issue 21, item 3), attacked: the
answers never tell whether a reference exists or is verified, the code goes only
to the verified e-mail address, it is guessed no better than a verification code,
and the pages are limited per address like the other code pages."""

from __future__ import annotations

import re

import pytest

from dsr_app import create_app
from tests.conftest import latest_code, new_request, outbox
from tests.security.helpers import ZOE_EMAIL, form_token, https_client, verified, wrong

UNKNOWN = "hRPNk-nMGfZwLipgUcdKvw"  # the shape of a reference, of no request


def _browser(db_path, **config):
    """A new browser: its own session, the app's per-address limits as given."""
    app = create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0, **config})
    return https_client(app)


def _ask(client, reference: str):
    """Give ``reference`` on /find and follow to the code page."""
    data = {"csrf_token": form_token(client, "/find"), "reference": reference}
    asked = client.post("/find", data=data)
    assert asked.status_code == 303, asked.get_data(as_text=True)
    return asked, client.get(asked.headers["Location"])


def _enter(client, code: str):
    data = {"csrf_token": form_token(client, "/find/code"), "code": code}
    return client.post("/find/code", data=data)


def _alike(page, reference: str) -> str:
    """A page's text with what differs by design left out: its CSRF tokens and the
    reference the person typed, which it repeats."""
    said = page.get_data(as_text=True).replace(reference, "REF")
    return re.sub(r'name="csrf_token" value="[^"]+"', "", said)


def _lookup_mails(db_path) -> list[dict]:
    return [m for m in outbox(db_path) if "find your request" in m["subject"]]


def test_lookup_answers_alike_for_known_unknown_and_unverified_references(api, db_path):
    known = verified(api, db_path)
    unverified = new_request(api, email="max@example.eu")
    answers = {}
    for name, reference in (
        ("known", known["id"]),
        ("unknown", UNKNOWN),
        ("unverified", unverified["id"]),
    ):
        asked, page = _ask(_browser(db_path), reference)
        answers[name] = (asked.status_code, asked.headers["Location"])
        answers[name] += (page.status_code, _alike(page, reference))
    assert answers["known"] == answers["unknown"] == answers["unverified"]
    assert page.headers["Cache-Control"] == "no-store"  # it repeats the reference
    # Only the verified address got a code; an unconfirmed one is never mailed.
    assert [m["to"] for m in _lookup_mails(db_path)] == [ZOE_EMAIL]


def test_lookup_wrong_code_answers_alike_for_known_and_unknown_references(api, db_path):
    known = verified(api, db_path)
    pages = {}
    for name, reference in (("known", known["id"]), ("unknown", UNKNOWN)):
        client = _browser(db_path)
        _ask(client, reference)
        refused = _enter(client, "12345678")
        pages[name] = (refused.status_code, _alike(refused, reference))
    assert pages["known"] == pages["unknown"]
    assert pages["known"][0] == 400
    assert "This code is wrong" in pages["known"][1]


def test_lookup_code_brute_force_is_stopped_after_five_wrong_tries(api, db_path):
    known = verified(api, db_path)
    client = _browser(db_path)
    _ask(client, known["id"])
    code = latest_code(db_path, ZOE_EMAIL)
    for n in range(1, 6):
        assert _enter(client, wrong(code, n)).status_code == 400
    # The right code is dead now, and says only what any wrong code says.
    late = _enter(client, code)
    assert late.status_code == 400 and "This code is wrong" in late.get_data(True)
    assert client.get("/status").status_code == 404


def test_lookup_code_opens_only_its_own_request(api, db_path):
    zoe = verified(api, db_path)
    max_ = verified(api, db_path, email="max@example.eu", full_name="Max Muster")
    client = _browser(db_path)
    _ask(client, zoe["id"])
    zoe_code = latest_code(db_path, ZOE_EMAIL)
    # Zoë's code, typed after Max's reference, opens nothing.
    _ask(client, max_["id"])
    assert _enter(client, zoe_code).status_code == 400
    max_code = latest_code(db_path, "max@example.eu")
    opened = _enter(client, max_code)
    assert opened.status_code == 303 and opened.headers["Location"] == "/status"
    status = client.get("/status").get_data(as_text=True)
    assert max_["id"] in status and zoe["id"] not in status


def test_verification_code_is_no_lookup_code(api, db_path):
    created = new_request(api)
    code = latest_code(db_path, ZOE_EMAIL)  # the e-mail's verification code
    client = _browser(db_path)
    _ask(client, created["id"])  # unverified: nothing is sent
    assert _enter(client, code).status_code == 400
    assert client.get("/status").status_code == 404


def test_lookup_code_is_single_use(api, db_path):
    known = verified(api, db_path)
    first = _browser(db_path)
    _ask(first, known["id"])
    code = latest_code(db_path, ZOE_EMAIL)
    assert _enter(first, code).status_code == 303
    second = _browser(db_path)
    _ask(second, known["id"])  # within the minute: no new code
    assert _enter(second, code).status_code == 400
    assert second.get("/status").status_code == 404


def test_lookup_codes_are_spaced_and_capped_per_hour(api, db_path, clock):
    known = verified(api, db_path)
    client = _browser(db_path)
    for seconds in (0, 30, 61, 122, 183, 244, 305):
        clock(seconds)
        _ask(client, known["id"])
    # 0, 61, 122 and 183 s: one a minute at most, four an hour.
    assert len(_lookup_mails(db_path)) == 4
    clock(3601)
    _ask(client, known["id"])
    assert len(_lookup_mails(db_path)) == 5


@pytest.mark.parametrize("path", ["/find", "/find/code"])
def test_lookup_pages_are_rate_limited_per_address_with_retry_after(api, db_path, path):
    known = verified(api, db_path)
    client = _browser(db_path, RATE_LIMITS=1, RATE_LIMIT_VERIFY="3 per hour")
    client.get("/find")
    token = form_token(client, "/find")
    if path == "/find/code":
        client.post("/find", data={"csrf_token": token, "reference": known["id"]})
    data = {"csrf_token": token, "reference": known["id"], "code": "12345678"}
    answers = [client.post(path, data=data).status_code for _ in range(4)]
    assert answers[-1] == 429, answers
    refused = client.post(path, data=data)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0

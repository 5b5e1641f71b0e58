"""The public pages through the Flask test client: forms, CSRF, session, links."""

from __future__ import annotations

import re

import pytest

from dsr_app.db import open_db
from tests.conftest import latest_code, outbox

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path: str) -> str:
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def file_request(web, **fields) -> object:
    token = csrf(web, "/request")
    form = {
        "csrf_token": token,
        "type": "objection",
        "full_name": "Zoë Müller-Łukasik",
        "email": "zoe@example.eu",
        "phone": "0151 23456789",
        "handles": "@zoe.mueller, zoe_m",
        "country": "DE",
        "language": "de",
        **fields,
    }
    return web.post("/request", data=form)


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [
        ("en", "Objection (Art. 21)"),
        ("de", "Widerspruch (Art. 21)"),
        ("fr", "Opposition (art. 21)"),
    ],
)
def test_home_page_in_each_language_links_the_form(web, lang, phrase):
    page = web.get(f"/?lang={lang}").get_data(as_text=True)
    assert phrase in page
    assert f'<html lang="{lang}">' in page
    assert 'href="/request"' in page


def test_language_follows_the_browser_then_the_choice(web):
    page = web.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in page.get_data(as_text=True)
    web.get("/?lang=de")
    page = web.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="de">' in page.get_data(as_text=True)


def test_form_has_labels_for_every_field(web):
    page = web.get("/request").get_data(as_text=True)
    for field in (
        "full_name",
        "email",
        "phone",
        "handles",
        "country",
        "language",
        "details",
        "type-access",
        "type-objection",
        "type-erasure",
    ):
        assert f'for="{field}"' in page and f'id="{field}"' in page, field


def test_form_without_csrf_token_is_refused(web, db_path):
    resp = web.post(
        "/request",
        data={
            "type": "access",
            "full_name": "Z",
            "email": "zoe@example.eu",
            "country": "DE",
        },
    )
    assert resp.status_code == 400
    assert open_db(db_path)["requests"].count == 0


def test_form_shows_errors_by_field(web, db_path):
    resp = file_request(web, email="not-an-email", country="US", phone="x")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="email-error"' in page and 'id="country-error"' in page
    assert 'id="phone-error"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="Zoë Müller-Łukasik"' in page  # what was typed is kept
    assert open_db(db_path)["requests"].count == 0


def test_whole_flow_file_verify_and_see_status(web, db_path):
    resp = file_request(web)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/verify")
    page = web.get("/verify").get_data(as_text=True)
    # Which code went where, masked (issue 21, item 3), and the reference.
    assert "z•••e@example.eu" in page and "+49 ••• 89" in page
    assert "zoe@example.eu" not in page and "+4915123456789" not in page
    (reference,) = [r["id"] for r in open_db(db_path)["requests"].rows]
    assert f"Das Aktenzeichen Ihrer Anfrage ist <code>{reference}</code>." in page
    token = CSRF_RE.search(page).group(1)
    email_code = latest_code(db_path, "zoe@example.eu")
    resp = web.post(
        "/verify",
        data={
            "csrf_token": token,
            "channel": "email",
            "code": email_code,
            "action": "verify",
        },
    )
    assert resp.status_code == 200  # the phone is still to do
    sms_code = latest_code(db_path, "+4915123456789")
    resp = web.post(
        "/verify",
        data={
            "csrf_token": token,
            "channel": "phone",
            "code": sms_code,
            "action": "verify",
        },
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/status")
    status = web.get("/status")
    page = status.get_data(as_text=True)
    assert 'data-status="in_review"' in page
    assert "Bestätigt; unsere Rechtsabteilung prüft die Anfrage" in page
    assert re.search(r'data-due="\d{4}-\d{2}-\d{2}">\d{1,2}\. \w+ \d{4}<', page)
    assert status.headers["Cache-Control"] == "no-store"


def test_wrong_code_on_the_page_says_so(web, db_path):
    file_request(web)
    token = csrf(web, "/verify")
    resp = web.post(
        "/verify",
        data={
            "csrf_token": token,
            "channel": "email",
            "code": "00000000",
            "action": "verify",
        },
    )
    assert resp.status_code == 400
    assert 'id="email-error"' in resp.get_data(as_text=True)


def test_resend_from_the_page_sends_a_new_code(web, db_path, monkeypatch):
    from datetime import timedelta

    from dsr_app import deadlines

    file_request(web)
    start = deadlines.now()
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(seconds=61))
    token = csrf(web, "/verify")
    resp = web.post(
        "/verify", data={"csrf_token": token, "channel": "email", "action": "resend"}
    )
    assert resp.status_code == 200
    assert len(outbox(db_path, "zoe@example.eu")) == 2


def test_status_without_a_session_is_404(web):
    assert web.get("/status").status_code == 404
    assert web.get("/verify").status_code == 404


def _browser(api_app):
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def test_email_link_is_exchanged_for_a_session_once(api_app, web, db_path):
    file_request(web)
    body = outbox(db_path, "zoe@example.eu")[-1]["body"]
    path = re.search(r"http://127\.0\.0\.1:8000(/r/\S+)", body).group(1)
    other = _browser(api_app)  # another browser, without the session
    resp = other.get(path)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/r"  # the token leaves the address bar
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    confirm = other.get("/r")
    token = CSRF_RE.search(confirm.get_data(as_text=True)).group(1)
    assert path.split("/")[-1] not in confirm.get_data(as_text=True)
    opened = other.post("/r", data={"csrf_token": token})
    assert opened.status_code == 303 and opened.headers["Location"] == "/status"
    page = other.get("/status").get_data(as_text=True)
    assert 'data-status="pending_verification"' in page
    third = _browser(api_app)
    third.get(path)
    token = CSRF_RE.search(third.get("/r").get_data(as_text=True)).group(1)
    assert third.post("/r", data={"csrf_token": token}).status_code == 404  # used up
    assert third.get("/status").status_code == 404


def test_fetching_the_link_does_not_spend_it(api_app, web, db_path):
    """Mail scanners fetch links: a GET must leave the token usable."""
    file_request(web)
    body = outbox(db_path, "zoe@example.eu")[-1]["body"]
    path = re.search(r"http://127\.0\.0\.1:8000(/r/\S+)", body).group(1)
    scanner = _browser(api_app)
    scanner.get(path, follow_redirects=True)
    person = _browser(api_app)
    person.get(path)
    token = CSRF_RE.search(person.get("/r").get_data(as_text=True)).group(1)
    assert person.post("/r", data={"csrf_token": token}).status_code == 303


def test_opening_a_link_needs_the_csrf_token(api_app, web, db_path):
    file_request(web)
    body = outbox(db_path, "zoe@example.eu")[-1]["body"]
    path = re.search(r"http://127\.0\.0\.1:8000(/r/\S+)", body).group(1)
    other = _browser(api_app)
    other.get(path)
    assert other.post("/r").status_code == 400
    assert other.get("/status").status_code == 404


def test_session_cookie_is_host_only_secure_httponly_lax(web):
    resp = file_request(web)
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("__Host-dsr_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie


def test_pages_send_security_headers(web):
    for path in ("/", "/request", "/nothing-here"):
        resp = web.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert web.get("/nothing-here").mimetype == "text/html"


def test_request_fields_are_escaped_on_pages(web, db_path):
    file_request(web, full_name="<script>alert(1)</script>", email="bad")
    page = file_request(web, full_name='"><img src=x onerror=alert(1)>', email="x")
    text = page.get_data(as_text=True)
    assert "<img src=x" not in text and "&#34;&gt;&lt;img" in text


# --- Answering a request for information on the status page (issue 18, item 6) ----

QUESTION = "Welches der genannten Konten gehört Ihnen?"


def _at(monkeypatch, *when):
    from datetime import UTC, datetime

    from dsr_app import deadlines

    monkeypatch.setattr(deadlines, "now", lambda: datetime(*when, 9, tzinfo=UTC))


def _open_link(client, db_path, to: str) -> None:
    """Open the newest link e-mailed to ``to``, as the person does."""
    body = outbox(db_path, to)[-1]["body"]
    path = re.search(r"http://127\.0\.0\.1:8000(/r/\S+)", body).group(1)
    client.get(path)
    token = CSRF_RE.search(client.get("/r").get_data(as_text=True)).group(1)
    assert client.post("/r", data={"csrf_token": token}).status_code == 303


def _asked(api, staff, db_path, email="zoe@example.eu", lang="de") -> dict:
    """A verified request legal staff asked a question about; returns its 201 body."""
    from tests.conftest import new_request, verify

    created = new_request(api, email=email, language=lang)
    assert verify(api, db_path, created, "email", email).status_code == 200
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "request_info", "reason": QUESTION},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    return created


def _reply(client, request_id: str, **fields):
    token = CSRF_RE.search(client.get("/status").get_data(as_text=True)).group(1)
    return client.post(
        "/status/reply", data={"csrf_token": token, "request_id": request_id, **fields}
    )


def _row(db_path, request_id: str) -> dict:
    return open_db(db_path)["requests"].get(request_id)


def test_status_page_shows_question_and_form_only_while_needs_info(
    api, staff, web, db_path, monkeypatch
):
    _at(monkeypatch, 2025, 5, 15)
    created = _asked(api, staff, db_path)
    _open_link(web, db_path, "zoe@example.eu")
    page = web.get("/status").get_data(as_text=True)
    assert 'data-status="needs_info"' in page
    assert f'<blockquote id="question">{QUESTION}</blockquote>' in page
    # In the person's language (de): German labels, and the pause as it is counted.
    for label in ("Ihre Antwort", "Antwort senden", "Weitere Benutzernamen"):
        assert label in page, label
    assert "ab dem 15. Mai 2025 angehalten" in page
    assert 'action="/status/reply"' in page and created["id"] in page
    open_db(db_path).execute(
        "UPDATE requests SET status = 'in_review' WHERE id = ?", [created["id"]]
    )
    page = web.get("/status").get_data(as_text=True)
    assert 'id="question"' not in page and "/status/reply" not in page


def test_reply_on_the_page_returns_to_review_with_the_pause_counted_right(
    api, staff, web, db_path, monkeypatch
):
    # Issue 18: received Thu 15 May 2025, asked Fri 16 May, answered Sat 17 May:
    # one day paused; 15 June (a Sunday) + 1 = Mon 16 June, not 17 June.
    from tests.conftest import new_request, verify

    _at(monkeypatch, 2025, 5, 15)

    created = new_request(api, language="de")
    verify(api, db_path, created, "email", "zoe@example.eu")
    _at(monkeypatch, 2025, 5, 16)
    api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "request_info", "reason": QUESTION},
        headers=staff["legal"],
    )
    _open_link(web, db_path, "zoe@example.eu")
    _at(monkeypatch, 2025, 5, 17)
    resp = _reply(web, created["id"], details="Das Konto @zoe.m", handles="@Zoe.M")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/status")
    row = _row(db_path, created["id"])
    assert row["status"] == "in_review"
    assert (row["due_at"], row["strict_due_at"]) == ("2025-06-16", "2025-06-16")
    page = web.get("/status").get_data(as_text=True)
    assert 'data-status="in_review"' in page and 'data-due="2025-06-16"' in page
    db = open_db(db_path)
    assert next(db["request_replies"].rows)["details"] == "Das Konto @zoe.m"
    assert [r["handle"] for r in db["request_handles"].rows] == ["zoe.m"]


def test_staff_case_page_shows_the_reply(api, api_app, staff, web, db_path):
    """Legal staff decide on the answer, so the case page shows it, escaped (issue
    18, item 6); it was stored but shown nowhere."""
    from tests.web.test_staff import log_in

    created = _asked(api, staff, db_path)
    _open_link(web, db_path, "zoe@example.eu")
    sent = _reply(web, created["id"], details="Nur <b>zoe.m</b>", handles="@zoe.m")
    assert sent.status_code == 303
    legal = api_app.test_client()
    legal.environ_base["wsgi.url_scheme"] = "https"
    assert log_in(legal).status_code == 303
    page = legal.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    replies = re.search(r'<ul id="replies">(.*?)</ul>', page, re.S).group(1)
    assert "Nur &lt;b&gt;zoe.m&lt;/b&gt; · handles: zoe.m" in replies


def test_reply_on_the_page_needs_the_csrf_token(api, staff, web, db_path):
    created = _asked(api, staff, db_path)
    _open_link(web, db_path, "zoe@example.eu")
    resp = web.post(
        "/status/reply", data={"request_id": created["id"], "details": "hello"}
    )
    assert resp.status_code == 400
    assert _row(db_path, created["id"])["status"] == "needs_info"
    assert open_db(db_path)["request_replies"].count == 0


def test_another_requests_link_cannot_reply(api, staff, api_app, db_path):
    asked = _asked(api, staff, db_path, email="a@example.org")
    _asked(api, staff, db_path, email="b@example.org")
    other = api_app.test_client()
    other.environ_base["wsgi.url_scheme"] = "https"
    # Without any link: nothing to answer.
    assert other.post(
        "/status/reply", data={"request_id": asked["id"]}
    ).status_code in (
        400,
        404,
    )
    _open_link(other, db_path, "b@example.org")  # b's link, a's request id
    resp = _reply(other, asked["id"], details="it is me")
    assert resp.status_code == 404
    assert _row(db_path, asked["id"])["status"] == "needs_info"
    assert open_db(db_path)["request_replies"].count == 0


@pytest.mark.parametrize(
    ("fields", "error_id", "message"),
    [
        ({}, "form-error", "Bitte füllen Sie mindestens ein Feld aus"),
        ({"phone": "1"}, "phone-error", ""),
        ({"handles": "kein handle!"}, "handles-error", "kein"),
        ({"details": "x" * 5001}, "details-error", ""),
    ],
)
def test_bad_reply_says_what_is_wrong_by_the_field(
    api, staff, web, db_path, fields, error_id, message
):
    created = _asked(api, staff, db_path)
    _open_link(web, db_path, "zoe@example.eu")
    resp = _reply(web, created["id"], **fields)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert f'id="{error_id}"' in page and message in page
    assert 'aria-invalid="true"' in page or error_id == "form-error"
    assert _row(db_path, created["id"])["status"] == "needs_info"


def test_reply_when_no_longer_asked_says_so(api, staff, web, db_path):
    created = _asked(api, staff, db_path)
    _open_link(web, db_path, "zoe@example.eu")
    token = CSRF_RE.search(web.get("/status").get_data(as_text=True)).group(1)
    assert (
        web.post(
            "/status/reply",
            data={"csrf_token": token, "request_id": created["id"], "details": "a"},
        ).status_code
        == 303
    )
    again = web.post(
        "/status/reply",
        data={"csrf_token": token, "request_id": created["id"], "details": "b"},
    )
    assert again.status_code == 409
    assert "wartet nicht mehr auf eine Antwort" in again.get_data(as_text=True)


def test_reply_with_a_new_phone_asks_for_its_code_on_the_code_page(
    api, staff, web, db_path
):
    created = _asked(api, staff, db_path)
    _open_link(web, db_path, "zoe@example.eu")
    resp = _reply(web, created["id"], phone="0151 23456789")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/verify")
    assert _row(db_path, created["id"])["phone_verified_at"] is None
    page = web.get("/verify").get_data(as_text=True)
    assert "+49 ••• 89" in page  # the new phone, masked
    token = CSRF_RE.search(page).group(1)
    done = web.post(
        "/verify",
        data={
            "csrf_token": token,
            "channel": "phone",
            "code": latest_code(db_path, "+4915123456789"),
            "action": "verify",
        },
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/status")
    assert _row(db_path, created["id"])["phone_verified_at"]

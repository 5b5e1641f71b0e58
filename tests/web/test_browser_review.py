"""In Chromium: a legal user logs in, opens the oldest case, excludes a match,
approves, and the requester's status page shows the letter."""

from __future__ import annotations

import pytest

from tests.conftest import REGISTRY, latest_code, screenshot
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser


def test_review_and_approve_in_chromium(live_server, page, db_path, run, staff):
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    # The requester files an objection and verifies, in the same browser context.
    page.goto(f"{live_server}/request?lang=en")
    page.get_by_label("Objection").check()
    page.get_by_label("Your full name").fill("Zoë Müller-Łukasik")
    page.get_by_label("Your e-mail address").fill("zoe@example.eu")
    page.get_by_label("Country where you live").select_option("DE")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/verify")
    page.get_by_role("textbox", name="Code from the e-mail").fill(
        latest_code(db_path, "zoe@example.eu")
    )
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/status")
    requester_status = page.url

    staff_page = log_in(
        page.context.browser, live_server, "legal@staff.example", "a long demo password"
    )
    assert staff_page.url.endswith("/staff/")
    screenshot(staff_page, "review-1-queue")
    # The oldest case is the first row: open it once its search has run.
    staff_page.locator("tr[data-request] a").first.click()
    staff_page.wait_for_selector("tr[data-match]")
    screenshot(staff_page, "review-2-case")
    first_verified = staff_page.locator('tr[data-confidence="verified"]').first
    excluded = first_verified.get_attribute("data-match")
    first_verified.get_by_label("exclude").check()
    staff_page.get_by_label("Approve and issue the letter").check()
    staff_page.get_by_role("button", name="Check the decision").click()
    # The confirmation step says what is sent (issue 21).
    staff_page.get_by_role("button", name="Confirm and send").click()
    staff_page.locator('#case-status[data-status="completed"]').wait_for()
    screenshot(staff_page, "review-3-decided")
    decided = staff_page.locator(f'tr[data-match="{excluded}"] td.decided')
    assert decided.get_attribute("data-decision") == "exclude"  # read-only now

    page.goto(requester_status)
    page.locator("#letter").wait_for()
    screenshot(page, "review-4-requester")
    with page.expect_navigation():
        page.locator("#letter a").first.click()
    assert "Art. 21" in page.content()
    screenshot(page, "review-5-letter")
    assert page.dialogs == []

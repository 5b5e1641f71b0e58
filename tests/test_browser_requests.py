"""A person files a request through the pages in a real Chromium and sees its status."""

from __future__ import annotations

import re

import pytest

from .conftest import latest_code, screenshot

pytestmark = pytest.mark.browser


def test_file_verify_and_see_status_in_chromium(live_server, page, db_path):
    page.goto(f"{live_server}/?lang=de")
    screenshot(page, "requests-1-home")
    page.get_by_role("link", name="Anfrage stellen").click()
    page.get_by_label("Widerspruch").check()
    page.get_by_label("Ihr vollständiger Name").fill("Zoë Müller-Łukasik")
    page.get_by_label("Ihre E-Mail-Adresse").fill("zoe@example.eu")
    page.get_by_label("Ihre Telefonnummer").fill("0151 23456789")
    page.get_by_label("Land, in dem Sie wohnen").select_option("DE")
    page.get_by_label("Sprache unserer Antwort").select_option("de")
    screenshot(page, "requests-2-form")
    page.get_by_role("button", name="Anfrage senden").click()
    page.wait_for_url("**/verify")

    email_code = latest_code(db_path, "zoe@example.eu")
    page.get_by_role("textbox", name="Code aus der E-Mail").fill(email_code)
    page.locator("section", has_text="E-Mail").get_by_role(
        "button", name="Bestätigen"
    ).click()
    page.get_by_text("Danke, bestätigt.").wait_for()
    sms_code = latest_code(db_path, "+4915123456789")
    page.get_by_role("textbox", name="Code aus der SMS").fill(sms_code)
    screenshot(page, "requests-3-codes")
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url("**/status")
    screenshot(page, "requests-4-status")

    status = page.locator("#status")
    assert status.get_attribute("data-status") == "in_review"
    assert "Rechtsabteilung" in status.inner_text()
    due = page.locator("#due").inner_text()
    assert re.fullmatch(r"\d{1,2}\. [A-Za-zäöü]+ \d{4}", due), due
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "__Host-dsr_session")
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    assert page.dialogs == []

"""A person files a request through the pages in a real Chromium and sees its status."""

from __future__ import annotations

import re

import pytest

from tests.conftest import file_and_verify_in_german

pytestmark = pytest.mark.browser


def test_file_verify_and_see_status_in_chromium(live_server, page, db_path):
    file_and_verify_in_german(page, live_server, db_path, "requests")

    status = page.locator("#status")
    assert status.get_attribute("data-status") == "in_review"
    assert "Rechtsabteilung" in status.inner_text()
    due = page.locator("#due").inner_text()
    assert re.fullmatch(r"\d{1,2}\. [A-Za-zäöü]+ \d{4}", due), due
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "__Host-dsr_session")
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    assert page.dialogs == []

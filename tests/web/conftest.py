"""What the page tests share: browser-like clients of the app (a person's, a staff
member's, one logged in as legal staff), staff logins through the live pages, and
waiting for the live server's background jobs."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest


@pytest.fixture
def web(api_app):
    """A browser-like client over HTTPS (the session cookie is Secure)."""
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


@pytest.fixture
def browser(web):
    """The staff pages' client, not logged in (the same kind as ``web``)."""
    return web


@pytest.fixture
def legal_browser(api_app, staff):
    """A client logged in through the login page as legal staff."""
    from tests.web.test_staff import log_in

    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    assert log_in(client).status_code == 303
    return client


def log_in(browser, base: str, email: str, password: str):
    """A new browser context with a staff user logged in through /staff/login."""
    tab = browser.new_context().new_page()
    tab.goto(f"{base}/staff/login")
    tab.get_by_label("E-mail").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(re.compile(r"/staff/"))
    return tab


def wait_for(check, what: str, seconds: float = 30):
    """Poll ``check()`` until it is truthy (returned), or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return result


def searched(db_path: Path, request_id: str) -> bool:
    """The request's jobs ran (ownership, search) and found something."""
    conn = sqlite3.connect(db_path)
    try:
        pending = conn.execute(
            "SELECT count(*) FROM jobs WHERE done_at IS NULL"
        ).fetchone()[0]
        found = conn.execute(
            "SELECT count(*) FROM matches WHERE request_id = ?", [request_id]
        ).fetchone()[0]
        return pending == 0 and found > 0
    finally:
        conn.close()

"""Shared fixtures: a real SQLite file per test, the app, the CLI runner."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsr_app import create_app
from dsr_app.cli import cli
from dsr_app.db import open_db
from dsr_app.server.connection import close_thread_db
from dsr_app.server.live_server import free_port, start_server  # noqa: F401 (re-exported)

DATA = Path(__file__).parent / "data"
RECORDS_JSONL = DATA / "records.jsonl"
RECORDS_GZ = DATA / "records.jsonl.gz"
RECORDS_PARQUET = DATA / "records.parquet"
BAD_LINE_JSONL = DATA / "bad_line.jsonl"
REGISTRY = DATA / "registry.jsonl"


def pytest_report_header(config) -> str:
    """FTS5 behaviour varies between SQLite versions: say which one ran."""
    return f"SQLite {sqlite3.sqlite_version}"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Every test gets its own DSR_DB and no other DSR_* setting from the caller."""
    import os

    for key in list(os.environ):
        if key.startswith("DSR_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DSR_DB", str(tmp_path / "env-default.sqlite3"))


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "dsr.sqlite3"


@pytest.fixture
def db(db_path):
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def app(db_path):
    made = create_app({"TESTING": True, "DB": str(db_path)})
    yield made
    close_thread_db(made)  # else every test's store stays open to the end


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_runner():
    return CliRunner()


@pytest.fixture
def run(cli_runner, db_path):
    """Run ``dsr ARGS --db <test db>``; returns the click Result."""

    def invoke(*args: str, db: bool = True, input: str | None = None):
        argv = [str(a) for a in args]
        if db:
            argv += ["--db", str(db_path)]
        return cli_runner.invoke(cli, argv, catch_exceptions=False, input=input)

    return invoke


# Columns that note a use rather than hold state: a staff token's last use is
# written by any staff call (issue 16, finding 15).
NOT_STATE = {"staff_tokens": {"last_used_at"}}


def snapshot(db_path: Path) -> dict[str, list]:
    """Every row of every table (FTS shadow tables included), to compare states."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT IN ('records_fts',"
                " 'passage_prints') ORDER BY name"  # contentless: not scannable
            )
        ]
        state = {}
        for t in tables:
            columns = ", ".join(
                f'"{r[1]}"'
                for r in conn.execute(f'PRAGMA table_info("{t}")')
                if r[1] not in NOT_STATE.get(t, ())
            )
            state[t] = sorted(map(repr, conn.execute(f'SELECT {columns} FROM "{t}"')))
        return state
    finally:
        conn.close()


# --- Requesters ------------------------------------------------------------------

# Standing alone: not part of a word or of the status link's token ([\w-]).
CODE_RE = re.compile(r"(?<![\w-])\d{8}(?![\w-])")


@pytest.fixture
def api_app(db_path):
    """The app with abuse limits off (their own tests turn them on)."""
    made = create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0})
    yield made
    close_thread_db(made)


@pytest.fixture
def api(api_app):
    """A test client speaking HTTPS, so that the Secure session cookie is sent."""
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def outbox(db_path, to: str | None = None) -> list[dict]:
    """Messages the outbox backend stored, oldest first."""
    from dsr_app.messaging import outbox_messages

    db = open_db(db_path)
    try:
        return outbox_messages(db, to)
    finally:
        db.close()


def latest_code(db_path, to: str) -> str:
    """The one-time code in the newest message to ``to`` (contract section 2)."""
    messages = outbox(db_path, to)
    assert messages, f"no message to {to}"
    (code,) = CODE_RE.findall(messages[-1]["body"])
    return code


def assert_api_error(resp, status: int, field: str | None = None) -> dict:
    """An API error in the contract's shape; returns the body."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True))
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    if field is not None:
        assert set(body) == {"errors"}, body
        assert field in body["errors"], body
        assert all(isinstance(m, str) for m in body["errors"][field])
    else:
        assert set(body) == {"error"} and isinstance(body["error"], str), body
    return body


def new_request(api, **overrides) -> dict:
    """File a request through the API; returns its 201 body."""
    body = {
        "type": "objection",
        "full_name": "Zoë Müller-Łukasik",
        "email": "zoe@example.eu",
        "country": "DE",
        **overrides,
    }
    body = {k: v for k, v in body.items() if v is not None}
    resp = api.post("/api/v1/requests", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def bearer(created: dict) -> dict:
    return {"Authorization": f"Bearer {created['status_token']}"}


def verify(api, db_path, created: dict, channel: str, to: str):
    code = latest_code(db_path, to)
    return api.post(
        f"/api/v1/requests/{created['id']}/verify",
        json={"channel": channel, "code": code},
        headers=bearer(created),
    )


# --- Live server and real browser --------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def live_server(db_path):
    """``dsr serve`` (waitress) on a free loopback port; yields its base URL."""
    proc, url = start_server(db_path, log=db_path.parent / "serve.log")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def page(request):
    """A headless Chromium page (Debian's chromium, driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context()
        tab = context.new_page()
        dialogs: list[str] = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.dialogs = dialogs
        yield tab
        context.close()
        browser.close()


#: Where ``screenshot(..., docs=True)`` writes, when DSR_DOCS_SCREENSHOTS=1 (read
#: here, at import: the autouse fixture below clears every DSR_* for the tests).
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DOCS_SCREENSHOTS_ON = os.environ.get("DSR_DOCS_SCREENSHOTS") == "1"


def screenshot(page, name: str, docs: bool = False) -> Path:
    """Save a screenshot as a test artefact (``test-artifacts/``, not committed).

    ``docs=True`` marks one of the main pages that docs/ shows: with
    ``DSR_DOCS_SCREENSHOTS=1`` in the environment it is also written to
    ``docs/screenshots/<name>.png``, the viewport only (small files); without it
    nothing in docs/ changes, so CI never rewrites them (issue 21).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and DOCS_SCREENSHOTS_ON:
        DOCS_SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))
    return path


def file_and_verify_in_german(page, base: str, db_path, shots: str) -> None:
    """Zoë files an objection through the pages in German and confirms her e-mail
    and phone with the codes from the outbox; screenshots ``{shots}-01…04``."""
    page.goto(f"{base}/?lang=de")
    screenshot(page, f"{shots}-01-home")
    page.get_by_role("link", name="Anfrage stellen").click()
    page.get_by_label("Widerspruch").check()
    page.get_by_label("Ihr vollständiger Name").fill("Zoë Müller-Łukasik")
    page.get_by_label("Ihre E-Mail-Adresse").fill("zoe@example.eu")
    page.get_by_label("Ihre Telefonnummer").fill("0151 23456789")
    page.get_by_label("Land, in dem Sie wohnen").select_option("DE")
    page.get_by_label("Sprache unserer Antwort").select_option("de")
    screenshot(page, f"{shots}-02-form")
    page.get_by_role("button", name="Anfrage senden").click()
    page.wait_for_url("**/verify")
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_role("textbox", name="Code aus der E-Mail").fill(
        latest_code(db_path, "zoe@example.eu")
    )
    page.locator("section", has_text="E-Mail").get_by_role(
        "button", name="Bestätigen"
    ).click()
    page.get_by_text("Danke, bestätigt.").wait_for()
    page.get_by_role("textbox", name="Code aus der SMS").fill(
        latest_code(db_path, "+4915123456789")
    )
    screenshot(page, f"{shots}-03-codes")
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url("**/status")
    screenshot(page, f"{shots}-04-status")


@pytest.fixture
def staff(cli_runner, db_path):
    """Authorization headers of one staff user per role (made with the CLI)."""
    headers = {}
    for role in ("legal", "training", "admin"):
        email = f"{role}@staff.example"
        added = cli_runner.invoke(
            cli,
            [
                "staff",
                "add",
                email,
                "--role",
                role,
                "--password-stdin",
                "--db",
                str(db_path),
            ],
            input="a long demo password\n",
        )
        assert added.exit_code == 0, added.output
        made = cli_runner.invoke(cli, ["staff", "token", email, "--db", str(db_path)])
        token = made.output.split()[-1]
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers

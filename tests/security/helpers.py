"""Scenarios and small helpers shared by the attack battery."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from tests.conftest import RECORDS_JSONL, REGISTRY, bearer, new_request, verify

ZOE_EMAIL = "zoe@example.eu"  # acc-1 in tests/data/registry.jsonl
ZOE_PHONE = "+4915123456789"
MAX_PHONE = "+4917012345678"  # acc-2, handle "max"
PASSWORD = "a long demo password"  # the staff fixture's password
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """A JSON Lines manifest of ``records``."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def run_jobs(db_path: Path) -> None:
    """Run the work queued after answers (ownership, search), as the server does."""
    db = open_db(db_path)
    try:
        run_pending(db)
    finally:
        db.close()


def world(run, *manifests: Path) -> None:
    """The test registry and manifests (tests/data/records.jsonl unless given)."""
    assert run("accounts", "import", REGISTRY).exit_code == 0
    for path in manifests or (RECORDS_JSONL,):
        result = run("ingest", path)
        assert result.exit_code == 0, result.output


def verified(api, db_path, **fields) -> dict:
    """A request filed and its e-mail verified with the real code; jobs run."""
    created = new_request(api, **fields)
    to = stored(db_path, created)["email"]  # as normalised, where the code went
    resp = verify(api, db_path, created, "email", to)
    assert resp.status_code == 200, resp.get_json()
    run_jobs(db_path)
    return created


def stored(db_path: Path, created: dict) -> dict:
    """The stored row of a request."""
    db = open_db(db_path)
    try:
        return db["requests"].get(created["id"])
    finally:
        db.close()


def decide(api, staff, request_id: str, **body):
    """A staff decision through the API (legal role)."""
    return api.post(
        f"/api/v1/staff/requests/{request_id}/decision",
        json=body,
        headers=staff["legal"],
    )


def decide_ok(api, staff, request_id: str, **body) -> dict:
    """A staff decision that must succeed; returns the case."""
    resp = decide(api, staff, request_id, **body)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def body_text(resp) -> str:
    """A response's text; for a PDF, the text of its pages."""
    if resp.mimetype == "application/pdf":
        import io

        from pypdf import PdfReader

        pages = PdfReader(io.BytesIO(resp.data)).pages
        return "\n".join(page.extract_text() for page in pages)
    return resp.get_data(as_text=True)


def case(api, staff, request_id: str) -> dict:
    return api.get(
        f"/api/v1/staff/requests/{request_id}", headers=staff["legal"]
    ).get_json()


def letter(api, created: dict, fmt: str = "html"):
    return api.get(
        f"/api/v1/requests/{created['id']}/letter?format={fmt}",
        headers=bearer(created),
    )


def wrong(code: str, n: int = 1) -> str:
    """A code that is not ``code``."""
    return f"{(int(code) + n) % 10**8:08d}"


def https_client(app):
    """A browser-like test client over HTTPS (the session cookie is Secure)."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def form_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def staff_login(client, email: str = "legal@staff.example", password=PASSWORD):
    return client.post(
        "/staff/login",
        data={
            "csrf_token": form_token(client, "/staff/login"),
            "email": email,
            "password": password,
        },
    )

"""The requests a browser session may see: those filed in it, opened by an
e-mailed link or found again by reference and code (web/lookup.py). That, not a
secret in a URL, is what lets the person see a status page."""

from __future__ import annotations

from flask import abort, session

from dsr_app.cases.status import request_row
from dsr_app.errors import NotFound
from dsr_app.server.connection import get_db

MAX_SESSION_REQUESTS = 10


def remember(request_id: str) -> None:
    """Let this browser session see ``request_id`` (it is the newest)."""
    known = [r for r in session.get("requests", []) if r != request_id]
    session["requests"] = [request_id, *known][:MAX_SESSION_REQUESTS]


def session_request() -> dict:
    """The newest request this session knows, or 404 (the error page points to
    finding it again by reference: server/errors)."""
    for request_id in session.get("requests", []):
        try:
            return request_row(get_db(), request_id)
        except NotFound:
            continue
    abort(404)

"""How our exceptions answer over HTTP, for the API and the pages alike: the
status of each, what a client is told, and the wait a refusal names."""

from __future__ import annotations

from flask import current_app, render_template, request
from werkzeug.exceptions import HTTPException

from dsr_app.errors import (
    BadInput,
    Conflict,
    DsrError,
    Forbidden,
    NotFound,
    TooManyAttempts,
    Unavailable,
)

API_PREFIX = "/api/"

_STATUS = {
    BadInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    Unavailable: 503,
}


def is_api_request() -> bool:
    """Whether this request is under ``/api/``."""
    return request.path.startswith(API_PREFIX)


def http_status(exc: DsrError) -> int:
    """Our exception's HTTP status (each mapped once; 400 for any other)."""
    return next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)


def public_message(exc: DsrError) -> str:
    """What a client is told of ``exc``. An ``Unavailable`` names a file of the
    instance: the operator reads it in the log, a client learns no server path."""
    if isinstance(exc, Unavailable):
        current_app.logger.error("answered 503: %s", exc.message)
        return "the service is unavailable until an operator repairs it"
    return exc.message


def wait_headers(exc: DsrError) -> dict[str, str]:
    """``Retry-After`` for a refusal that waiting lifts: its real wait in seconds
    (issue 16, finding 13; server/ratelimit.limit_headers adds the rate limits')."""
    if isinstance(exc, TooManyAttempts) and exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return {}


def error_page(error: HTTPException, detail: str | None = None) -> str:
    """The HTML page of an error (its status is the caller's to set), in the page's
    language; ``detail``: our exception's message, said there when it is known."""
    return render_template("pages/error.html", error=error, detail=detail)


def domain_error_page(exc: DsrError):
    """One of our exceptions as an HTML error page, with its status and wait."""
    error = HTTPException(public_message(exc))
    error.code = http_status(exc)
    # The page says the wait in words, as Retry-After says it (issue 20, item 5).
    error.retry_after = getattr(exc, "retry_after", None)
    return error_page(error, error.description), error.code, wait_headers(exc)

"""The API's error contract (section 5): ``{"errors": {field: [message, ...]}}``
for invalid input (400, also for a body that is not JSON) and ``{"error":
message}`` for 401, 403, 404, 405, 409, 413, 415, 429 and 503, as answered and
as documented in OpenAPI. Nothing under ``/api/`` answers with HTML."""

from __future__ import annotations

import sqlite3

import flask_smorest
import marshmallow as ma
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from dsr_app.api.parsing import MAX_BODY_BYTES
from dsr_app.errors import BadInput, DsrError
from dsr_app.server.errors import (
    domain_error_page,
    error_page,
    http_status,
    is_api_request,
    public_message,
    wait_headers,
)


class ErrorSchema(ma.Schema):
    """An error that is not about an input field: 401, 403, 404, 409, 413, 415, 429."""

    error = ma.fields.String(required=True, metadata={"description": "What went wrong"})


class FieldErrorsSchema(ma.Schema):
    """Invalid input (400, also for a body that is not JSON): messages by field."""

    errors = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Messages by input field"},
    )


#: What each error status means on this API (contract section 5), for OpenAPI.
ERROR_DESCRIPTIONS = {
    401: "No staff token (or staff session), or one that is wrong or revoked.",
    403: "The staff user's role may not do this (or a change or an audited"
    " download made with the staff session came from another site).",
    404: "No such thing (for requesters also: a missing or wrong status token).",
    409: "The request's state does not allow this (yet).",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.",
    415: "The body is not sent as application/json.",
    429: "Too many tries or requests; Retry-After gives the seconds until it would"
    " be accepted (none when waiting does not help).",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the refused call would be accepted (a"
        " refusal that waiting does not lift is a 409, without it).",
        "required": False,
        "schema": {"type": "integer"},
    }
}


def field_errors(messages) -> dict[str, list[str]]:
    """webargs' ``{"json": {field: [...]}}`` (or ``query``…) as ``{field: [...]}``."""
    locations = ("json", "query", "querystring", "form", "headers", "path")
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in locations:
            messages = inner if isinstance(inner, dict) else {location: inner}
    out: dict[str, list[str]] = {}
    for field, value in (messages or {}).items():
        if isinstance(value, dict):  # nested (a list item): "handles.3"
            for sub, msgs in field_errors(value).items():
                out[f"{field}.{sub}"] = msgs
        else:
            out[str(field)] = [
                str(m) for m in (value if isinstance(value, list) else [value])
            ]
    return out


class Api(flask_smorest.Api):
    """flask-smorest's Api with the contract's error shapes."""

    # 400 answers (webargs' BAD_REQUEST) carry field errors; other statuses are
    # documented per view with Blueprint.errors, not with a catch-all "default".
    ERROR_SCHEMA = FieldErrorsSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException):
        """JSON errors under /api/, the HTML error page elsewhere."""
        if not is_api_request():
            return error_page(error), error.code
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if error.code == 400 and "messages" in data:
            body = {"errors": field_errors(data["messages"])}
        elif error.code == 400:
            body = {"errors": {"json": [error.description or "Invalid input."]}}
        elif error.code == 500:
            body = {"error": "internal error"}
        else:
            body = {"error": error.description or error.name}
        if error.code == 429 and getattr(error, "retry_after", None):
            headers["Retry-After"] = str(error.retry_after)
        response = jsonify(body)
        response.status_code = error.code or 500
        response.headers.update(headers)
        return response


def domain_error(exc: DsrError):
    """Our exceptions, once mapped to HTTP for the API."""
    if isinstance(exc, BadInput):
        body = {"errors": {exc.field or "json": [exc.reason]}}
    else:
        body = {"error": public_message(exc)}
    response = jsonify(body)
    response.status_code = http_status(exc)
    response.headers.update(wait_headers(exc))
    return response


def init_errors(app: Flask) -> None:
    """Answer our exceptions, and a store kept busy, in the contract's shape under
    /api/ and as the HTML error page elsewhere."""

    @app.errorhandler(DsrError)
    def _domain_error(exc: DsrError):
        return domain_error(exc) if is_api_request() else domain_error_page(exc)

    @app.errorhandler(sqlite3.OperationalError)
    def _store_busy(exc: sqlite3.OperationalError):
        # A long ingest holds the write lock; writers wait 30 s, then get a 503
        # with Retry-After instead of a 500 (nothing was half-written).
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise exc
        error = ServiceUnavailable("the store is busy; try again shortly")
        if is_api_request():
            response = jsonify({"error": error.description})
        else:
            response = app.make_response((error_page(error), 503))
        response.status_code = 503
        response.headers["Retry-After"] = "10"
        return response

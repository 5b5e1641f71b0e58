"""The JSON API under ``/api/v1``: one error contract, 400/413/415, OpenAPI config.

Errors (contract section 5): ``{"errors": {field: [message, ...]}}`` for invalid
input (400, also for a body that is not JSON) and ``{"error": message}`` for 401,
403, 404, 405, 409, 413, 415 and 429. Nothing under ``/api/`` answers with HTML.
"""

from __future__ import annotations

import json

import flask_smorest
import marshmallow as ma
from flask import Flask, current_app, jsonify, render_template, request
from flask_smorest.utils import resolve_schema_instance
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

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
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16
#: Longest integer a JSON body may hold (our inputs hold none this long).
MAX_JSON_INT_DIGITS = 100

_STATUS = {
    BadInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    Unavailable: 503,
}


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
#: The 200 answer of a letter: one document in the format asked for.
LETTER_CONTENT = {
    "200": {
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string"}},
        }
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the refused call would be accepted (a"
        " refusal that waiting does not lift is a 409, without it).",
        "required": False,
        "schema": {"type": "integer"},
    }
}


class Parser(FlaskParser):
    """webargs parser answering 400 (not 422) for invalid input."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req, schema):
        """The JSON body, read by :func:`parse_json_body` (every API endpoint's).

        ``load_json`` is webargs' public method for a location's loading; the
        ``_raw_load_json`` it calls is internal to webargs and may change.
        """
        body = req.get_data(cache=True)
        if not is_json_request(req) or not body:
            return missing  # as webargs: no body is missing fields, not bad JSON
        return parse_json_body(body)


def _parse_int(digits: str) -> int:
    # Python refuses to read an integer of more than 4,300 digits with a ValueError
    # that webargs does not catch (a 500: issue 16, finding 10). None of our inputs
    # is a number anywhere near that long.
    if len(digits) > MAX_JSON_INT_DIGITS + digits.startswith("-"):
        raise _NumberTooLong
    return int(digits)


class _NumberTooLong(ValueError):
    """A JSON integer longer than any input of ours."""


def parse_json_body(body: bytes):
    """A request body read as JSON; 400 in the contract's shape when it is not JSON
    or holds an integer of more than ``MAX_JSON_INT_DIGITS`` digits."""
    try:
        return json.loads(body.decode(), parse_int=_parse_int)
    except _NumberTooLong:
        message = f"A number is longer than {MAX_JSON_INT_DIGITS} digits."
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        message = "Invalid JSON body."
    error = BadRequest()
    error.data = {"messages": {"json": [message]}}
    raise error


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose arguments fail with 400."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, **kwargs):
        """flask-smorest's ``arguments``, with a schema class made an instance once.

        webargs builds a new instance of a class for every request, copying each of
        its fields (issue 7, load run); loading keeps no state on the instance.
        """
        return super().arguments(resolve_schema_instance(schema), **kwargs)

    def errors(self, *codes: int):
        """Document the error answers a view gives, in the contract's shape.

        400 is documented by ``@blp.arguments``; the document lists no catch-all
        ``default`` answer, so every status a client may see is named.
        """

        def decorator(func):
            for code in codes:
                func = self.alt_response(
                    code,
                    schema=ErrorSchema,
                    description=ERROR_DESCRIPTIONS[code],
                    headers=RETRY_AFTER if code == 429 else None,
                )(func)
            return func

        return decorator


def _field_errors(messages) -> dict[str, list[str]]:
    """webargs' ``{"json": {field: [...]}}`` (or ``query``…) as ``{field: [...]}``."""
    locations = ("json", "query", "querystring", "form", "headers", "path")
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in locations:
            messages = inner if isinstance(inner, dict) else {location: inner}
    out: dict[str, list[str]] = {}
    for field, value in (messages or {}).items():
        if isinstance(value, dict):  # nested (a list item): "handles.3"
            for sub, msgs in _field_errors(value).items():
                out[f"{field}.{sub}"] = msgs
        else:
            out[str(field)] = [
                str(m) for m in (value if isinstance(value, list) else [value])
            ]
    return out


def is_api_request() -> bool:
    """Whether this request is under ``/api/``."""
    return request.path.startswith(API_PREFIX)


class Api(flask_smorest.Api):
    """flask-smorest's Api with the contract's error shapes."""

    # 400 answers (webargs' BAD_REQUEST) carry field errors; other statuses are
    # documented per view with Blueprint.errors, not with a catch-all "default".
    ERROR_SCHEMA = FieldErrorsSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException):
        """JSON errors under /api/, the HTML error page elsewhere."""
        if not is_api_request():
            return render_template("pages/error.html", error=error), error.code
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if error.code == 400 and "messages" in data:
            body = {"errors": _field_errors(data["messages"])}
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


def letter_response(request_id: str, fmt: str):
    """A request's letter as an HTTP response in ``fmt`` (html, pdf or txt)."""
    from flask import Response

    from dsr_app import deadlines
    from dsr_app.db import get_db
    from dsr_app.review.letters import letter_context, render

    context = letter_context(get_db(), request_id, current_app.config, deadlines.now())
    letter = render(context, fmt)
    response = Response(letter.body, mimetype=letter.mimetype.split(";")[0])
    response.headers["Content-Disposition"] = (
        f'inline; filename="letter-{letter.kind}.{fmt}"'  # no user text in the name
    )
    return response


def domain_error(exc: DsrError):
    """Our exceptions, once mapped to HTTP for the API."""
    status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
    if isinstance(exc, BadInput):
        body = {"errors": {exc.field or "json": [exc.reason]}}
    else:
        body = {"error": public_message(exc)}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(wait_headers(exc))
    return response


def public_message(exc: DsrError) -> str:
    """What a client is told of ``exc``. An ``Unavailable`` names a file of the
    instance: the operator reads it in the log, a client learns no server path."""
    if isinstance(exc, Unavailable):
        current_app.logger.error("answered 503: %s", exc.message)
        return "the service is unavailable until an operator repairs it"
    return exc.message


def wait_headers(exc: DsrError) -> dict[str, str]:
    """``Retry-After`` for a refusal that waiting lifts: its real wait in seconds
    (issue 16, finding 13; web/security.real_retry_after adds the rate limits')."""
    if isinstance(exc, TooManyAttempts) and exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return {}


def _check_body():
    """413 for a body over the limit (everywhere); 415 for API bodies not in JSON.

    Werkzeug only raises 413 when a form is parsed; a JSON body that is too long
    would otherwise reach the parser as an empty one.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(f"the body is larger than {limit // 1024} KiB")
    if is_api_request() and request.method in ("POST", "PUT", "PATCH"):
        if not request.is_json:
            raise UnsupportedMediaType("send the body as application/json")
        _refuse_deep_json(request.get_data(cache=True))


def _refuse_deep_json(body: bytes) -> None:
    """400 for JSON nested deeper than any of our inputs, before the parser runs.

    The standard library's parser (used by webargs) recurses once per level, so
    ``[[[[…`` a few thousand deep would end in a RecursionError and a 500.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return  # too few brackets to nest that deep: no need to walk the bytes
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                abort_json_depth()
        elif byte in (0x5D, 0x7D):
            depth -= 1


def abort_json_depth() -> None:
    """Refuse a body nested too deeply (as invalid input, 400)."""
    error = BadRequest()
    error.data = {"messages": {"json": [f"Nested deeper than {MAX_JSON_DEPTH}."]}}
    raise error


def init_api(app: Flask) -> Api:
    """Configure OpenAPI, the error contract and the API blueprints."""
    app.config.setdefault("API_TITLE", "dsr_app")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "statusToken": {"type": "http", "scheme": "bearer"},
                    "staffToken": {"type": "http", "scheme": "bearer"},
                    # The staff pages' session (contract section 5); changes made
                    # with it must come from this site (api/staff.current_staff).
                    "staffSession": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "__Host-dsr_session",
                    },
                }
            }
        },
    )
    app.before_request(_check_body)
    from dsr_app.api import requests as requests_api
    from dsr_app.api import staff as staff_api

    api.register_blueprint(requests_api.blp)
    api.register_blueprint(staff_api.blp)
    from dsr_app.api import removal_lists

    api.register_blueprint(removal_lists.blp)
    return api

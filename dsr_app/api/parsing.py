"""What an API body must be before a view reads it: at most 64 KiB, JSON (413,
415), nested no deeper than our inputs and without over-long integers (400)."""

from __future__ import annotations

import json

from flask import current_app, request
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from dsr_app.server.errors import is_api_request

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16
#: Longest integer a JSON body may hold (our inputs hold none this long).
MAX_JSON_INT_DIGITS = 100


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


def check_body() -> None:
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
        refuse_deep_json(request.get_data(cache=True))


def refuse_deep_json(body: bytes) -> None:
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

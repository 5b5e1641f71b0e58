"""``/api/v1/requests``: file a request, verify its channels, follow its status."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from dsr_app import deadlines
from dsr_app.api.blueprint import LETTER_CONTENT, Blueprint
from dsr_app.cases.channels import resend_code, verify_channel
from dsr_app.cases.filing import create_request, expire_stale
from dsr_app.cases.replies import reply
from dsr_app.cases.status import authorise, status_view
from dsr_app.errors import Conflict
from dsr_app.review.issued import fetch as issued_letter
from dsr_app.review.letters import data_copy, handed_out
from dsr_app.schemas.requests import (
    ReplySchema,
    RequestCreatedSchema,
    RequestCreateSchema,
    RequestStatusSchema,
    ResendSchema,
    VerifiedSchema,
    VerifySchema,
)
from dsr_app.schemas.review import DataCopySchema, LetterArgsSchema
from dsr_app.server.connection import get_db
from dsr_app.server.ratelimit import rate_limited
from dsr_app.server.responses import answer_response, issued_response
from dsr_app.server.security import code_key, run_jobs_after_response

blp = Blueprint(
    "requests",
    __name__,
    url_prefix="/api/v1/requests",
    description="Requesters: access, objection and erasure requests (no account).",
)
BEARER = [{"statusToken": []}]


def _bearer() -> str | None:
    """The status token from ``Authorization: Bearer …`` (never from the URL)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authorised(request_id: str) -> dict:
    return authorise(get_db(), request_id, _bearer())


@blp.route("")
class Requests(MethodView):
    """The collection of requests."""

    decorators = [rate_limited("RATE_LIMIT_CREATE")]

    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestCreatedSchema)
    @blp.errors(413, 415, 429)
    def post(self, data):
        """File an access, objection or erasure request.

        Sends a one-time code to the e-mail address (and the phone, if given). The
        answer is the same whether or not the person is known to the platform; its
        `status_token` is shown only here.
        """
        db = get_db()
        expire_stale(db, deadlines.now())
        return create_request(db, current_app.config, data, code_key(), deadlines.now())


@blp.route("/<request_id>")
class RequestStatus(MethodView):
    """One request, seen by its requester."""

    @blp.doc(security=BEARER)
    @blp.response(200, RequestStatusSchema)
    @blp.errors(404)
    def get(self, request_id):
        """Status, due date and verified channels of a request."""
        return status_view(get_db(), _authorised(request_id), deadlines.now())


@blp.route("/<request_id>/verify")
class Verify(MethodView):
    """Prove control of a channel with its one-time code."""

    decorators = [rate_limited("RATE_LIMIT_VERIFY")]

    @blp.doc(security=BEARER)
    @blp.arguments(VerifySchema)
    @blp.response(200, VerifiedSchema)
    @blp.errors(404, 413, 415, 429)
    def post(self, data, request_id):
        """Check a one-time code; 5 wrong tries block the code until a resend."""
        _authorised(request_id)
        result = verify_channel(
            get_db(),
            code_key(),
            request_id,
            data["channel"],
            data["code"],
            deadlines.now(),
        )
        run_jobs_after_response()
        return result


@blp.route("/<request_id>/resend")
class Resend(MethodView):
    """Send a new code to a channel."""

    decorators = [rate_limited("RATE_LIMIT_VERIFY")]

    @blp.doc(security=BEARER)
    @blp.arguments(ResendSchema)
    @blp.response(200, VerifiedSchema)
    @blp.errors(404, 409, 413, 415, 429)
    def post(self, data, request_id):
        """Send a new code (the old one stops working); at most 3 an hour.

        At most 10 codes per channel ever, and none (409) once the request is
        decided or expired, or 14 days after the address or number was given; 400
        (`phone`) for a number the SMS settings refuse (by default, anything but a
        mobile number of an EU/EEA country).
        """
        _authorised(request_id)
        return resend_code(
            get_db(),
            current_app.config,
            code_key(),
            request_id,
            data["channel"],
            deadlines.now(),
        )


@blp.route("/<request_id>/reply")
class Reply(MethodView):
    """Answer a request for more information."""

    decorators = [rate_limited("RATE_LIMIT_VERIFY")]

    @blp.doc(security=BEARER)
    @blp.arguments(ReplySchema)
    @blp.response(200, RequestStatusSchema)
    @blp.errors(404, 409, 413, 415, 429)
    def post(self, data, request_id):
        """Reply to `needs_info` with details, handles or a phone (409 otherwise).

        A new phone number gets a code and counts only once verified.
        """
        _authorised(request_id)
        result = reply(
            get_db(),
            current_app.config,
            code_key(),
            request_id,
            data,
            deadlines.now(),
        )
        run_jobs_after_response()
        return result


@blp.route("/<request_id>/letter")
class Letter(MethodView):
    """The answer to a request."""

    @blp.doc(security=BEARER)
    @blp.arguments(LetterArgsSchema, location="query")
    @blp.response(200, description="The letter (HTML, PDF or plain text).")
    @blp.doc(responses=LETTER_CONTENT)
    @blp.errors(404, 409)
    def get(self, args, request_id):
        """The latest decision letter as issued (`format=html|pdf|txt`); 409 before.

        Before a decision, the latest notice (an extension, a request for
        information). The same bytes at every download: see `letters`.
        """
        response = answer_response(_authorised(request_id), args["format"])
        handed_out(get_db(), request_id, "letter", args["format"], deadlines.now())
        return response


@blp.route("/<request_id>/letters/<letter_id>")
class IssuedLetter(MethodView):
    """One letter issued to the requester."""

    @blp.doc(security=BEARER)
    @blp.arguments(LetterArgsSchema, location="query")
    @blp.response(200, description="The letter as issued (HTML, PDF or plain text).")
    @blp.doc(responses=LETTER_CONTENT)
    @blp.errors(404)
    def get(self, args, request_id, letter_id):
        """One issued letter of the request (`format=html|pdf|txt`), as issued.

        The ids are listed in the status answer's `letters`; another request's
        letter id answers 404, as an unknown one does.
        """
        _authorised(request_id)
        letter = issued_letter(get_db(), request_id, letter_id)
        response = issued_response(letter, args["format"])
        handed_out(
            get_db(), request_id, "letter", args["format"], deadlines.now(), letter_id
        )
        return response


@blp.route("/<request_id>/data")
class DataCopy(MethodView):
    """The copy of the data (access requests)."""

    @blp.doc(security=BEARER)
    @blp.response(200, DataCopySchema, description="The copy of the data, as JSON.")
    @blp.errors(404, 409)
    def get(self, request_id):
        """The JSON copy of the data of an answered access request; 409 before."""
        row = _authorised(request_id)
        if row["type"] != "access" or row["status"] != "completed":
            raise Conflict("there is no copy of data for this request (yet)")
        copy = data_copy(get_db(), request_id, current_app.config, deadlines.now())
        handed_out(get_db(), request_id, "data", "json", deadlines.now())
        return copy

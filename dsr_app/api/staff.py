"""``/api/v1/staff/requests``: the legal queue, a case, and decisions on it."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask.views import MethodView

from dsr_app import deadlines
from dsr_app.api.blueprint import LETTER_CONTENT, STAFF_TOKEN, Blueprint
from dsr_app.review import queue as review
from dsr_app.review.notices import decide_and_notify
from dsr_app.schemas.review import (
    DecisionSchema,
    LetterArgsSchema,
    QueueSchema,
    StaffQueueArgsSchema,
    StaffRequestSchema,
)
from dsr_app.server.auth import current_staff, require_role
from dsr_app.server.connection import get_db
from dsr_app.server.responses import letter_response

blp = Blueprint(
    "staff",
    __name__,
    url_prefix="/api/v1/staff/requests",
    description="Legal staff: the deadline-ordered queue, cases and decisions.",
)
LEGAL = ("legal", "admin")


@blp.route("")
class Queue(MethodView):
    """The queue of requests."""

    decorators = [require_role(*LEGAL)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(StaffQueueArgsSchema, location="query")
    @blp.response(200, QueueSchema)
    @blp.errors(401, 403)
    def get(self, args):
        """Requests ordered by due date, with days left, overdue and due soon.

        `limit` and `offset` page the items (default: all of them); `counts` are
        always over the whole queue.
        """
        return review.queue(
            get_db(),
            deadlines.now(),
            args.get("status"),
            args.get("type"),
            args.get("limit"),
            args["offset"],
        )


@blp.route("/<request_id>")
class Case(MethodView):
    """One request, with its matches."""

    decorators = [require_role(*LEGAL)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, StaffRequestSchema)
    @blp.errors(401, 403, 404)
    def get(self, request_id):
        """The request, its verified channels, owned accounts, matches and trail."""
        return review.case(get_db(), request_id, deadlines.now())


@blp.route("/<request_id>/decision")
class Decision(MethodView):
    """Decide a request."""

    decorators = [require_role(*LEGAL)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(DecisionSchema)
    @blp.response(200, StaffRequestSchema)
    @blp.errors(401, 403, 404, 409, 413, 415)
    def post(self, data, request_id):
        """Approve, reject (reason), extend (reason) or request_info (reason).

        Weak matches are left out unless named in `include`; 409 when the request's
        state does not allow the decision. `erasure_ground` (approving an erasure)
        and `reason_codes` that do not fit are 400, naming the field.
        """
        db = get_db()
        decide_and_notify(
            db,
            current_app.config,
            request_id,
            data["decision"],
            current_staff(),
            deadlines.now(),
            data.get("reason"),
            data.get("include") or (),
            data.get("exclude") or (),
            Path(current_app.config["INSTANCE_DIR"]),
            erasure_ground=data.get("erasure_ground"),
            reason_codes=data.get("reason_codes") or (),
        )
        return review.case(db, request_id, deadlines.now())


@blp.route("/<request_id>/letter")
class DraftLetter(MethodView):
    """The draft letter of a request."""

    decorators = [require_role(*LEGAL)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(LetterArgsSchema, location="query")
    @blp.response(200, description="The letter (HTML, PDF or plain text).")
    @blp.doc(responses=LETTER_CONTENT)
    @blp.errors(401, 403, 404)
    def get(self, args, request_id):
        """The letter as it would be issued now (`format=html|pdf|txt`)."""
        return letter_response(request_id, args["format"])

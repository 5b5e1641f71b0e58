"""``/api/v1/staff/requests``: the legal queue, a case, and decisions on it."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import abort, current_app, g, request
from flask.views import MethodView

from dsr_app import deadlines
from dsr_app.api import LETTER_CONTENT, Blueprint, letter_response
from dsr_app.db import get_db
from dsr_app.review import decisions
from dsr_app.review import queue as review
from dsr_app.review.notices import notify_if_changed
from dsr_app.schemas.review import (
    DecisionSchema,
    LetterArgsSchema,
    QueueSchema,
    StaffQueueArgsSchema,
    StaffRequestSchema,
)
from dsr_app.server.security import from_own_pages
from dsr_app.staff.tokens import staff_for_token

blp = Blueprint(
    "staff",
    __name__,
    url_prefix="/api/v1/staff/requests",
    description="Legal staff: the deadline-ordered queue, cases and decisions.",
)
# Either one: a bearer token, or the staff web session.
STAFF_TOKEN = [{"staffToken": []}, {"staffSession": []}]
LEGAL = ("legal", "admin")


def current_staff() -> dict | None:
    """The staff user of this call: by bearer token, or else by the web session
    (contract section 5), or ``None``.

    A call that changes something on the strength of the session cookie must come
    from our own pages: a browser names another origin in ``Origin`` or
    ``Sec-Fetch-Site``, and such a call is refused (cross-site request forgery). The
    API's JSON bodies and the Lax cookie guard the same door.
    """
    if "staff" not in g:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            g.staff = (
                staff_for_token(get_db(), token.strip(), deadlines.now())
                if scheme.lower() == "bearer"
                else None
            )
        else:
            from dsr_app.web.staff import current_user

            user = current_user()
            if user is not None and not _same_origin():
                abort(403, "a staff session may only be used from this site's pages")
            g.staff = user
    return g.staff


def _same_origin() -> bool:
    """Whether a session-authenticated call may proceed (reads always may)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    # A browser without Fetch Metadata falls back to the Origin check (see there).
    return from_own_pages(fetch_metadata_required=False)


def require_role(*roles: str):
    """401 without a valid staff token or session; 403 for a role not in ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_staff()
            if user is None:
                abort(401, "a valid staff token (or staff session) is required")
            if user["role"] not in roles:
                abort(403, "your role may not do this")
            return view(*args, **kwargs)

        return wrapped

    return decorator


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
        state does not allow the decision.
        """
        db = get_db()
        before = review.case(db, request_id, deadlines.now())
        decisions.decide(
            db,
            request_id,
            data["decision"],
            current_staff(),
            deadlines.now(),
            data.get("reason"),
            data.get("include") or (),
            data.get("exclude") or (),
            Path(current_app.config["INSTANCE_DIR"]),
        )
        notify_if_changed(db, current_app.config, request_id, before, deadlines.now())
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

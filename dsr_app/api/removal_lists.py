"""``/api/v1/removal-lists`` for training teams, and ``/api/v1/suppression-list``."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from dsr_app import deadlines
from dsr_app.api.blueprint import STAFF_TOKEN, Blueprint
from dsr_app.removal.acknowledgements import (
    acknowledge,
    hand_out,
    list_index,
    suppression_list,
)
from dsr_app.schemas.removal import (
    AcknowledgementsSchema,
    AckSchema,
    ListFormatSchema,
    RemovalListsSchema,
    SuppressionListSchema,
)
from dsr_app.server.auth import current_staff, require_role
from dsr_app.server.connection import get_db
from dsr_app.server.responses import csv_response
from dsr_app.server.security import refuse_cross_site

blp = Blueprint(
    "removal_lists",
    __name__,
    url_prefix="/api/v1",
    description="Training teams: signed removal lists and the suppression list.",
)
READERS = ("training", "admin", "legal")
TRAINING = ("training", "admin")
# Contract section 6, v2 (issue 16): a hash alone removes no record.
ENTRY_SCHEMA = {
    "type": "object",
    "required": ["dataset", "record_id", "content_sha256", "reason"],
    "properties": {
        "dataset": {"type": "string"},
        "record_id": {"type": "string"},
        "content_sha256": {"type": "string"},
        "author_id": {
            "type": "string",
            "description": "The record's author, when it names one. A record leaves"
            " a manifest when its dataset and record_id match an entry, or when its"
            " content_sha256 and author_id both do; an entry without author_id"
            " matches by dataset and record_id only.",
        },
        "reason": {"type": "string", "enum": ["own_content", "mention"]},
    },
}
# The stored, signed document is sent as it is (never re-serialised through a
# schema, which could change what the signature covers): contract section 6.
LIST_CONTENT = {
    "200": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": [
                        "format",
                        "id",
                        "request_id",
                        "request_type",
                        "legal_basis",
                        "issued_at",
                        "approved_by",
                        "entries",
                        "suppression",
                        "signature",
                    ],
                    "properties": {
                        "format": {"type": "string", "enum": ["dsr-removal-list/1"]},
                        "entries": {"type": "array", "items": ENTRY_SCHEMA},
                        "suppression": {"type": "array", "items": {"type": "object"}},
                        "signature": {"type": "object"},
                    },
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


@blp.route("/removal-lists")
class RemovalLists(MethodView):
    """Every removal list, newest first."""

    decorators = [require_role(*READERS)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, RemovalListsSchema)
    @blp.errors(401, 403)
    def get(self):
        """Lists with their entry counts and acknowledgements."""
        return {"items": list_index(get_db())}


@blp.route("/removal-lists/<list_id>")
class RemovalList(MethodView):
    """One removal list."""

    decorators = [require_role(*READERS)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(ListFormatSchema, location="query")
    @blp.response(200, description="The signed list (JSON) or its entries (CSV).")
    @blp.doc(responses=LIST_CONTENT)
    @blp.errors(401, 403, 404)
    def get(self, args, list_id):
        """The signed list as JSON, or its entries as CSV (`format=json|csv`).

        The download is audited in the caller's name: with the staff session it
        must come from this site's pages or the address bar (`Sec-Fetch-Site`
        `same-origin` or `none`), else 403 and nothing is audited.
        """
        # A bearer token authenticated this call if one was sent (current_staff).
        refuse_cross_site(by_token="Authorization" in request.headers)
        document = hand_out(
            get_db(), list_id, current_staff()["id"], args["format"], deadlines.now()
        )
        if args["format"] == "csv":
            return csv_response(document)
        return document


@blp.route("/removal-lists/<list_id>/ack")
class Acknowledge(MethodView):
    """A training team confirms it removed the entries from a dataset version."""

    decorators = [require_role(*TRAINING)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(AckSchema)
    @blp.response(200, AcknowledgementsSchema)
    @blp.errors(401, 403, 404, 413, 415)
    def post(self, data, list_id):
        """Acknowledge a list for one dataset and version (idempotent).

        The version must be one the list touches (a version its records were
        found in), else 400 naming `dataset` or `dataset_version`. The
        acknowledgement that completes a request's removal issues its
        removal-complete letter and e-mails the requester, once.
        """
        acks = acknowledge(
            get_db(),
            list_id,
            data["dataset"],
            data["dataset_version"],
            current_staff()["id"],
            deadlines.now(),
            current_app.config,
        )
        return {"id": list_id, "acks": acks}


@blp.route("/suppression-list")
class Suppression(MethodView):
    """Identifiers to keep out of future training, as keyed hashes."""

    decorators = [require_role(*READERS)]

    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, SuppressionListSchema)
    @blp.errors(401, 403)
    def get(self):
        """Every suppressed identifier (HMAC-SHA-256; nothing in clear)."""
        return {"items": suppression_list(get_db())}

"""Documents as HTTP responses, for the API and the pages alike: a request's
letter (issued and stored, or the staff's live draft), and a removal list's
entries as CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import datetime

from flask import Response, current_app

from dsr_app import deadlines
from dsr_app.errors import Conflict
from dsr_app.review import issued
from dsr_app.review.letters import FORMATS, letter_context, render, requester_may_read
from dsr_app.server.connection import get_db

_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def _document(body: bytes, template: str, fmt: str) -> Response:
    response = Response(body, mimetype=FORMATS[fmt].split(";")[0])
    response.headers["Content-Disposition"] = (
        f'inline; filename="letter-{template}.{fmt}"'  # no user text in the name
    )
    return response


def letter_response(request_id: str, fmt: str) -> Response:
    """A request's letter rendered now, in ``fmt`` (html, pdf or txt): the staff's
    draft, never what the requester is sent (that is ``issued_response``)."""
    context = letter_context(get_db(), request_id, current_app.config, deadlines.now())
    letter = render(context, fmt)
    return _document(letter.body, letter.kind, fmt)


def issued_response(letter: Mapping, fmt: str) -> Response:
    """An issued letter's stored bytes in ``fmt`` (``issued.fetch``'s letter)."""
    return _document(issued.body(get_db(), letter["id"], fmt), letter["template"], fmt)


def answer_response(row: Mapping, fmt: str) -> Response:
    """What the requester's ``/letter`` serves: the latest decision letter as issued
    (before a decision, the latest notice).

    :raises Conflict: the requester has no letter yet.
    """
    if not requester_may_read(row):
        raise Conflict("there is no letter yet")
    letter = issued.latest_answer(get_db(), row["id"])
    if letter is None:
        # A case answered before letters were kept (migration m018): rendered,
        # for want of a record, with the date of the event that called for it.
        event = row["decided_at"] or row["info_requested_at"] or row["extended_at"]
        at = datetime.fromisoformat(event) if event else deadlines.now()
        context = letter_context(get_db(), row["id"], current_app.config, at)
        return _document(render(context, fmt).body, context["kind"], fmt)
    return issued_response(letter, fmt)


def csv_cell(value: object) -> str:
    """A CSV cell safe against formula injection (OWASP ASVS 1.2.10)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_TRIGGERS) else text


def as_csv(document: dict) -> str:
    """A list's entries as RFC 4180 CSV (quoted where needed, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # author_id goes with the hash: a hash alone removes no record (contract §6, v2).
    writer.writerow(
        [
            "list_id",
            "request_type",
            "dataset",
            "record_id",
            "content_sha256",
            "author_id",
            "reason",
        ]
    )
    for entry in document["entries"]:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    document["id"],
                    document["request_type"],
                    entry["dataset"],
                    entry["record_id"],
                    entry["content_sha256"],
                    entry.get("author_id", ""),
                    entry["reason"],
                )
            ]
        )
    return out.getvalue()


def list_filename(document: Mapping, ext: str) -> str:
    """``removal-list-<list id>.<ext>``: downloads of several lists stay apart
    (issue 21, item 2). Ids are ours (``rl_`` and URL-safe base64); anything else
    is replaced, so the header never carries a quote or a line break."""
    return f"removal-list-{re.sub(r'[^A-Za-z0-9_-]', '_', document['id'])}.{ext}"


def csv_response(document: dict) -> Response:
    """A list's entries as a CSV download."""
    response = Response(as_csv(document), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{list_filename(document, "csv")}"'
    )
    return response

"""Documents as HTTP responses, for the API and the pages alike: a request's
letter, and a removal list's entries as CSV."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app

from dsr_app import deadlines
from dsr_app.review.letters import letter_context, render
from dsr_app.server.connection import get_db

_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def letter_response(request_id: str, fmt: str) -> Response:
    """A request's letter as an HTTP response in ``fmt`` (html, pdf or txt)."""
    context = letter_context(get_db(), request_id, current_app.config, deadlines.now())
    letter = render(context, fmt)
    response = Response(letter.body, mimetype=letter.mimetype.split(";")[0])
    response.headers["Content-Disposition"] = (
        f'inline; filename="letter-{letter.kind}.{fmt}"'  # no user text in the name
    )
    return response


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


def csv_response(document: dict) -> Response:
    """A list's entries as a CSV download."""
    response = Response(as_csv(document), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="removal-list.csv"'
    return response

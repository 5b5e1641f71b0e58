"""Issued letters are records: each letter sent to the requester is rendered once,
when it is issued, kept byte for byte, and never changed after (contract section
5, "Issued letters are records"; issue 18, item 1).

A letter reads the case as it stood when it was issued and carries the issue date,
not the date of a download. A later event (an extension, a request for
information, the decision) issues a new letter; it never rewrites an earlier one.
The SHA-256 of the plain-text form goes to the audit log with the issue, so the
letter the person holds can be checked against the trail (Art. 5(2) GDPR).

HTML and text are rendered in the issuing transaction; the PDF (WeasyPrint, slow)
is made from the stored HTML by a ``letter_pdf`` job that the issue queues in the
same transaction (cases/jobs.py, run by the job runner off the request path), or
on a download that comes before the job has run, whichever is first; it is stored
with a "set if still NULL", so that every download returns the same bytes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from dsr_app import audit
from dsr_app.errors import NotFound
from dsr_app.review.letters import FORMATS, html_to_pdf, letter_context, render
from dsr_app.sql import select_rows, write_transaction

KINDS = ("decision", "extension", "request_info", "removal_complete")
# Letter templates that are notices of their own; every other one answers the
# request (access, no_data, objection, erasure, rejected) and is its decision letter.
NOTICES = {
    "extension": "extension",
    "request_info": "request_info",
    "removal_complete": "removal_complete",
}
_LISTED = "id, kind, issued_at, sha256"


def kind_of(template: str) -> str:
    """The record kind (``decision``, ``extension``, …) of a letter template."""
    return NOTICES.get(template, "decision")


def issue(
    db: sqlite_utils.Database,
    config: Mapping,
    request_id: str,
    at: datetime,
    actor: str = "system",
    template: str | None = None,
) -> dict:
    """Render the letter the request's current state calls for, dated ``at``, store
    its HTML and text, and audit its SHA-256; returns its listing entry.

    Call inside the transaction of the event that issues it (a decision, the
    acknowledgement that completes a removal), so that the letter, the event and
    the audit entry commit together. ``template``: a letter the request's state does
    not pick by itself (``removal_complete``, review.completion).
    """
    context = letter_context(db, request_id, config, at, template)
    html = render(context, "html").body
    txt = render(context, "txt").body
    letter = {
        "id": "lt_" + secrets.token_urlsafe(12),
        "kind": kind_of(context["kind"]),
        "issued_at": at.isoformat(),
        "sha256": hashlib.sha256(txt).hexdigest(),
    }
    db.execute(
        "INSERT INTO issued_letters (id, request_id, kind, template, issued_at, lang,"
        " sha256, html, txt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            letter["id"],
            request_id,
            letter["kind"],
            context["kind"],
            letter["issued_at"],
            context["lang"],
            letter["sha256"],
            html,
            txt,
        ],
    )
    audit.append(
        db,
        actor,
        "letter_issued",
        request_id,
        {"letter_id": letter["id"], "kind": letter["kind"], "sha256": letter["sha256"]},
        at,
    )
    # The PDF off the request path (make_pdfs), in the same transaction as the
    # letter: a crash cannot leave a letter whose PDF job was never queued.
    db.execute(
        "INSERT INTO jobs (kind, request_id, created_at) VALUES ('letter_pdf', ?, ?)",
        [request_id, letter["issued_at"]],
    )
    return letter


def listing(db: sqlite_utils.Database, request_id: str) -> list[dict]:
    """The request's issued letters, oldest first (the status answer's ``letters``)."""
    return select_rows(
        db,
        f"SELECT {_LISTED} FROM issued_letters WHERE request_id = ?"
        " ORDER BY issued_at, rowid",
        [request_id],
    )


def fetch(db: sqlite_utils.Database, request_id: str, letter_id: str) -> dict:
    """One issued letter of ``request_id`` (without its bodies).

    :raises NotFound: no such letter, or another request's: the same answer, so
        that a letter id reveals nothing about other requests.
    """
    found = select_rows(
        db,
        f"SELECT {_LISTED}, request_id, template, lang FROM issued_letters"
        " WHERE id = ? AND request_id = ?",
        [letter_id, request_id],
    )
    if not found:
        raise NotFound("not found")
    return found[0]


def latest_answer(db: sqlite_utils.Database, request_id: str) -> dict | None:
    """What ``/letter`` serves: the latest decision letter, or before any decision
    the latest notice (extension, request for information); None if none."""
    found = select_rows(
        db,
        "SELECT id FROM issued_letters WHERE request_id = ?"
        " ORDER BY kind = 'decision' DESC, issued_at DESC, rowid DESC LIMIT 1",
        [request_id],
    )
    return fetch(db, request_id, found[0]["id"]) if found else None


def make_pdfs(db: sqlite_utils.Database, request_id: str) -> int:
    """The ``letter_pdf`` job: make and store the PDF of each of the request's issued
    letters that has none yet; returns how many it made."""
    missing = [
        row[0]
        for row in db.execute(
            "SELECT id FROM issued_letters WHERE request_id = ? AND pdf IS NULL",
            [request_id],
        )
    ]
    for letter_id in missing:
        body(db, letter_id, "pdf")
    return len(missing)


def body(db: sqlite_utils.Database, letter_id: str, fmt: str) -> bytes:
    """The stored bytes of an issued letter in ``fmt`` (html, txt or pdf).

    A PDF not yet made by its job (make_pdfs) is made from the stored HTML now
    and kept with a "set if still NULL": of two makers at once (the job, a
    download), both return the bytes that were stored first.
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    row = db.execute(
        f"SELECT {fmt}, html FROM issued_letters WHERE id = ?", [letter_id]
    ).fetchone()
    if row is None:
        raise NotFound("not found")
    if row[0] is not None:
        return bytes(row[0])
    pdf = html_to_pdf(bytes(row[1]).decode())  # outside the write lock: slow
    with write_transaction(db):
        db.execute(
            "UPDATE issued_letters SET pdf = ? WHERE id = ? AND pdf IS NULL",
            [pdf, letter_id],
        )
        (stored,) = db.execute(
            "SELECT pdf FROM issued_letters WHERE id = ?", [letter_id]
        ).fetchone()
    return bytes(stored)

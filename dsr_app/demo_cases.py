"""Cases in every state for the demo's queue (issue 21, item 4): new, in review
with weak candidates and due soon, asking for information, extended, overdue,
answered, removal pending (and, from demo.load_models, removal complete).

Each is filed, verified and decided through the service's own functions, as
demo.load_models makes Łucja's objection, dated back so that the queue shows
overdue and due-soon cases; each step is taken once per store (a case is found
again by its e-mail and its ``details``, a step by the case's status).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app import config, deadlines
from dsr_app.audit import instance_of
from dsr_app.cases.channels import verify_channel
from dsr_app.cases.filing import create_request
from dsr_app.cases.jobs import run_pending
from dsr_app.messaging import outbox_messages
from dsr_app.review.notices import decide_and_notify
from dsr_app.review.worklist import assign, set_note
from dsr_app.schemas.requests import RequestCreateSchema
from dsr_app.sql import select_rows
from dsr_app.staff.accounts import staff_by_email

CODE_RE = re.compile(r"(?<![\w-])\d{8}(?![\w-])")
MARK = "Demo world: "  # what tells a demo case from one filed in the tour

#: Each case: who files it, how many days ago, and what staff did since
#: (``(decision, days ago or None for now, reason)``). Personas of fixtures/README.md
#: where their items make the case (namesakes, mentions only), made-up people else.
CASES = (
    {
        "state": "new",
        "days_ago": 1,
        "verify": False,
        "person": {
            "type": "access",
            "full_name": "Marta Kowalczyk",
            "email": "marta.kowalczyk@example.net",
            "country": "PL",
            "language": "en",
        },
    },
    {
        "state": "in review, weak candidates, due soon",
        "days_ago": 26,
        "person": {
            "type": "objection",
            "full_name": "Søren Ågård",
            "email": "soren@example.eu",
            "country": "DK",
            "language": "en",
        },
    },
    {
        "state": "overdue",
        "days_ago": 45,
        "person": {
            "type": "erasure",
            "full_name": "Pieter de Vries",
            "email": "pieter.devries@example.net",
            "country": "NL",
            "language": "en",
        },
        "note": "Waiting for the captions team to confirm the 2025-03 scope.",
    },
    {
        "state": "needs info",
        "days_ago": 9,
        "person": {
            "type": "access",
            "full_name": "Jan Novák",
            "email": "jnovak@example.eu",
            "country": "CZ",
            "language": "en",
        },
        "steps": (
            (
                "request_info",
                8,
                "Two people named Jan Novák post on the platform: which"
                " handle is yours?",
            ),
        ),
        "note": "Namesake of acc-900006: ask which handle is theirs.",
    },
    {
        "state": "extended",
        "days_ago": 20,
        "person": {
            "type": "objection",
            "full_name": "Jan Novák",
            "email": "novak.sk@example.eu",
            "country": "SK",
            "language": "de",
        },
        "steps": (
            (
                "extend",
                18,
                "Ihr Name kommt in vielen Beiträgen vor, die wir einzeln prüfen.",
            ),
        ),
    },
    {
        "state": "answered",
        "days_ago": 16,
        "person": {
            "type": "access",
            "full_name": "François Lefèvre-Çelik",
            "email": "francois@example.eu",
            "country": "FR",
            "language": "fr",
        },
        "steps": (("approve", 6, "Identité vérifiée par e-mail."),),
    },
    {
        "state": "removal pending",
        "days_ago": 8,
        "person": {
            # An objection: its removal list leaves the records' text in the
            # store (an erasure's would erase a persona of fixtures/README.md).
            "type": "objection",
            "full_name": "Anna Ősz-Kővári",
            "email": "anna.osz@example.eu",
            "country": "HU",
            "language": "en",
        },
        # Decided now, after the demo's model 2.0 started: its list is still to
        # apply, and 2.0 was not trained on versions it had to clear then.
        "steps": (("approve", None, "Posts made as a minor: no overriding ground."),),
    },
)


def _filed(
    db: sqlite_utils.Database, settings: Mapping, case: dict, at: datetime
) -> str:
    """The case's request, filed ``at`` (and verified a minute later) if new."""
    person = {**case["person"], "details": MARK + case["state"] + "."}
    found = select_rows(
        db,
        "SELECT id FROM requests WHERE email_canonical = ? AND details = ?",
        [person["email"], person["details"]],
    )
    if found:
        return found[0]["id"]
    key = config.instance_secret(instance_of(db), "code_hmac_key")
    created = create_request(db, settings, RequestCreateSchema().load(person), key, at)
    if case.get("verify", True):
        code = CODE_RE.search(outbox_messages(db, person["email"])[-1]["body"])
        verify_channel(
            db, key, created["id"], "email", code.group(), at + timedelta(minutes=3)
        )
    return created["id"]


def load_cases(db: sqlite_utils.Database, settings: Mapping) -> list[str]:
    """Make the demo's cases once; returns a line per case (state and status)."""
    now = deadlines.now()
    legal = staff_by_email(db, "legal@demo.example")
    ids = [
        _filed(db, settings, case, now - timedelta(days=case["days_ago"]))
        for case in CASES
    ]
    run_pending(db)  # who owns what, then each search: the matches to review
    lines = []
    for case, request_id in zip(CASES, ids, strict=True):
        for decision, days_ago, reason in case.get("steps", ()):
            (row,) = select_rows(
                db, "SELECT status, decision FROM requests WHERE id = ?", [request_id]
            )
            if row["status"] != "in_review" or _taken(db, request_id, decision):
                continue
            at = now - timedelta(days=days_ago) if days_ago is not None else now
            decide_and_notify(
                db,
                settings,
                request_id,
                decision,
                legal,
                at,
                reason,
                instance=instance_of(db),
            )
        if case.get("note"):
            actor = f"staff:{legal['id']}"
            assign(db, request_id, legal["id"], actor, now)
            set_note(db, request_id, case["note"], actor, now)
        (status,) = db.execute(
            "SELECT status FROM requests WHERE id = ?", [request_id]
        ).fetchone()
        lines.append(f"{case['person']['full_name']}: {case['state']} ({status})")
    run_pending(db)  # the letters' PDFs, so that a second start finds no work
    return lines


def _taken(db: sqlite_utils.Database, request_id: str, decision: str) -> bool:
    """Whether ``decision`` is in the case's trail already (an extension leaves
    the case in review: its status does not tell)."""
    return bool(
        db.execute(
            "SELECT 1 FROM audit_log WHERE request_id = ? AND action = ?",
            [request_id, f"decision_{decision}"],
        ).fetchone()
    )

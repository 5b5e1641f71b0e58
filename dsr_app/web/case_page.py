"""The staff case page and its decision steps (issue 21, item 1): the case with
its timeline, matches and letter side by side; the confirmation of a decision;
a decided case read-only; a decision sent after the session ended kept through
the login (web/staff.py holds the routes)."""

from __future__ import annotations

from flask import current_app, render_template, session, url_for

from dsr_app import deadlines
from dsr_app.i18n import language
from dsr_app.removal.acknowledgements import pending
from dsr_app.review import queue as review
from dsr_app.review.confirm import Draft
from dsr_app.review.issued import body, latest_answer, listing
from dsr_app.review.timeline import timeline
from dsr_app.review.worklist import legal_staff
from dsr_app.server.connection import get_db
from dsr_app.sql import select_rows

ENGLISH_NAMES = {"en": "English", "de": "German", "fr": "French"}  # staff read English
#: Statuses on which no decision is taken any more (a completed case only takes
#: the follow-up approval of new weak matches: decisions.decide).
DECIDED = ("completed", "rejected", "expired")


def case_values(request_id: str) -> tuple[dict, dict]:
    """The case (review.queue.case) and its stored row's decision columns."""
    db = get_db()
    case = review.case(db, request_id, deadlines.now())
    (row,) = select_rows(
        db,
        "SELECT id, type, status, follow_up_weak, assignee_id, staff_note,"
        " decided_at, email FROM requests WHERE id = ?",
        [request_id],
    )
    return case, row


def _lists(request_id: str) -> list[dict]:
    """The case's removal lists, with the dataset versions still to apply them."""
    db = get_db()
    waiting = {
        item["id"]: item["versions"]
        for lists in pending(db).values()
        for item in lists
        if item["request_id"] == request_id
    }
    return [
        {**row, "waiting": waiting.get(row["id"], [])}
        for row in select_rows(
            db,
            "SELECT id, issued_at, entries FROM removal_lists WHERE request_id = ?"
            " ORDER BY issued_at, rowid",
            [request_id],
        )
    ]


def render_case(
    request_id: str,
    draft: Draft | None = None,
    error: str | None = None,
    status: int = 200,
):
    """The case page; ``draft``: the form as staff left it (after an error, a
    change of mind on the confirmation, or a login)."""
    from dsr_app.letter_facts import LABELS, unset
    from dsr_app.review.grounds import form_choices
    from dsr_app.review.letters import letter_context, render

    db = get_db()
    case, row = case_values(request_id)
    context = letter_context(db, request_id, current_app.config, deadlines.now())
    decided = row["status"] in DECIDED
    lists = _lists(request_id)
    answer = latest_answer(db, request_id) if decided else None
    page = render_template(
        "staff/case.html",
        case=case,
        row=row,
        draft=draft or Draft(),
        # Read-only once decided, but for the follow-up of new weak matches.
        decidable=not decided or bool(row["follow_up_weak"]),
        removal_pending=any(x["waiting"] for x in lists),
        events=timeline(db, request_id, case["audit"]),
        letters=listing(db, request_id),
        lists=lists,
        staff_users=legal_staff(db),
        draft_letter=None if decided else render(context, "txt").body.decode(),
        # Once decided, the answer as it was sent, beside the items it names.
        sent_letter=body(db, answer["id"], "txt").decode() if answer else None,
        draft_kind=context["kind"],
        # Facts its letters will say they do not state (letter_facts.py, issue 18).
        unset_facts=[LABELS[k] for k in unset(current_app.config, context["lang"])],
        facts_lang=context["lang"],
        # The letter's language and the grounds and reasons to choose (grounds.py).
        letter_language=ENGLISH_NAMES[context["lang"]],
        letter_lang=context["lang"],
        choices=form_choices(case["type"], context["lang"], context["t"]),
        error=error or session.pop("case_error", None),
        message=session.pop("case_message", None),  # a decision or measure taken
        today=deadlines.now().date().isoformat(),
    )
    return page, status


def render_confirmation(request_id: str, draft: Draft, summary: dict):
    """The confirmation step: what the decision will send and remove, the form's
    values kept in hidden fields for the confirming post."""
    case, row = case_values(request_id)
    return render_template(
        "staff/confirm.html",
        case=case,
        row=row,
        draft=draft,
        summary=summary,
        letter_language=ENGLISH_NAMES[language(case["language"])],
    )


def render_login_keeping(request_id: str, draft: Draft, status: int = 401):
    """The login form for a decision posted without a live session: the draft
    rides along in hidden fields, and after the login the case page opens with it
    (web/staff.login), so the typed reason is not lost (issue 21)."""
    return (
        render_template(
            "staff/login.html",
            error="Your session ended: log in again. Your decision was not sent;"
            " it is kept and shown again after the login.",
            draft=draft,
            draft_request=request_id,
            action=url_for(
                "staff_web.login",
                next=url_for("staff_web.case", request_id=request_id),
            ),
        ),
        status,
    )

"""Legal staff's decisions on a request: approve, reject, extend, request_info.

Each decision, the match choices it carries and its audit entry are written in one
transaction. A request's type never changes; a decision is only taken in a state
that allows it (otherwise ``Conflict``, HTTP 409).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import sqlite_utils

from dsr_app import audit
from dsr_app.anchors import AnchorRefused, write_anchor
from dsr_app.cases.status import request_row
from dsr_app.config import settings
from dsr_app.deadlines import days_paused, due_date, receipt_day
from dsr_app.errors import BadInput, Conflict
from dsr_app.removal.lists import REMOVAL_TYPES
from dsr_app.review import grounds, issued, items
from dsr_app.review.letter_items import LEFT_OUT
from dsr_app.sql import write_transaction

log = logging.getLogger(__name__)

DECISIONS = ("approve", "reject", "extend", "request_info")
# Which statuses allow which decision.
ALLOWED = {
    "approve": ("in_review",),
    "reject": ("in_review", "needs_info"),
    # Not while waiting for information: the extension notice must reach the
    # requester on its own (Art. 12(3)), not be hidden behind the question.
    "extend": ("in_review",),
    "request_info": ("in_review",),
}
NEEDS_REASON = ("reject", "extend", "request_info")


def _choose_matches(
    db: sqlite_utils.Database,
    request_id: str,
    include: Iterable[str],
    exclude: Iterable[str],
    staff_id: int,
    at: datetime,
    undecided_only: bool = False,
) -> dict[str, list[str]]:
    """Record include/exclude choices, item by item (review.items: naming one
    match of a record decides all of them, and one named both ways is included);
    weak items stay out unless included.

    ``undecided_only``: a follow-up decision, on the items new since the approval
    or left out by it; an item decided already keeps its decision.

    :raises BadInput: a match id that is not this request's.
    """
    include, exclude = set(include), set(exclude)
    if include & exclude:
        raise BadInput("include", "a match cannot be included and excluded")
    if undecided_only:
        items.follow_item_decisions(db, request_id, at)
    rows = list(
        db.query(
            "SELECT match_id, dataset, dataset_version, record_id, confidence,"
            " decision, decided_by FROM matches WHERE request_id = ?",
            [request_id],
        )
    )
    unknown = sorted((include | exclude) - {r["match_id"] for r in rows})
    if unknown:
        raise BadInput(
            "include" if set(unknown) & include else "exclude",
            f"not matches of this request: {', '.join(unknown[:5])}",
        )
    if undecided_only:
        # A follow-up decides the matches nobody decided: new ones (decision NULL),
        # and weak ones the approval left out unattributed, which staff may now
        # judge (the letter's W01 invites the person to point them out; issue 18,
        # item 3). Left out and not named now: they stay as the approval left them.
        # The case page sends a choice for every item: the decided ones are kept.
        named = include | exclude
        open_ = {
            key
            for key, group in items.by_item(rows).items()
            if all(r["decision"] is None or r["decided_by"] == LEFT_OUT for r in group)
            and any(r["decision"] is None or r["match_id"] in named for r in group)
        }
        rows = [r for r in rows if items.item_key(r) in open_]
    chosen: dict[str, list[str]] = {"include": [], "exclude": []}
    for match_id, decision in sorted(items.choose(rows, include, exclude).items()):
        by = str(staff_id)
        if decision == items.UNCHOSEN_WEAK:
            # Left out because nobody decided it, not judged "not about this
            # person": the letter counts it as unattributed (issue 18, item 3).
            decision, by = "exclude", LEFT_OUT
        chosen[decision].append(match_id)
        db.execute(
            "UPDATE matches SET decision = ?, decided_by = ?, decided_at = ?"
            " WHERE match_id = ?",
            [decision, by, at.isoformat(), match_id],
        )
    return chosen


def _names_left_out(
    db: sqlite_utils.Database,
    row: Mapping,
    include: Iterable[str],
    exclude: Iterable[str],
) -> bool:
    """Whether a decision names a weak match the approval left out unattributed."""
    named = sorted({*include, *exclude})
    return (
        bool(named)
        and db.execute(
            "SELECT 1 FROM matches WHERE request_id = ? AND decided_by = ?"
            " AND match_id IN (SELECT value FROM json_each(?)) LIMIT 1",
            [row["id"], LEFT_OUT, json.dumps(named)],
        ).fetchone()
        is not None
    )


def strict_due(row: dict) -> date:
    """The due date without any pause for a request for information."""
    return date.fromisoformat(row["strict_due_at"] or row["due_at"])


def decide(
    db: sqlite_utils.Database,
    request_id: str,
    decision: str,
    staff: dict,
    at: datetime,
    reason: str | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    instance: Path | None = None,
    config: Mapping | None = None,
    *,
    erasure_ground: str | None = None,
    reason_codes: Iterable[str] = (),
    ground_required: bool = False,
) -> dict:
    """Take ``decision`` on a request; returns its new state.

    Approving an objection or erasure issues its signed removal list in the same
    transaction (``instance``: the folder of the signing key), and every decision
    issues its letter there too (issued.py; ``config``: the controller's details,
    by default ``config.settings()``). Once it is committed, the audit log's head
    is anchored outside the store (anchors.py). ``erasure_ground`` (Art. 17(1)(a)-(f))
    and ``reason_codes`` are checked and kept by grounds.py; ``ground_required``:
    an erasure is approved only with its ground (the case page).

    :raises Conflict: the request's state does not allow it (or a second
        extension).
    :raises BadInput: a missing reason, unknown match ids, a ground or reason code
        that does not fit, an extension after the one-month due date.
    """
    state = _take(
        db,
        request_id,
        decision,
        staff,
        at,
        reason,
        include,
        exclude,
        instance,
        settings() if config is None else config,
        (erasure_ground, tuple(reason_codes), ground_required),
    )
    try:
        write_anchor(db, at, after_decision=True)
    except (OSError, AnchorRefused):
        # The decision stands (committed, in the keyed chain); the next anchor
        # covers it. Say so loudly rather than answer the decision with an error.
        log.exception("could not anchor the audit log after a decision")
    return state


def _take(
    db: sqlite_utils.Database,
    request_id: str,
    decision: str,
    staff: dict,
    at: datetime,
    reason: str | None,
    include: Iterable[str],
    exclude: Iterable[str],
    instance: Path | None,
    config: Mapping,
    chosen: tuple[str | None, tuple[str, ...], bool] = (None, (), False),
) -> dict:
    """``decide`` up to its commit; ``chosen``: its ground, reason codes and
    whether a ground is required (grounds.check)."""
    if decision not in DECISIONS:
        raise BadInput("decision", f"must be one of {', '.join(DECISIONS)}")
    reason = (reason or "").strip() or None
    ground, codes, ground_required = chosen
    if decision in NEEDS_REASON and not reason and not codes:
        raise BadInput(
            "reason",
            f"a reason or reason_codes is required to {decision.replace('_', ' ')}",
        )
    actor = f"staff:{staff['id']}"
    with write_transaction(db):
        row = request_row(db, request_id)
        follow_up = (
            decision == "approve"
            and row["status"] == "completed"
            and (
                row["follow_up_weak"] > 0
                or (
                    row["type"] in REMOVAL_TYPES
                    and _names_left_out(db, row, include, exclude)
                )
            )
        )
        if follow_up:
            # New weak matches found after the approval (removal.follow_up), or weak
            # ones it left out that staff now judge: staff include or exclude them,
            # and the included ones get a follow-up list.
            chosen = _choose_matches(
                db, request_id, include, exclude, staff["id"], at, undecided_only=True
            )
            db.execute(
                "UPDATE requests SET follow_up_weak = 0 WHERE id = ?", [request_id]
            )
            audit.append(
                db,
                actor,
                "decision_follow_up",
                request_id,
                {
                    "included": len(chosen["include"]),
                    "excluded": len(chosen["exclude"]),
                },
                at,
            )
            from dsr_app.removal.lists import follow_up as issue_follow_up

            issue_follow_up(
                db, request_id, instance or Path("instance"), at, staff["id"]
            )
            return request_row(db, request_id)
        if row["status"] not in ALLOWED[decision]:
            raise Conflict(f"cannot {decision} a request that is {row['status']}")
        grounds.check(db, row, decision, reason, ground, codes, ground_required)
        country = row["controller_country"]
        received = date.fromisoformat(row["receipt_day"])
        detail: dict = {"decision": decision, "reason": reason}
        if decision == "extend":
            # Art. 12(3): the requester must hear of an extension within one month.
            if row["extended_at"]:
                raise Conflict("this request was extended already")
            # By the one-month due date (with any pause): the notice of the
            # extension then comes within the month by construction (X03).
            if receipt_day(at, country) > date.fromisoformat(row["due_at"]):
                raise BadInput(
                    "decision",
                    "an extension must be decided by the one-month due date"
                    f" {row['due_at']} (Art. 12(3)); that date has passed",
                )
            # The strict date has no pause; the due date keeps earlier ones.
            strict = due_date(received, country, months=3)
            new_due = due_date(received, country, 3, row["paused_days"])
            detail["due_at"] = new_due.isoformat()
            db.execute(
                "UPDATE requests SET due_at = ?, strict_due_at = ?, extended_at = ?,"
                " decision_reason = ?, updated_at = ? WHERE id = ?",
                [
                    new_due.isoformat(),
                    strict.isoformat(),
                    at.isoformat(),
                    reason,
                    at.isoformat(),
                    request_id,
                ],
            )
        elif decision == "request_info":
            db.execute(
                "UPDATE requests SET status = 'needs_info', info_requested_at = ?,"
                " strict_due_at = coalesce(strict_due_at, due_at), decision_reason = ?,"
                " updated_at = ? WHERE id = ?",
                [at.isoformat(), reason, at.isoformat(), request_id],
            )
        else:
            chosen = _choose_matches(db, request_id, include, exclude, staff["id"], at)
            detail.update(
                included=len(chosen["include"]), excluded=len(chosen["exclude"])
            )
            status = "completed" if decision == "approve" else "rejected"
            db.execute(
                "UPDATE requests SET status = ?, decision = ?, decision_reason = ?,"
                " decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                [
                    status,
                    decision,
                    reason,
                    staff["id"],
                    at.isoformat(),
                    at.isoformat(),
                    request_id,
                ],
            )
        detail.update(grounds.store(db, request_id, ground, codes))
        audit.append(db, actor, f"decision_{decision}", request_id, detail, at)
        if decision == "approve" and row["type"] in ("objection", "erasure"):
            from dsr_app.removal.lists import issue

            issue(db, request_id, staff["id"], instance or Path("instance"), at)
        # The letter this decision sends, dated now and kept as issued: a later
        # event issues a new one (contract section 5, "Issued letters are records").
        issued.issue(db, config, request_id, at, actor)
    return request_row(db, request_id)


def resume_after_reply(
    db: sqlite_utils.Database, request_id: str, at: datetime
) -> dict:
    """The requester answered a request for information: the clock was paused from
    the day the question was sent to the day of the answer, if it was sent promptly
    (deadlines.days_paused), so the due date is counted again with every pause so
    far added to the unrolled date (docs/legal.md, Deadlines).

    The pause is added to the request's ``paused_days``, on which every later due
    date is counted. Returns it (``paused_from``, ``paused_until``, ``paused_days``,
    the new ``due_at``) for the reply's audit entry. Call inside the reply's
    transaction.
    """
    row = request_row(db, request_id)
    if not row["info_requested_at"]:
        return {}
    country = row["controller_country"]
    received = date.fromisoformat(row["receipt_day"])
    asked = receipt_day(datetime.fromisoformat(row["info_requested_at"]), country)
    answered = receipt_day(at, country)
    paused = days_paused(received, asked, answered, country)
    months = 3 if row["extended_at"] else 1
    total = row["paused_days"] + paused
    new_due = due_date(received, country, months, total)
    db.execute(
        "UPDATE requests SET due_at = ?, paused_days = ?, info_requested_at = NULL"
        " WHERE id = ?",
        [new_due.isoformat(), total, request_id],
    )
    return {
        "paused_from": asked.isoformat(),
        "paused_until": answered.isoformat(),
        "paused_days": paused,
        "due_at": new_due.isoformat(),
    }

"""What legal staff see: the deadline-ordered queue and a case with its matches."""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlite_utils

from dsr_app.audit import trail
from dsr_app.cases.status import effective_status, verified_channels
from dsr_app.errors import NotFound
from dsr_app.review.items import explained, group_items
from dsr_app.review.pointed import pointed_items
from dsr_app.sql import select_rows
from dsr_app.training.exposure import for_request

DUE_SOON_DAYS = 7


def _item(row: dict, today: date, at: datetime, counts: tuple[int, int]) -> dict:
    due = date.fromisoformat(row["due_at"])
    status = effective_status(row, at)
    open_ = status in ("pending_verification", "in_review", "needs_info")
    days_left = (due - today).days
    return {
        "id": row["id"],
        "type": row["type"],
        "status": status,
        "received_at": row["received_at"],
        "due_at": row["due_at"],
        "strict_due_at": row["strict_due_at"],
        "days_left": days_left,
        "overdue": open_ and days_left < 0,
        "due_soon": open_ and 0 <= days_left <= DUE_SOON_DAYS,
        "verified_channels": verified_channels(row),
        "matches": counts[0],
        "weak_matches": counts[1],
        # New weak matches after a follow-up search wait for a decision.
        "follow_up_weak": row.get("follow_up_weak") or 0,
    }


#: What a queue item is made of (the full row holds names, addresses and text).
_QUEUE_COLUMNS = (
    "id, type, status, received_at, due_at, strict_due_at, email_verified_at,"
    " phone_verified_at, follow_up_weak"
)


def queue(
    db: sqlite_utils.Database,
    at: datetime,
    status: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> dict:
    """Requests ordered by due date (soonest first), with counts by status.

    ``limit`` and ``offset`` page the items; the counts are over every request
    (of ``kind``), whatever the page.
    """
    where, params = [], []
    if kind:
        where.append("type = ?")
        params.append(kind)
    rows = select_rows(
        db,
        f"SELECT {_QUEUE_COLUMNS} FROM requests"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY due_at, received_at",
        params,
    )
    counts = {
        r[0]: (r[1], r[2])
        for r in db.execute(
            "SELECT request_id, count(*), sum(confidence = 'weak') FROM matches"
            " GROUP BY request_id"
        )
    }
    today = at.date()
    items = [_item(r, today, at, counts.get(r["id"], (0, 0))) for r in rows]
    totals: dict[str, int] = {}
    for item in items:
        totals[item["status"]] = totals.get(item["status"], 0) + 1
    totals["overdue"] = sum(i["overdue"] for i in items)
    totals["due_soon"] = sum(i["due_soon"] for i in items)
    totals["follow_up"] = sum(1 for i in items if i["follow_up_weak"])
    if status:
        items = [i for i in items if i["status"] == status]
    end = None if limit is None else offset + limit
    return {"items": items[offset:end], "counts": totals}


def case(db: sqlite_utils.Database, request_id: str, at: datetime) -> dict:
    """One request with its channels, accounts, search scope, matches and trail."""
    rows = list(db.query("SELECT * FROM requests WHERE id = ?", [request_id]))
    if not rows:
        raise NotFound("not found")
    row = rows[0]
    matches = [
        explained({**m, "policy_flags": json.loads(m["policy_flags"])})
        for m in db.query(
            "SELECT match_id, dataset, dataset_version, record_id, match_kind,"
            " matched_on, confidence, snippet, policy_flags, decision, decided_by,"
            " rule, matched_words FROM matches"
            " WHERE request_id = ? ORDER BY match_kind DESC, confidence DESC,"
            " dataset, dataset_version, record_id, matched_on",
            [request_id],
        )
    ]
    weak = sum(m["confidence"] == "weak" for m in matches)
    view = _item(row, at.date(), at, (len(matches), weak))
    view.update(
        full_name=row["full_name"],
        email=row["email"],
        phone=row["phone"],
        country=row["country"],
        region=row["region"],
        language=row["language"],
        details=row["details"],
        decision=row["decision"],
        decision_reason=row["decision_reason"],
        owned_accounts=[
            r[0]
            for r in db.execute(
                "SELECT DISTINCT account_id FROM owned_accounts WHERE request_id = ?"
                " ORDER BY 1",
                [request_id],
            )
        ],
        handles=[
            dict(r)
            for r in db.query(
                "SELECT handle, verified FROM request_handles WHERE request_id = ?"
                " ORDER BY handle",
                [request_id],
            )
        ],
        searches=[
            {**s, "scope": json.loads(s["scope"])}
            for s in db.query(
                "SELECT searched_at, engine, scope, matches FROM searches"
                " WHERE request_id = ? ORDER BY id DESC LIMIT 5",
                [request_id],
            )
        ],
        matches=matches,
        # Each record once, with every rule that matched it (issue 20, item 4).
        items=group_items(matches),
        removals=[
            dict(r)
            for r in db.query(
                "SELECT l.id AS list_id, a.dataset, a.dataset_version,"
                " a.acknowledged_at FROM removal_acks a"
                " JOIN removal_lists l ON l.id = a.list_id"
                " WHERE l.request_id = ? ORDER BY a.acknowledged_at",
                [request_id],
            )
        ],
        # The person's answers to a request for information, which staff decide on
        # (issue 18, item 6); the audit trail keeps only that one came.
        replies=[
            {**r, "handles": json.loads(r["handles"])}
            for r in db.query(
                "SELECT received_at, details, handles, phone FROM request_replies"
                " WHERE request_id = ? ORDER BY received_at",
                [request_id],
            )
        ],
        audit=trail(db, request_id),
        # What the person pointed to, beside what it found (issue 20, item 3).
        pointed=pointed_items(db, request_id, matches),
        # The models trained on data that held the items (issue 19, item 3).
        models=for_request(db, row, at.isoformat()),
    )
    return view

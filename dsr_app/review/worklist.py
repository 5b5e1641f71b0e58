"""The staff queue as a work list (issue 21, item 1): search by reference, name,
e-mail or phone; open and closed cases apart; filters by type, status, due
window and assignee; pages of a store with thousands of cases. Who works on a
case and their note are kept on the request and audited like every staff action.

``review.queue`` stays the API's whole-queue answer; this module filters and
pages in SQL, so a page reads only the rows it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlite_utils

from dsr_app import audit
from dsr_app.cases.status import request_row
from dsr_app.deadlines import UNVERIFIED_LIFETIME
from dsr_app.errors import BadInput
from dsr_app.review.queue import _QUEUE_COLUMNS, _item
from dsr_app.sql import select_rows, write_transaction

OPEN = ("pending_verification", "in_review", "needs_info")
CLOSED = ("completed", "rejected", "expired")
SCOPES = ("open", "closed", "all")
DUE_WINDOWS = {"overdue": None, "7": 7, "30": 30}
ASSIGNEES = ("mine", "unassigned")
PER_PAGE = 50
NOTE_MAX = 2000


@dataclass(frozen=True)
class Filters:
    """What the queue page asks for; every field optional (``""``: any)."""

    q: str = ""
    scope: str = "open"
    kind: str = ""
    status: str = ""
    due: str = ""
    assignee: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        """Filters from a query string; unknown values are ignored, not refused
        (a bookmarked link outlives a renamed option)."""

        def pick(name: str, allowed) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        try:
            page = max(1, int(args.get("page", 1)))
        except ValueError:
            page = 1
        return cls(
            q=args.get("q", "").strip()[:200],
            scope=pick("scope", SCOPES) or "open",
            kind=pick("type", ("access", "objection", "erasure")),
            status=pick("status", OPEN + CLOSED),
            due=pick("due", DUE_WINDOWS),
            assignee=pick("assignee", ASSIGNEES),
            page=page,
        )


def _status_sql(status: str, cutoff: str) -> tuple[str, list]:
    """The SQL of one effective status (cases.status.effective_status: an
    unverified request older than 14 days reads as expired)."""
    if status == "expired":
        return (
            "(status = 'expired' OR (status = 'pending_verification'"
            " AND received_at < ?))",
            [cutoff],
        )
    if status == "pending_verification":
        return "(status = 'pending_verification' AND received_at >= ?)", [cutoff]
    return "status = ?", [status]


def _live_sql() -> str:
    """Open and not expired (one parameter: the expiry cutoff)."""
    return (
        "(status IN ('in_review', 'needs_info') OR (status = 'pending_verification'"
        " AND received_at >= ?))"
    )


def _search_sql(q: str) -> tuple[str, list]:
    """Reference (the request id, or its start), name, e-mail or phone."""
    like = f"%{q.lower()}%"
    parts = ["id = ?", "id LIKE ?", "lower(full_name) LIKE ?", "email_canonical LIKE ?"]
    params: list = [q, q + "%", like, like]
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 4:  # a phone as typed: +49 170 …, 0049170…
        parts.append("phone LIKE ?")
        params.append(f"%{digits.lstrip('0')}%")
    return "(" + " OR ".join(parts) + ")", params


def find_cases(
    db: sqlite_utils.Database,
    at: datetime,
    filters: Filters,
    staff_id: int,
    per_page: int = PER_PAGE,
) -> dict:
    """One page of the queue for ``filters``: ``items`` (queue items with the
    requester's name and e-mail, assignee and note), ``total``, ``page``,
    ``pages`` and ``counts`` (open, closed and per effective status of the whole
    store, whatever the filters)."""
    cutoff = (at - UNVERIFIED_LIFETIME).isoformat()
    today = at.date()
    where: list[str] = []
    params: list = []
    if filters.status:
        sql, values = _status_sql(filters.status, cutoff)
    else:
        wanted = {"open": OPEN, "closed": CLOSED, "all": ()}[filters.scope]
        pieces = [_status_sql(s, cutoff) for s in wanted]
        sql = " OR ".join(p[0] for p in pieces)
        values = [v for p in pieces for v in p[1]]
    if sql:
        where.append(f"({sql})")
        params += values
    if filters.kind:
        where.append("type = ?")
        params.append(filters.kind)
    if filters.due:
        days = DUE_WINDOWS[filters.due]
        if days is None:
            where.append("due_at < ?")
            params.append(today.isoformat())
        else:
            where.append("due_at BETWEEN ? AND ?")
            params += [today.isoformat(), (today + timedelta(days=days)).isoformat()]
        where.append(_live_sql())
        params.append(cutoff)
    if filters.assignee == "mine":
        where.append("assignee_id = ?")
        params.append(staff_id)
    elif filters.assignee == "unassigned":
        where.append("assignee_id IS NULL")
    if filters.q:
        sql, values = _search_sql(filters.q)
        where.append(sql)
        params += values
    clause = " WHERE " + " AND ".join(where) if where else ""
    total = db.execute(f"SELECT count(*) FROM requests{clause}", params).fetchone()[0]
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    # Open work by its deadline; closed cases newest answer first.
    order = (
        "coalesce(decided_at, updated_at) DESC"
        if filters.scope == "closed" and not filters.status
        else "due_at, received_at"
    )
    rows = select_rows(
        db,
        f"SELECT {_QUEUE_COLUMNS}, full_name, email, phone, assignee_id, staff_note,"
        " extended_at,"
        " (SELECT email FROM staff_users WHERE id = assignee_id) AS assignee"
        f" FROM requests{clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page],
    )
    return {
        "items": [_listed(db, row, today, at) for row in rows],
        "total": total,
        "page": page,
        "pages": pages,
        "counts": _counts(db, cutoff, today),
    }


def _listed(db: sqlite_utils.Database, row: dict, today: date, at: datetime) -> dict:
    counts = db.execute(
        "SELECT count(*), coalesce(sum(confidence = 'weak'), 0) FROM matches"
        " WHERE request_id = ?",
        [row["id"]],
    ).fetchone()
    return {
        **_item(row, today, at, tuple(counts)),
        "full_name": row["full_name"],
        "email": row["email"],
        "phone": row["phone"],
        "assignee_id": row["assignee_id"],
        "assignee": row["assignee"],
        "note": row["staff_note"],
        "extended": bool(row["extended_at"]),
    }


def _counts(db: sqlite_utils.Database, cutoff: str, today: date) -> dict[str, int]:
    """Cases per effective status, open and closed, overdue and due soon."""
    live = (
        "(status IN ('in_review', 'needs_info') OR (status = 'pending_verification'"
        " AND received_at >= :c))"
    )
    row = db.execute(
        "SELECT"
        " sum(status = 'pending_verification' AND received_at >= :c),"
        " sum(status = 'in_review'), sum(status = 'needs_info'),"
        " sum(status = 'completed'), sum(status = 'rejected'),"
        " sum(status = 'expired' OR (status = 'pending_verification'"
        "   AND received_at < :c)),"
        f" sum({live} AND due_at < :t), sum({live} AND due_at BETWEEN :t AND :s)"
        " FROM requests",
        {"c": cutoff, "t": today.isoformat(), "s": (today + timedelta(7)).isoformat()},
    ).fetchone()
    counts = dict(zip(OPEN + CLOSED, (n or 0 for n in row[:6]), strict=True))
    return {
        **counts,
        "open": sum(counts[s] for s in OPEN),
        "closed": sum(counts[s] for s in CLOSED),
        "overdue": row[6] or 0,
        "due_soon": row[7] or 0,
    }


def assign(
    db: sqlite_utils.Database,
    request_id: str,
    assignee_id: int | None,
    actor: str,
    at: datetime,
) -> bool:
    """Give the case to staff user ``assignee_id`` (``None``: to nobody);
    returns whether it changed. Audited as ``case_assigned``.

    :raises BadInput: no legal or admin user of that id.
    """
    if (
        assignee_id is not None
        and not db.execute(
            "SELECT 1 FROM staff_users WHERE id = ? AND role IN ('legal', 'admin')",
            [assignee_id],
        ).fetchone()
    ):
        raise BadInput("assignee", "no legal staff user of that id")
    with write_transaction(db):
        before = request_row(db, request_id)["assignee_id"]
        if before == assignee_id:
            return False
        db.execute(
            "UPDATE requests SET assignee_id = ? WHERE id = ?",
            [assignee_id, request_id],
        )
        detail = {"from": before, "to": assignee_id}
        audit.append(db, actor, "case_assigned", request_id, detail, at)
    return True


def set_note(
    db: sqlite_utils.Database, request_id: str, note: str, actor: str, at: datetime
) -> bool:
    """Keep staff's note on the case (empty: none); returns whether it changed.
    The audit entry keeps the note's length, not its words: it may name people,
    and the log is never erased (audit.py)."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise BadInput("note", f"at most {NOTE_MAX} characters")
    with write_transaction(db):
        if (request_row(db, request_id)["staff_note"] or "") == note:
            return False
        db.execute(
            "UPDATE requests SET staff_note = ? WHERE id = ?",
            [note or None, request_id],
        )
        detail = {"characters": len(note)}
        audit.append(db, actor, "case_note_changed", request_id, detail, at)
    return True


def legal_staff(db: sqlite_utils.Database) -> list[dict]:
    """Who a case can be given to: legal and admin users, by e-mail."""
    return select_rows(
        db,
        "SELECT id, email FROM staff_users WHERE role IN ('legal', 'admin')"
        " ORDER BY email",
    )

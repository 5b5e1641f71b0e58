"""Telling the requester that their request was answered (by their verified e-mail),
and a decision taken together with that notice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import sqlite_utils

from dsr_app import messaging
from dsr_app.cases.status import new_status_link
from dsr_app.errors import NotFound
from dsr_app.i18n import language, text
from dsr_app.review.decisions import decide
from dsr_app.sql import write_transaction

# Decisions the requester hears about at once, by the status they leave.
NOTIFIED = ("completed", "rejected", "needs_info")


def notify_requester(
    db: sqlite_utils.Database, config: Mapping, request_id: str, at: datetime
) -> bool:
    """E-mail the verified address a link to the status page (never the letter
    itself, never to another address: docs/security.md L5)."""
    row = db.execute(
        "SELECT email, email_verified_at, language, status, extended_at FROM requests"
        " WHERE id = ?",
        [request_id],
    ).fetchone()
    if row is None or not row[1]:
        return False
    email, _, lang, status, extended = row
    if status not in NOTIFIED and not extended:
        return False
    lang = language(lang)
    with write_transaction(db):
        token = new_status_link(db, request_id, at)
    link = f"{str(config['PUBLIC_URL']).rstrip('/')}/r/{token}"
    key = "notice_needs_info" if status == "needs_info" else "notice_answered"
    if status not in NOTIFIED:
        key = "notice_extended"
    message = messaging.Message(
        "email", email, text(lang, f"{key}_subject"), text(lang, key, link=link)
    )
    return messaging.deliver(db, config, message)


def status_notice(
    db: sqlite_utils.Database,
    config: Mapping,
    request_id: str,
    key: str,
    at: datetime,
) -> messaging.Message | None:
    """The e-mail ``key`` (i18n ``<key>_subject`` and ``<key>`` with ``{link}``) to
    the verified address, in the person's language, with a new one-time status link;
    None without a verified address. Call inside the caller's transaction (the link
    is stored there) and deliver it after the commit."""
    row = db.execute(
        "SELECT email, email_verified_at, language FROM requests WHERE id = ?",
        [request_id],
    ).fetchone()
    if row is None or not row[1]:
        return None
    lang = language(row[2])
    token = new_status_link(db, request_id, at)
    link = f"{str(config['PUBLIC_URL']).rstrip('/')}/r/{token}"
    return messaging.Message(
        "email", row[0], text(lang, f"{key}_subject"), text(lang, key, link=link)
    )


def notify_if_changed(
    db: sqlite_utils.Database,
    config: Mapping,
    request_id: str,
    before: Mapping,
    at: datetime,
) -> bool:
    """Tell the requester only what is news: a new status, or a new due date after
    an extension (a follow-up list does not answer them twice)."""
    row = db.execute(
        "SELECT status, due_at FROM requests WHERE id = ?", [request_id]
    ).fetchone()
    if row is None or (row[0] == before["status"] and row[1] == before["due_at"]):
        return False
    return notify_requester(db, config, request_id, at)


def decide_and_notify(
    db: sqlite_utils.Database,
    config: Mapping,
    request_id: str,
    decision: str,
    staff: dict,
    at: datetime,
    reason: str | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    instance: Path | None = None,
    **chosen,
) -> dict:
    """Take ``decision`` on a request (``decisions.decide``), then tell the
    requester what is news to them; returns the request's new state. ``chosen``:
    ``decide``'s ``erasure_ground``, ``reason_codes`` and ``ground_required``.

    :raises NotFound: no such request (before anything else is checked).
    :raises Conflict, BadInput: as ``decisions.decide``; nothing is sent then.
    """
    row = db.execute(
        "SELECT status, due_at FROM requests WHERE id = ?", [request_id]
    ).fetchone()
    if row is None:
        raise NotFound("not found")
    state = decide(
        db,
        request_id,
        decision,
        staff,
        at,
        reason,
        include,
        exclude,
        instance,
        config,
        **chosen,
    )
    notify_if_changed(db, config, request_id, {"status": row[0], "due_at": row[1]}, at)
    return state

"""The end of a removal: when training teams have acknowledged every dataset
version a request's removal lists touch, the requester gets a removal-complete
letter (kept as issued) and an e-mail (issue 18, item 4).

The approval letter says only what will be removed and when the list went to the
training teams; this letter is the one that says it is done, with each version and
the date its removal was confirmed, because only then does the record prove it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from dsr_app import messaging
from dsr_app.removal.versions import request_versions
from dsr_app.review import issued
from dsr_app.review.notices import status_notice


def complete_if_done(
    db: sqlite_utils.Database,
    config: Mapping,
    request_id: str,
    at: datetime,
    actor: str,
) -> messaging.Message | None:
    """Issue the removal-complete letter if every version is acknowledged now and
    no such letter was issued before; returns the e-mail to send once the caller's
    transaction commits (None when nothing was issued).

    Call inside the transaction of the acknowledgement: the letter and the
    acknowledgement that completes the removal commit together, and the check for an
    earlier letter runs under the write lock, so a request gets one, ever.
    """
    versions = request_versions(db, request_id)
    if not versions or any(v["acknowledged_at"] is None for v in versions):
        return None
    if db.execute(
        "SELECT 1 FROM issued_letters WHERE request_id = ?"
        " AND kind = 'removal_complete'",
        [request_id],
    ).fetchone():
        return None
    # Dated the last acknowledgement: the day the record shows it complete.
    last = max(datetime.fromisoformat(v["acknowledged_at"]) for v in versions)
    issued.issue(db, config, request_id, last, actor, template="removal_complete")
    return status_notice(db, config, request_id, "notice_removal_complete", at)

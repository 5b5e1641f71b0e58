"""Which registry accounts a requester owns: those whose e-mail or phone equals a
channel they verified."""

from __future__ import annotations

import sqlite_utils

from dsr_app.cases.status import request_row
from dsr_app.corpus.accounts import accounts_owned_by
from dsr_app.sql import write_transaction


def resolve_ownership(db: sqlite_utils.Database, request_id: str) -> list[str]:
    """Record the registry accounts whose e-mail or phone equals a verified channel.

    Canonical forms only (docs/security.md L1): nothing else makes an account owned, and
    a handle the requester named is verified only if an owned account has it.
    """
    row = request_row(db, request_id)
    owned: dict[str, set[str]] = {}
    if row["email_verified_at"]:
        for account in accounts_owned_by(db, email=row["email"]):
            owned.setdefault(account["account_id"], set()).add("email")
    if row["phone_verified_at"] and row["phone"]:
        for account in accounts_owned_by(db, phone=row["phone"]):
            owned.setdefault(account["account_id"], set()).add("phone")
    with write_transaction(db):
        for account_id, channels in owned.items():
            for via in channels:
                db.execute(
                    "INSERT OR IGNORE INTO owned_accounts (request_id, account_id, via)"
                    " VALUES (?, ?, ?)",
                    [request_id, account_id, via],
                )
        db.execute(
            "UPDATE request_handles SET verified = 1 WHERE request_id = ? AND handle IN"
            " (SELECT a.handle FROM owned_accounts o JOIN accounts a"
            " ON a.account_id = o.account_id WHERE o.request_id = ?)",
            [request_id, request_id],
        )
    return sorted(owned)

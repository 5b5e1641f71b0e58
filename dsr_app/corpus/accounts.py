"""The platform account registry: import, and which accounts a verified channel owns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import sqlite_utils

from dsr_app.corpus.manifests import Limits, jsonl_lines
from dsr_app.errors import BadInput
from dsr_app.identifiers import canonical_email, normalise_handle, parse_phone
from dsr_app.schemas.records import AccountSchema
from dsr_app.sql import select_rows, write_transaction

_SCHEMA = AccountSchema()
_COLUMNS = ("handle", "display_name", "email", "phone", "country", "birth_date")


@dataclass(frozen=True)
class AccountsReport:
    """What one registry import did."""

    inserted: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"{self.inserted:,} accounts added, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )


def _account_row(rec: object, path: Path, line_no: int) -> dict:
    """Validate one registry line and build its row, or raise naming field and line."""

    def bad(field: str, reason: str) -> BadInput:
        return BadInput(f"{path}:{line_no}", f"{field}: {reason}" if field else reason)

    if not isinstance(rec, dict):
        raise bad("", "not a JSON object")
    rec = {k: v for k, v in rec.items() if v is not None}
    errors = _SCHEMA.validate(rec)
    if errors:
        field = sorted(errors)[0]
        raise bad(field, " ".join(map(str, errors[field])))
    row = {"account_id": rec["account_id"], **{c: rec.get(c) for c in _COLUMNS}}
    if row["phone"] is not None:
        # The platform's own registry must hold real numbers: valid, not just possible.
        e164 = parse_phone(row["phone"], rec.get("country"), valid=True)
        if e164 is None:
            raise bad("phone", f"{row['phone']!r} is not a valid phone number")
        row["phone"] = e164
    if row["email"] is not None:
        if "@" not in row["email"]:
            raise bad("email", "not an e-mail address")
        row["email_canonical"] = canonical_email(row["email"])
    else:
        row["email_canonical"] = None
    if row["handle"] is not None:
        row["handle"] = normalise_handle(row["handle"])
    if row["country"] is not None:
        row["country"] = row["country"].upper()
    extra = {k: v for k, v in rec.items() if k not in row and k != "email_canonical"}
    row["extra"] = orjson.dumps(extra).decode() if extra else None
    return row


def import_accounts(
    db: sqlite_utils.Database, path: str | Path, limits: Limits | None = None
) -> AccountsReport:
    """Upsert every account of a JSONL registry file in one transaction.

    :raises BadInput: ``file:line: field: reason`` for the first bad line; nothing is
        stored then.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput(str(path), "no such file")
    inserted = updated = unchanged = 0
    columns = ("account_id", *_COLUMNS, "email_canonical", "extra")
    with write_transaction(db):
        for line_no, raw in jsonl_lines(path, limits or Limits()):
            try:
                rec = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise BadInput(f"{path}:{line_no}", f"not valid JSON: {exc}") from exc
            row = _account_row(rec, path, line_no)
            values = [row[c] for c in columns]
            old = db.execute(
                f"SELECT {', '.join(columns)} FROM accounts WHERE account_id = ?",
                [row["account_id"]],
            ).fetchone()
            if old is None:
                inserted += 1
            elif list(old) == values:
                unchanged += 1
                continue
            else:
                updated += 1
            db.execute(
                f"INSERT INTO accounts ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
                " ON CONFLICT (account_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in columns[1:]),
                values,
            )
    return AccountsReport(inserted, updated, unchanged)


def accounts_owned_by(
    db: sqlite_utils.Database, email: str | None = None, phone: str | None = None
) -> list[dict]:
    """Accounts whose e-mail or phone equals a verified channel (canonical forms)."""
    clauses, params = [], []
    if email:
        clauses.append("email_canonical = ?")
        params.append(canonical_email(email))
    if phone:
        clauses.append("phone = ?")
        params.append(phone)
    if not clauses:
        return []
    return select_rows(
        db,
        f"SELECT * FROM accounts WHERE {' OR '.join(clauses)} ORDER BY account_id",
        params,
    )

"""The audit log: append-only, each entry chained to the one before and keyed.

Each entry holds the SHA-256 of its fields and of the link of the entry before it,
and (from migration m014 on) an HMAC-SHA-256 of the same under an instance secret
kept outside the store (``audit_hmac_key`` in the instance folder). Editing,
removing or reordering an entry breaks the chain, which ``verify`` (and
``dsr audit verify``) reports with the first bad entry; without the key, whoever
can write the store cannot make a rewritten entry check again (issue 16, finding
14). Triggers refuse UPDATE and DELETE; the chain catches changes made around
them. A removed tail leaves no gap in the chain: the signed anchors of anchors.py
find it.

Stores older than m014 hold unkeyed entries (``mac`` NULL). The migration seals
them: it appends a keyed entry whose link is the last unkeyed entry's hash. So an
unkeyed entry is valid only before the first keyed one, and a log whose last entry
is unkeyed is refused: making keyed entries look unkeyed (a "downgrade") is found
as surely as editing them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils

from dsr_app import config
from dsr_app.errors import Unavailable
from dsr_app.sql import write_transaction

GENESIS = "0" * 64
KEY_FILE = "audit_hmac_key"

# Keys by instance folder: read once per process, not at every entry.
_keys: dict[Path, bytes] = {}


def _canonical(
    seq: int,
    at: str,
    actor: str,
    action: str,
    request_id: str | None,
    detail: str,
    prev_hash: str,
) -> bytes:
    return json.dumps(
        [seq, at, actor, action, request_id, detail, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def entry_hash(*fields) -> str:
    """SHA-256 over an entry's fields and its predecessor's link (the old scheme)."""
    return hashlib.sha256(_canonical(*fields)).hexdigest()


def entry_mac(key: bytes, *fields) -> str:
    """HMAC-SHA-256 over the same fields under the instance's audit key."""
    return hmac.new(key, _canonical(*fields), hashlib.sha256).hexdigest()


def store_file(db: sqlite_utils.Database) -> Path:
    """The file of ``db``'s main database."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    raise Unavailable("the audit log needs a store on disk")


def instance_of(db: sqlite_utils.Database) -> Path:
    """The instance folder of ``db``'s store, found as the CLI and the app find it
    (config.instance_dir: the app's INSTANCE_DIR, ``DSR_INSTANCE_DIR``, else the
    store's folder).

    From the store's path rather than passed in, so that every writer (views, CLI
    commands, background jobs, migrations) keys with the same secret without a
    global connection or a parameter threaded through every caller.
    """
    return config.instance_dir(store_file(db))


def key_path(db: sqlite_utils.Database) -> Path:
    """Where ``db``'s audit key lives."""
    return instance_of(db) / KEY_FILE


def _key(db: sqlite_utils.Database, create: bool) -> bytes | None:
    """The audit key; made when ``create`` (a log with no keyed entry yet), else
    None when there is no key file."""
    folder = instance_of(db).resolve()
    if folder in _keys:
        return _keys[folder]
    path = folder / KEY_FILE
    if not path.exists() and not create:
        return None
    key = config.instance_secret(folder, KEY_FILE)
    _keys[folder] = key
    return key


def _insert(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    request_id: str | None,
    detail: Mapping,
    at: datetime,
) -> int:
    last = db.execute(
        "SELECT seq, hash, mac FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    seq, prev = (last[0] + 1, last[2] or last[1]) if last else (1, GENESIS)
    keyed_before = bool(last and last[2])
    key = _key(db, create=not keyed_before)
    if key is None:
        # Keying on with a new key would cut the chain from its past: stop instead.
        raise Unavailable(f"{key_path(db)} is missing: restore it from a backup")
    body = json.dumps(dict(detail), ensure_ascii=False, sort_keys=True)
    fields = (seq, at.isoformat(), actor, action, request_id, body, prev)
    db.execute(
        "INSERT INTO audit_log (seq, at, actor, action, request_id, detail, prev_hash,"
        " hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [*fields, entry_hash(*fields), entry_mac(key, *fields)],
    )
    return seq


def append(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    request_id: str | None,
    detail: Mapping,
    at: datetime,
) -> int:
    """Add an entry; returns its number.

    Inside the caller's transaction when there is one (the entry commits with the
    change it records); otherwise in its own write transaction, so that two writers
    never take the same number.
    """
    if not db.conn.in_transaction:
        with write_transaction(db):
            return _insert(db, actor, action, request_id, detail, at)
    return _insert(db, actor, action, request_id, detail, at)


def seal_unkeyed(db: sqlite_utils.Database, at: datetime) -> int | None:
    """Seal the unkeyed entries of an older store with a keyed entry (migration
    m014); returns its number, or None when there is nothing to seal."""
    last = db.execute(
        "SELECT seq, hash, mac FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    if last is None or last[2]:
        return None
    detail = {"unkeyed_entries": last[0], "unkeyed_head": last[1]}
    return _insert(db, "system", "audit_keyed", None, detail, at)


def head(db: sqlite_utils.Database) -> tuple[int, int, str]:
    """The log's entry count, last entry number and its link (MAC, else hash)."""
    row = db.execute(
        "SELECT (SELECT count(*) FROM audit_log), seq, coalesce(mac, hash)"
        " FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    return (row[0], row[1], row[2]) if row else (0, 0, GENESIS)


@dataclass(frozen=True)
class AuditCheck:
    """The result of checking the chain."""

    entries: int
    first_bad: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify(db: sqlite_utils.Database) -> AuditCheck:
    """Walk the chain; report the first entry that was edited, removed, moved or
    stripped of its key."""
    key = _key(db, create=False)
    prev, expected_seq, count, keyed = GENESIS, 1, 0, False
    for row in db.execute(
        "SELECT seq, at, actor, action, request_id, detail, prev_hash, hash, mac"
        " FROM audit_log ORDER BY seq"
    ):
        *fields, stored, mac = row
        seq, prev_hash = fields[0], fields[-1]
        count += 1
        if seq != expected_seq:
            return AuditCheck(count, seq, f"entry {expected_seq} is missing")
        if prev_hash != prev:
            return AuditCheck(count, seq, "does not follow the entry before it")
        if entry_hash(*fields) != stored:
            return AuditCheck(count, seq, "its content was changed")
        if mac is None:
            if keyed:
                return AuditCheck(count, seq, "not keyed, after keyed entries")
        elif key is None:
            return AuditCheck(
                count, seq, f"cannot be checked: {key_path(db)} is missing"
            )
        elif not hmac.compare_digest(str(mac), entry_mac(key, *fields)):
            return AuditCheck(
                count, seq, "its content was changed (its key's MAC does not check)"
            )
        else:
            keyed = True
        prev, expected_seq = mac or stored, seq + 1
    if count and not keyed:
        # m014 sealed every older store: an unkeyed tail is a stripped one.
        return AuditCheck(count, count, "not keyed, and no keyed entry seals it")
    return AuditCheck(count)


def trail(db: sqlite_utils.Database, request_id: str) -> list[dict]:
    """A request's entries, oldest first."""
    return [
        {**row, "detail": json.loads(row["detail"])}
        for row in db.query(
            "SELECT seq, at, actor, action, detail FROM audit_log"
            " WHERE request_id = ? ORDER BY seq",
            [request_id],
        )
    ]

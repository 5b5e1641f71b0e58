"""Signed anchors of the audit log's head, appended to a file outside the store.

The keyed chain (audit.py) finds an edited entry, but not a removed tail: the
entries left still chain. An anchor is the head as it was (entry count, last entry
and its MAC, time) signed with the instance's Ed25519 key (signing.py's canonical
JSON), one JSON line each in ``audit_anchors.jsonl`` of the instance folder, or in
``DSR_AUDIT_ANCHOR_PATH`` (other storage than the store's). One is written after
every decision (decisions.decide), at ``dsr serve`` start and by
``dsr audit anchor`` (cron); ``verify_log`` holds the log to every one of them
(issue 16, finding 14).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlite_utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from dsr_app import audit, config, signing

ANCHOR_FILE = "audit_anchors.jsonl"
# Named in every anchor, so that no other document this key signs (a removal
# list) can pass for one.
KIND = "dsr_audit_anchor"


def anchor_path(db: sqlite_utils.Database) -> Path:
    """The anchor file of ``db``'s store."""
    configured = config.store_paths(audit.store_file(db))["AUDIT_ANCHOR_PATH"]
    return Path(str(configured)) if configured else audit.instance_of(db) / ANCHOR_FILE


class AnchorRefused(Exception):
    """An anchor would vouch for a log whose earlier anchors are gone."""


def write_anchor(
    db: sqlite_utils.Database, at: datetime, after_decision: bool = False
) -> dict:
    """Sign the log's head and append it to the anchor file; returns the anchor.

    ``after_decision``: called right after a decision's commit, whose own entry
    needs no earlier anchor.

    :raises AnchorRefused: the anchor file is missing or empty while the
        log holds decisions that each wrote one: a fresh file would vouch for a
        log that may have been cut (issue 16, finding 14). Restore the file.
    """
    path = anchor_path(db)
    # Only whether the file is there: reading and checking every anchor at every
    # decision would grow with the file. Lines that are not anchors are found by
    # verify_log.
    missing = not path.exists() or path.stat().st_size == 0
    if missing and _decisions(db) > int(after_decision):
        raise AnchorRefused(
            f"no audit anchor in {path}, yet the log holds decisions"
            " that each wrote one: restore the anchor file from a backup"
        )
    entries, seq, link = audit.head(db)
    document = signing.sign(
        {
            "type": KIND,
            "entries": entries,
            "seq": seq,
            "mac": link,
            "at": at.isoformat(),
        },
        audit.instance_of(db),
    )
    line = json.dumps(document, sort_keys=True, separators=(",", ":"))
    append_line(path, line.encode() + b"\n")
    return document


def append_line(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (mode 0600) in one write, on disk when it returns.

    O_APPEND puts concurrent writers' lines one after the other; a line a crash
    left without its newline is closed first, so that the next one stays whole.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        held = os.fstat(fd)
        if not stat.S_ISREG(held.st_mode):
            raise OSError(f"{path} is not a regular file")
        if held.st_mode & 0o077:
            os.fchmod(fd, 0o600)
        if held.st_size and os.pread(fd, 1, held.st_size - 1) != b"\n":
            data = b"\n" + data
        if os.write(fd, data) != len(data):
            raise OSError(f"{path}: short write (disk full?)")
        os.fsync(fd)
    finally:
        os.close(fd)
    if not held.st_size:  # a new file: make its name durable too
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@dataclass(frozen=True)
class Anchor:
    """A valid anchor: its line in the file and the head it vouches for."""

    line: int
    entries: int
    seq: int
    mac: str
    at: str


@dataclass(frozen=True)
class AnchorFile:
    """What the anchor file holds."""

    path: Path
    exists: bool
    anchors: list[Anchor] = field(default_factory=list)
    torn: list[int] = field(default_factory=list)  # lines that are not whole JSON
    forged: list[int] = field(default_factory=list)  # whole, but not signed by us


def _public_key(db: sqlite_utils.Database) -> Ed25519PublicKey | None:
    """The instance's public key, or None without a key file (never made here)."""
    path = audit.instance_of(db) / signing.KEY_FILE
    if not path.exists():
        return None
    return serialization.load_pem_private_key(
        path.read_bytes(), password=None
    ).public_key()


def _anchor(document: object, line: int, public: Ed25519PublicKey | None):
    """The anchor a parsed line holds, or None when it is not one we signed."""
    if not isinstance(document, dict) or document.get("type") != KIND:
        return None
    if public is None or not signing.verify(document, public):
        return None
    entries, seq = document.get("entries"), document.get("seq")
    mac, at = document.get("mac"), document.get("at")
    if not (type(entries) is int and type(seq) is int and entries >= 0 and seq >= 0):
        return None
    if not (isinstance(mac, str) and isinstance(at, str)):
        return None
    return Anchor(line, entries, seq, mac, at)


def read_anchors(db: sqlite_utils.Database) -> AnchorFile:
    """Parse the anchor file, checking each line's signature."""
    path = anchor_path(db)
    try:
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        return AnchorFile(path, exists=False)
    found = AnchorFile(path, exists=True)
    public = _public_key(db)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            document = json.loads(raw)
        except ValueError:  # an interrupted write (or garbage): no claim either way
            found.torn.append(number)
            continue
        anchor = _anchor(document, number, public)
        if anchor is None:
            found.forged.append(number)
        else:
            found.anchors.append(anchor)
    return found


@dataclass(frozen=True)
class LogCheck:
    """The chain checked, and held to the anchors."""

    chain: audit.AuditCheck
    anchors: AnchorFile
    first_bad: int | None = None  # an entry the anchors find missing or changed
    reason: str = ""
    anchor_problem: str = ""

    @property
    def ok(self) -> bool:
        """Whether nothing proves tampering: the chain checks, no anchor finds an
        entry missing or changed, and the anchor file is neither forged nor gone
        while the log holds decisions (warnings aside)."""
        return self.chain.ok and self.first_bad is None and not self.anchor_problem

    @property
    def latest(self) -> Anchor | None:
        """The last valid anchor in the file (the newest head vouched for), or
        None when it holds none."""
        return self.anchors.anchors[-1] if self.anchors.anchors else None

    @property
    def warnings(self) -> list[str]:
        """What weakens the check without proving tampering."""
        path = self.anchors.path
        said = [
            f"line {n} of {path} is torn or not JSON (an interrupted write?); ignored"
            for n in self.anchors.torn
        ]
        if not self.anchors.anchors and not self.anchor_problem:
            said.append(
                f"no audit anchor in {path}: a removed tail of the log would go"
                " unnoticed (run `dsr audit anchor`)"
            )
        return said


def _decisions(db: sqlite_utils.Database) -> int:
    """How many keyed decision entries the log holds.

    ``decisions.decide`` writes an anchor after each one, so a log holding one has
    had an anchor file. Unkeyed ones (written before m014, when nothing anchored)
    do not count.
    """
    return db.execute(
        "SELECT count(*) FROM audit_log WHERE substr(action, 1, 9) = 'decision_'"
        " AND mac IS NOT NULL"
    ).fetchone()[0]


def verify_log(db: sqlite_utils.Database) -> LogCheck:
    """Check the keyed chain, then every anchor against it: a forged anchor, fewer
    entries than one anchored, or an anchored entry that differs, fail; so does an
    anchor file missing or emptied while the log holds a decision (each decision
    writes an anchor, so its file was deleted: issue 16, finding 14)."""
    chain = audit.verify(db)
    found = read_anchors(db)
    if not chain.ok:
        return LogCheck(chain, found)
    if not found.anchors and not found.forged:
        decided = _decisions(db)
        if decided:
            problem = (
                f"no audit anchor in {found.path}, yet the log holds {decided:,}"
                " decision entries and each decision writes one: the anchor file"
                " was deleted or emptied (restore it from a backup)"
            )
            return LogCheck(chain, found, anchor_problem=problem)
    if found.forged:
        line = found.forged[0]
        if _public_key(db) is None:
            problem = f"{signing.KEY_FILE} is missing: the anchors cannot be checked"
        else:
            problem = f"line {line} of {found.path}: its signature does not check"
        return LogCheck(chain, found, anchor_problem=problem)
    worst: tuple[int, str] | None = None
    for anchor in found.anchors:
        where = f"the anchor of {anchor.at} (line {anchor.line} of {found.path})"
        if anchor.entries > chain.entries or anchor.seq > chain.entries:
            bad = (chain.entries + 1, f"missing: {where} holds {anchor.entries:,}")
        else:
            row = db.execute(
                "SELECT coalesce(mac, hash) FROM audit_log WHERE seq = ?", [anchor.seq]
            ).fetchone()
            link = row[0] if row else audit.GENESIS
            if link == anchor.mac:
                continue
            bad = (anchor.seq, f"differs from {where}")
        worst = min(worst or bad, bad)
    if worst:
        return LogCheck(chain, found, first_bad=worst[0], reason=worst[1])
    return LogCheck(chain, found)

"""The index behind a person's links and passages (issue 20, item 3): each record's
URL in its normal form (``record_urls``) and its passage prints (``passage_prints``,
passages.py), kept up to ``pointer_index.indexed_to``.

It is filled off the ingest path, which stays as fast as before
(docs/benchmarks.md): ``dsr ingest`` queues a ``pointer_index`` job
(cases/jobs.py) that the job runner works off in slices, the prints made in forked
workers, one per core; a search catches up inline only on a few new records
(``catch_up``). Until the job has caught up, a search finds links and passages in
the records indexed so far; the job searches again, when it is done, every request
that gave a link or a passage, and staff see how many records wait
(``unindexed``).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import idna
import sqlite_utils

from dsr_app.matching import passages
from dsr_app.pool import fork_map
from dsr_app.sql import write_transaction

# Query parameters that say how a link was shared, not what it shows.
TRACKING_PARAMS = frozenset(
    (
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "_ga",
        "si",
        "ref_src",
        "ref_url",
    )
)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_SPACE = re.compile(r"\s")
CHUNK = 2000  # records' ids in one worker's part and one write transaction
# At most this many new records a search indexes itself (a second or two); more
# are the job's.
INLINE_LIMIT = 20_000
# Fewer new records than this are indexed in this process: forking costs more.
FORK_FROM = 4 * CHUNK


def url_key(value: str) -> str | None:
    """The normal form of a URL, or ``None`` if ``value`` is not an http(s) URL.

    Scheme, ``www.``, default port, user, fragment, trailing slash and tracking
    parameters (``utm_*``, ``fbclid``, …) dropped; host lower-case and in IDNA;
    the path's escapes made uniform; other parameters sorted:
    ``HTTPS://WWW.Example.com/p/1/?utm_source=x#c`` is ``example.com/p/1``.
    """
    text = value.strip()
    if not text or _SPACE.search(text):
        return None
    if text[:4].lower() == "www.":
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            pass  # kept as written (lower-cased)
    host = host.removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE).rstrip("/")
    params = sorted(
        (name, val)
        for name, val in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMS
    )
    query = urlencode(params)
    return host + path + ("?" + query if query else "")


def url_hash(key: str) -> int:
    """``record_urls.url_hash`` of a URL's normal form (63 bits)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest()) >> 1


def unindexed(db: sqlite_utils.Database) -> int:
    """How many records the index does not hold yet."""
    (count,) = db.execute(
        "SELECT count(*) FROM records WHERE id > (SELECT indexed_to FROM pointer_index)"
    ).fetchone()
    return count


def catch_up(db: sqlite_utils.Database) -> bool:
    """Index the new records if they are few (``INLINE_LIMIT``), for a search about
    to read the index; whether the index now holds every record."""
    waiting = unindexed(db)
    if 0 < waiting <= INLINE_LIMIT:
        refresh_index(db, workers=1)
        waiting = unindexed(db)
    return waiting == 0


def refresh_index(
    db: sqlite_utils.Database, limit: int | None = None, workers: int | None = None
) -> int:
    """Index the URLs and passage prints of records added since the last refresh
    (about ``limit`` of them at most); returns how many records it indexed.

    The prints are made by ``workers`` forked processes (default: one per core
    when there are ``FORK_FROM`` records or more), each reading its parts of the
    records through a connection of its own; this process writes them, one part
    per write transaction, so that other writers wait a moment, not for the whole
    corpus. Two processes refreshing at once take turns: each part is written
    past what the index holds when its transaction begins.
    """
    (done,) = db.execute("SELECT indexed_to FROM pointer_index").fetchone()
    (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()
    if limit is not None:
        newest = min(newest, done + limit)
    parts = [(low, min(low + CHUNK, newest)) for low in range(done, newest, CHUNK)]
    path = _file_of(db)
    if workers is None:
        workers = (os.cpu_count() or 1) if newest - done >= FORK_FROM else 1
    if not path:  # a store in memory: no other connection can read it
        workers = 1
    count = 0
    for (_, high), entries in zip(
        parts,
        fork_map(_entries, parts, workers, _open_reader, (path, db.conn, os.getpid())),
        strict=True,
    ):
        with write_transaction(db):
            (now,) = db.execute("SELECT indexed_to FROM pointer_index").fetchone()
            if now >= high:
                continue  # another process indexed this part meanwhile
            fresh = [e for e in entries if e[0] > now]
            db.conn.executemany(
                "INSERT INTO passage_prints (rowid, prints) VALUES (?, ?)",
                [(record, prints) for record, prints, _ in fresh if prints],
            )
            db.conn.executemany(
                "INSERT OR IGNORE INTO record_urls (url_hash, record) VALUES (?, ?)",
                [(url, record) for record, _, url in fresh if url is not None],
            )
            db.execute("UPDATE pointer_index SET indexed_to = ?", [high])
        count += len(fresh)
    _close_reader()
    return count


def forget(db: sqlite_utils.Database, record: int) -> None:
    """Take a record out of the pointer index before its text and URL are erased
    (removal.lists.purge, Art. 17); inside the caller's transaction."""
    (done,) = db.execute("SELECT indexed_to FROM pointer_index").fetchone()
    row = db.execute("SELECT text, url FROM records WHERE id = ?", [record]).fetchone()
    if record > done or row is None:
        return
    _, prints, url = _entry(record, row[0], row[1])
    if prints:  # contentless FTS5: deleted with the very tokens it was given
        db.execute(
            "INSERT INTO passage_prints (passage_prints, rowid, prints)"
            " VALUES ('delete', ?, ?)",
            [record, prints],
        )
    if url is not None:
        db.execute(
            "DELETE FROM record_urls WHERE url_hash = ? AND record = ?", [url, record]
        )


def _entry(record: int, text: str | None, url: str | None):
    """One record's row for the index: (id, its prints as passages.tokens, the
    hash of its URL's normal form or None)."""
    key = url_key(url) if url else None
    return (
        record,
        passages.tokens(text) if text else "",
        url_hash(key) if key is not None else None,
    )


_reader: sqlite3.Connection | None = None  # the records a part is read from


def _file_of(db: sqlite_utils.Database) -> str:
    """The store's file ("" for one in memory)."""
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main":
            return file or ""
    return ""


def _open_reader(path: str, conn: sqlite3.Connection, caller: int) -> None:
    """A forked worker's own read-only connection to the store at ``path``; the
    caller's ``conn`` when the parts are made in the caller's process (``caller``,
    its process id)."""
    global _reader
    if os.getpid() == caller:
        _reader = conn
    else:  # never a connection opened before the fork (SQLite's rule)
        _reader = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)


def _close_reader() -> None:
    global _reader
    _reader = None  # the caller's connection is the caller's to close


def _entries(part: tuple[int, int]) -> list[tuple[int, str, int | None]]:
    """The index rows of the records whose ids are in ``part`` (low, high]."""
    return [
        _entry(*row)
        for row in _reader.execute(
            "SELECT id, text, url FROM records WHERE id > ? AND id <= ? ORDER BY id",
            part,
        )
    ]

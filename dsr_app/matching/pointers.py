"""Items a person points to (contract section 5 v2, ``pointers``; issue 20, item 3):
the URL or record id of an item they say is about them, or a passage they quote.

A URL is looked up by its normal form among the records' ``url`` field, an id among
their ``record_id`` in every dataset version, a passage by near-duplicate search
(passages.py); any text that is not a URL is tried as an id and as a passage. What
is found is a ``pointer`` match, weak unless another rule proves the same record
(then as strong as that rule): the person's word that an item is about them is not
proof, so it is disclosed only once staff include it (Art. 15(4): the rights of
others).

The URL and passage lookups read the index of pointer_index.py, which a job keeps
up with the records off the ingest path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlite_utils

from dsr_app.corpus.record import STORED_COLUMNS, policy_flag_names
from dsr_app.matching import passages
from dsr_app.matching.identity import Identity, Match
from dsr_app.matching.masking import snippet
from dsr_app.matching.pointer_index import catch_up, url_hash, url_key

POINTER = "pointer"  # matched_on of an item found from the person's pointers
_CONFIDENCE = ("verified", "probable", "weak")  # strongest first
_COLUMNS = ", ".join(STORED_COLUMNS)


def save_pointers(
    db: sqlite_utils.Database, request_id: str, values: Iterable[str], at: datetime
) -> int:
    """Keep ``values`` (validated) with the request, after those it has; the same
    value again is kept once. Call inside the caller's transaction; returns how many
    were new."""
    (last,) = db.execute(
        "SELECT coalesce(max(position), 0) FROM request_pointers WHERE request_id = ?",
        [request_id],
    ).fetchone()
    added = 0
    for value in values:
        added += db.execute(
            "INSERT OR IGNORE INTO request_pointers (request_id, position, value,"
            " added_at) VALUES (?, ?, ?, ?)",
            [request_id, last + added + 1, value, at.isoformat()],
        ).rowcount
    return added


def pointers_of(db: sqlite_utils.Database, request_id: str) -> list[str]:
    """The request's pointers, in the order given."""
    return [
        r[0]
        for r in db.execute(
            "SELECT value FROM request_pointers WHERE request_id = ? ORDER BY position",
            [request_id],
        )
    ]


def _records(db: sqlite_utils.Database, where: str, params: list) -> list[dict]:
    return [
        dict(zip(STORED_COLUMNS, row, strict=True))
        for row in db.execute(
            f"SELECT {_COLUMNS} FROM records WHERE {where} AND text IS NOT NULL",
            params,
        )
    ]


def pointed_records(
    db: sqlite_utils.Database, value: str, versions: Iterable[tuple[str, str]]
) -> list[tuple[dict, tuple[int, int]]]:
    """The records one pointer leads to, each with the span of its text to show:
    by URL, else by record id in each of ``versions`` and as a passage.

    Reads the index as it stands (pointer_index.py).
    """
    key = url_key(value)
    if key is not None:
        return [
            (r, (0, 0))
            for r in _records(
                db,
                "id IN (SELECT record FROM record_urls WHERE url_hash = ?)",
                [url_hash(key)],
            )
            if url_key(_url(db, r["id"]) or "") == key  # a hash is not the URL
        ]
    found = []
    record_id = value.strip()
    if record_id and len(record_id) <= 1000 and "\n" not in record_id:
        for dataset, version in versions:
            found.extend(
                (r, (0, 0))
                for r in _records(
                    db,
                    "dataset = ? AND dataset_version = ? AND record_id = ?",
                    [dataset, version, record_id],
                )
            )
    hits = [record for record, _ in passages.find(db, value)]
    if hits:
        marks = ",".join("?" * len(hits))
        found.extend(
            (r, passages.overlap_span(value, r["text"]))
            for r in _records(db, f"id IN ({marks})", hits)
        )
    return found


def _url(db: sqlite_utils.Database, record: int) -> str | None:
    return db.execute("SELECT url FROM records WHERE id = ?", [record]).fetchone()[0]


def pointer_matches(
    db: sqlite_utils.Database,
    identity: Identity,
    found: Iterable[Match],
    versions: Iterable[tuple[str, str]],
) -> list[Match]:
    """The ``pointer`` matches of a request's pointers, one per record.

    Weak unless ``found`` (the other rules' matches of this search) proves the same
    record, then as strong as its strongest match there (contract section 5).
    """
    values = pointers_of(db, identity.request_id)
    if not values:
        return []
    if searches_index(db, identity.request_id):
        catch_up(db)  # a few new records; more are the pointer_index job's
    versions = list(versions)
    proven: dict[tuple[str, str, str], str] = {}
    for m in found:
        item = (m.dataset, m.dataset_version, m.record_id)
        known = proven.get(item, "weak")
        proven[item] = min(known, m.confidence, key=_CONFIDENCE.index)
    records: dict[int, tuple[dict, tuple[int, int]]] = {}
    for value in values:
        for record, span in pointed_records(db, value, versions):
            records.setdefault(record["id"], (record, span))
    matches = []
    for record, span in records.values():
        item = (record["dataset"], record["dataset_version"], record["record_id"])
        matches.append(
            Match(
                identity.request_id,
                *item,
                "mention",
                POINTER,
                proven.get(item, "weak"),
                snippet(record["text"], span, identity, record),
                tuple(policy_flag_names(int(record["policy_flags"] or 0))),
                rule=POINTER,
                # The longest run of a passage's words in the text, for the case
                # page to mark (none for a link or an id).
                matched_words=record["text"][span[0] : span[1]],
            )
        )
    return matches


def searches_index(db: sqlite_utils.Database, request_id: str) -> bool:
    """Whether the request gave a link or a passage, which the pointer index finds
    (an id needs none of ours)."""
    return any(pointer_kind(v) != "id" for v in pointers_of(db, request_id))


def pointer_kind(value: str) -> str:
    """``url``, ``passage`` (enough words to be searched as one) or ``id``."""
    if url_key(value) is not None:
        return "url"
    if len(passages.folded_words(value)) >= passages.MIN_WORDS:
        return "passage"
    return "id"


def leads_to(value: str, record: Mapping, url: str | None) -> bool:
    """Whether pointer ``value`` names ``record`` (of URL ``url``): its URL, its
    id, or a passage near enough to its text."""
    key = url_key(value)
    if key is not None:
        return url is not None and url_key(url) == key
    if value.strip() == record["record_id"]:
        return True
    text = record.get("text") or ""
    return (
        pointer_kind(value) == "passage"
        and passages.similarity(value, text) >= passages.MIN_SCORE
    )

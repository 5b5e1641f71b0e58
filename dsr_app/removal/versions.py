"""The dataset versions a removal list touches, and how far a request's removal
has come: each version pending until a training team acknowledges it (contract
section 5, ``removals``; issue 18, item 4).

A list names records by dataset and record id, without a version. The versions it
touches are those its records were found in for the request: the versions of the
request's included matches on a listed record, or, for a listed record no match
names (a copy by the same author, added by a follow-up), the versions that hold
that record by that author.
"""

from __future__ import annotations

import sqlite_utils

from dsr_app.errors import NotFound

# One query: the list's entries (json_each over the stored, signed document)
# against the request's included matches, and the records for entries no match
# names. A purged record (erasure) keeps its id and version but not its author.
_TOUCHED = """
WITH entries AS (
    SELECT l.request_id,
           json_extract(e.value, '$.dataset') AS dataset,
           json_extract(e.value, '$.record_id') AS record_id,
           json_extract(e.value, '$.author_id') AS author_id
    FROM removal_lists l, json_each(l.document, '$.entries') e
    WHERE l.id = :list
),
matched AS (
    SELECT DISTINCT m.dataset, m.dataset_version, m.record_id FROM entries n
    JOIN matches m ON m.request_id = n.request_id AND m.dataset = n.dataset
        AND m.record_id = n.record_id AND m.decision = 'include'
)
SELECT dataset, dataset_version FROM matched
UNION
SELECT r.dataset, r.dataset_version FROM entries n
JOIN records r ON r.dataset = n.dataset AND r.record_id = n.record_id
    AND (n.author_id IS NULL OR r.author_id IS NULL OR r.author_id = n.author_id)
WHERE NOT EXISTS (
    SELECT 1 FROM matched x WHERE x.dataset = n.dataset AND x.record_id = n.record_id
)
ORDER BY 1, 2
"""


def touched(db: sqlite_utils.Database, list_id: str) -> list[tuple[str, str]]:
    """The (dataset, dataset_version) pairs list ``list_id`` removes records from,
    sorted; empty for a list without entries (it removes nothing).

    :raises NotFound: no such list.
    """
    if db.execute("SELECT 1 FROM removal_lists WHERE id = ?", [list_id]).fetchone():
        return [tuple(r) for r in db.execute(_TOUCHED, {"list": list_id})]
    raise NotFound("no such removal list")


def request_versions(db: sqlite_utils.Database, request_id: str) -> list[dict]:
    """Every dataset version the request's lists (the first and any follow-up)
    touch, with ``acknowledged_at``: null until each of its lists that touches that
    version was acknowledged for it, then the latest of those acknowledgements."""
    found: dict[tuple[str, str], str | None] = {}
    for (list_id,) in db.execute(
        "SELECT id FROM removal_lists WHERE request_id = ? ORDER BY issued_at, rowid",
        [request_id],
    ).fetchall():
        acked = {
            (d, v): at
            for d, v, at in db.execute(
                "SELECT dataset, dataset_version, acknowledged_at FROM removal_acks"
                " WHERE list_id = ?",
                [list_id],
            )
        }
        for key in touched(db, list_id):
            at = acked.get(key)
            if key in found:
                before = found[key]
                at = None if before is None or at is None else max(before, at)
            found[key] = at
    return [
        {"dataset": d, "dataset_version": v, "acknowledged_at": at}
        for (d, v), at in sorted(found.items())
    ]


def first_issued(db: sqlite_utils.Database, request_id: str) -> str | None:
    """When the request's (first) removal list went to the training teams."""
    row = db.execute(
        "SELECT issued_at FROM removal_lists WHERE request_id = ?"
        " ORDER BY issued_at, rowid LIMIT 1",
        [request_id],
    ).fetchone()
    return row[0] if row else None

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

# One query for any set of lists: their entries (json_each over the stored, signed
# documents) against their requests' included matches, and the records for
# entries no included match names. A purged record (erasure) keeps its id and
# version but not its author. Every join is an index probe (issue 19): matches by
# (request_id, dataset, record_id) (m023_touched_index), records by their unique
# (dataset, dataset_version, record_id), one probe per version of the dataset,
# the versions found along that index as matching.search.indexed_versions finds
# them (CROSS JOIN keeps that order: joined first, records was read by dataset
# alone). An index on records (dataset, record_id) would cost every ingest.
# :list / :request choose the lists, :dataset / :version the versions (None: all).
_TOUCHED = """
WITH RECURSIVE entries AS (
    SELECT l.id AS list_id, l.request_id,
           json_extract(e.value, '$.dataset') AS dataset,
           json_extract(e.value, '$.record_id') AS record_id,
           json_extract(e.value, '$.author_id') AS author_id
    FROM removal_lists l, json_each(l.document, '$.entries') e
    WHERE (:list IS NULL OR l.id = :list)
        AND (:request IS NULL OR l.request_id = :request)
        AND (:dataset IS NULL OR json_extract(e.value, '$.dataset') = :dataset)
),
unmatched AS (
    SELECT * FROM entries n WHERE NOT EXISTS (
        SELECT 1 FROM matches m WHERE m.request_id = n.request_id
            AND m.dataset = n.dataset AND m.record_id = n.record_id
            AND m.decision = 'include'
    )
),
versions (dataset, version) AS (
    SELECT d.dataset, (SELECT min(dataset_version) FROM records
                       WHERE dataset = d.dataset)
    FROM (SELECT DISTINCT dataset FROM unmatched) d
    UNION ALL
    SELECT v.dataset, (SELECT min(dataset_version) FROM records
                       WHERE dataset = v.dataset AND dataset_version > v.version)
    FROM versions v WHERE v.version IS NOT NULL
),
touched (list_id, dataset, dataset_version) AS (
    SELECT n.list_id, m.dataset, m.dataset_version FROM entries n
    JOIN matches m ON m.request_id = n.request_id AND m.dataset = n.dataset
        AND m.record_id = n.record_id AND m.decision = 'include'
    WHERE :version IS NULL OR m.dataset_version = :version
    UNION
    SELECT n.list_id, r.dataset, r.dataset_version FROM unmatched n
    CROSS JOIN versions v ON v.dataset = n.dataset
    CROSS JOIN records r ON r.dataset = n.dataset AND r.dataset_version = v.version
        AND r.record_id = n.record_id
        AND (n.author_id IS NULL OR r.author_id IS NULL OR r.author_id = n.author_id)
    WHERE :version IS NULL OR v.version = :version
)
"""


def _touched(db: sqlite_utils.Database, tail: str, **chosen: str | None) -> list:
    params = {"list": None, "request": None, "dataset": None, "version": None}
    return db.execute(_TOUCHED + tail, {**params, **chosen}).fetchall()


def touched(db: sqlite_utils.Database, list_id: str) -> list[tuple[str, str]]:
    """The (dataset, dataset_version) pairs list ``list_id`` removes records from,
    sorted; empty for a list without entries (it removes nothing).

    :raises NotFound: no such list.
    """
    if db.execute("SELECT 1 FROM removal_lists WHERE id = ?", [list_id]).fetchone():
        sql = "SELECT dataset, dataset_version FROM touched ORDER BY 1, 2"
        return [tuple(r) for r in _touched(db, sql, list=list_id)]
    raise NotFound("no such removal list")


def touched_by_list(
    db: sqlite_utils.Database, request_id: str | None = None
) -> dict[str, list[tuple[str, str]]]:
    """``touched`` for every list (or every list of ``request_id``) in one query:
    list id -> its sorted pairs; a list that touches nothing is left out."""
    out: dict[str, list[tuple[str, str]]] = {}
    sql = "SELECT list_id, dataset, dataset_version FROM touched ORDER BY 1, 2, 3"
    for list_id, dataset, version in _touched(db, sql, request=request_id):
        out.setdefault(list_id, []).append((dataset, version))
    return out


# Entry by entry, the same two ways as ``touched`` (an included match of the
# list's request in the version, else the version's record by the entry's
# author): a CTE added after _TOUCHED's, over its entries, unmatched and versions,
# so that ``touched`` is exactly this set without the record ids
# (tests/training/test_report.py compares them). For the transparency report
# (training/report.py, issue 19, item 5).
_FOUND = """
, found (list_id, dataset, dataset_version, record_id) AS (
    SELECT n.list_id, m.dataset, m.dataset_version, n.record_id FROM entries n
    JOIN matches m ON m.request_id = n.request_id AND m.dataset = n.dataset
        AND m.record_id = n.record_id AND m.decision = 'include'
    UNION
    SELECT n.list_id, r.dataset, r.dataset_version, n.record_id FROM unmatched n
    CROSS JOIN versions v ON v.dataset = n.dataset
    CROSS JOIN records r ON r.dataset = n.dataset AND r.dataset_version = v.version
        AND r.record_id = n.record_id
        AND (n.author_id IS NULL OR r.author_id IS NULL OR r.author_id = n.author_id)
)
SELECT list_id, dataset, dataset_version, count(*) FROM found
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def entries_by_version(db: sqlite_utils.Database) -> dict[tuple[str, str, str], int]:
    """(list id, dataset, dataset_version) -> how many of the list's entries were
    found in that version, for every list in one query; the keys are the pairs
    ``touched_by_list`` gives."""
    return {(lid, d, v): n for lid, d, v, n in _touched(db, _FOUND)}


def lists_touching(db: sqlite_utils.Database, dataset: str, version: str) -> list[str]:
    """Ids of the removal lists that remove records from this version, oldest
    first: the clearance gate's lists (issue 19), in one query."""
    # _TOUCHED's rule for one version, asked list by list with EXISTS, so that a
    # list stops at its first entry in the version instead of every entry being
    # joined and the pairs deduplicated (issue 19: the gate as fast as verify).
    # Per entry, one probe of the request's included matches: one in this
    # version touches it (1), matches only in others do not (0), and none at
    # all (NULL) leaves it to the version's record by the entry's author.
    # tests/removal/test_versions.py holds it to the per-list answer.
    sql = """
    SELECT l.id FROM removal_lists l WHERE EXISTS (
        SELECT 1 FROM json_each(l.document, '$.entries') e
        WHERE json_extract(e.value, '$.dataset') = :dataset AND CASE (
            SELECT max(m.dataset_version = :version) FROM matches m
            WHERE m.request_id = l.request_id AND m.dataset = :dataset
                AND m.record_id = json_extract(e.value, '$.record_id')
                AND m.decision = 'include'
        ) WHEN 1 THEN 1 WHEN 0 THEN 0 ELSE EXISTS (
            SELECT 1 FROM records r WHERE r.dataset = :dataset
                AND r.dataset_version = :version
                AND r.record_id = json_extract(e.value, '$.record_id')
                AND (json_extract(e.value, '$.author_id') IS NULL
                     OR r.author_id IS NULL
                     OR r.author_id = json_extract(e.value, '$.author_id'))
        ) END
    )
    ORDER BY l.issued_at, l.rowid
    """
    chosen = {"dataset": dataset, "version": version}
    return [r[0] for r in db.execute(sql, chosen).fetchall()]


def request_versions(db: sqlite_utils.Database, request_id: str) -> list[dict]:
    """Every dataset version the request's lists (the first and any follow-up)
    touch, with ``acknowledged_at``: null until each of its lists that touches that
    version was acknowledged for it, then the latest of those acknowledgements."""
    found: dict[tuple[str, str], str | None] = {}
    versions = touched_by_list(db, request_id)
    acks: dict[str, dict[tuple[str, str], str]] = {}
    for list_id, d, v, at in db.execute(
        "SELECT a.list_id, a.dataset, a.dataset_version, a.acknowledged_at"
        " FROM removal_acks a JOIN removal_lists l ON l.id = a.list_id"
        " WHERE l.request_id = ?",
        [request_id],
    ):
        acks.setdefault(list_id, {})[(d, v)] = at
    for (list_id,) in db.execute(
        "SELECT id FROM removal_lists WHERE request_id = ? ORDER BY issued_at, rowid",
        [request_id],
    ).fetchall():
        acked = acks.get(list_id, {})
        for key in versions.get(list_id, []):
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

"""The dataset versions removal lists touch, found in one query for any set of
lists (removal/versions.py; issue 19), give exactly the per-list answers of the
query they replaced."""

from __future__ import annotations

import itertools
import json

import pytest

from dsr_app.errors import NotFound
from dsr_app.removal import acknowledgements
from dsr_app.removal.versions import (
    lists_touching,
    request_versions,
    touched,
    touched_by_list,
)

# The per-list query before issue 19, kept as the reference answer.
_OLD_TOUCHED = """
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

# (dataset, version, record_id, author_id); author None: purged by an erasure.
RECORDS = [
    ("a", "1", "r1", "u1"),
    ("a", "2", "r1", "u1"),
    ("a", "3", "r1", "u1"),
    ("a", "1", "r2", "u1"),
    ("a", "3", "r2", "u1"),
    ("a", "2", "r3", "u2"),
    ("a", "3", "r3", None),
    ("a", "2", "r4", "u3"),
    ("b", "1", "r1", "u1"),
    ("b", "2", "r5", "u2"),
]
# (request, dataset, version, record_id, decision)
MATCHES = [
    ("q1", "a", "1", "r1", "include"),
    ("q1", "a", "2", "r1", "include"),
    ("q1", "a", "2", "r4", "exclude"),
    ("q2", "a", "2", "r3", "include"),
    ("q2", "b", "1", "r1", None),
    ("q3", "a", "3", "r1", "include"),
]
# (list, request, issued_at, entries as (dataset, record_id, author_id))
LISTS = [
    ("l1", "q1", "2026-01-01T00:00:00Z", [("a", "r1", "u1"), ("a", "r2", "u1")]),
    ("l2", "q2", "2026-01-02T00:00:00Z", [("a", "r3", "u9"), ("b", "r1", None)]),
    # a follow-up: a copy by the same author no match names, one by someone else
    ("l3", "q1", "2026-01-03T00:00:00Z", [("a", "r4", "u3"), ("b", "r5", "u1")]),
    # entries with no record in the store at all, and an empty list
    ("l4", "q3", "2026-01-03T00:00:00Z", [("c", "zz", "u1"), ("a", "r9", None)]),
    ("l5", "q3", "2026-01-04T00:00:00Z", []),
    ("l6", "q3", "2026-01-05T00:00:00Z", [("a", "r1", None), ("b", "r5", "u2")]),
]
# (list, dataset, version, acknowledged_at)
ACKS = [
    ("l1", "a", "1", "2026-02-01T00:00:00+00:00"),
    ("l1", "a", "2", "2026-02-03T00:00:00+00:00"),
    ("l3", "a", "2", "2026-02-02T00:00:00+00:00"),
    ("l6", "b", "2", "2026-02-04T00:00:00+00:00"),
]


@pytest.fixture
def store(db):
    """Lists, matches, records and acknowledgements put in directly: no requests
    or manifests behind them (foreign keys off for this connection only)."""
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute(
        "INSERT INTO manifests (id, file_name, file_sha256, format, dataset_option,"
        " dataset_version, records, rejects, violations, ingested_at)"
        " VALUES (1, 'm', 'h', 'jsonl', '', '1', 1, 0, 0, 'x')"
    )
    db.conn.executemany(
        "INSERT INTO records (manifest_id, dataset, dataset_version, record_id,"
        " author_id, content_sha256, policy_flags) VALUES (1, ?, ?, ?, ?, 'h', 0)",
        RECORDS,
    )
    db.conn.executemany(
        "INSERT INTO matches (match_id, request_id, dataset, dataset_version,"
        " record_id, match_kind, matched_on, confidence, snippet, policy_flags,"
        " decision, found_at, seen_at) VALUES (?, ?, ?, ?, ?, 'own', 'account',"
        " 'verified', '', '[]', ?, 'x', 'x')",
        [(f"m{i}", *m) for i, m in enumerate(MATCHES)],
    )
    for list_id, request_id, issued_at, entries in LISTS:
        document = {
            "id": list_id,
            "request_id": request_id,
            "issued_at": issued_at,
            "entries": [
                {"dataset": d, "record_id": r}
                | ({} if author is None else {"author_id": author})
                for d, r, author in entries
            ],
        }
        db.execute(
            "INSERT INTO removal_lists (id, request_id, issued_at, entries, document)"
            " VALUES (?, ?, ?, ?, ?)",
            [list_id, request_id, issued_at, len(entries), json.dumps(document)],
        )
    db.conn.executemany(
        "INSERT INTO removal_acks (list_id, dataset, dataset_version,"
        " acknowledged_at, acknowledged_by) VALUES (?, ?, ?, ?, 1)",
        ACKS,
    )
    db.conn.commit()
    return db


def _old(db, list_id):
    return [tuple(r) for r in db.execute(_OLD_TOUCHED, {"list": list_id})]


def _old_request_versions(db, request_id):
    found = {}
    for list_id, *_ in (x for x in LISTS if x[1] == request_id):
        acked = {(d, v): at for lid, d, v, at in ACKS if lid == list_id}
        for key in _old(db, list_id):
            at = acked.get(key)
            if key in found:
                before = found[key]
                at = None if before is None or at is None else max(before, at)
            found[key] = at
    return [
        {"dataset": d, "dataset_version": v, "acknowledged_at": at}
        for (d, v), at in sorted(found.items())
    ]


def test_touched_gives_the_old_per_list_answer(store):
    old = {list_id: _old(store, list_id) for list_id, *_ in LISTS}
    assert {k: touched(store, k) for k in old} == old
    assert touched_by_list(store) == {k: v for k, v in old.items() if v}
    # the store holds what each case needs: matched, unmatched, nothing at all
    assert old["l1"] == [("a", "1"), ("a", "2"), ("a", "3")]
    assert old["l4"] == [] and old["l5"] == []
    for request_id in ("q1", "q2", "q3", "q9"):
        mine = {k for k, *_ in (x for x in LISTS if x[1] == request_id)}
        assert touched_by_list(store, request_id) == {
            k: v for k, v in old.items() if v and k in mine
        }


def test_touched_of_no_such_list_is_not_found(store):
    with pytest.raises(NotFound):
        touched(store, "nope")


@pytest.mark.parametrize(
    "dataset, version",
    list(itertools.product(["a", "b", "c"], ["1", "2", "3", "9"])),
)
def test_lists_touching_a_version_are_those_whose_old_answer_holds_it(
    store, dataset, version
):
    expected = [
        list_id for list_id, *_ in LISTS if (dataset, version) in _old(store, list_id)
    ]
    assert lists_touching(store, dataset, version) == expected


def test_request_versions_and_pending_lists_give_the_old_answers(store):
    for request_id in ("q1", "q2", "q3", "q9"):
        assert request_versions(store, request_id) == _old_request_versions(
            store, request_id
        )
    acked = {(lid, d, v) for lid, d, v, _ in ACKS}
    expected: dict[str, list[dict]] = {}
    for list_id, request_id, issued_at, _ in LISTS:
        left: dict[str, list[str]] = {}
        for d, v in _old(store, list_id):
            if (list_id, d, v) not in acked:
                left.setdefault(d, []).append(v)
        for d, versions in sorted(left.items()):
            expected.setdefault(d, []).append(
                {
                    "id": list_id,
                    "issued_at": issued_at,
                    "request_id": request_id,
                    "versions": versions,
                }
            )
    assert acknowledgements.pending(store) == expected

"""Removal lists on the training teams' side: the lists and the suppression list,
handing a list out (audited), the lists still to apply per dataset, and the
acknowledgements that a dataset version no longer holds a list's records (shown
to the requester, Art. 19 GDPR)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlite_utils

from dsr_app import audit, messaging
from dsr_app.config import settings
from dsr_app.errors import BadInput
from dsr_app.removal.lists import stored_list
from dsr_app.removal.versions import touched, touched_by_list
from dsr_app.review.completion import complete_if_done
from dsr_app.sql import write_transaction


def hand_out(
    db: sqlite_utils.Database, list_id: str, staff_id: int, fmt: str, at: datetime
) -> dict:
    """A stored list for a staff user to download, the download audited (who took
    which list, in which format: accountability, Art. 5(2) GDPR).

    :raises NotFound: no such list.
    """
    document = stored_list(db, list_id)
    audit.append(
        db,
        f"staff:{staff_id}",
        "removal_list_downloaded",
        document["request_id"],
        {"list_id": list_id, "format": fmt},
        at,
    )
    return document


def open_lists(db: sqlite_utils.Database) -> list[dict]:
    """The lists still to apply, oldest first, as the training page shows them
    (issue 21, item 2): each with who approved it (the staff id the signed list
    carries and that user's e-mail; ``system`` for a follow-up), and per dataset
    the list's entries in it, the versions it touches not yet acknowledged (the
    only ones that can be) and the acknowledgements made (when, by whom).

    A list stays until every version it touches (versions.touched_by_list) is
    acknowledged; a list that touches no ingested version is not shown.
    """
    by_list = touched_by_list(db)  # one query for every list, not one per list
    emails = dict(db.execute("SELECT id, email FROM staff_users").fetchall())
    acked: dict[tuple[str, str], list[dict]] = {}
    for list_id, dataset, version, at, by in db.execute(
        "SELECT list_id, dataset, dataset_version, acknowledged_at, acknowledged_by"
        " FROM removal_acks ORDER BY acknowledged_at"
    ).fetchall():
        done = {"dataset_version": version, "acknowledged_at": at, "by": emails.get(by)}
        acked.setdefault((list_id, dataset), []).append(done)
    counts: dict[str, dict[str, int]] = {}
    for list_id, dataset, n in db.execute(
        "SELECT l.id, json_extract(e.value, '$.dataset'), count(*)"
        " FROM removal_lists l, json_each(l.document, '$.entries') e GROUP BY 1, 2"
    ).fetchall():
        counts.setdefault(list_id, {})[dataset] = n
    out = []
    for row in db.query(
        "SELECT id, request_id, issued_at, entries,"
        " json_extract(document, '$.request_type') AS request_type,"
        " json_extract(document, '$.legal_basis') AS legal_basis,"
        " json_extract(document, '$.approved_by') AS approved_by,"
        " json_extract(document, '$.follow_up_of') AS follow_up_of"
        " FROM removal_lists ORDER BY issued_at, rowid"
    ):
        touched_here: dict[str, list[str]] = {}
        for dataset, version in by_list.get(row["id"], []):
            touched_here.setdefault(dataset, []).append(version)
        datasets = []
        for dataset in sorted(set(touched_here) | set(counts.get(row["id"], {}))):
            done = acked.get((row["id"], dataset), [])
            named = {a["dataset_version"] for a in done}
            datasets.append(
                {
                    "dataset": dataset,
                    "entries": counts.get(row["id"], {}).get(dataset, 0),
                    "versions": [
                        v for v in touched_here.get(dataset, []) if v not in named
                    ],
                    "acks": done,
                }
            )
        if any(d["versions"] for d in datasets):
            approver = str(row["approved_by"] or "")  # a staff id, or "system"
            out.append(
                {
                    **row,
                    # The signed list keeps the staff id (contract section 6); the
                    # page names the person beside it.
                    "approver": emails.get(int(approver))
                    if approver.isdigit()
                    else None,
                    "datasets": datasets,
                }
            )
    return out


def pending(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """``open_lists`` by dataset: each item offers the versions of that dataset
    left, and only those can be acknowledged."""
    out: dict[str, list[dict]] = {}
    for item in open_lists(db):
        for d in item["datasets"]:
            if d["versions"]:
                out.setdefault(d["dataset"], []).append(
                    {
                        "id": item["id"],
                        "issued_at": item["issued_at"],
                        "request_id": item["request_id"],
                        "versions": d["versions"],
                    }
                )
    return out


def list_index(db: sqlite_utils.Database) -> list[dict]:
    """Every removal list, newest first, with its entry count and acknowledgements."""
    return [
        {
            "id": r["id"],
            "request_id": r["request_id"],
            "issued_at": r["issued_at"],
            "entries": r["entries"],
            "acks": acknowledgements(db, r["id"]),
        }
        for r in db.query(
            "SELECT id, request_id, issued_at, entries FROM removal_lists"
            " ORDER BY issued_at DESC, id"
        )
    ]


def suppression_list(db: sqlite_utils.Database) -> list[dict]:
    """Every suppressed identifier as its type and keyed hash (nothing in clear)."""
    return [
        dict(r)
        for r in db.query(
            "SELECT DISTINCT type, hmac_sha256 FROM suppression ORDER BY 1, 2"
        )
    ]


def acknowledgements(db: sqlite_utils.Database, list_id: str) -> list[dict]:
    """The dataset versions a list was acknowledged for, oldest first."""
    return [
        dict(r)
        for r in db.query(
            "SELECT dataset, dataset_version, acknowledged_at FROM removal_acks"
            " WHERE list_id = ? ORDER BY acknowledged_at",
            [list_id],
        )
    ]


def acknowledge(
    db: sqlite_utils.Database,
    list_id: str,
    dataset: str,
    dataset_version: str,
    staff_id: int,
    at: datetime,
    config: Mapping | None = None,
) -> list[dict]:
    """Record that a training team removed a list's entries from one dataset version.

    Idempotent: the same version again changes nothing (and is audited once). The
    requester's status page shows each version, pending until acknowledged. The
    acknowledgement that completes the request's removal issues the removal-complete
    letter in its transaction, once, and then e-mails the requester
    (review.completion; ``config``: the controller's details and mail backend, by
    default ``config.settings()``).

    :raises NotFound: no such list.
    :raises BadInput: a dataset or version the list does not touch: an
        acknowledgement is shown to the requester as fact (issue 18, item 4).
    """
    document = stored_list(db, list_id)
    versions = touched(db, list_id)
    named = sorted({d for d, _ in versions})
    if not named:
        raise BadInput("dataset", "this list has no entries: nothing to remove")
    if dataset not in named:
        raise BadInput(
            "dataset", f"this list has no entries in that dataset ({', '.join(named)})"
        )
    offered = [v for d, v in versions if d == dataset]
    if dataset_version not in offered:
        raise BadInput(
            "dataset_version",
            f"this list touches no such version of that dataset ({', '.join(offered)})",
        )
    notice = None
    with write_transaction(db):
        added = db.execute(
            "INSERT OR IGNORE INTO removal_acks (list_id, dataset, dataset_version,"
            " acknowledged_at, acknowledged_by) VALUES (?, ?, ?, ?, ?)",
            [list_id, dataset, dataset_version, at.isoformat(), staff_id],
        ).rowcount
        if added:
            audit.append(
                db,
                f"staff:{staff_id}",
                "removal_acknowledged",
                document["request_id"],
                {
                    "list_id": list_id,
                    "dataset": dataset,
                    "dataset_version": dataset_version,
                },
                at,
            )
            notice = complete_if_done(
                db,
                settings() if config is None else config,
                document["request_id"],
                at,
                f"staff:{staff_id}",
            )
    if notice is not None:  # after the commit: no mail for a rolled-back letter
        messaging.deliver(db, settings() if config is None else config, notice)
    return acknowledgements(db, list_id)

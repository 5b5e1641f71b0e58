"""Removal lists on the training teams' side: the lists and the suppression list,
handing a list out (audited), the lists still to apply per dataset, and the
acknowledgements that a dataset version no longer holds a list's records (shown
to the requester, Art. 19 GDPR)."""

from __future__ import annotations

import json
from datetime import datetime

import sqlite_utils

from dsr_app import audit
from dsr_app.errors import BadInput
from dsr_app.removal.lists import stored_list
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


def pending(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """Lists still to apply, by dataset, oldest first: a list stays until every
    version its request's included matches were found in is acknowledged (for a
    dataset with no such version: any one). Each item offers the versions left."""
    out: dict[str, list[dict]] = {}
    for list_id, request_id, issued_at, document in db.execute(
        "SELECT id, request_id, issued_at, document FROM removal_lists"
        " ORDER BY issued_at"
    ).fetchall():
        acked = set(
            db.execute(
                "SELECT dataset, dataset_version FROM removal_acks WHERE list_id = ?",
                [list_id],
            ).fetchall()
        )
        datasets = {e["dataset"] for e in json.loads(document)["entries"]} or {"—"}
        for dataset in sorted(datasets):
            # The versions the request's included matches were found in: the
            # likely answers to "removed from which version?".
            found = [
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT dataset_version FROM matches WHERE request_id = ?"
                    " AND dataset = ? AND decision = 'include' ORDER BY 1",
                    [request_id, dataset],
                )
            ]
            versions = [v for v in found if (dataset, v) not in acked]
            if not versions and (found or any(d == dataset for d, _ in acked)):
                continue  # every version with matches, or some version, is done
            out.setdefault(dataset, []).append(
                {
                    "id": list_id,
                    "issued_at": issued_at,
                    "request_id": request_id,
                    "versions": versions,
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
) -> list[dict]:
    """Record that a training team removed a list's entries from one dataset version.

    Idempotent: the same version again changes nothing (and is audited once). The
    requester's status page shows each acknowledgement (Art. 19 GDPR).

    :raises NotFound: no such list.
    :raises BadInput: the list has no entries in ``dataset``.
    """
    document = stored_list(db, list_id)
    named = {e["dataset"] for e in document["entries"]}
    if named and dataset not in named:
        raise BadInput("dataset", "this list has no entries in that dataset")
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
    return acknowledgements(db, list_id)

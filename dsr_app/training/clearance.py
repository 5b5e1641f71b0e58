"""The clearance gate: whether a dataset version may be trained on (contract
section 5, "Training runs and clearance"; issue 19, item 2).

A version is clear when every removal list that touches it (removal.versions) was
acknowledged for it. The answer is signed with the instance's key exactly as a
removal list is (signing.py, contract section 6), so that a training pipeline can
keep it as evidence of what it was told and when. With manifest files, the gate
also reads them through the removal check's own reader and matcher
(removal.apply.still_present): a listed record still in them keeps the version
from being clear, whatever was acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlite_utils

from dsr_app.errors import BadInput, NotFound
from dsr_app.matching.search import indexed_versions
from dsr_app.removal.apply import still_present
from dsr_app.removal.lists import stored_list
from dsr_app.removal.targets import Targets
from dsr_app.removal.versions import touched
from dsr_app.signing import sign


def check_ingested(
    db: sqlite_utils.Database, dataset: str, version: str, field: str = ""
) -> None:
    """Refuse a dataset version that was never ingested, naming the versions that
    were: nothing is known of what it holds.

    :raises BadInput: ``field`` + ``.dataset`` or ``.dataset_version`` (bare
        ``dataset``/``dataset_version`` without ``field``).
    """
    if db.execute(
        "SELECT 1 FROM records WHERE dataset = ? AND dataset_version = ? LIMIT 1",
        [dataset, version],
    ).fetchone():
        return
    prefix = f"{field}." if field else ""
    known = [v for d, v in indexed_versions(db) if d == dataset]
    if not known:
        raise BadInput(f"{prefix}dataset", f"no dataset {dataset!r} was ingested")
    raise BadInput(
        f"{prefix}dataset_version",
        f"version {version!r} of dataset {dataset!r} was never ingested"
        f" (ingested: {', '.join(known)})",
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def lists_touching(db: sqlite_utils.Database, dataset: str, version: str) -> list[str]:
    """Ids of the removal lists that remove records from this version, oldest first."""
    return [
        list_id
        for (list_id,) in db.execute(
            "SELECT id FROM removal_lists ORDER BY issued_at, rowid"
        ).fetchall()
        if (dataset, version) in touched(db, list_id)
    ]


def pending_lists(
    db: sqlite_utils.Database, dataset: str, version: str, at: datetime | None = None
) -> list[str]:
    """Lists touching the version that were not acknowledged for it: now, or as
    things stood at ``at`` (issued by then, acknowledged after it or never): a
    run's start is judged by what was known when it started."""
    out = []
    for list_id in lists_touching(db, dataset, version):
        if at is not None:
            issued = db.execute(
                "SELECT issued_at FROM removal_lists WHERE id = ?", [list_id]
            ).fetchone()[0]
            if _instant(issued) > at:
                continue
        acked = db.execute(
            "SELECT acknowledged_at FROM removal_acks WHERE list_id = ?"
            " AND dataset = ? AND dataset_version = ?",
            [list_id, dataset, version],
        ).fetchone()
        if acked is None or (at is not None and _instant(acked[0]) > at):
            out.append(list_id)
    return out


def still_in_files(
    db: sqlite_utils.Database,
    dataset: str,
    version: str,
    shards: Iterable[Path],
    protected: tuple[str, ...] = (),
) -> list[tuple[str, str]]:
    """Records of the lists touching the version that are still in ``shards``
    (by dataset and record id, or by content hash and author together: contract
    section 6), found as ``dsr removals verify`` finds them."""
    targets = Targets(default_dataset=dataset, protected=protected)
    for list_id in lists_touching(db, dataset, version):
        targets.add(stored_list(db, list_id))
    for shard in shards:  # what is found accumulates in targets.found
        still_present(shard, targets)
    return sorted(targets.found)


def clearance(
    db: sqlite_utils.Database,
    dataset: str,
    version: str,
    folder: Path,
    at: datetime,
    found: list[tuple[str, str]] | None = None,
    manifests: list[str] | None = None,
) -> dict:
    """The signed clearance answer for one dataset version.

    ``found``/``manifests``: with manifest files checked (``still_in_files``), the
    listed records still in them and the files' names, both signed with the rest.

    :raises NotFound: a version that was never ingested.
    """
    try:
        check_ingested(db, dataset, version)
    except BadInput as exc:
        raise NotFound(exc.message) from exc
    pending = pending_lists(db, dataset, version)
    document: dict = {
        "dataset": dataset,
        "dataset_version": version,
        "clear": not pending and not found,
        "pending_lists": pending,
        "checked_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if manifests is not None:
        document["manifests"] = manifests
        document["still_present"] = [
            {"dataset": d, "record_id": r} for d, r in found or []
        ]
    return sign(document, folder)

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

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import sqlite_utils

from dsr_app.errors import BadInput, NotFound
from dsr_app.removal.apply import still_present
from dsr_app.removal.lists import stored_lists
from dsr_app.removal.targets import Targets
from dsr_app.removal.versions import lists_touching
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
    # Only a refusal needs the versions: matching.search is not imported by every
    # gate check (issue 19, the gate's speed).
    from dsr_app.matching.search import indexed_versions

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


def pending_lists(
    db: sqlite_utils.Database,
    dataset: str,
    version: str,
    at: datetime | None = None,
    lists: list[str] | None = None,
) -> list[str]:
    """Lists touching the version that were not acknowledged for it: now, or as
    things stood at ``at`` (issued by then, acknowledged after it or never): a
    run's start is judged by what was known when it started. ``lists``: the
    lists touching it (versions.lists_touching), when the caller has them."""
    if lists is None:
        lists = lists_touching(db, dataset, version)
    known = {
        list_id: (_instant(issued), None if acked is None else _instant(acked))
        for list_id, issued, acked in db.execute(
            "SELECT l.id, l.issued_at, a.acknowledged_at FROM removal_lists l"
            " LEFT JOIN removal_acks a ON a.list_id = l.id AND a.dataset = ?"
            " AND a.dataset_version = ? WHERE l.id IN (SELECT value FROM json_each(?))",
            [dataset, version, json.dumps(lists)],
        )
    }
    out = []
    for list_id in lists:
        issued, acked = known[list_id]
        if at is not None and issued > at:
            continue
        if acked is None or (at is not None and acked > at):
            out.append(list_id)
    return out


def still_in_files(
    db: sqlite_utils.Database,
    dataset: str,
    version: str,
    shards: Iterable[Path],
    protected: tuple[str, ...] = (),
    lists: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[str, str]]:
    """Records of the lists touching the version that are still in ``shards``
    (by dataset and record id, or by content hash and author together: contract
    section 6), found as ``dsr removals verify`` finds them. ``lists``: as for
    ``pending_lists``; ``progress``: told the records read."""
    targets = Targets(default_dataset=dataset, protected=protected)
    if lists is None:
        lists = lists_touching(db, dataset, version)
    for document in stored_lists(db, lists):
        targets.add(document)
    for shard in shards:  # what is found accumulates in targets.found
        still_present(shard, targets, progress)
    return sorted(targets.found)


def clearance(
    db: sqlite_utils.Database,
    dataset: str,
    version: str,
    folder: Path,
    at: datetime,
    shards: Iterable[Path] | None = None,
    manifests: list[str] | None = None,
    protected: tuple[str, ...] = (),
    progress: Callable[[int], None] | None = None,
) -> dict:
    """The signed clearance answer for one dataset version.

    ``shards``/``manifests``: manifest files to check (``still_in_files``, with
    ``protected`` folders refused) and the names given for them; the listed
    records still in them and the names are signed with the rest. The lists
    touching the version are found once for both checks (issue 19).
    ``progress``: told the records of ``shards`` read.

    :raises NotFound: a version that was never ingested.
    """
    try:
        check_ingested(db, dataset, version)
    except BadInput as exc:
        raise NotFound(exc.message) from exc
    lists = lists_touching(db, dataset, version)
    found = None
    if shards is not None:
        found = still_in_files(db, dataset, version, shards, protected, lists, progress)
    pending = pending_lists(db, dataset, version, lists=lists)
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

"""Training runs: which model versions read which dataset versions, when, and
whether a run started on a version that was not clear (contract section 5,
"Training runs and clearance"; issue 19, item 1). Every change is audited.

Statuses only move forward: ``planned`` → ``training`` → ``deployed`` →
``retired`` (a step may be skipped); a retired model is never brought back under
the same run, a new version is a new run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import sqlite_utils

from dsr_app import audit
from dsr_app.errors import BadInput, NotFound
from dsr_app.sql import select_rows, write_transaction
from dsr_app.training.clearance import check_ingested, pending_lists

STATUSES = ("planned", "training", "deployed", "retired")
STARTED = ("training", "deployed")  # a run that reads its data has started
DATES = ("started_at", "finished_at", "retired_at")


def instant(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware instant (UTC when it names no
    zone; a date is its midnight)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _check_dates(row: Mapping) -> None:
    """finished and retired never before started; dates that fit the status."""
    start, end, retired = (instant(row.get(k)) for k in DATES)
    if end and row["status"] == "planned":
        raise BadInput("finished_at", "a planned run has not finished")
    if retired and row["status"] != "retired":
        raise BadInput("retired_at", "only a retired run has a retirement date")
    if start and end and end < start:
        raise BadInput("finished_at", "must not be before started_at")
    if start and retired and retired < start:
        raise BadInput("retired_at", "must not be before started_at")


def _flag(
    db: sqlite_utils.Database, versions: list[tuple[str, str]], start: datetime
) -> str | None:
    """Why a run starting at ``start`` on ``versions`` is flagged, or None: a
    version with removal lists not acknowledged for it then."""
    reasons = [
        f"{d} version {v}: removal lists {', '.join(lists)} not acknowledged"
        for d, v in versions
        if (lists := pending_lists(db, d, v, start))
    ]
    return "; ".join(reasons) or None


def _started(db, row: dict, versions, at: datetime) -> None:
    """Set start and flag of a run that has just started (in ``row``)."""
    if row["status"] not in STARTED or row.get("flagged"):
        return
    start = instant(row.get("started_at")) or at
    row["started_at"] = _stamp(start)
    reason = _flag(db, versions, min(start, at))
    row["flagged"], row["flag_reason"] = int(reason is not None), reason


def get_run(db: sqlite_utils.Database, run_id: int) -> dict:
    """One run with its dataset versions.

    :raises NotFound: no such run.
    """
    rows = select_rows(db, "SELECT * FROM training_runs WHERE id = ?", [run_id])
    if not rows:
        raise NotFound("no such training run")
    return _shape(db, rows[0])


def _shape(db: sqlite_utils.Database, row: dict) -> dict:
    row["flagged"] = bool(row["flagged"])
    row["datasets"] = select_rows(
        db,
        "SELECT dataset, dataset_version FROM training_run_datasets"
        " WHERE run_id = ? ORDER BY dataset, dataset_version",
        [row["id"]],
    )
    return row


def list_runs(db: sqlite_utils.Database) -> list[dict]:
    """Every run, newest first."""
    rows = select_rows(db, "SELECT * FROM training_runs ORDER BY id DESC")
    return [_shape(db, row) for row in rows]


def add_run(db: sqlite_utils.Database, data: Mapping, actor: str, at: datetime) -> dict:
    """Register a run (fields as the API's body, already checked by its schema).

    A run registered as training or deployed on a version that was not clear at
    its start is flagged (issue 19, item 2).

    :raises BadInput: a version never ingested (``datasets.<n>.dataset_version``),
        dates out of order or that do not fit the status.
    """
    versions = sorted({(d["dataset"], d["dataset_version"]) for d in data["datasets"]})
    for n, item in enumerate(data["datasets"]):
        check_ingested(db, item["dataset"], item["dataset_version"], f"datasets.{n}")
    row = {
        "model": data["model"],
        "model_version": data["model_version"],
        "status": data["status"],
        "notes": data.get("notes"),
        "flagged": 0,
        "flag_reason": None,
        **{k: _stamp(instant(data.get(k))) for k in DATES},
    }
    _check_dates(row)
    _started(db, row, versions, at)
    row.update(created_at=at.isoformat(), created_by=actor, updated_at=at.isoformat())
    with write_transaction(db):
        columns = ", ".join(row)
        run_id = db.execute(
            f"INSERT INTO training_runs ({columns}) VALUES"  # noqa: S608 (our names)
            f" ({', '.join('?' * len(row))})",
            list(row.values()),
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO training_run_datasets (run_id, dataset, dataset_version)"
            " VALUES (?, ?, ?)",
            [(run_id, d, v) for d, v in versions],
        )
        detail = {"run_id": run_id, **{k: row[k] for k in ("model", "model_version")}}
        detail.update(status=row["status"], datasets=[list(x) for x in versions])
        detail.update(flagged=bool(row["flagged"]))
        audit.append(db, actor, "training_run_registered", None, detail, at)
    return get_run(db, run_id)


def update_run(
    db: sqlite_utils.Database, run_id: int, changes: Mapping, actor: str, at: datetime
) -> dict:
    """Change a run's status, finished_at, retired_at or notes (audited).

    Moving to ``training`` or ``deployed`` starts the run (``started_at`` now
    unless set) and flags it if a version was not clear then; moving to
    ``retired`` dates the retirement now unless ``retired_at`` is given.

    :raises NotFound: no such run.
    :raises BadInput: a step back (``status``), dates out of order.
    """
    run = get_run(db, run_id)
    row = {k: run[k] for k in ("status", "notes", "flagged", "flag_reason", *DATES)}
    if "status" in changes:
        old, new = STATUSES.index(run["status"]), STATUSES.index(changes["status"])
        if new < old:
            raise BadInput(
                "status", f"a {run['status']} run cannot go back to {changes['status']}"
            )
        row["status"] = changes["status"]
    for key in ("finished_at", "retired_at"):
        if key in changes:
            row[key] = _stamp(instant(changes[key]))
    if "notes" in changes:
        row["notes"] = changes["notes"]
    if row["status"] == "retired" and not row["retired_at"]:
        row["retired_at"] = _stamp(at)
    _check_dates(row)
    versions = [(d["dataset"], d["dataset_version"]) for d in run["datasets"]]
    _started(db, row, versions, at)
    changed = {k: v for k, v in row.items() if v != run[k]}
    if not changed:
        return run
    with write_transaction(db):
        changed_at = {**changed, "updated_at": at.isoformat()}
        db.execute(
            "UPDATE training_runs SET"  # noqa: S608 (column names are ours)
            f" {', '.join(f'{k} = ?' for k in changed_at)} WHERE id = ?",
            [*changed_at.values(), run_id],
        )
        detail = {"run_id": run_id, "changes": changed}
        audit.append(db, actor, "training_run_updated", None, detail, at)
    return get_run(db, run_id)

"""What staff did about a trained model, with its day (issue 19, item 4): retired
it, trained a version without the data, filtered a person's identifiers out of
its output, or recorded that nothing was done. A letter says a model changed only
when a measure here says so; nothing in the service infers one.

A measure is taken for one model version (one run), either for everybody whose
data it read or for one request (an output filter for that person's
identifiers). Measures are facts about the past: recorded once, audited, never
edited; a correction is a new measure with its notes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import sqlite_utils

from dsr_app import audit
from dsr_app.errors import BadInput
from dsr_app.sql import select_rows, write_transaction
from dsr_app.training.runs import get_run

KINDS = ("retired", "retrained", "output_filter", "none")


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(field, "must be a date, YYYY-MM-DD") from None


def _check(db: sqlite_utils.Database, run: dict, data: Mapping, at: datetime) -> None:
    """The measure fits its run: taken after the run started and not in the
    future; a replacement only for ``retrained``, a later run of the same model;
    a named request exists."""
    taken = _day(data["taken_on"], "taken_on")
    if taken > at.date():
        raise BadInput("taken_on", "must not be in the future")
    if run["started_at"] is None:
        raise BadInput("run_id", "the run has not started: it read no data yet")
    if taken < date.fromisoformat(run["started_at"][:10]):
        raise BadInput("taken_on", "must not be before the run started")
    if data["kind"] == "retired" and run["status"] != "retired":
        raise BadInput("kind", "record the run as retired first (its status)")
    other = data.get("replacement_run_id")
    if other is not None:
        if data["kind"] != "retrained":
            raise BadInput("replacement_run_id", "only for a retrained model")
        later = get_run(db, other) if other != run["id"] else None
        if (
            later is None
            or later["model"] != run["model"]
            or not later["started_at"]
            or later["started_at"] <= run["started_at"]
        ):
            raise BadInput(
                "replacement_run_id",
                "must be a later, started run of the same model",
            )
    request_id = data.get("request_id")
    if data["kind"] == "output_filter" and request_id is None:
        # What it filters is one person's identifiers: the letter says "yours".
        raise BadInput("request_id", "an output filter is for one request's person")
    if (
        request_id is not None
        and not db.execute(
            "SELECT 1 FROM requests WHERE id = ?", [request_id]
        ).fetchone()
    ):
        raise BadInput("request_id", "no such request")


def add_measure(
    db: sqlite_utils.Database, run_id: int, data: Mapping, actor: str, at: datetime
) -> dict:
    """Record a measure taken for run ``run_id``'s model version (audited).

    :raises NotFound: no such run.
    :raises BadInput: a date that is not a day, in the future or before the
        run started; a replacement that is not a later run of the same model.
    """
    run = get_run(db, run_id)
    _check(db, run, data, at)
    row = {
        "run_id": run_id,
        "kind": data["kind"],
        "taken_on": data["taken_on"],
        "request_id": data.get("request_id"),
        "replacement_run_id": data.get("replacement_run_id"),
        "notes": data.get("notes"),
        "recorded_at": at.isoformat(),
        "recorded_by": actor,
    }
    with write_transaction(db):
        measure_id = db.execute(
            "INSERT INTO model_measures (run_id, kind, taken_on, request_id,"
            " replacement_run_id, notes, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            list(row.values()),
        ).lastrowid
        detail = {"measure_id": measure_id, "run_id": run_id, "kind": row["kind"]}
        detail.update(taken_on=row["taken_on"])
        audit.append(db, actor, "model_measure_recorded", row["request_id"], detail, at)
    return {"id": measure_id, **row}


def measures(
    db: sqlite_utils.Database,
    run_ids: Iterable[int],
    request_id: str | None = None,
    until: str | None = None,
) -> dict[int, list[dict]]:
    """Run id -> its measures, oldest first: those for the whole model and, with
    ``request_id``, those for that request (never another person's); ``until``:
    only those recorded by then (an issued letter states what was on record)."""
    out: dict[int, list[dict]] = {run_id: [] for run_id in run_ids}
    for row in select_rows(
        db,
        "SELECT * FROM model_measures WHERE run_id IN (SELECT value FROM json_each(?))"
        " AND (request_id IS NULL OR request_id = ?)"
        " AND (? IS NULL OR recorded_at <= ?) ORDER BY taken_on, id",
        [json.dumps(list(out)), request_id, until, until],
    ):
        out[row["run_id"]].append(row)
    return out


def run_measures(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """Every measure recorded for one run, oldest first (staff view)."""
    return select_rows(
        db,
        "SELECT * FROM model_measures WHERE run_id = ? ORDER BY taken_on, id",
        [run_id],
    )

"""Which models learned from a person's data, as the record shows (issue 19,
items 3 and 4).

A run read a person's item when it read a dataset version that held the item
(an included match of the request) before the item's removal from that version
was acknowledged. Each version a run read is, for one request:

- ``held``: it held items of the person and the run started before their
  removal from it was acknowledged (or there is none): the run read them;
- ``removed``: it held items of the person whose removal from it was
  acknowledged before the run started;
- ``none_found``: it was searched for the person before the run started and
  held none of their items;
- ``not_searched``: nobody looked for the person in it before the run started,
  so nothing is known either way.

A run is *exposed* when a version it read is ``held``; a run started after the
decision is *cleared* for the person when every version it read is ``removed``
or ``none_found`` and one is ``removed`` or it is a later run of an exposed
model. Nothing here guesses: a version not searched is never called clear.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from dsr_app.removal.versions import request_versions
from dsr_app.sql import select_rows
from dsr_app.training.measures import measures

Item = tuple[str, str, str]  # dataset, dataset_version, record_id


def _started_runs(db: sqlite_utils.Database, at: str) -> list[dict]:
    """Every run that had started by ``at``, oldest start first, with the
    versions it read."""
    runs: dict[int, dict] = {}
    for row in select_rows(
        db,
        "SELECT r.id, r.model, r.model_version, r.status, r.started_at,"
        " r.finished_at, r.retired_at, r.flagged, d.dataset, d.dataset_version"
        " FROM training_runs r JOIN training_run_datasets d ON d.run_id = r.id"
        " WHERE r.started_at IS NOT NULL AND r.started_at <= ?"
        " ORDER BY r.started_at, r.id, d.dataset, d.dataset_version",
        [at],
    ):
        version = (row.pop("dataset"), row.pop("dataset_version"))
        runs.setdefault(row["id"], {**row, "versions": []})["versions"].append(version)
    return list(runs.values())


def _searches(db: sqlite_utils.Database, request_id: str) -> list[tuple[str, set]]:
    """(searched_at, versions searched) of each search of the request."""
    return [
        (at, {tuple(v) for v in json.loads(scope)})
        for at, scope in db.execute(
            "SELECT searched_at, scope FROM searches WHERE request_id = ? ORDER BY id",
            [request_id],
        )
    ]


def request_runs(
    db: sqlite_utils.Database,
    request_id: str,
    items: Iterable[Item],
    at: str,
    decided_at: str | None = None,
) -> dict:
    """The runs that read the request's ``items`` (``exposed``) and, once it is
    decided, the runs started after ``decided_at`` on data cleared of them
    (``cleared``) or on versions not searched for them (``unknown``); each run
    with its versions' states, the items it read and its measures for this
    request, as on record at ``at`` (an ISO instant)."""
    held: dict[tuple[str, str], list[str]] = {}
    for dataset, version, record_id in items:
        held.setdefault((dataset, version), []).append(record_id)
    removed = {
        (v["dataset"], v["dataset_version"]): v["acknowledged_at"]
        for v in request_versions(db, request_id)
    }
    searches = _searches(db, request_id)
    exposed, later = [], []
    models: set[str] = set()
    for run in _started_runs(db, at):
        start = run["started_at"]
        searched = set().union(*(s for when, s in searches if when <= start))
        states = []
        for key in run["versions"]:
            acked = removed.get(key)
            if key in held:
                state = "removed" if acked and acked <= start else "held"
            else:
                state = "none_found" if key in searched else "not_searched"
            states.append(
                {"dataset": key[0], "dataset_version": key[1], "state": state}
            )
        run["versions"] = states
        run["flagged"] = bool(run["flagged"])
        read = [
            (v["dataset"], v["dataset_version"], r)
            for v in states
            if v["state"] == "held"
            for r in held[(v["dataset"], v["dataset_version"])]
        ]
        run["items"] = [
            {"dataset": d, "dataset_version": v, "record_id": r} for d, v, r in read
        ]
        run["after_decision"] = bool(decided_at) and start > decided_at
        if read:
            exposed.append(run)
            models.add(run["model"])
        elif run["after_decision"]:
            later.append(run)
    found = measures(db, [r["id"] for r in exposed], request_id, at)
    for run in exposed:
        run["measures"] = found[run["id"]]
    cleared, unknown = [], []
    for run in later:
        kinds = {v["state"] for v in run["versions"]}
        if "removed" not in kinds and run["model"] not in models:
            continue  # another model, on data that never held the person's items
        (cleared if kinds <= {"removed", "none_found"} else unknown).append(run)
    return {"exposed": exposed, "cleared": cleared, "unknown": unknown}


def included_items(
    db: sqlite_utils.Database, request_id: str, draft: bool = False
) -> list[Item]:
    """The request's items as staff decided them: those included, or for a draft
    also the verified and probable ones nobody has decided yet (as a draft letter
    counts them)."""
    pending = " OR (decision IS NULL AND confidence != 'weak')" if draft else ""
    return [
        tuple(r)
        for r in db.execute(
            "SELECT DISTINCT dataset, dataset_version, record_id FROM matches"
            f" WHERE request_id = ? AND (decision = 'include'{pending})"
            " ORDER BY 1, 2, 3",
            [request_id],
        )
    ]


def for_request(db: sqlite_utils.Database, row: dict, at: str) -> dict:
    """``request_runs`` of a stored request as staff and the person see it now:
    a decided request's included items and the runs after its decision, or an
    undecided one's items as its draft counts them."""
    decided = row["status"] in ("completed", "rejected")
    items = included_items(db, row["id"], draft=not decided)
    return request_runs(
        db, row["id"], items, at, row["decided_at"] if decided else None
    )

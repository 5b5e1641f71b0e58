"""The transparency report (issue 19, item 5): per model version, the objections
and erasures that touched its training data and when their items were removed
from it; per month of receipt, the requests received, answered on time,
extended and refused, and the median days to answer.

It is for publication, so it holds counts, months, and model and dataset names
and versions only: never a request, removal list or record id, nor anything of a
person (docs/training.md, "Transparency report", defines every number).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from dsr_app.removal.versions import entries_by_version
from dsr_app.review.dashboard import (
    answers,
    bar_chart,
    median_days,
    period_start,
    periods,
)
from dsr_app.training.runs import instant, list_runs

FORMAT = "dsr-transparency-report/1"
REQUEST_TYPES = ("objection", "erasure")
# The CSV's one table: a row per model version, then one per month (``section``).
RUN_COLUMNS = (
    "model",
    "model_version",
    "status",
    "started_at",
    "datasets",
    "objections",
    "erasures",
    "items",
    "removed_before_run",
    "removed_after_start",
    "pending",
)
MONTH_COLUMNS = (
    "month",
    "received",
    "answered",
    "answered_on_time",
    "extended",
    "refused",
    "median_days_to_answer",
)
COLUMNS = ("section", *RUN_COLUMNS, *MONTH_COLUMNS)
CHART_MONTHS = 12  # the charts show the last year; the tables every month
COLOURS = {
    "objections": "#b35900",
    "erasures": "#2e7d32",
    "removed_before_run": "#2e7d32",
    "removed_after_start": "#b35900",
    "pending": "#b00020",
    "acknowledged_run_not_started": "#777777",
    "received": "#0b4f9c",
    "answered_on_time": "#2e7d32",
    "extended": "#b35900",
    "refused": "#6a1b9a",
    "median_days_to_answer": "#0b4f9c",
}


def transparency_report(db: sqlite_utils.Database, at: datetime) -> dict:
    """The report as of ``at``: plain data, the JSON of ``dsr report``."""
    return {
        "format": FORMAT,
        "generated_at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "model_versions": _model_versions(db, at),
        "months": _months(db, at),
    }


def _model_versions(db: sqlite_utils.Database, at: datetime) -> list[dict]:
    """Each run (a model version), newest first, with the objections and
    erasures whose lists touch a version it read and their items there."""
    by_version: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (list_id, dataset, version), n in entries_by_version(db).items():
        by_version.setdefault((dataset, version), []).append((list_id, n))
    request_of = {
        list_id: (request_id, kind)
        for list_id, request_id, kind in db.execute(
            "SELECT l.id, l.request_id, r.type FROM removal_lists l"
            " JOIN requests r ON r.id = l.request_id"
        )
    }
    acked = {
        (list_id, dataset, version): instant(when)
        for list_id, dataset, version, when in db.execute(
            "SELECT list_id, dataset, dataset_version, acknowledged_at"
            " FROM removal_acks"
        )
    }
    found = []
    for run in list_runs(db):
        start = instant(run["started_at"]) if run["status"] != "planned" else None
        start = start if start and start <= at else None  # not started yet
        kinds: dict[str, str] = {}
        items = before = pending = 0
        for read in run["datasets"]:
            key = (read["dataset"], read["dataset_version"])
            for list_id, n in by_version.get(key, []):
                request_id, kind = request_of[list_id]
                kinds[request_id] = kind
                items += n
                when = acked.get((list_id, *key))
                if when is None:
                    pending += n
                # Acknowledged at the start counts as before it, as the
                # clearance gate judges a run's start (training/clearance.py).
                elif start and when <= start:
                    before += n
        row = {k: run[k] for k in ("model", "model_version", "status")}
        row["started_at"] = run["started_at"] if start else None
        row["datasets"] = [
            {"dataset": d["dataset"], "dataset_version": d["dataset_version"]}
            for d in run["datasets"]
        ]
        row["objections"] = sum(k == "objection" for k in kinds.values())
        row["erasures"] = sum(k == "erasure" for k in kinds.values())
        row["items"] = items
        row["removed_before_run"] = before if start else None
        row["removed_after_start"] = items - before - pending if start else None
        row["pending"] = pending
        found.append(row)
    return found


def _months(db: sqlite_utils.Database, at: datetime) -> list[dict]:
    """Every month from the first request's to ``at``'s, oldest first."""
    rows = answers(db)
    if not rows:
        return []
    last = max([at.date(), *(r["received"] for r in rows)])
    months = {m: [] for m in periods(min(r["received"] for r in rows), last, "month")}
    for row in rows:
        months[period_start(row["received"], "month")].append(row)
    found = []
    for month, got in months.items():
        middle = median_days(got)
        found.append(
            {
                "month": month.strftime("%Y-%m"),
                "received": len(got),
                "answered": sum(r["answered"] is not None for r in got),
                # Art. 12(3): by the due date, which an extension moves.
                "answered_on_time": sum(
                    r["answered"] is not None and r["answered"] <= r["due"] for r in got
                ),
                "extended": sum(r["extended"] for r in got),
                "refused": sum(r["refused"] for r in got),
                "median_days_to_answer": None if middle is None else float(middle),
            }
        )
    return found


def report_table(report: dict) -> list[list]:
    """The report as one table, ``COLUMNS`` first: a ``model_version`` row per
    run, then a ``month`` row per month; None where a column is not the row's
    or a number is null."""
    table: list[list] = [list(COLUMNS)]
    for run in report["model_versions"]:
        cells = {**run, "section": "model_version"}
        cells["datasets"] = "; ".join(
            f"{d['dataset']} {d['dataset_version']}" for d in run["datasets"]
        )
        table.append([cells.get(c) for c in COLUMNS])
    for month in report["months"]:
        cells = {**month, "section": "month"}
        table.append([cells.get(c) for c in COLUMNS])
    return table


def report_charts(report: dict) -> dict:
    """Bar geometry of the staff page's charts (review/dashboard.bar_chart)."""
    runs = report["model_versions"]
    names = [f"{r['model']} {r['model_version']}" for r in runs]
    requests = {
        (i, k): r[k] for i, r in enumerate(runs) for k in ("objections", "erasures")
    }
    items = {}
    for i, run in enumerate(runs):
        items[(i, "pending")] = run["pending"]
        if run["removed_before_run"] is None:
            items[(i, "acknowledged_run_not_started")] = run["items"] - run["pending"]
        else:
            items[(i, "removed_before_run")] = run["removed_before_run"]
            items[(i, "removed_after_start")] = run["removed_after_start"]
    months = report["months"][-CHART_MONTHS:]
    labels = [m["month"] for m in months]
    counted = ("received", "answered_on_time", "extended", "refused")
    return {
        "requests": bar_chart(
            names, ("objections", "erasures"), requests, COLOURS, width=96
        ),  # fmt: skip
        "removals": bar_chart(
            names,
            (
                "removed_before_run",
                "removed_after_start",
                "pending",
                "acknowledged_run_not_started",
            ),
            items,
            COLOURS,
            width=96,
        ),
        "months": bar_chart(
            labels,
            counted,
            {(i, k): m[k] for i, m in enumerate(months) for k in counted},
            COLOURS,
            stacked=False,
            width=48,
        ),
        "median": bar_chart(
            labels,
            ("median_days_to_answer",),
            {
                (i, "median_days_to_answer"): m["median_days_to_answer"]
                for i, m in enumerate(months)
            },  # fmt: skip
            COLOURS,
        ),
    }

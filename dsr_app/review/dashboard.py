"""Dashboard figures: counts, overdue, median days to answer, requests per week."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

import sqlite_utils

from dsr_app.review.queue import queue
from dsr_app.training.runs import list_runs

TYPES = ("access", "objection", "erasure")
COLOURS = {"access": "#0b4f9c", "objection": "#b35900", "erasure": "#2e7d32"}
WEEKS = 12


def dashboard_data(db: sqlite_utils.Database, at: datetime) -> dict:
    """Everything the dashboard shows; the chart as bar geometry for an inline SVG."""
    items = queue(db, at)
    by_type: dict[str, int] = {t: 0 for t in TYPES}
    for row in db.execute("SELECT type, count(*) FROM requests GROUP BY type"):
        by_type[row[0]] = row[1]
    days = [
        (datetime.fromisoformat(decided).date() - date.fromisoformat(received)).days
        for received, decided in db.execute(
            "SELECT receipt_day, decided_at FROM requests WHERE decided_at IS NOT NULL"
        )
    ]
    monday = at.date() - timedelta(days=at.date().weekday())
    first = monday - timedelta(weeks=WEEKS - 1)
    counts = {(w, t): 0 for w in range(WEEKS) for t in TYPES}
    for day, kind in db.execute(
        "SELECT receipt_day, type FROM requests WHERE receipt_day >= ?",
        [first.isoformat()],
    ):
        week = (date.fromisoformat(day) - first).days // 7
        if 0 <= week < WEEKS:
            counts[(week, kind)] += 1
    highest = max([sum(counts[(w, t)] for t in TYPES) for w in range(WEEKS)] + [1])
    bars, width, height = [], 40, 160
    for week in range(WEEKS):
        y = height
        for kind in TYPES:
            h = round(counts[(week, kind)] / highest * (height - 10))
            if h:
                y -= h
                bars.append(
                    {
                        "x": 40 + week * (width + 8),
                        "y": y,
                        "w": width,
                        "h": h,
                        "fill": COLOURS[kind],
                        "kind": kind,
                        "n": counts[(week, kind)],
                    }
                )
    return {
        "counts": items["counts"],
        "by_type": by_type,
        "overdue": items["counts"].get("overdue", 0),
        "median_days": statistics.median(days) if days else None,
        "bars": bars,
        "weeks": [(first + timedelta(weeks=w)).strftime("%d %b") for w in range(WEEKS)],
        "highest": highest,
        "colours": COLOURS,
        "chart_width": 40 + WEEKS * (width + 8),
        # Runs that started on an uncleared dataset version (issue 19, item 2).
        "flagged_runs": [r for r in list_runs(db) if r["flagged"]],
    }

"""Dashboard figures: counts, overdue, median days to answer, requests per week;
and the helpers the transparency report shares (training/report.py, issue 19,
item 5): weeks and months of the controller's calendar, each request's answer,
and the geometry of an inline SVG bar chart."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

import sqlite_utils

from dsr_app.deadlines import months_later, receipt_day
from dsr_app.review.queue import queue
from dsr_app.training.runs import list_runs

TYPES = ("access", "objection", "erasure")
COLOURS = {"access": "#0b4f9c", "objection": "#b35900", "erasure": "#2e7d32"}
WEEKS = 12
# A chart's frame: bars stand on y = BASE, start at x = LEFT, GAP apart.
BASE, LEFT, GAP = 160, 40, 8


def period_start(day: date, unit: str) -> date:
    """The first day of the ``week`` (its Monday) or ``month`` holding ``day``."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def periods(first: date, last: date, unit: str) -> list[date]:
    """The first days of every week or month from the one holding ``first`` to
    the one holding ``last``, oldest first (none when ``first`` is later)."""
    start, end, found = period_start(first, unit), period_start(last, unit), []
    while start <= end:
        found.append(start)
        start = start + timedelta(weeks=1) if unit == "week" else months_later(start, 1)
    return found


def answers(db: sqlite_utils.Database) -> list[dict]:
    """Every request's type, receipt day, due date, extension and refusal, and
    its answer: the day its first decision letter was issued, in the
    controller's calendar as the receipt day is (``answered_at`` of the
    contract; an extension or a request for information answers nothing), with
    the days from receipt to it; None for both until then."""
    found = []
    for kind, status, received, due, extended, country, answered in db.execute(
        "SELECT r.type, r.status, r.receipt_day, r.due_at, r.extended_at,"
        " r.controller_country, (SELECT min(l.issued_at) FROM issued_letters l"
        " WHERE l.request_id = r.id AND l.kind = 'decision') FROM requests r"
    ):
        day = (
            receipt_day(datetime.fromisoformat(answered), country) if answered else None
        )
        received = date.fromisoformat(received)
        found.append(
            {
                "type": kind,
                "received": received,
                "due": date.fromisoformat(due),
                "extended": extended is not None,
                "refused": status == "rejected",
                "answered": day,
                "days": (day - received).days if day else None,
            }
        )
    return found


def median_days(rows: Iterable[Mapping]) -> float | None:
    """The median of ``days`` to answer over the answered ones; None if none."""
    days = [row["days"] for row in rows if row["days"] is not None]
    return statistics.median(days) if days else None


def bar_chart(
    labels: Sequence[str],
    series: Sequence[str],
    values: Mapping[tuple[int, str], float | None],
    colours: Mapping[str, str],
    stacked: bool = True,
    width: int = 40,
) -> dict:
    """Bar geometry of an inline SVG chart (templates/staff/chart.html): a group
    ``width`` wide per label, its ``series`` stacked or side by side;
    ``values[(label index, series)]``, missing or None drawn as nothing."""
    value = {key: n or 0 for key, n in values.items()}
    heights = [[value.get((i, name), 0) for name in series] for i in range(len(labels))]
    highest = max([sum(h) if stacked else max(h, default=0) for h in heights] + [1])
    bars = []
    for i, label in enumerate(labels):
        x, y = LEFT + i * (width + GAP), BASE
        for j, name in enumerate(series):
            h = round(heights[i][j] / highest * (BASE - 10))
            if not h:
                continue
            one = width if stacked else width // len(series)
            y = y - h if stacked else BASE - h
            bars.append(
                {
                    "x": x if stacked else x + j * one,
                    "y": y,
                    "w": one,
                    "h": h,
                    "fill": colours[name],
                    "kind": name,
                    "label": label,
                    "n": heights[i][j],
                }
            )
    return {
        "bars": bars,
        "labels": [
            {"x": LEFT + i * (width + GAP), "text": label}
            for i, label in enumerate(labels)
        ],
        "highest": highest,
        "colours": {name: colours[name] for name in series},
        "width": LEFT + len(labels) * (width + GAP),
    }


def dashboard_data(db: sqlite_utils.Database, at: datetime) -> dict:
    """Everything the dashboard shows; the chart as bar geometry for an inline SVG."""
    items = queue(db, at)
    by_type: dict[str, int] = {t: 0 for t in TYPES}
    for row in db.execute("SELECT type, count(*) FROM requests GROUP BY type"):
        by_type[row[0]] = row[1]
    weeks = periods(at.date() - timedelta(weeks=WEEKS - 1), at.date(), "week")
    index = {start: n for n, start in enumerate(weeks)}
    counts: dict[tuple[int, str], int] = {}
    for day, kind in db.execute(
        "SELECT receipt_day, type FROM requests WHERE receipt_day >= ?",
        [weeks[0].isoformat()],
    ):
        week = index.get(period_start(date.fromisoformat(day), "week"))
        if week is not None:
            counts[(week, kind)] = counts.get((week, kind), 0) + 1
    labels = [start.strftime("%d %b") for start in weeks]
    return {
        "counts": items["counts"],
        "by_type": by_type,
        "overdue": items["counts"].get("overdue", 0),
        "median_days": median_days(answers(db)),
        "chart": bar_chart(labels, TYPES, counts, COLOURS),
        # Runs that started on an uncleared dataset version (issue 19, item 2).
        "flagged_runs": [r for r in list_runs(db) if r["flagged"]],
    }

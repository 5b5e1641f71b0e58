"""GDPR deadlines: the worked examples of shared/research/legal.md section 2."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dsr_app.deadlines import asked_promptly, days_paused, due_date, receipt_day


@pytest.mark.parametrize(
    ("received", "due", "note"),
    [
        (date(2025, 1, 31), date(2025, 2, 28), "no 31 Feb: last day of February"),
        (date(2028, 1, 31), date(2028, 2, 29), "leap year"),
        (date(2025, 5, 15), date(2025, 6, 16), "Sunday 15 June rolls to Monday"),
        (date(2025, 7, 4), date(2025, 8, 5), "IE August bank holiday"),
        (date(2026, 2, 17), date(2026, 3, 18), "St Patrick's Day"),
        (date(2025, 10, 31), date(2025, 12, 1), "clamp to 30 Nov (Sun), roll"),
        (date(2025, 9, 27), date(2025, 10, 28), "weekend receipt; October holiday"),
        (date(2026, 3, 2), date(2026, 4, 2), "strict due date of the pause example"),
        (date(2025, 3, 31), date(2025, 4, 30), "31 Mar to 30 Apr"),
    ],
)
def test_due_date_one_month_in_ireland(received, due, note):
    assert due_date(received, "IE") == due, note


def test_due_date_uses_the_controllers_holidays():
    # 4 Aug 2025 is a bank holiday in Ireland, a working day in Germany.
    assert due_date(date(2025, 7, 4), "DE") == date(2025, 8, 4)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2028, 1, 31), date(2028, 5, 2)),  # 29/30 Apr weekend, 1 May holiday
        (date(2025, 5, 15), date(2025, 8, 15)),
        (date(2025, 7, 4), date(2025, 10, 6)),
        (date(2026, 2, 17), date(2026, 5, 18)),
    ],
)
def test_due_date_extended_by_two_months(received, due):
    assert due_date(received, "IE", months=3) == due


def test_receipt_day_is_the_controllers_calendar_day():
    late_evening_utc = datetime(2025, 3, 30, 23, 30, tzinfo=UTC)  # 00:30 in Dublin
    assert receipt_day(late_evening_utc, "IE") == date(2025, 3, 31)
    assert receipt_day(datetime(2025, 1, 31, 23, 30, tzinfo=UTC), "IE") == date(
        2025, 1, 31
    )


@pytest.mark.parametrize(
    ("received", "months", "paused", "due", "note"),
    [
        # Issue 18: 15 Jun is a Sunday; the pause goes on the unrolled date.
        (date(2025, 5, 15), 1, 1, date(2025, 6, 16), "not the rolled 16 Jun + 1"),
        (date(2025, 5, 15), 1, 2, date(2025, 6, 17), "unrolled 17 Jun, a Tuesday"),
        (date(2026, 3, 2), 1, 7, date(2026, 4, 9), "legal.md's pause example"),
        (date(2025, 5, 15), 1, 0, date(2025, 6, 16), "no pause: the strict date"),
        (date(2025, 5, 15), 3, 1, date(2025, 8, 18), "15+1 Aug: Sat, rolls to Mon"),
    ],
)
def test_due_date_adds_the_pause_before_rolling(received, months, paused, due, note):
    assert due_date(received, "IE", months, paused) == due, note


@pytest.mark.parametrize(
    ("asked", "answered", "days"),
    [
        (date(2025, 5, 16), date(2025, 5, 17), 1),  # Fri: the next day
        (date(2025, 5, 20), date(2025, 5, 27), 7),  # Tue: the 3rd working day
        (date(2025, 5, 21), date(2025, 5, 27), 0),  # Wed: late, no pause
        (date(2025, 5, 16), date(2025, 5, 16), 0),  # answered the same day
    ],
)
def test_days_paused_only_for_a_prompt_question(asked, answered, days):
    # Received Thu 15 May 2025; working days after it: Fri 16, Mon 19, Tue 20.
    assert days_paused(date(2025, 5, 15), asked, answered, "IE") == days
    assert asked_promptly(date(2025, 5, 15), asked, "IE") == (
        asked <= date(2025, 5, 20)
    )

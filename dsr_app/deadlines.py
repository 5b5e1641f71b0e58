"""GDPR time limits, counted per Regulation 1182/71 (docs/legal.md, Deadlines)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from dsr_app.regions import EU_EEA_TIMEZONES

UNVERIFIED_LIFETIME = timedelta(days=14)
# A request for information pauses the period only if sent within this many
# working days of receipt (docs/legal.md, Deadlines).
PROMPT_WORKING_DAYS = 3


def receipt_day(received_at: datetime, country: str) -> date:
    """The calendar day of receipt in the controller's time zone (Art. 3(1))."""
    zone = ZoneInfo(EU_EEA_TIMEZONES.get(country.upper(), "UTC"))
    return received_at.astimezone(zone).date()


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country.upper(), years=[year, year + 1])


def is_working_day(day: date, country: str) -> bool:
    """Not a Saturday, Sunday or public holiday of ``country`` (Art. 2(2))."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def roll(day: date, country: str) -> date:
    """A period ending on a weekend or holiday ends the next working day (Art. 3(4))."""
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def months_later(day: date, months: int) -> date:
    """Same date ``months`` later, clamped to the month's last day (Art. 3(2)(c))."""
    return day + relativedelta(months=months)


def due_date(
    received: date, country: str, months: int = 1, paused_days: int = 0
) -> date:
    """The last day to answer a request received on ``received``.

    One month (Art. 12(3)), or three after an extension: the earlier of receipt + 3
    months and receipt + 1 month + 2 months. The days the clock was paused for a
    request for information are added to that unrolled date, and only then is it
    rolled to a working day (docs/legal.md, Deadlines: Thu 15 May 2025 with a one-day
    pause is due Mon 16 June, not the day after the rolled Mon 16 June).
    """
    if months == 1:
        raw = months_later(received, 1)
    else:
        raw = min(
            months_later(received, months),
            months_later(months_later(received, 1), 2),
        )
    return roll(raw + timedelta(days=paused_days), country)


def asked_promptly(received: date, asked: date, country: str) -> bool:
    """Was a request for information sent without undue delay: within
    ``PROMPT_WORKING_DAYS`` working days after the day of receipt (EDPB 01/2022
    §5.3: only such a question suspends the period)?"""
    prompt = received
    for _ in range(PROMPT_WORKING_DAYS):
        prompt = roll(prompt + timedelta(days=1), country)
    return asked <= prompt


def days_paused(received: date, asked: date, answered: date, country: str) -> int:
    """Calendar days the period stood still: from the day the question was sent to
    the day the answer arrived, if it was sent promptly (``asked_promptly``), else
    none. Days are the controller's calendar days (``receipt_day``)."""
    if not asked_promptly(received, asked, country):
        return 0
    return max(0, (answered - asked).days)


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def seconds_until(moment: datetime, at: datetime) -> int:
    """Whole seconds from ``at`` until ``moment``, 0 once it has come.

    The one rounding rule of every wait we tell (Retry-After, issue 16, finding 13):
    rounded up, so that no one is told to come back early, and so at least 1 for a
    refusal with any time left.
    """
    return max(0, math.ceil((moment - at).total_seconds()))


def window_wait(
    times: Iterable[datetime], limit: int, window: timedelta, at: datetime
) -> int:
    """Seconds until a sliding ``window`` that admits ``limit`` events has room for
    one more (0: it has now), given the ``times`` of the events in it: until the
    ``limit``-th newest of them leaves the window."""
    newest = sorted(times, reverse=True)
    if len(newest) < limit:
        return 0
    return seconds_until(newest[limit - 1] + window, at)

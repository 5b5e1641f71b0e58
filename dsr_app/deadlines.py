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


def due_date(received: date, country: str, months: int = 1) -> date:
    """The last day to answer a request received on ``received``.

    One month (Art. 12(3)), or three after an extension: the earlier of receipt + 3
    months and receipt + 1 month + 2 months, then rolled to a working day.
    """
    if months == 1:
        return roll(months_later(received, 1), country)
    raw = min(
        months_later(received, months), months_later(months_later(received, 1), 2)
    )
    return roll(raw, country)


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

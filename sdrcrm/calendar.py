"""The business calendar: working days (weekdays that are not public holidays of a country
nor closed days) and working hours (08:00-17:00 unless told otherwise), in a given time zone.

Closed days besides a country's public holidays (a team's own, ``accounts.calendar``) come in
as one frozenset ``closed`` of rules, each one of: a ``date`` (that day), a ``(month, day)``
pair (that day every year: 24 December is ``(12, 24)``) or an ISO country code (that country's
public holidays: a team's country, when the days are counted for a recipient elsewhere).

Pure functions (no database, no settings): cadences schedule touches with them (a touch is
sent inside the recipient's hours, on a working day of the recipient's country and of the
sending team) and qualification counts a hand-off's deadline with them (the business hours of
the site's time zone, on the team's working days). Both therefore agree on what a business day
and a business hour are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday
OPENS = time(8, 0)
CLOSES = time(17, 0)


@dataclass(frozen=True)
class BusinessHours:
    """The hours of a working day and the weekdays that are working days (Monday = 0)."""

    start: time = OPENS
    end: time = CLOSES
    days: tuple[int, ...] = WEEKDAYS


@lru_cache(maxsize=512)
def holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (ISO code) in ``year``; none for an unknown one."""
    if not country:
        return frozenset()
    try:
        return frozenset(holidays_lib.country_holidays(country.upper(), years=year).keys())
    except NotImplementedError:  # a country the library does not know: no holidays
        return frozenset()


@lru_cache(maxsize=128)
def holiday_names(country: str, year: int) -> tuple[tuple[date, str], ...]:
    """The public holidays of ``country`` in ``year`` with their names, by date."""
    if not country:
        return ()
    try:
        return tuple(sorted(holidays_lib.country_holidays(country.upper(), years=year).items()))
    except NotImplementedError:
        return ()


NONE_CLOSED: frozenset = frozenset()


def is_closed(day: date, closed: frozenset = NONE_CLOSED) -> bool:
    """Whether one of the ``closed`` rules (a date, a (month, day) pair, a country code)
    closes ``day``."""
    if not closed:
        return False
    if day in closed or (day.month, day.day) in closed:
        return True
    return any(isinstance(rule, str) and day in holidays(rule, day.year) for rule in closed)


def is_business_day(
    day: date,
    country: str = "",
    days: tuple[int, ...] = WEEKDAYS,
    closed: frozenset = NONE_CLOSED,
) -> bool:
    return (
        day.weekday() in days
        and day not in holidays(country, day.year)
        and not is_closed(day, closed)
    )


def add_business_days(
    day: date,
    n: int,
    country: str = "",
    days: tuple[int, ...] = WEEKDAYS,
    closed: frozenset = NONE_CLOSED,
) -> date:
    """The n-th business day after ``day`` (n = 0: ``day`` itself if it is one, else the next)."""
    while not is_business_day(day, country, days, closed):
        day += timedelta(days=1)
    for _ in range(n):
        day += timedelta(days=1)
        while not is_business_day(day, country, days, closed):
            day += timedelta(days=1)
    return day


def local_at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """``clock`` on ``day`` in ``tz``; normalising through UTC resolves DST gaps and repeats."""
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def next_opening(
    earliest: datetime,
    tz: ZoneInfo,
    hours: BusinessHours = BusinessHours(),
    country: str = "",
    closed: frozenset = NONE_CLOSED,
) -> datetime:
    """The first moment at or after ``earliest`` inside business hours."""
    local = earliest.astimezone(tz)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    for _ in range(370):  # at most a year of closed days
        if is_business_day(day, country, hours.days, closed):
            if clock < hours.start:
                return local_at(day, hours.start, tz)
            if clock < hours.end:
                return local_at(day, clock, tz)
        day += timedelta(days=1)
        clock = time(0, 0)
    raise ValueError("No business hour within a year: check the hours and days")


def in_business_hours(
    moment: datetime,
    tz: ZoneInfo,
    hours: BusinessHours = BusinessHours(),
    country: str = "",
    closed: frozenset = NONE_CLOSED,
) -> bool:
    local = moment.astimezone(tz)
    clock = local.timetz().replace(tzinfo=None)
    return (
        is_business_day(local.date(), country, hours.days, closed)
        and hours.start <= clock < hours.end
    )


def _open_span(
    day: date, tz: ZoneInfo, hours: BusinessHours, country: str, closed: frozenset
) -> tuple[datetime, datetime] | None:
    if not is_business_day(day, country, hours.days, closed):
        return None
    return local_at(day, hours.start, tz), local_at(day, hours.end, tz)


def add_business_hours(
    start: datetime,
    n_hours: float,
    tz: ZoneInfo,
    hours: BusinessHours = BusinessHours(),
    country: str = "",
    closed: frozenset = NONE_CLOSED,
) -> datetime:
    """The moment at which ``n_hours`` business hours have passed since ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = timedelta(hours=n_hours)
    cursor = start.astimezone(tz)
    day = cursor.date()
    for _ in range(3700):  # ten years of days: more than any deadline counts
        span = _open_span(day, tz, hours, country, closed)
        if span is not None:
            cursor = max(cursor, span[0])
            if cursor < span[1]:
                available = span[1] - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("No business hours to count in: check the hours and days")


def business_hours_between(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    hours: BusinessHours = BusinessHours(),
    country: str = "",
    closed: frozenset = NONE_CLOSED,
) -> float:
    """Business hours from ``start`` to ``end`` (0 if end is not after start)."""
    if end <= start:
        return 0.0
    total = timedelta(0)
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        span = _open_span(day, tz, hours, country, closed)
        if span is not None:
            lo, hi = max(span[0], start), min(span[1], end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600

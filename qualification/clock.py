"""Business hours: Monday to Friday, 08:00–16:00 in the given time zone. Pure functions.

Public holidays are not taken out: a hand-off made before Easter may be escalated on a
holiday. The hours of a business day can be changed with the Django setting
``SDRCRM_BUSINESS_HOURS`` (a pair of hours, default (8, 16)).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

WORKDAYS = frozenset({0, 1, 2, 3, 4})  # Monday … Friday
DEFAULT_DAY = (8, 16)


def _day_bounds(d: date, tz: tzinfo, day: tuple[int, int]) -> tuple[datetime, datetime]:
    return (
        datetime.combine(d, time(day[0]), tzinfo=tz),
        datetime.combine(d, time(day[1]), tzinfo=tz),
    )


def add_business_hours(
    start: datetime, hours: float, tz: tzinfo, day: tuple[int, int] = DEFAULT_DAY
) -> datetime:
    """The moment at which ``hours`` business hours have passed since ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(tz)
    while True:
        d = cursor.date()
        if d.weekday() in WORKDAYS:
            opens, closes = _day_bounds(d, tz, day)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        cursor = _day_bounds(d + timedelta(days=1), tz, day)[0]


def business_hours_between(
    start: datetime, end: datetime, tz: tzinfo, day: tuple[int, int] = DEFAULT_DAY
) -> float:
    """Business hours from ``start`` to ``end`` (0 if end is not after start)."""
    if end <= start:
        return 0.0
    total = timedelta(0)
    d = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while d <= last:
        if d.weekday() in WORKDAYS:
            opens, closes = _day_bounds(d, tz, day)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += hi - lo
        d += timedelta(days=1)
    return total.total_seconds() / 3600


def handoff_due_at(handed_off_at: datetime, hours: int) -> datetime:
    """When a hand-off made at ``handed_off_at`` is overdue: ``hours`` business hours later, in
    the site's time zone and ``SDRCRM_BUSINESS_HOURS``."""
    day = settings.SDRCRM_BUSINESS_HOURS
    return add_business_hours(handed_off_at, hours, ZoneInfo(settings.TIME_ZONE), tuple(day))

"""The calendar of a cadence: business days, time zones, send windows and public holidays.

Pure functions (no database): given when the previous touch happened, when is the next one
due? Every due time lands inside the recipient's send window, on a business day that is not a
public holiday of the recipient's country, in the recipient's time zone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

DEFAULT_WINDOW_START = time(8, 0)
DEFAULT_WINDOW_END = time(17, 0)
WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday


@dataclass(frozen=True)
class SendWindow:
    start: time = DEFAULT_WINDOW_START
    end: time = DEFAULT_WINDOW_END
    days: tuple[int, ...] = WEEKDAYS  # weekday numbers, Monday = 0


@dataclass(frozen=True)
class Recipient:
    """Where and when a prospect can be reached."""

    tz: ZoneInfo
    country: str = ""
    window: SendWindow = field(default_factory=SendWindow)


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def recipient_zone(*candidates: str | None, default: str = "Europe/Oslo") -> ZoneInfo:
    """The first valid time zone of prospect, company, SDR (in that order)."""
    for name in candidates:
        tz = zone(name)
        if tz is not None:
            return tz
    return ZoneInfo(default)


@lru_cache(maxsize=512)
def _holidays(country: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    try:
        return frozenset(holidays_lib.country_holidays(country.upper(), years=year).keys())
    except NotImplementedError:  # a country the library does not know: no holidays
        return frozenset()


def is_business_day(day: date, recipient: Recipient) -> bool:
    return day.weekday() in recipient.window.days and day not in _holidays(
        recipient.country, day.year
    )


def add_business_days(day: date, n: int, recipient: Recipient) -> date:
    """The n-th business day after ``day`` (n = 0: ``day`` itself if it is one, else the next)."""
    while not is_business_day(day, recipient):
        day += timedelta(days=1)
    for _ in range(n):
        day += timedelta(days=1)
        while not is_business_day(day, recipient):
            day += timedelta(days=1)
    return day


def next_send_slot(earliest: datetime, recipient: Recipient) -> datetime:
    """The first moment at or after ``earliest`` inside the recipient's send window."""
    local = earliest.astimezone(recipient.tz)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    window = recipient.window
    for _ in range(370):  # at most a year of closed days
        if is_business_day(day, recipient):
            if clock < window.start:
                return _at(day, window.start, recipient.tz)
            if clock < window.end:
                return _at(day, clock, recipient.tz)
        day += timedelta(days=1)
        clock = time(0, 0)
    raise ValueError("No send slot within a year: check the send window")


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # ``fold=0`` and normalising through UTC handles DST gaps and repeats.
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(tz)


def local_day_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of ``moment``'s day in ``tz``."""
    return moment.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


def in_send_window(moment: datetime, recipient: Recipient) -> bool:
    local = moment.astimezone(recipient.tz)
    clock = local.timetz().replace(tzinfo=None)
    return (
        is_business_day(local.date(), recipient)
        and recipient.window.start <= clock < recipient.window.end
    )


def due_after(previous: datetime, offset_days: int, recipient: Recipient) -> datetime:
    """When a step ``offset_days`` business days after ``previous`` is due.

    Offset 0 means as soon as possible after ``previous`` (same day when the window is still
    open). Otherwise the step is due at the window's opening on the n-th business day after
    the day of ``previous``: a late previous step pushes the following ones with it.
    """
    if offset_days <= 0:
        return next_send_slot(previous, recipient)
    local_day = previous.astimezone(recipient.tz).date()
    target = add_business_days(local_day, offset_days, recipient)
    # add_business_days counts from a business day; if ``previous`` fell on a closed day the
    # first step already lands on the next open one.
    return next_send_slot(_at(target, recipient.window.start, recipient.tz), recipient)


def step_due(
    *,
    previous: datetime,
    start: datetime,
    offset_days: int,
    from_start: bool,
    recipient: Recipient,
) -> datetime:
    """Due time of a step once the step before it happened at ``previous``.

    A step counted from the enrollment (``from_start``) is due ``offset_days`` business days
    after ``start``, but never before the previous step: when a step slips, the following ones
    shift with it.
    """
    if from_start:
        planned = due_after(start, offset_days, recipient)
        return max(planned, next_send_slot(previous, recipient))
    return due_after(previous, offset_days, recipient)


def plan(start: datetime, steps: list[tuple[int, bool]], recipient: Recipient) -> list[datetime]:
    """Due times of a whole cadence started at ``start``: ``steps`` are (offset_days,
    from_start) pairs; an offset not from the start counts from the previous step (the first
    step's previous is ``start``)."""
    result = []
    previous = start
    for offset, from_start in steps:
        previous = step_due(
            previous=previous,
            start=start,
            offset_days=offset,
            from_start=from_start,
            recipient=recipient,
        )
        result.append(previous)
    return result

"""The calendar of a cadence: business days, time zones, send windows and public holidays.

Pure functions (no database): given when the previous touch happened, when is the next one
due? Every due time lands inside the recipient's send window, on a business day that is not a
public holiday of the recipient's country nor a closed day of the sending team (24 December
for a Norwegian team, say: ``Recipient.closed``, from ``accounts.calendar``), in the
recipient's time zone. Business days and hours are those of the
one business calendar, ``sdrcrm.calendar``, that qualification's deadlines use too.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sdrcrm import calendar

DEFAULT_WINDOW_START = calendar.OPENS
DEFAULT_WINDOW_END = calendar.CLOSES
WEEKDAYS = calendar.WEEKDAYS
# A send window is the business hours of one recipient: start, end, days (Monday = 0).
SendWindow = calendar.BusinessHours


@dataclass(frozen=True)
class Recipient:
    """Where and when a prospect can be reached."""

    tz: ZoneInfo
    country: str = ""
    window: SendWindow = field(default_factory=SendWindow)
    # The sending team's closed days, as ``sdrcrm.calendar`` rules (``TeamCalendar.closed``).
    closed: frozenset = calendar.NONE_CLOSED


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


def is_business_day(day: date, recipient: Recipient) -> bool:
    return calendar.is_business_day(day, recipient.country, recipient.window.days, recipient.closed)


def add_business_days(day: date, n: int, recipient: Recipient) -> date:
    """The n-th business day after ``day`` (n = 0: ``day`` itself if it is one, else the next)."""
    return calendar.add_business_days(
        day, n, recipient.country, recipient.window.days, recipient.closed
    )


def next_send_slot(earliest: datetime, recipient: Recipient) -> datetime:
    """The first moment at or after ``earliest`` inside the recipient's send window."""
    try:
        return calendar.next_opening(
            earliest, recipient.tz, recipient.window, recipient.country, recipient.closed
        )
    except ValueError:
        raise ValueError("No send slot within a year: check the send window") from None


def local_day_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of ``moment``'s day in ``tz``."""
    return moment.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


def in_send_window(moment: datetime, recipient: Recipient) -> bool:
    return calendar.in_business_hours(
        moment, recipient.tz, recipient.window, recipient.country, recipient.closed
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
    return next_send_slot(
        calendar.local_at(target, recipient.window.start, recipient.tz), recipient
    )


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

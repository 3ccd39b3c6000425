"""Hand-off deadlines in business hours: those of the one business calendar (``sdrcrm.calendar``)
that cadences send in, in the site's time zone (``TIME_ZONE``), between the hours of
``SDRCRM_BUSINESS_HOURS`` (a pair of hours, by default 8 and 17), Monday to Friday, on the
working days of the lead's team (``accounts.calendar``: its country's public holidays and its
own closed days do not count).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.calendar import TeamCalendar
from sdrcrm import calendar


def _site() -> tuple[ZoneInfo, calendar.BusinessHours]:
    opens, closes = settings.SDRCRM_BUSINESS_HOURS
    hours = calendar.BusinessHours(start=time(opens), end=time(closes))
    return ZoneInfo(settings.TIME_ZONE), hours


def handoff_due_at(handed_off_at: datetime, hours: int, team: TeamCalendar) -> datetime:
    """When a hand-off made at ``handed_off_at`` is overdue: ``hours`` business hours of
    ``team``'s calendar later."""
    tz, day = _site()
    return calendar.add_business_hours(handed_off_at, hours, tz, day, team.country, team.closed)


def handoff_waiting_hours(handed_off_at: datetime, now: datetime, team: TeamCalendar) -> float:
    """Business hours of ``team``'s calendar a hand-off made at ``handed_off_at`` has waited
    by ``now``."""
    tz, day = _site()
    return calendar.business_hours_between(handed_off_at, now, tz, day, team.country, team.closed)

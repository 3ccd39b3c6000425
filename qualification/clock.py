"""Hand-off deadlines in business hours: those of the one business calendar (``sdrcrm.calendar``)
that cadences send in, in the site's time zone (``TIME_ZONE``) and country
(``SDRCRM_COUNTRY``, whose public holidays are not counted), between the hours of
``SDRCRM_BUSINESS_HOURS`` (a pair of hours, by default 8 and 17), Monday to Friday.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from sdrcrm import calendar


def _site() -> tuple[ZoneInfo, calendar.BusinessHours, str]:
    opens, closes = settings.SDRCRM_BUSINESS_HOURS
    hours = calendar.BusinessHours(start=time(opens), end=time(closes))
    return ZoneInfo(settings.TIME_ZONE), hours, settings.SDRCRM_COUNTRY


def handoff_due_at(handed_off_at: datetime, hours: int) -> datetime:
    """When a hand-off made at ``handed_off_at`` is overdue: ``hours`` business hours later."""
    tz, day, country = _site()
    return calendar.add_business_hours(handed_off_at, hours, tz, day, country)


def handoff_waiting_hours(handed_off_at: datetime, now: datetime) -> float:
    """Business hours a hand-off made at ``handed_off_at`` has waited by ``now``."""
    tz, day, country = _site()
    return calendar.business_hours_between(handed_off_at, now, tz, day, country)

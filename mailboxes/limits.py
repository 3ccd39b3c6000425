"""A mailbox's sending limits: the safe range of each, and the ramp-up (pure).

The providers' published limits (docs/mailboxes.md) are far above what cold outreach should
send: Google Workspace allows 2,000 messages a day per user, Microsoft 365 10,000 recipients a
day and 30 messages a minute. Mail to strangers from a new mailbox at those rates is what spam
filters look for, so the defaults (the model's) are 200 a day, 40 an hour, a minute or more
between two sends, and a ramp-up from 20 a day to the full cap over three weeks; an SDR may
change them within the ranges below, never to the providers' maxima.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

# field -> (least, most, label)
RANGES = {
    "daily_cap": (1, 500, _("Emails per day")),
    "hourly_cap": (1, 100, _("Emails per hour")),
    "min_gap_seconds": (10, 3600, _("Least time between two emails (seconds)")),
    "jitter_seconds": (0, 3600, _("Random extra wait, up to (seconds)")),
    "ramp_start_cap": (1, 500, _("Emails on the first day of the ramp-up")),
    "ramp_days": (0, 90, _("Days to reach the full daily cap")),
}
LIMIT_FIELDS = tuple(RANGES)


@dataclass(frozen=True)
class Ramp:
    day: int  # days since the mailbox was connected (0: the first day)
    days: int  # the ramp-up's length
    cap_today: int  # the daily cap that applies today
    full_cap: int

    @property
    def done(self) -> bool:
        return self.cap_today >= self.full_cap


def ramp_on(mailbox, moment: datetime, tz: ZoneInfo) -> Ramp:
    """The ramp-up of ``mailbox`` on the owner's local day around ``moment``, counted in the
    owner's calendar days: the day the mailbox was connected is day 0, whatever the hour. The
    dispatcher (``pacing.day_cap``) and the pages both read it here, so they agree."""
    return ramp_cap(
        daily_cap=mailbox.daily_cap,
        ramp_start_cap=mailbox.ramp_start_cap,
        ramp_days=mailbox.ramp_days,
        connected_at=_midnight(mailbox.connected_at.astimezone(tz).date()),
        now=_midnight(moment.astimezone(tz).date()),
    )


def _midnight(day: date) -> datetime:
    # Naive local midnights: their difference is whole days, even across a DST change.
    return datetime(day.year, day.month, day.day)


def ramp_cap(
    *, daily_cap: int, ramp_start_cap: int, ramp_days: int, connected_at: datetime, now: datetime
) -> Ramp:
    """Today's daily cap: ``ramp_start_cap`` on the day the mailbox was connected, rising in
    equal daily steps to ``daily_cap`` after ``ramp_days`` days (at once when 0)."""
    day = max(0, (now - connected_at).days)
    start = min(ramp_start_cap, daily_cap)
    if ramp_days <= 0 or day >= ramp_days:
        cap = daily_cap
    else:
        cap = start + (daily_cap - start) * day // ramp_days
    return Ramp(day=day, days=ramp_days, cap_today=cap, full_cap=daily_cap)


def limits_errors(values: dict[str, int]) -> dict[str, str]:
    """What is wrong with these limits, by field (empty when they are fine)."""
    errors = {}
    for name, (least, most, label) in RANGES.items():
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
            errors[name] = _("%(label)s: a whole number from %(least)d to %(most)d.") % {
                "label": label,
                "least": least,
                "most": most,
            }
    if errors:
        return errors
    if values["hourly_cap"] > values["daily_cap"]:
        errors["hourly_cap"] = _("The hourly cap cannot be above the daily cap.")
    if values["ramp_start_cap"] > values["daily_cap"]:
        errors["ramp_start_cap"] = _("The ramp-up cannot start above the daily cap.")
    return errors

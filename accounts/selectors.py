"""Reads of the accounts app for pages: a team's calendar of the year."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from sdrcrm import calendar
from sdrcrm.errors import NotAllowed

from .models import ClosedDay, Team, User


def team_calendar_year(*, user: User, year: int) -> dict:
    """The days the user's team does not work in ``year`` besides weekends: its country's
    public holidays and its own closed days, by date; and the closed days it has set (the ones
    a manager may remove). Two queries."""
    if user.team_id is None:
        raise NotAllowed(_("The team calendar belongs to a team."))
    team = Team.objects.get(pk=user.team_id)
    rows = list(ClosedDay.objects.filter(team=team).order_by("yearly", "on"))
    days: dict[date, dict] = {}
    for day, name in calendar.holiday_names(team.calendar_country, year):
        days[day] = {"on": day, "holiday": name, "closed": []}
    for row in rows:
        try:
            on = date(year, row.on.month, row.on.day) if row.yearly else row.on
        except ValueError:  # a yearly 29 February in a common year
            continue
        if on.year == year:
            days.setdefault(on, {"on": on, "holiday": "", "closed": []})["closed"].append(row)
    return {
        "team": team,
        "country": team.calendar_country,
        "year": year,
        "days": [days[d] for d in sorted(days)],
        "closed_days": rows,
        "can_edit": user.is_manager,
    }

"""A team's calendar: the one place that says whether a day is a working day for team T.

A team does not work on weekends, on its country's public holidays (``Team.country``, else the
site's ``SDRCRM_COUNTRY``) nor on its own closed days (``ClosedDay``: one date, or a day every
year such as 24 December). The arithmetic is ``sdrcrm.calendar``'s (pure): this module only
reads a team's closed days into the frozenset of rules it takes.

Reading costs one query per batch of teams. Code that asks for many rows at once (a dispatch
batch, an escalation sweep, a page) either loads the teams it needs with ``team_calendars`` or
runs inside ``team_calendar_scope()``, where ``team_calendar`` reads each team once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q

from sdrcrm import calendar

from .models import ClosedDay, Team

# The closed days a new team of these countries starts with (``team_closed_days_default``):
# Christmas Eve and New Year's Eve are not public holidays in Norway or Sweden, but offices
# close on them. Other countries start with none (Finland's tables already list 24 December).
DEFAULT_CLOSED: dict[str, tuple[tuple[int, int, str], ...]] = {
    "NO": ((12, 24, "Julaften"), (12, 31, "Nyttårsaften")),
    "SE": ((12, 24, "Julafton"), (12, 31, "Nyårsafton")),
}


@dataclass(frozen=True)
class TeamCalendar:
    """What a team does not work on: its country's public holidays and ``closed``, the team's
    own closed days as ``sdrcrm.calendar`` rules (dates and (month, day) pairs)."""

    team_id: int | None
    country: str
    closed: frozenset = calendar.NONE_CLOSED

    def is_working_day(self, day: date) -> bool:
        return calendar.is_business_day(day, self.country, calendar.WEEKDAYS, self.closed)

    def add_working_days(self, day: date, n: int) -> date:
        return calendar.add_business_days(day, n, self.country, calendar.WEEKDAYS, self.closed)


def _site_country() -> str:
    return (settings.SDRCRM_COUNTRY or "").upper()


def closed_rules(rows: Iterable[tuple[date, bool]]) -> frozenset:
    """``(on, yearly)`` pairs as ``sdrcrm.calendar`` rules."""
    return frozenset((on.month, on.day) if yearly else on for on, yearly in rows)


def team_calendars(team_ids: Iterable[int]) -> dict[int, TeamCalendar]:
    """The calendars of ``team_ids``, in one query."""
    ids = {pk for pk in team_ids if pk is not None}
    if not ids:
        return {}
    rows = (
        Team.objects.filter(pk__in=ids)
        .annotate(
            once=ArrayAgg("closed_days__on", filter=Q(closed_days__yearly=False), default=[]),
            every=ArrayAgg("closed_days__on", filter=Q(closed_days__yearly=True), default=[]),
        )
        .values_list("pk", "country", "once", "every")
    )
    return {
        pk: TeamCalendar(
            team_id=pk,
            country=(country or _site_country()).upper(),
            closed=closed_rules([(d, False) for d in once] + [(d, True) for d in every]),
        )
        for pk, country, once, every in rows
    }


_scope: ContextVar[dict | None] = ContextVar("team_calendars", default=None)


@contextmanager
def team_calendar_scope() -> Iterator[None]:
    """Inside, ``team_calendar`` reads each team once (a batch, a task, a page); a scope
    inside another shares it. Also a decorator."""
    if _scope.get() is not None:
        yield
        return
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def team_calendar(team_id: int | None) -> TeamCalendar:
    """Team ``team_id``'s calendar (no team: the site's country, no closed days)."""
    if team_id is None:
        return TeamCalendar(team_id=None, country=_site_country())
    memo = _scope.get()
    if memo is not None and team_id in memo:
        return memo[team_id]
    found = team_calendars([team_id]).get(team_id)
    if found is None:
        found = TeamCalendar(team_id=team_id, country=_site_country())
    if memo is not None:
        memo[team_id] = found
    return found


def yearly_date(month: int, day: int) -> date:
    """How a day every year is stored (``ClosedDay.on``: in ``ClosedDay.YEARLY_YEAR``)."""
    return date(ClosedDay.YEARLY_YEAR, month, day)

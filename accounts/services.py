"""Writes of the accounts app: a user's language, a team's closed days (its calendar,
``accounts.calendar``)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from sdrcrm import clock
from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound

from .calendar import DEFAULT_CLOSED, yearly_date
from .models import ClosedDay, Team, User

# How far ahead a one-off closed day may be set.
CLOSED_DAY_YEARS_AHEAD = 5


def team_closed_days_default(*, team: Team) -> list[ClosedDay]:
    """The closed days a new team of its country starts with (``DEFAULT_CLOSED``: 24 and 31
    December in Norway and Sweden). Running it twice adds nothing."""
    rows = [
        ClosedDay(team=team, on=yearly_date(month, day), yearly=True, label=label)
        for month, day, label in DEFAULT_CLOSED.get(team.calendar_country, ())
    ]
    return ClosedDay.objects.bulk_create(rows, ignore_conflicts=True)


def team_create(*, name: str, country: str = "", **fields) -> Team:
    """A new team, with its country's default closed days."""
    with transaction.atomic():
        team = Team.objects.create(name=name, country=country.upper(), **fields)
        team_closed_days_default(team=team)
    return team


def _managed_team(actor: User) -> Team:
    """The actor's team, locked: only its managers change its calendar."""
    if not actor.is_manager or actor.team_id is None:
        raise NotAllowed(_("Only the team's managers change its calendar."))
    return Team.objects.select_for_update().get(pk=actor.team_id)


def closed_day_add(*, actor: User, on: date, yearly: bool = False, label: str = "") -> ClosedDay:
    """A day the actor's team does not work: ``on``, or (``yearly``) its day and month every
    year."""
    label = label.strip()
    today = clock.now().date()
    if not yearly and on < today:
        raise Invalid(_("That day has passed: choose today or a later day."), field="on")
    if not yearly and on.year > today.year + CLOSED_DAY_YEARS_AHEAD:
        raise Invalid(
            _("Choose a day within %(years)d years.") % {"years": CLOSED_DAY_YEARS_AHEAD},
            field="on",
        )
    stored = yearly_date(on.month, on.day) if yearly else on
    with transaction.atomic():
        team = _managed_team(actor)
        try:
            with transaction.atomic():
                closed = ClosedDay.objects.create(team=team, on=stored, yearly=yearly, label=label)
        except IntegrityError:  # closed_day_one_per_team_day
            raise Conflict(_("That day is already a closed day.")) from None
        audit_record(
            actor=actor,
            target=closed,
            action="closed_day_add",
            changes={"on": (None, stored.isoformat()), "yearly": (None, yearly)},
        )
    return closed


def closed_day_remove(*, actor: User, closed_day_id: int) -> None:
    """The actor's team works on that day again. Another team's closed day does not exist."""
    with transaction.atomic():
        team = _managed_team(actor)
        closed = ClosedDay.objects.select_for_update().filter(team=team, pk=closed_day_id).first()
        if closed is None:
            raise NotFound(_("No such closed day"))
        audit_record(
            actor=actor,
            target=closed,
            action="closed_day_remove",
            changes={"on": (closed.on.isoformat(), None), "yearly": (closed.yearly, None)},
        )
        closed.delete()


def user_language_set(*, user: User, language: str) -> User:
    """The user's own language for their pages ("" follows the team's). Only their own row
    changes; nothing else a user holds depends on it."""
    if language and language not in dict(settings.LANGUAGES):
        raise Invalid(_("This language is not available."), field="language")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.language = language
        locked.save(update_fields=["language"])
    user.language = language
    return user

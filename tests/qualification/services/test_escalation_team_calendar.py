"""Hand-off deadlines count the business hours of the lead's team's calendar: its country's
public holidays and its own closed days (24 and 31 December for a Norwegian team) do not count;
another team's closed days change nothing.

Handed off on Wednesday 23 December 2026 at 16:00 in Oslo, with eight business hours to answer:
one hour that day, then seven on the next working day.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.calendar import team_calendar
from accounts.models import ClosedDay
from accounts.services import closed_day_add, team_closed_days_default
from qualification.clock import handoff_due_at, handoff_waiting_hours
from qualification.models import Escalation
from tests.qualification.services.test_escalation import escalate, hand_off

OSLO = ZoneInfo("Europe/Oslo")


def dec(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


@pytest.mark.django_db
def test_the_deadline_skips_24_december_for_a_norwegian_team(crew, other_crew):
    team_closed_days_default(team=crew.team)

    assert handoff_due_at(dec(23, 16), 8, team_calendar(crew.team.pk)) == dec(28, 15)
    # Without closed days (the other team's calendar): Thursday 24 counts.
    assert handoff_due_at(dec(23, 16), 8, team_calendar(other_crew.team.pk)) == dec(24, 15)
    assert handoff_waiting_hours(dec(23, 16), dec(28, 9), team_calendar(crew.team.pk)) == 2.0


@pytest.mark.django_db
def test_the_deadline_skips_31_december_and_a_day_the_team_added(crew, time_machine):
    time_machine.move_to(dec(1, 9), tick=False)
    team_closed_days_default(team=crew.team)
    closed_day_add(actor=crew.manager, on=date(2027, 1, 4), label="Stocktaking")

    # Wednesday 30 at 16:00: one hour; 31 closed, 1 January a holiday, the weekend, Monday 4
    # January closed: the other seven hours on Tuesday 5.
    assert handoff_due_at(dec(30, 16), 8, team_calendar(crew.team.pk)) == dec(
        5, 15, month=1, year=2027
    )


def test_a_norwegian_teams_hand_off_escalates_after_its_closed_days(
    crew, other_crew, model, make_lead
):
    team_closed_days_default(team=crew.team)
    # The other team closes on Monday 28: not this team's deadline.
    ClosedDay.objects.create(team=other_crew.team, on=date(2026, 12, 28), label="Theirs")
    lead = hand_off(crew, make_lead, dec(23, 16))

    assert escalate(dec(24, 16)) == 0  # the closed day counts no hours
    assert escalate(dec(28, 14, 59)) == 0
    assert not Escalation.objects.exists()

    assert escalate(dec(28, 15)) == 1
    escalation = Escalation.objects.get()
    assert (escalation.lead_id, escalation.due_at) == (lead.pk, dec(28, 15))


def test_the_sweep_reads_the_teams_calendars_in_one_query(crew, other_crew, model, make_lead):
    team_closed_days_default(team=crew.team)
    for _ in range(3):
        hand_off(crew, make_lead, dec(23, 16))

    with CaptureQueriesContext(connection) as queries:
        assert escalate(dec(28, 15)) == 3

    assert sum('"accounts_closedday"' in q["sql"] for q in queries.captured_queries) == 1

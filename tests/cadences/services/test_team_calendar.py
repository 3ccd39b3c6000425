"""Cadence steps and proposed reminders on the team's calendar (accounts.calendar): a Norwegian
team's 24 and 31 December, a closed day the team added, and another team's closed days, which
change nothing here.

Christmas 2026: Tuesday 22 and Wednesday 23 December are working days; Thursday 24 (julaften)
is a closed day of a Norwegian team, Friday 25 and Saturday 26 are public holidays, Monday 28
to Wednesday 30 working days, Thursday 31 (nyttårsaften) closed, Friday 1 January a holiday.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ClosedDay
from accounts.services import closed_day_add, team_closed_days_default
from cadences.models import Channel, Touch
from cadences.services import enrollment_bulk_create, touch_complete
from tests.cadences.helpers import at, email, enroll, local, make_cadence, task, touches
from tests.factories import CompanyFactory, ProspectFactory

pytestmark = pytest.mark.django_db

# Without any closed day of the team: the six steps of ``daily`` from Tuesday 22 December.
WITHOUT_CLOSED_DAYS = [
    ("2026-12-22", "10:00"),
    ("2026-12-23", "08:00"),
    ("2026-12-24", "08:00"),
    ("2026-12-28", "08:00"),
    ("2026-12-29", "08:00"),
    ("2026-12-30", "08:00"),
]


@pytest.fixture
def tuesday(time_machine):
    moment = at(2026, 12, 22, 10, 0)
    time_machine.move_to(moment, tick=False)
    return moment


def daily(crew):
    """Six emails, each one business day after the one before."""
    steps = [email()] + [email(day_offset=1) for _ in range(5)]
    return make_cadence(crew.manager, steps, name="Daily")


def due_days(crew, **lead):
    enrollment = enroll(crew.sdr, crew.lead(**lead), daily(crew))
    return [local(t.due_at) for t in touches(enrollment)]


def test_without_closed_days_a_step_falls_on_24_december(crew, tuesday):
    assert ClosedDay.objects.count() == 0
    assert due_days(crew) == WITHOUT_CLOSED_DAYS


def test_a_norwegian_team_skips_24_and_31_december(crew, tuesday):
    team_closed_days_default(team=crew.team)  # what a new team of the site's country starts with

    assert due_days(crew) == [
        ("2026-12-22", "10:00"),
        ("2026-12-23", "08:00"),
        ("2026-12-28", "08:00"),  # not 24 (closed), 25, 26 (holidays), 27 (Sunday)
        ("2026-12-29", "08:00"),
        ("2026-12-30", "08:00"),
        ("2027-01-04", "08:00"),  # not 31 (closed), 1 January (holiday), the weekend
    ]


def test_a_prospect_abroad_is_not_emailed_on_the_teams_closed_days_either(crew, tuesday):
    """The team's closed days stop its touches wherever the prospect is; the public holidays
    stay the prospect's country's (Germany: 25 and 26 December, 1 January)."""
    team_closed_days_default(team=crew.team)
    german = ProspectFactory(
        team=crew.team,
        company=CompanyFactory(team=crew.team, country="DE"),
        time_zone="Europe/Oslo",
    )

    assert due_days(crew, prospect=german) == [
        ("2026-12-22", "10:00"),
        ("2026-12-23", "08:00"),
        ("2026-12-28", "08:00"),
        ("2026-12-29", "08:00"),
        ("2026-12-30", "08:00"),
        ("2027-01-04", "08:00"),
    ]


def test_a_closed_day_the_team_added_is_skipped(crew, tuesday):
    team_closed_days_default(team=crew.team)
    closed_day_add(actor=crew.manager, on=date(2026, 12, 29), label="Inventory")

    assert due_days(crew) == [
        ("2026-12-22", "10:00"),
        ("2026-12-23", "08:00"),
        ("2026-12-28", "08:00"),
        ("2026-12-30", "08:00"),  # not 29
        ("2027-01-04", "08:00"),
        ("2027-01-05", "08:00"),
    ]


def test_another_teams_closed_days_do_not_move_this_teams_steps(crew, other_crew, tuesday):
    team_closed_days_default(team=other_crew.team)
    closed_day_add(actor=other_crew.manager, on=date(2026, 12, 23), label="Their day off")
    closed_day_add(actor=other_crew.manager, on=date(2026, 12, 29))

    assert due_days(crew) == WITHOUT_CLOSED_DAYS


def test_a_step_done_late_plans_the_next_one_past_the_closed_days(crew, tuesday, time_machine):
    """The next step is planned again when the one before it is done: that skips them too."""
    team_closed_days_default(team=crew.team)
    cadence = make_cadence(crew.manager, [task(Channel.CALL), email(day_offset=1)], name="Call")
    enrollment = enroll(crew.sdr, crew.lead(), cadence)
    call = Touch.objects.get(enrollment=enrollment, position=1)
    assert local(touches(enrollment)[1].due_at) == ("2026-12-23", "08:00")

    time_machine.move_to(at(2026, 12, 23, 15, 0), tick=False)  # the call, a day late
    touch_complete(actor=crew.sdr, touch_id=call.pk, outcome="no_answer")

    assert local(touches(enrollment)[1].due_at) == ("2026-12-28", "08:00")


def voicemail_reminder(crew, time_machine):
    cadence = make_cadence(crew.manager, [task(Channel.CALL)], name="One call")
    enrollment = enroll(crew.sdr, crew.lead(), cadence)
    call = Touch.objects.get(enrollment=enrollment, position=1)
    time_machine.move_to(at(2026, 12, 22, 11, 0), tick=False)
    return touch_complete(actor=crew.sdr, touch_id=call.pk, outcome="voicemail")


def test_a_reminder_proposed_two_business_days_on_skips_the_closed_days(
    crew, tuesday, time_machine
):
    team_closed_days_default(team=crew.team)

    result = voicemail_reminder(crew, time_machine)

    # Wednesday 23 is day one; day two is not Thursday 24 (closed) but Monday 28.
    assert local(result.propose_reminder_at) == ("2026-12-28", "08:00")


def test_a_reminder_proposed_without_closed_days_falls_on_24_december(
    crew, other_crew, tuesday, time_machine
):
    team_closed_days_default(team=other_crew.team)  # another team's: no effect here

    result = voicemail_reminder(crew, time_machine)

    assert local(result.propose_reminder_at) == ("2026-12-24", "08:00")


def closed_day_reads(queries) -> int:
    return sum('"accounts_closedday"' in q["sql"] for q in queries.captured_queries)


def test_a_batch_reads_the_teams_closed_days_once(crew, tuesday):
    team_closed_days_default(team=crew.team)
    cadence = daily(crew)
    leads = [crew.lead() for _ in range(4)]

    with CaptureQueriesContext(connection) as queries:
        result = enrollment_bulk_create(
            actor=crew.sdr, lead_ids=[lead.pk for lead in leads], cadence_id=cadence.pk
        )

    assert sorted(result.enrolled) == sorted(lead.pk for lead in leads)
    assert closed_day_reads(queries) == 1
    assert {local(t.due_at) for t in Touch.objects.filter(position=3)} == {("2026-12-28", "08:00")}

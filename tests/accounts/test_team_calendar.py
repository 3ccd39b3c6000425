"""The team calendar: a team's closed days (accounts.services), the loader the cadences and
deadlines read them with (accounts.calendar), and the page /team/calendar/: everyone of the team
reads it, its managers add and remove closed days, nobody sees or changes another team's."""

import importlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from accounts.calendar import team_calendar, team_calendar_scope, team_calendars
from accounts.models import ClosedDay, Team
from accounts.services import (
    closed_day_add,
    closed_day_remove,
    team_closed_days_default,
    team_create,
)
from audit.models import AuditEntry
from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
URL = "/team/calendar/"
REMOVE = "/team/calendar/remove/"


@pytest.fixture
def today(time_machine):
    """Monday 7 December 2026 in Oslo."""
    time_machine.move_to(datetime(2026, 12, 7, 10, 0, tzinfo=OSLO), tick=False)


def rows(team) -> list[tuple]:
    return list(
        ClosedDay.objects.filter(team=team).order_by("on").values_list("on", "yearly", "label")
    )


CHRISTMAS_EVES = {
    "NO": [(date(2000, 12, 24), True, "Julaften"), (date(2000, 12, 31), True, "Nyttårsaften")],
    "SE": [(date(2000, 12, 24), True, "Julafton"), (date(2000, 12, 31), True, "Nyårsafton")],
}


# --- A new team's closed days --------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("NO", CHRISTMAS_EVES["NO"]),
        ("no", CHRISTMAS_EVES["NO"]),
        ("SE", CHRISTMAS_EVES["SE"]),
        ("", CHRISTMAS_EVES["NO"]),  # blank: the site's country, NO in the tests' settings
        ("DE", []),
        ("FI", []),  # Finland's public holidays already hold 24 December
    ],
)
def test_a_new_team_starts_with_its_countrys_closed_days(country, expected):
    team = team_create(name="New team", country=country)
    assert rows(team) == expected
    assert team.country == country.upper()


def test_the_defaults_are_added_once(db):
    team = team_create(name="New team", country="NO")
    team_closed_days_default(team=team)
    assert rows(team) == CHRISTMAS_EVES["NO"]


def test_the_migration_gives_existing_norwegian_teams_24_and_31_december(db, settings):
    settings.SDRCRM_COUNTRY = "NO"
    norwegian, site, german = (
        TeamFactory(name="Oslo", country="NO"),
        TeamFactory(name="Site", country=""),
        TeamFactory(name="Berlin", country="DE"),
    )
    migration = importlib.import_module("accounts.migrations.0004_i20cal_team_calendar")

    migration.add_defaults(apps, None)
    migration.add_defaults(apps, None)  # run again: nothing more

    assert rows(norwegian) == rows(site) == CHRISTMAS_EVES["NO"]
    assert rows(german) == []


# --- Adding and removing closed days --------------------------------------------------------


def test_a_manager_adds_a_closed_day_and_a_yearly_one(crew, today):
    once = closed_day_add(actor=crew.manager, on=date(2026, 12, 29), label=" Stocktaking ")
    yearly = closed_day_add(actor=crew.manager, on=date(2027, 5, 18), yearly=True)

    assert rows(crew.team) == [
        (date(2000, 5, 18), True, ""),  # a yearly day: only day and month count
        (date(2026, 12, 29), False, "Stocktaking"),
    ]
    assert team_calendar(crew.team.pk).closed == frozenset({date(2026, 12, 29), (5, 18)})
    audit = AuditEntry.objects.filter(action="closed_day_add").order_by("pk")
    assert [(a.actor_id, a.target_id) for a in audit] == [
        (crew.manager.pk, str(once.pk)),
        (crew.manager.pk, str(yearly.pk)),
    ]


@pytest.mark.parametrize("role", ["sdr", "bdr", "ae", "marketing", "admin", "privacy"])
def test_only_a_teams_manager_changes_its_calendar(crew, today, role):
    existing = ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 29))
    actor = getattr(crew, role)

    with pytest.raises(NotAllowed, match="Only the team's managers change its calendar."):
        closed_day_add(actor=actor, on=date(2026, 12, 30))
    with pytest.raises(NotAllowed):
        closed_day_remove(actor=actor, closed_day_id=existing.pk)

    assert rows(crew.team) == [(date(2026, 12, 29), False, "")]
    assert not AuditEntry.objects.filter(action__startswith="closed_day").exists()


@pytest.mark.parametrize(
    ("on", "yearly", "message"),
    [
        (date(2026, 12, 6), False, "That day has passed: choose today or a later day."),
        (date(2032, 1, 1), False, "Choose a day within 5 years."),
    ],
)
def test_a_wrong_day_is_refused(crew, today, on, yearly, message):
    with pytest.raises(Invalid, match=message) as refused:
        closed_day_add(actor=crew.manager, on=on, yearly=yearly)
    assert refused.value.field == "on"
    assert rows(crew.team) == []


def test_a_yearly_day_may_be_one_that_passed_this_year(crew, today):
    closed_day_add(actor=crew.manager, on=date(2026, 5, 18), yearly=True)
    assert rows(crew.team) == [(date(2000, 5, 18), True, "")]


def test_the_same_day_twice_is_a_conflict(crew, today):
    closed_day_add(actor=crew.manager, on=date(2026, 12, 24), yearly=True, label="Julaften")
    with pytest.raises(Conflict, match="That day is already a closed day."):
        closed_day_add(actor=crew.manager, on=date(2030, 12, 24), yearly=True)
    assert rows(crew.team) == [(date(2000, 12, 24), True, "Julaften")]


def test_a_manager_removes_a_closed_day(crew, today):
    closed = closed_day_add(actor=crew.manager, on=date(2026, 12, 29))
    closed_day_remove(actor=crew.manager, closed_day_id=closed.pk)
    assert rows(crew.team) == []
    assert AuditEntry.objects.filter(action="closed_day_remove").count() == 1


def test_another_teams_closed_day_does_not_exist(crew, other_crew, today):
    theirs = closed_day_add(actor=other_crew.manager, on=date(2026, 12, 29))

    with pytest.raises(NotFound):
        closed_day_remove(actor=crew.manager, closed_day_id=theirs.pk)

    assert rows(other_crew.team) == [(date(2026, 12, 29), False, "")]
    assert team_calendar(crew.team.pk).closed == frozenset()


# --- The loader -----------------------------------------------------------------------------


def test_team_calendars_reads_any_number_of_teams_in_one_query(
    crew, other_crew, django_assert_num_queries
):
    team_closed_days_default(team=crew.team)
    ClosedDay.objects.create(team=other_crew.team, on=date(2026, 12, 29))
    Team.objects.filter(pk=other_crew.team.pk).update(country="se")

    with django_assert_num_queries(1):
        found = team_calendars([crew.team.pk, other_crew.team.pk])

    assert found[crew.team.pk].country == "NO"  # blank: the site's
    assert found[crew.team.pk].closed == frozenset({(12, 24), (12, 31)})
    assert found[other_crew.team.pk].country == "SE"
    assert found[other_crew.team.pk].closed == frozenset({date(2026, 12, 29)})


def test_a_scope_reads_each_team_once(crew, other_crew, django_assert_num_queries):
    with django_assert_num_queries(2), team_calendar_scope():
        for _ in range(5):
            team_calendar(crew.team.pk)
            team_calendar(other_crew.team.pk)
            with team_calendar_scope():  # an inner scope shares the outer one
                team_calendar(crew.team.pk)
    with django_assert_num_queries(2):  # outside a scope: read every time
        team_calendar(crew.team.pk)
        team_calendar(crew.team.pk)


def test_is_working_day_for_a_team(crew):
    team_closed_days_default(team=crew.team)
    ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 29))
    calendar = team_calendar(crew.team.pk)

    days = [date(2026, 12, d) for d in range(22, 32)]
    assert [d.day for d in days if calendar.is_working_day(d)] == [22, 23, 28, 30]
    assert calendar.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


# --- The page -------------------------------------------------------------------------------


def test_a_manager_sees_the_years_days_off_and_the_form(client, crew, today):
    team_closed_days_default(team=crew.team)
    ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 29), label="Stocktaking")
    client.force_login(crew.manager)

    html = client.get(URL).content.decode()

    assert "Team calendar 2026: Alpha" in html
    assert '<time datetime="2026-12-24">Thu 24 Dec</time></td>\n      <td>—</td>' in html
    assert "Julaften" in html and "Stocktaking" in html
    assert (
        '<time datetime="2026-05-17">Sun 17 May</time></td>\n      <td>Constitution Day</td>'
        in html
    )
    assert html.count('action="/team/calendar/remove/"') == 3
    assert 'name="on"' in html


@pytest.mark.parametrize("role", ["sdr", "bdr", "ae", "marketing"])
def test_the_rest_of_the_team_reads_it_only(client, crew, today, role):
    team_closed_days_default(team=crew.team)
    client.force_login(getattr(crew, role))

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Julaften" in html
    assert 'name="on"' not in html
    assert "/team/calendar/remove/" not in html


@pytest.mark.parametrize("role", ["admin", "privacy"])
def test_who_belongs_to_no_team_has_no_team_calendar(client, crew, today, role):
    client.force_login(getattr(crew, role))
    assert client.get(URL).status_code == 403


def test_another_teams_closed_days_are_not_on_the_page(client, crew, other_crew, today):
    ClosedDay.objects.create(team=other_crew.team, on=date(2026, 12, 29), label="Beta's day")
    client.force_login(crew.manager)
    assert "Beta&#x27;s day" not in client.get(URL).content.decode()
    client.force_login(other_crew.sdr)
    assert "Beta&#x27;s day" in client.get(URL).content.decode()


def test_another_year(client, crew, today):
    client.force_login(crew.sdr)
    html = client.get(URL, {"year": "2027"}).content.decode()
    assert "Team calendar 2027" in html
    assert '<time datetime="2027-05-17">Mon 17 May</time>' in html


@pytest.mark.parametrize("year", ["abc", "1999", "99999999999999999999", ""])
def test_a_wrong_year_shows_this_one(client, crew, today, year):
    client.force_login(crew.sdr)
    response = client.get(URL, {"year": year})
    assert response.status_code == 200
    assert "Team calendar 2026" in response.content.decode()


def test_a_manager_adds_a_closed_day_on_the_page(client, crew, today):
    client.force_login(crew.manager)

    response = client.post(URL, {"on": "2027-01-04", "label": "Stocktaking"})

    assert (response.status_code, response["Location"]) == (302, "/team/calendar/?year=2027")
    assert rows(crew.team) == [(date(2027, 1, 4), False, "Stocktaking")]
    assert "Closed on 4 January 2027." in client.get(response["Location"]).content.decode()


def test_a_yearly_day_added_on_the_page(client, crew, today):
    client.force_login(crew.manager)
    response = client.post(URL + "?year=2026", {"on": "2026-05-18", "yearly": "on"})
    assert response["Location"] == "/team/calendar/?year=2026"
    assert rows(crew.team) == [(date(2000, 5, 18), True, "")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"on": "2026-13-45"}, "Enter a date such as 2026-12-24."),
        ({"on": "24.12"}, "Enter a date such as 2026-12-24."),
        ({"on": ""}, "Choose the day the team is closed."),
        ({"on": "1850-12-24"}, "Enter a date between the years 2000 and 2100."),
        ({"on": "2026-12-01"}, "That day has passed: choose today or a later day."),
        ({"on": "2026-12-24", "label": "x" * 81}, "Ensure this value has at most 80 characters"),
    ],
)
def test_a_wrong_date_on_the_page_is_a_clear_error(client, crew, today, data, message):
    client.force_login(crew.manager)

    response = client.post(URL, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert rows(crew.team) == []


def test_the_same_day_twice_on_the_page(client, crew, today):
    ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 29))
    client.force_login(crew.manager)

    response = client.post(URL, {"on": "2026-12-29"})

    assert response.status_code == 400
    assert "That day is already a closed day." in response.content.decode()
    assert rows(crew.team) == [(date(2026, 12, 29), False, "")]


@pytest.mark.parametrize("role", ["sdr", "ae", "marketing"])
def test_the_rest_of_the_team_cannot_change_it(client, crew, today, role):
    existing = ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 29))
    client.force_login(getattr(crew, role))

    assert client.post(URL, {"on": "2026-12-30"}).status_code == 403
    assert client.post(REMOVE, {"closed_day": existing.pk}).status_code == 403

    assert rows(crew.team) == [(date(2026, 12, 29), False, "")]


def test_a_manager_removes_a_closed_day_on_the_page(client, crew, today):
    closed = ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 29))
    client.force_login(crew.manager)

    response = client.post(REMOVE, {"closed_day": closed.pk, "year": "2026"})

    assert (response.status_code, response["Location"]) == (302, "/team/calendar/?year=2026")
    assert rows(crew.team) == []


@pytest.mark.parametrize("forged", ["theirs", "", "abc", "-1", "99999999999999999999999"])
def test_removing_another_teams_or_a_forged_id_is_not_found(
    client, crew, other_crew, today, forged
):
    theirs = ClosedDay.objects.create(team=other_crew.team, on=date(2026, 12, 29))
    ours = ClosedDay.objects.create(team=crew.team, on=date(2026, 12, 30))
    client.force_login(crew.manager)

    value = theirs.pk if forged == "theirs" else forged
    assert client.post(REMOVE, {"closed_day": value}).status_code == 404

    assert rows(other_crew.team) == [(date(2026, 12, 29), False, "")]
    assert rows(crew.team) == [(date(2026, 12, 30), False, "")]
    assert ours.pk != theirs.pk


def test_the_page_reads_a_bounded_number_of_queries(
    client, crew, today, django_assert_max_num_queries
):
    client.force_login(crew.manager)
    client.get(URL)  # the session, once
    ClosedDay.objects.bulk_create(
        ClosedDay(team=crew.team, on=date(2026, 1, 1).replace(day=d, month=m), label=f"{m}-{d}")
        for m in range(1, 13)
        for d in (2, 9, 16, 23)
    )
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert response.content.decode().count('action="/team/calendar/remove/"') == 48

"""An admin's activity across every team: the teams' figures summed, counted from WorkedDay.

Leads worked come from ``WorkedDay`` (a lead's touch days, each with the touch day before it)
rather than a distinct count over the facts: these tests pin that both give the same figures,
including when a touch arrives late (an earlier day read after later ones), and that an admin's
page is the teams' pages summed, in a fixed number of queries.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count

from dashboards import metrics
from dashboards.metrics import Filters, dashboard_scope
from dashboards.models import WorkedCount, WorkedDay
from dashboards.rollup import facts_refresh
from leads.models import EventKind
from leads.services import lead_event_record, lead_log_call
from tests.dashboards.helpers import build_beta, build_week, call_at, new_lead, oslo

pytestmark = pytest.mark.django_db

MON, TUE, WED = date(2027, 1, 11), date(2027, 1, 12), date(2027, 1, 13)
SUMMED = ["email", "call", "linkedin", "task_on_time", "task_overdue", "worked"]
SUMMED += ["qualified", "accepted", "rejected"]


@pytest.fixture
def two_teams(crew, other_crew, time_machine):
    alpha = build_week(crew, time_machine)
    beta = build_beta(other_crew, time_machine)
    time_machine.move_to(oslo(14, 9), tick=False)
    facts_refresh()
    return alpha, beta


@pytest.mark.parametrize("by", ["day", "week"])
def test_admin_activity_is_the_teams_figures_summed(crew, other_crew, two_teams, by):
    f = Filters(MON, WED)
    everyone = metrics.sdr_activity(dashboard_scope(crew.admin), f, by=by)
    alpha = metrics.sdr_activity(dashboard_scope(crew.manager), f, by=by)
    beta = metrics.sdr_activity(dashboard_scope(other_crew.manager), f, by=by)
    periods = sorted({r["period"] for r in alpha.rows + beta.rows})
    assert [r["period"] for r in everyone.rows] == periods
    for row in everyone.rows:
        a = next((r for r in alpha.rows if r["period"] == row["period"]), {})
        b = next((r for r in beta.rows if r["period"] == row["period"]), {})
        assert {k: row[k] for k in SUMMED} == {k: a.get(k, 0) + b.get(k, 0) for k in SUMMED}
    # Each SDR belongs to one team: the admin's per-person rows are the teams' rows.
    assert sorted(everyone.totals, key=lambda t: t["user_id"]) == sorted(
        alpha.totals + beta.totals, key=lambda t: t["user_id"]
    )
    assert everyone.series == [
        (d, n + m) for (d, n), (_, m) in zip(alpha.series, beta.series, strict=True)
    ]


def test_admin_activity_known_figures(crew, other_crew, two_teams):
    act = metrics.sdr_activity(dashboard_scope(crew.admin), Filters(MON, WED))
    mon, tue = act.rows
    # Alpha: Monday 3 calls on A and D (2 leads), Tuesday 1 (B). Beta: Monday E, F; Tuesday
    # E, F, G (G twice).
    assert (mon["period"], mon["call"], mon["worked"]) == (MON, 5, 4)
    assert (tue["period"], tue["call"], tue["worked"]) == (TUE, 5, 4)
    # Speed to lead on Monday: B (Alpha, 45 min) and F (Beta, 1 h): the median of both.
    assert mon["speed_to_lead"] == (2700 + 3600) / 2
    assert tue["speed_to_lead"] is None
    totals = {t["user_id"]: t for t in act.totals}
    assert (totals[other_crew.sdr.pk]["call"], totals[other_crew.sdr.pk]["worked"]) == (4, 2)
    assert (totals[other_crew.sdr2.pk]["worked"], totals[other_crew.sdr2.pk]["speed_to_lead"]) == (
        1,
        3600,
    )
    (week,) = metrics.sdr_activity(dashboard_scope(crew.admin), Filters(MON, WED), by="week").rows
    assert (week["call"], week["worked"]) == (10, 6)  # A, B, D and E, F, G
    # One team, chosen by the admin: the same figures as its manager's.
    chosen = dashboard_scope(crew.admin, team_id=other_crew.team.pk)
    assert (
        metrics.sdr_activity(chosen, Filters(MON, WED)).rows
        == metrics.sdr_activity(dashboard_scope(other_crew.manager), Filters(MON, WED)).rows
    )


def _from_facts(monkeypatch):
    activity = metrics.activity
    monkeypatch.setattr(activity, "_per_lead_rows", activity._per_lead_rows_from_facts)


def _figures(act):
    return act.rows, act.totals


@pytest.mark.parametrize("by", ["day", "week"])
@pytest.mark.parametrize(
    "who", ["admin", "admin_sdr", "manager", "manager_sdr2", "sdr", "other_manager"]
)
@pytest.mark.parametrize("span", [(MON, WED), (TUE, TUE), (TUE, date(2027, 1, 20))])
def test_worked_days_give_the_distinct_leads_of_the_facts(
    crew, other_crew, two_teams, monkeypatch, by, who, span
):
    user = {
        "admin": crew.admin,
        "admin_sdr": crew.admin,
        "manager": crew.manager,
        "manager_sdr2": crew.manager,
        "sdr": crew.sdr,
        "other_manager": other_crew.manager,
    }[who]
    sdr = {"admin_sdr": other_crew.sdr.pk, "manager_sdr2": crew.sdr2.pk}.get(who)
    f = Filters(*span, sdr=sdr)
    scope = dashboard_scope(user)
    counted = _figures(metrics.sdr_activity(scope, f, by=by))
    _from_facts(monkeypatch)
    assert counted == _figures(metrics.sdr_activity(scope, f, by=by))


def test_a_touch_read_late_on_an_earlier_day_counts_once(crew, time_machine, monkeypatch):
    """A touch whose entry is read after later days' (a late commit, or written with an
    earlier time) moves the next touch day's previous day: the lead still counts once."""
    ny = ZoneInfo("America/New_York")
    crew.team.time_zone = "America/New_York"
    crew.team.save(update_fields=["time_zone"])
    time_machine.move_to(datetime(2027, 1, 4, 9, tzinfo=ny), tick=False)
    lead = new_lead(crew, crew.sdr, datetime(2027, 1, 4, 9, tzinfo=ny))
    # Touches on Wednesday 13 and Monday 18 January, read by the rollup.
    call_at(time_machine, lead, crew.sdr, datetime(2027, 1, 13, 10, tzinfo=ny))
    call_at(time_machine, lead, crew.sdr, datetime(2027, 1, 18, 10, tzinfo=ny))
    facts_refresh()
    # Then an entry dated Monday 11 January, read after them.
    lead_event_record(
        lead=lead,
        kind=EventKind.CALL,
        actor=crew.sdr,
        at=datetime(2027, 1, 11, 10, tzinfo=ny),
        payload={"outcome": "connected"},
    )
    facts_refresh()
    rows = WorkedDay.objects.filter(lead_id=lead.pk).order_by("user_id", "day")
    assert list(rows.values_list("user_id", "day", "prev_day")) == [
        (crew.sdr.pk, date(2027, 1, 11), None),
        (crew.sdr.pk, date(2027, 1, 13), date(2027, 1, 11)),
        (crew.sdr.pk, date(2027, 1, 18), date(2027, 1, 13)),
        (None, date(2027, 1, 11), None),
        (None, date(2027, 1, 13), date(2027, 1, 11)),
        (None, date(2027, 1, 18), date(2027, 1, 13)),
    ]
    scope = dashboard_scope(crew.manager)
    week = metrics.sdr_activity(scope, Filters(MON, MON + timedelta(days=13)), by="week")
    assert [(r["period"], r["call"], r["worked"]) for r in week.rows] == [
        (MON, 2, 1),
        (date(2027, 1, 18), 1, 1),
    ]
    assert [(t["user_id"], t["worked"]) for t in week.totals] == [(crew.sdr.pk, 1)]
    # From Tuesday 12: the touch of the 11th is outside, the one of the 13th counts.
    tue = metrics.sdr_activity(scope, Filters(TUE, TUE + timedelta(days=6)), by="week")
    assert [(r["period"], r["worked"]) for r in tue.rows] == [(MON, 1), (date(2027, 1, 18), 1)]
    got = _figures(tue)
    _from_facts(monkeypatch)
    assert got == _figures(metrics.sdr_activity(scope, Filters(TUE, TUE + timedelta(6)), by="week"))
    # The counts the pages read: one per (team, SDR or everyone, day, previous day); the row of
    # the 13th moved from "no previous day" to the 11th.
    counts = WorkedCount.objects.filter(team_id=crew.team.pk, n__gt=0)
    assert sorted(counts.values_list("user_id", "day", "prev_day", "n"), key=str) == sorted(
        rows.values_list("user_id", "day", "prev_day").annotate(k=Count("id")), key=str
    )
    assert (
        WorkedCount.objects.get(user_id=crew.sdr.pk, day=date(2027, 1, 13), prev_day__isnull=True).n
        == 0
    )
    # Reading everything again changes nothing.
    before = list(WorkedDay.objects.order_by("pk").values())
    before_counts = list(WorkedCount.objects.order_by("pk").values())
    facts_refresh(rebuild=True)
    assert list(WorkedDay.objects.order_by("pk").values()) == before
    assert list(WorkedCount.objects.order_by("pk").values()) == before_counts


@pytest.mark.parametrize("n", [2, 8])
@pytest.mark.parametrize(
    "path",
    [
        "/dashboards/activity/",
        "/dashboards/activity/?by=week",
        "/dashboards/activity/?by=week&sdr={sdr}",
        "/dashboards/activity/?team={team}",
    ],
)
def test_admin_activity_query_count_does_not_grow(
    crew, other_crew, client, django_assert_num_queries, n, path
):
    for c in (crew, other_crew):
        for _ in range(n):
            for owner in ("sdr", "sdr2"):
                lead = c.lead(owner=owner)
                lead_log_call(actor=lead.owner, lead_id=lead.pk, outcome="connected")
    facts_refresh()
    client.force_login(crew.admin)
    url = path.format(sdr=crew.sdr.pk, team=other_crew.team.pk)
    # session, user, the SDRs (of every team, or of the chosen team, then with the team
    # itself), cadences, teams; day counts, worked and speed, names; the rollup's time
    with django_assert_num_queries(10 if "team=" in url else 9):
        response = client.get(url)
    assert response.status_code == 200

"""Every metric against the hand-built week of tests/dashboards/helpers.py, with known answers."""

from datetime import date

import pytest

from dashboards import metrics
from dashboards.metrics import Filters, dashboard_scope
from dashboards.models import DayCount, Fact
from dashboards.rollup import facts_refresh
from tests.dashboards.helpers import build_week

pytestmark = pytest.mark.django_db

MON, TUE = date(2027, 1, 11), date(2027, 1, 12)


@pytest.fixture
def week(crew, time_machine):
    leads = build_week(crew, time_machine)
    facts_refresh()
    return leads


def test_funnel_counts_the_cohort_on_the_teams_local_day(crew, week):
    scope = dashboard_scope(crew.manager)
    funnel = metrics.pipeline_funnel(scope, Filters(MON, MON))
    assert [(s["stage"], s["count"]) for s in funnel.stages] == [
        ("new", 4),
        ("researching", 2),
        ("contacting", 2),
        ("engaged", 2),
        ("qualified", 2),
        ("handed_off", 2),
        ("accepted", 2),
    ]
    assert [s["conversion"] for s in funnel.stages] == [None, 0.5, 1, 1, 1, 1, 1]
    assert [(d["from"], d["reason"], d["count"]) for d in funnel.dropouts] == [
        ("new", "no_need", 1)
    ]
    # Lead B arrived at 23:30 in New York: Tuesday in UTC, Monday for the team.
    tuesday = metrics.pipeline_funnel(scope, Filters(TUE, TUE))
    assert [s["count"] for s in tuesday.stages] == [0] * 7


def test_funnel_credits_each_stage_to_the_owner_at_the_time(crew, week):
    scope = dashboard_scope(crew.manager)
    sdr = metrics.pipeline_funnel(scope, Filters(MON, TUE, sdr=crew.sdr.pk))
    sdr2 = metrics.pipeline_funnel(scope, Filters(MON, TUE, sdr=crew.sdr2.pk))
    # D was created by sdr (new) and moved on by sdr2 after the reassignment.
    assert [s["count"] for s in sdr.stages] == [4, 1, 1, 1, 1, 1, 1]
    assert [s["count"] for s in sdr2.stages] == [0, 1, 1, 1, 1, 1, 1]
    inbound = metrics.pipeline_funnel(scope, Filters(MON, TUE, source="inbound"))
    assert [s["count"] for s in inbound.stages] == [1, 0, 0, 0, 0, 0, 0]


def test_activity_per_day_for_the_team_and_per_sdr(crew, week):
    scope = dashboard_scope(crew.manager)
    act = metrics.sdr_activity(scope, Filters(MON, TUE))
    mon, tue = act.rows
    assert (mon["period"], tue["period"]) == (MON, TUE)
    assert (mon["call"], mon["email"], mon["linkedin"]) == (3, 0, 0)
    assert (mon["qualified"], mon["accepted"], mon["rejected"]) == (3, 0, 1)
    assert mon["worked"] == 2  # A and D (D by both SDRs: once)
    assert mon["speed_to_lead"] == 2700  # B arrived Monday 23:30 New York, called 00:15
    assert (tue["call"], tue["worked"], tue["accepted"], tue["speed_to_lead"]) == (1, 1, 2, None)
    assert tue["acceptance_rate"] == 1
    totals = {t["user_id"]: t for t in act.totals}
    sdr, sdr2 = totals[crew.sdr.pk], totals[crew.sdr2.pk]
    assert (sdr["call"], sdr["qualified"], sdr["accepted"], sdr["rejected"]) == (3, 2, 1, 1)
    assert sdr["worked"] == 3  # A, D, B: distinct over the range
    assert sdr["acceptance_rate"] == 0.5  # A was rejected once, then accepted
    assert sdr["speed_to_lead"] == 2700
    assert (sdr2["call"], sdr2["qualified"], sdr2["accepted"], sdr2["worked"]) == (1, 1, 1, 1)
    assert sdr2["acceptance_rate"] == 1
    assert sdr2["speed_to_lead"] is None
    assert act.series == [(MON, 3), (TUE, 1)]
    assert act.calls_by_outcome == [("no_answer", 2), ("connected", 1), ("voicemail", 1)]


def test_activity_of_one_sdr_per_day(crew, week):
    act = metrics.sdr_activity(dashboard_scope(crew.manager), Filters(MON, TUE, sdr=crew.sdr.pk))
    mon, tue = act.rows
    assert (mon["call"], mon["qualified"], mon["rejected"], mon["worked"]) == (2, 2, 1, 2)
    assert (tue["call"], tue["accepted"], tue["worked"]) == (1, 1, 1)
    assert [t["user_id"] for t in act.totals] == [crew.sdr.pk]
    # the SDR's own scope gives the same figures
    own = metrics.sdr_activity(dashboard_scope(crew.sdr), Filters(MON, TUE))
    assert own.rows == act.rows


def test_activity_by_week_sums_days_and_counts_leads_once(crew, week):
    act = metrics.sdr_activity(dashboard_scope(crew.manager), Filters(MON, TUE), by="week")
    (row,) = act.rows
    assert row["period"] == MON
    assert (row["call"], row["worked"], row["qualified"], row["accepted"]) == (4, 3, 3, 2)


def test_commission_report_credits_the_sdr_at_acceptance(crew, week):
    report = metrics.commission_report(dashboard_scope(crew.manager), Filters(MON, TUE))
    assert [(r.sdr_id, r.lead_id, r.ae) for r in report["rows"]] == [
        (crew.sdr.pk, week["a"].pk, str(crew.ae)),
        (crew.sdr2.pk, week["d"].pk, str(crew.ae)),
    ]
    assert {p["sdr_id"]: p["accepted"] for p in report["per_sdr"]} == {
        crew.sdr.pk: 1,
        crew.sdr2.pk: 1,
    }
    assert report["total"] == 2
    assert metrics.commission_report(dashboard_scope(crew.manager), Filters(MON, MON))["total"] == 0


def test_time_in_stage_median_and_p90(crew, week):
    rows = {
        r["state"]: r
        for r in metrics.time_in_stage(dashboard_scope(crew.manager), Filters(MON, TUE))
    }
    # handed off: A 12:10-13:00 (3000 s), A 14:10-10:00 (71400 s), D 14:40-11:00 (73200 s)
    assert rows["handed_off"]["stays"] == 3
    assert rows["handed_off"]["median"] == 71400
    assert rows["handed_off"]["p90"] == pytest.approx(72840)
    # new: A 1 h, C 1 h, D 5 h
    assert (rows["new"]["stays"], rows["new"]["median"]) == (3, 3600)
    assert rows["engaged"]["stays"] == 3  # A twice (before and after the rejection), D once


def test_rollup_is_idempotent_and_incremental(crew, week):
    facts, counts = Fact.objects.count(), list(DayCount.objects.order_by("pk").values())
    assert facts_refresh(rebuild=True) == 0
    assert Fact.objects.count() == facts
    assert list(DayCount.objects.order_by("pk").values()) == counts

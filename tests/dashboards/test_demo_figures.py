"""The demo's dashboards: after seed_demo the manager sees figures on every page at once (the
history of seed_demo_dashboards, rolled up), and seeding again changes nothing.

The figures are those of the demo's stories (dashboards/management/commands/seed_demo_dashboards
.py STORIES) plus seed_demo's 40 leads walked today: 7 accepted stories (3 Sara, 2 Sindre, 2
Bjørn) and today's 3 accepted (one each), 3 rejections (one each), 11 replies (the 7 accepted,
3 rejected and the pending one), 10 scrapped stories plus 4 scrapped today; the default period is
the last 30 days, which leaves out the three break-up leads created six weeks ago."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from accounts.models import User
from cadences.models import Enrollment, Touch
from dashboards.models import DayCount, Fact, WorkedDay
from leads.models import Company, Lead, LeadEvent, Prospect
from qualification.models import QualificationDecision

# A Monday afternoon; the history covers the six weeks before it.
TODAY = datetime(2026, 12, 7, 14, 0, tzinfo=ZoneInfo("Europe/Oslo"))


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def maria(db, time_machine, client):
    time_machine.move_to(TODAY, tick=False)
    _seed()
    maria = User.objects.get(username="maria")
    client.force_login(maria)
    return maria


def _figures(response) -> dict[str, dict[str, str]]:
    return {
        t["name"]: {c["key"]: c["text"] for c in t["cells"]} for t in response.context["totals"]
    }


def test_pipeline_shows_the_funnel_and_the_reasons_for_scrapping(maria, client):
    response = client.get("/dashboards/")
    assert response.status_code == 200
    funnel = response.context["funnel"]
    assert [(s["stage"], s["count"]) for s in funnel.stages] == [
        ("new", 58),
        ("researching", 50),
        ("contacting", 40),
        ("engaged", 24),
        ("qualified", 20),
        ("handed_off", 17),
        ("accepted", 10),
    ]
    assert sorted((d["from"], d["reason"], d["count"]) for d in funnel.dropouts) == [
        ("contacting", "competitor", 1),
        ("contacting", "no_authority", 1),
        ("contacting", "no_budget", 1),
        ("contacting", "no_need", 1),
        ("engaged", "competitor", 1),
        ("engaged", "no_budget", 1),
        ("engaged", "too_small", 1),
        ("researching", "no_need", 4),
    ]
    # The team's reasons are its own data, written in its language when its list was made: the
    # demo team works in bokmål, so its list does too, whatever the reader's language.
    assert "Kunde hos konkurrent" in response.content.decode()


def test_activity_shows_each_sdrs_touches_and_outcomes(maria, client):
    response = client.get("/dashboards/activity/")
    assert response.status_code == 200
    figures = _figures(response)
    keys = ["email", "call", "linkedin", "task_on_time", "worked", "qualified", "accepted",
            "rejected", "acceptance_rate"]  # fmt: skip
    assert {name: [f[k] for k in keys] for name, f in figures.items()} == {
        "Bjørn Moe": ["13", "12", "5", "6", "12", "6", "3", "1", "75%"],
        "Sara Lund": ["17", "14", "6", "7", "14", "8", "4", "1", "80%"],
        "Sindre Dahl": ["14", "11", "4", "4", "13", "6", "3", "1", "75%"],
    }
    # Touches on many days, not only today.
    assert sum(1 for _, n in response.context["series"] if n) >= 15


def test_commission_lists_the_accepted_leads_per_sdr(maria, client):
    response = client.get("/dashboards/commission/")
    assert response.status_code == 200
    report = response.context["report"]
    assert report["total"] == 10
    assert [(r["sdr"], r["accepted"]) for r in report["per_sdr"]] == [
        ("Bjørn Moe", 3),
        ("Sara Lund", 4),
        ("Sindre Dahl", 3),
    ]
    assert len(report["rows"]) == 10
    assert len({r.day for r in report["rows"]}) == 8  # seven days of the history, and today


def test_cadences_show_sends_and_replies_per_step(maria, client):
    response = client.get("/dashboards/cadences/")
    assert response.status_code == 200
    (perf,) = response.context["perf"]
    assert (perf["cadence"].name, perf["cadence"].language) == (
        "Standardkadens (9 kontaktpunkter)",
        "nb",
    )
    assert {k: perf["total"][k] for k in ("sent", "replied", "enrolled")} == {
        "sent": 44,
        "replied": 11,
        "enrolled": 24,
    }
    assert [(s["step"], s["sent"], s["replied"]) for s in perf["steps"]] == [
        (1, 18, 4),
        (3, 11, 4),
        (4, 5, 3),
        (6, 1, 0),
        (7, 3, 0),
        (8, 3, 0),
        (9, 3, 0),
    ]


def test_time_in_stage_shows_the_stays(maria, client):
    response = client.get("/dashboards/time-in-stage/")
    assert response.status_code == 200
    assert [(r["state"], r["stays"]) for r in response.context["rows"]] == [
        ("new", 50),
        ("researching", 44),
        ("contacting", 34),
        ("engaged", 23),
        ("qualified", 17),
        ("handed_off", 13),
    ]
    medians = {r["state"]: r["median"] for r in response.context["rows"]}
    # The history's stays last days (seed_demo's own leads moved within the same second).
    assert medians["contacting"] == 89100.0  # 24 h 45 min
    assert medians["handed_off"] == 93600.0  # 26 h


def test_the_demo_has_no_two_people_or_companies_alike(maria):
    people = list(Prospect.objects.values_list("first_name", "last_name"))
    assert len(people) == len(set(people)) == 61
    companies = list(Company.objects.values_list("name", flat=True))
    assert len(companies) == len(set(companies)) == 20


def _everything() -> dict:
    return {
        "leads": dict(Lead.objects.values_list("pk", "state")),
        "events": LeadEvent.objects.count(),
        "touches": dict(Touch.objects.values_list("pk", "status")),
        "enrollments": Enrollment.objects.count(),
        "decisions": QualificationDecision.objects.count(),
        "facts": Fact.objects.count(),
        "daycounts": sorted(DayCount.objects.values_list("metric", "day", "user_id", "n")),
        "worked": WorkedDay.objects.count(),
    }


def test_seeding_again_changes_nothing(maria, time_machine):
    before = _everything()
    time_machine.move_to(TODAY + timedelta(minutes=30), tick=False)
    output = _seed()
    assert _everything() == before
    assert "Dashboards demo ready (0 stories told, 0 facts added)." in output

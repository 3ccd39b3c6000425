"""Cadence performance per step, from the timeline: sent, replied, bounced, the reply rate, the
best step; two cadences side by side; manual tasks done on time or overdue."""

from datetime import date

import pytest

from cadences.models import Channel, Touch
from cadences.services import (
    StepData,
    email_record_bounce,
    lead_record_reply,
    touch_complete,
)
from dashboards import metrics
from dashboards.metrics import Filters, dashboard_scope
from dashboards.rollup import facts_refresh
from tests.cadences.helpers import at, enroll, make_cadence, task

pytestmark = pytest.mark.django_db


def manual_email() -> StepData:
    return StepData(channel=Channel.MANUAL_EMAIL, subject_template="Hi", body_template="Hello")


def send(crew, enrollment, position):
    touch = Touch.objects.get(enrollment=enrollment, position=position)
    touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="email_sent")


@pytest.fixture
def cadences(crew, time_machine):
    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)
    x = make_cadence(crew.manager, [manual_email(), manual_email(), task(Channel.CALL)], name="X")
    y = make_cadence(crew.manager, [manual_email(), manual_email()], name="Y")
    leads = {k: crew.lead(owner="sdr") for k in "EFGHIJ"}
    e = {k: enroll(crew.sdr, leads[k], x) for k in "EFGHJ"}
    e["I"] = enroll(crew.sdr, leads["I"], y)
    for k in "EFGHI":
        send(crew, e[k], 1)
    lead_record_reply(lead_id=leads["E"].pk, actor=crew.sdr)
    lead_record_reply(lead_id=leads["H"].pk, actor=crew.sdr)
    for k in "FGI":
        send(crew, e[k], 2)
    lead_record_reply(lead_id=leads["F"].pk, actor=crew.sdr)
    # I's cadence had completed (both emails sent): the reply still counts, at step 2.
    lead_record_reply(lead_id=leads["I"].pk, actor=crew.sdr)
    email_record_bounce(email=leads["G"].prospect.email)
    # J's first email is done a week late: an overdue task.
    time_machine.move_to(at(2027, 5, 10, 11, 0), tick=False)
    send(crew, e["J"], 1)
    facts_refresh()
    return x, y


def test_per_step_figures_best_step_and_two_cadences(crew, cadences):
    x, y = cadences
    f = Filters(date(2027, 5, 1), date(2027, 5, 31))
    perf = metrics.cadence_performance(dashboard_scope(crew.manager), f, cadence_ids=[x.pk, y.pk])
    assert [c["cadence"].name for c in perf] == ["X", "Y"]
    px, py = perf
    assert [
        (s["step"], s["sent"], s["replied"], s["bounced"], s["reply_rate"], s["best"])
        for s in px["steps"]
    ] == [(1, 5, 2, 0, 0.4, True), (2, 2, 1, 1, 0.5, False)]
    assert px["total"] == {
        "sent": 7,
        "replied": 3,
        "bounced": 1,
        "unsubscribed": 0,
        "reply_rate": 3 / 7,
        "enrolled": 5,
    }
    assert [(s["step"], s["sent"], s["replied"], s["best"]) for s in py["steps"]] == [
        (1, 1, 0, False),
        (2, 1, 1, True),
    ]


def test_tasks_done_on_time_and_overdue(crew, cadences):
    act = metrics.sdr_activity(
        dashboard_scope(crew.manager), Filters(date(2027, 5, 1), date(2027, 5, 31))
    )
    (sdr,) = act.totals
    assert (sdr["email"], sdr["task_on_time"], sdr["task_overdue"]) == (9, 8, 1)


def test_an_sdr_sees_only_their_cadence_figures_and_other_teams_none(crew, other_crew, cadences):
    x, _ = cadences
    f = Filters(date(2027, 5, 1), date(2027, 5, 31))
    mine = metrics.cadence_performance(dashboard_scope(crew.sdr), f, cadence_ids=[x.pk])
    assert mine[0]["total"]["sent"] == 7
    theirs = metrics.cadence_performance(dashboard_scope(crew.sdr2), f, cadence_ids=[x.pk])
    assert theirs[0]["total"]["sent"] == 0
    assert (
        metrics.cadence_performance(dashboard_scope(other_crew.manager), f, cadence_ids=[x.pk])
        == []
    )


def test_the_page_highlights_the_best_step(crew, client, cadences):
    x, y = cadences
    client.force_login(crew.manager)
    html = client.get(
        f"/dashboards/cadences/?start=2027-05-01&end=2027-05-31&a={x.pk}&b={y.pk}"
    ).content.decode()
    assert html.count('<tr class="best">') == 2
    assert 'class="side-by-side"' in html
    assert "chart-bar best" in html

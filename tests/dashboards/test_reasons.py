"""The dashboards count scraps and rejections by the team's reasons (issue 20): a reason the
manager added or renamed reads as the team names it now; a rejection of before reasons
existed counts as "Not classified"; another team's list names nothing here."""

from datetime import date

import pytest

from dashboards import metrics
from dashboards.metrics import Filters, dashboard_scope
from dashboards.rollup import facts_refresh
from leads.models import EventKind
from leads.services import (
    TransitionParams,
    lead_event_record,
    lead_transition,
    reason_create,
    reason_update,
)
from tests.dashboards.helpers import build_week, new_lead, ny

pytestmark = pytest.mark.django_db

MON = date(2027, 1, 11)


def test_dropouts_and_rejections_by_the_teams_reasons(crew, other_crew, time_machine):
    build_week(crew, time_machine)  # lead A is rejected with words only: "other"
    time_machine.move_to(ny(11, 15), tick=False)
    bankrupt = reason_create(actor=crew.manager, kind="disqualify", label="Went bankrupt")
    # Another team's reason of the same kind never names this team's figures.
    reason_create(actor=other_crew.manager, kind="disqualify", label="Beta's own")
    e = new_lead(crew, crew.sdr, ny(11, 15))
    lead_transition(
        actor=crew.sdr,
        lead_id=e.pk,
        name="disqualify",
        params=TransitionParams(reason=bankrupt.code),
    )
    reason_update(actor=crew.manager, reason_id=bankrupt.pk, label="Bankrupt")
    facts_refresh()

    funnel = metrics.pipeline_funnel(dashboard_scope(crew.manager), Filters(MON, MON))

    assert [(d["from"], d["reason"], d["label"], d["count"]) for d in funnel.dropouts] == [
        ("new", bankrupt.code, "Bankrupt", 1),
        ("new", "no_need", "No need", 1),
    ]
    assert [(r["reason"], r["label"], r["count"]) for r in funnel.rejections] == [
        ("other", "Other", 1)
    ]


def test_a_rejection_of_before_reasons_counts_as_not_classified(crew, time_machine):
    """A timeline entry as the reject wrote it before issue 20: the AE's words, no code."""
    time_machine.move_to(ny(11, 9), tick=False)
    lead = new_lead(crew, crew.sdr, ny(11, 9))
    lead_event_record(
        lead=lead,
        kind=EventKind.TRANSITION,
        actor=crew.ae,
        at=ny(11, 10),
        from_state="handed_off",
        to_state="engaged",
        body="Not the budget owner",
        payload={"transition": "reject", "reason": "Not the budget owner"},
    )
    facts_refresh()
    funnel = metrics.pipeline_funnel(dashboard_scope(crew.manager), Filters(MON, MON))
    assert [(r["reason"], r["label"], r["count"]) for r in funnel.rejections] == [
        ("", "Not classified", 1)
    ]


def test_the_pipeline_page_shows_the_rejections_by_reason(crew, client, time_machine):
    build_week(crew, time_machine)
    facts_refresh()
    client.force_login(crew.manager)
    response = client.get("/dashboards/?start=2027-01-11&end=2027-01-11")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Hand-offs sent back by AEs, by reason" in content
    assert '<tr data-reason="other"><td>Other</td><td class="num">1</td></tr>' in content

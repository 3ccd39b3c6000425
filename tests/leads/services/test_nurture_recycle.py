from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from leads.models import EventKind, Lead, LeadEvent
from leads.services import TransitionParams, lead_recycle_due_nurture, lead_transition
from leads.tasks import lead_recycle_due_nurture_task

from ..helpers import lead_snapshot

pytestmark = pytest.mark.django_db


def nurture(crew, days: int, owner="sdr") -> Lead:
    lead = crew.lead(owner=owner)
    return lead_transition(
        actor=crew.manager,
        lead_id=lead.pk,
        name="nurture",
        params=TransitionParams(recycle_on=timezone.localdate() + timedelta(days=days)),
    )


def test_due_leads_return_to_new_with_a_system_event(crew):
    today = timezone.localdate()
    due_earlier = nurture(crew, 5)
    due_today = nurture(crew, 10, owner=None)
    not_yet = nurture(crew, 11)
    not_yet_before = lead_snapshot(not_yet.pk)

    assert lead_recycle_due_nurture(today=today + timedelta(days=10)) == 2

    for lead in (due_earlier, due_today):
        row = (
            Lead.objects.filter(pk=lead.pk)
            .values("state", "recycle_on", "version", "owner_id")
            .get()
        )
        assert row == {"state": "new", "recycle_on": None, "version": 3, "owner_id": lead.owner_id}
        event = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
        assert (event.kind, event.actor_id, event.from_state, event.to_state) == (
            EventKind.TRANSITION,
            None,
            "nurture",
            "new",
        )
        assert (event.body, event.payload) == (
            "Recycle date reached: back to new.",
            {"transition": "recycle", "automatic": True},
        )
        lead_row = Lead.objects.get(pk=lead.pk)
        assert (lead_row.state_changed_at, lead_row.updated_at) == (event.created_at,) * 2
    assert lead_snapshot(not_yet.pk) == not_yet_before


def test_running_twice_does_nothing_more(crew):
    leads = [nurture(crew, 3), nurture(crew, 4)]
    assert lead_recycle_due_nurture(today=timezone.localdate() + timedelta(days=4)) == 2
    before = [lead_snapshot(lead.pk) for lead in leads]
    assert lead_recycle_due_nurture(today=timezone.localdate() + timedelta(days=4)) == 0
    assert [lead_snapshot(lead.pk) for lead in leads] == before
    assert LeadEvent.objects.filter(actor=None).count() == 2


def test_leads_in_other_states_are_left_alone(crew):
    new = crew.lead()
    recycled_by_hand = nurture(crew, 2)
    lead_transition(actor=crew.sdr, lead_id=recycled_by_hand.pk, name="recycle")
    disqualified = nurture(crew, 2)
    lead_transition(
        actor=crew.sdr,
        lead_id=disqualified.pk,
        name="disqualify",
        params=TransitionParams(reason="no_need"),
    )
    before = [lead_snapshot(lead.pk) for lead in (new, recycled_by_hand, disqualified)]
    assert lead_recycle_due_nurture(today=timezone.localdate() + timedelta(days=100)) == 0
    assert [lead_snapshot(lead.pk) for lead in (new, recycled_by_hand, disqualified)] == before


def test_more_due_leads_than_a_batch(crew):
    leads = [nurture(crew, d) for d in (1, 1, 2, 3, 3)]
    assert (
        lead_recycle_due_nurture(today=timezone.localdate() + timedelta(days=3), batch_size=2) == 5
    )
    assert set(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("state", flat=True)
    ) == {"new"}
    assert LeadEvent.objects.filter(actor=None).count() == 5


def test_today_defaults_to_the_local_date(crew):
    lead = nurture(crew, 7)
    tz = timezone.get_current_timezone()
    day_before = timezone.localdate() + timedelta(days=6)
    due_day = timezone.localdate() + timedelta(days=7)
    with time_machine.travel(datetime.combine(day_before, time(23, 59), tzinfo=tz), tick=False):
        assert lead_recycle_due_nurture() == 0
    assert Lead.objects.get(pk=lead.pk).state == "nurture"
    with time_machine.travel(datetime.combine(due_day, time(0, 1), tzinfo=tz), tick=False):
        assert lead_recycle_due_nurture() == 1
    assert Lead.objects.get(pk=lead.pk).state == "new"


def test_the_task_runs_the_service(crew):
    lead = nurture(crew, 1)
    tz = timezone.get_current_timezone()
    with time_machine.travel(
        datetime.combine(timezone.localdate() + timedelta(days=1), time(6, 0), tzinfo=tz),
        tick=False,
    ):
        assert lead_recycle_due_nurture_task.apply().get() == 1
        assert lead_recycle_due_nurture_task.apply().get() == 0
    assert Lead.objects.get(pk=lead.pk).state == "new"
    assert LeadEvent.objects.filter(lead_id=lead.pk, actor=None).count() == 1

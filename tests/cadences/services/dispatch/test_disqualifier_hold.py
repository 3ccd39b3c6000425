"""A hard disqualifier found while a cadence runs (issue 20): its automatic emails are held
with the reason, the SDR scraps the lead (nothing goes out) or overrides (recorded on the
timeline; the held emails go out, later ones too)."""

import pytest
from django.core import mail

from cadences.models import EnrollmentStatus, HoldReason, TouchStatus
from cadences.selectors import today_queue
from cadences.services import (
    touch_dispatch_due,
    touch_override_disqualifier,
    touch_scrap_disqualified,
)
from leads.models import DisqualifyReason, EventKind, Lead, LeadState
from leads.services import LeadConflict
from qualification.services import Answers, lead_answers_save
from sdrcrm.errors import NotFound
from tests.cadences.helpers import cadence_snapshot, events, statuses, touches
from tests.cadences.services.dispatch.helpers import enrolled

pytestmark = pytest.mark.django_db

SOLE = "0 employees (a sole proprietor)"


def sole_proprietor(crew, cadence):
    """Enrolled, then scored: 0 employees is a hard disqualifier (score 0)."""
    lead, enrollment = enrolled(crew, cadence, prospect__company__employee_count=0)
    result = lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=Answers())
    assert (result.score, result.disqualifier_code) == (0, "size")
    return lead, enrollment


def test_a_hard_disqualified_lead_is_not_emailed_and_the_email_is_held_with_the_reason(
    crew, cadence, now
):
    lead, enrollment = sole_proprietor(crew, cadence)

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.held) == (1, 0, 1)
    assert mail.outbox == []
    first = touches(enrollment)[0]
    assert (first.status, first.hold_reason, first.error, first.sent_at) == (
        TouchStatus.HELD, HoldReason.DISQUALIFIER, SOLE, None,
    )  # fmt: skip
    assert events(lead, EventKind.EMAIL) == []
    assert touch_dispatch_due().claimed == 0  # stays held
    item = next(i for i in today_queue(user=crew.sdr).items if i.obj.pk == first.pk)
    assert item.kind == "held_disqualifier"
    assert SOLE in item.label


def test_a_lead_without_a_disqualifier_is_emailed(crew, cadence, now):
    lead, enrollment = enrolled(crew, cadence, prospect__company__employee_count=50)
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=Answers())

    assert touch_dispatch_due().sent == 1
    assert [m.to for m in mail.outbox] == [[lead.prospect.email]]


def test_override_sends_the_held_email_and_is_on_the_timeline(crew, cadence, now):
    lead, enrollment = sole_proprietor(crew, cadence)
    touch_dispatch_due()
    held = touches(enrollment)[0]

    released = touch_override_disqualifier(actor=crew.sdr, touch_id=held.pk)

    assert released == 1
    enrollment.refresh_from_db()
    assert enrollment.disqualifier_overridden == "size"
    [event] = [e for e in events(lead, EventKind.CADENCE) if "overridden" in e.body]
    assert (event.actor_id, event.payload["action"], event.payload["disqualifier"]) == (
        crew.sdr.pk, "override_disqualifier", "size",
    )  # fmt: skip
    assert SOLE in event.body
    stats = touch_dispatch_due()
    assert (stats.sent, stats.held) == (1, 0)
    assert [m.to for m in mail.outbox] == [[lead.prospect.email]]
    assert touches(enrollment)[0].status == TouchStatus.SENT


def test_scrap_stops_the_cadence_disqualifies_the_lead_and_sends_nothing(crew, cadence, now):
    lead, enrollment = sole_proprietor(crew, cadence)
    touch_dispatch_due()
    held = touches(enrollment)[0]

    touch_scrap_disqualified(actor=crew.sdr, touch_id=held.pk)

    enrollment.refresh_from_db()
    lead = Lead.objects.get(pk=lead.pk)
    assert enrollment.status == EnrollmentStatus.STOPPED
    assert (lead.state, lead.disqualify_reason) == (
        LeadState.DISQUALIFIED,
        DisqualifyReason.TOO_SMALL,
    )
    assert set(statuses(enrollment)) == {TouchStatus.CANCELLED}
    assert touch_dispatch_due().claimed == 0
    assert mail.outbox == []


def test_override_or_scrap_of_an_email_not_held_for_a_disqualifier_changes_nothing(
    crew, cadence, now
):
    lead, enrollment = enrolled(crew, cadence)
    first = touches(enrollment)[0]
    before = cadence_snapshot()
    with pytest.raises(LeadConflict):
        touch_override_disqualifier(actor=crew.sdr, touch_id=first.pk)
    with pytest.raises(LeadConflict):
        touch_scrap_disqualified(actor=crew.sdr, touch_id=first.pk)
    assert cadence_snapshot() == before


def test_only_who_works_the_lead_may_override(crew, other_crew, cadence, now):
    lead, enrollment = sole_proprietor(crew, cadence)
    touch_dispatch_due()
    held = touches(enrollment)[0]
    before = cadence_snapshot()
    for outsider in (other_crew.sdr, crew.sdr2):  # neither sees the lead
        with pytest.raises(NotFound):
            touch_override_disqualifier(actor=outsider, touch_id=held.pk)
        with pytest.raises(NotFound):
            touch_scrap_disqualified(actor=outsider, touch_id=held.pk)
    assert cadence_snapshot() == before


def test_today_and_the_lead_page_show_the_reason_with_scrap_and_override(
    crew, cadence, now, client
):
    lead, enrollment = sole_proprietor(crew, cadence)
    touch_dispatch_due()
    held = touches(enrollment)[0]
    client.force_login(crew.sdr)

    today = client.get("/today/").content.decode()
    page = client.get(f"/leads/{lead.pk}/").content.decode()

    assert (
        "Email held, hard disqualifier: 0 employees (a sole proprietor). Scrap the lead, or "
        "override."
    ) in today
    for html in (today, page):
        assert f'action="/cadences/touches/{held.pk}/scrap/"' in html
        assert f'action="/cadences/touches/{held.pk}/override/"' in html
        assert "Override and send</button>" in html
    assert f"Hard disqualifier: {SOLE}" in page

    response = client.post(f"/cadences/touches/{held.pk}/override/", {"next": f"/leads/{lead.pk}/"})

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert touches(enrollment)[0].status == TouchStatus.SCHEDULED
    assert touch_dispatch_due().sent == 1
    assert len(mail.outbox) == 1

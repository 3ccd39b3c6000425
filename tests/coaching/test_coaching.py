"""Coaching: a manager's praise or advice on an SDR's call, email or lead; the SDR reads it on
the lead page and in their list, and acknowledges it."""

import pytest

from coaching.models import Feedback
from coaching.services import feedback_acknowledge, feedback_create
from leads.models import EventKind, LeadEvent
from leads.services import (
    LeadForbidden,
    LeadInvalid,
    lead_add_note,
    lead_event_record,
    lead_log_call,
)
from sdrcrm.errors import NotFound

pytestmark = pytest.mark.django_db


def _snapshot():
    return list(Feedback.objects.order_by("pk").values())


def test_feedback_on_a_call_goes_to_the_sdr_who_made_it(crew):
    lead = crew.lead(owner="sdr")
    call = lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome="connected", notes="Good")

    fb = feedback_create(
        actor=crew.manager, lead_id=lead.pk, kind="praise", body="Great opener!", event_id=call.pk
    )

    assert (fb.sdr_id, fb.author_id, fb.event_id, fb.kind, fb.team_id) == (
        crew.sdr.pk,
        crew.manager.pk,
        call.pk,
        "praise",
        crew.team.pk,
    )
    assert fb.acknowledged_at is None


def test_feedback_on_an_automatic_email_or_the_lead_goes_to_the_owner(crew):
    lead = crew.lead(owner="sdr2")
    email = lead_event_record(lead=lead, kind=EventKind.EMAIL, actor=None, body="Hello")
    fb1 = feedback_create(
        actor=crew.manager,
        lead_id=lead.pk,
        kind="advice",
        body="Shorter subject",
        event_id=email.pk,
    )
    fb2 = feedback_create(actor=crew.manager, lead_id=lead.pk, kind="advice", body="Call first")
    assert (fb1.sdr_id, fb2.sdr_id, fb2.event_id) == (crew.sdr2.pk, crew.sdr2.pk, None)


@pytest.mark.parametrize("role", ["sdr", "ae", "marketing"])
def test_only_managers_give_feedback(crew, role):
    lead = crew.lead(owner="sdr")
    with pytest.raises(LeadForbidden):
        feedback_create(actor=getattr(crew, role), lead_id=lead.pk, kind="praise", body="Hi")
    assert _snapshot() == []


def test_another_teams_manager_cannot_see_the_lead(crew, other_crew):
    lead = crew.lead(owner="sdr")
    with pytest.raises(NotFound):
        feedback_create(actor=other_crew.manager, lead_id=lead.pk, kind="praise", body="Hi")
    assert _snapshot() == []


def test_an_entry_of_another_lead_or_not_coachable_is_refused(crew):
    lead, other = crew.lead(owner="sdr"), crew.lead(owner="sdr")
    call = lead_log_call(actor=crew.sdr, lead_id=other.pk, outcome="connected")
    created = (
        LeadEvent.objects.get(lead=lead, kind=EventKind.CREATED)
        if LeadEvent.objects.filter(lead=lead, kind=EventKind.CREATED).exists()
        else lead_event_record(lead=lead, kind=EventKind.CREATED, actor=crew.sdr)
    )
    for event_id in (call.pk, created.pk):
        with pytest.raises(LeadInvalid):
            feedback_create(
                actor=crew.manager, lead_id=lead.pk, kind="praise", body="x", event_id=event_id
            )
    with pytest.raises(LeadInvalid):
        feedback_create(actor=crew.manager, lead_id=lead.pk, kind="cheer", body="x")
    with pytest.raises(LeadInvalid):
        feedback_create(actor=crew.manager, lead_id=lead.pk, kind="praise", body="   ")
    pool = crew.lead(owner=None)
    with pytest.raises(LeadInvalid):
        feedback_create(actor=crew.manager, lead_id=pool.pk, kind="praise", body="Nobody's")
    assert _snapshot() == []


def test_only_the_sdr_acknowledges_once(crew, time_machine):
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    lead = crew.lead(owner="sdr")
    fb = feedback_create(actor=crew.manager, lead_id=lead.pk, kind="advice", body="Slow down")
    for someone in (crew.sdr2, crew.manager, crew.ae):
        with pytest.raises(NotFound):
            feedback_acknowledge(actor=someone, feedback_id=fb.pk)
    assert Feedback.objects.get(pk=fb.pk).acknowledged_at is None

    first = feedback_acknowledge(actor=crew.sdr, feedback_id=fb.pk).acknowledged_at
    time_machine.shift(3600)
    again = feedback_acknowledge(actor=crew.sdr, feedback_id=fb.pk).acknowledged_at
    assert first is not None and again == first


def test_lead_page_shows_the_panel_to_the_sdr_and_the_form_to_the_manager(crew, client):
    lead = crew.lead(owner="sdr")
    lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="Spoke to the CFO")
    fb = feedback_create(
        actor=crew.manager, lead_id=lead.pk, kind="praise", body="Nice <b>work</b>"
    )

    client.force_login(crew.sdr)
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="coaching"' in html
    assert "Nice &lt;b&gt;work&lt;/b&gt;" in html
    assert f'action="/coaching/{fb.pk}/acknowledge/"' in html
    assert 'action="/coaching/leads/' not in html

    client.force_login(crew.manager)
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'action="/coaching/leads/{lead.pk}/"' in html
    assert "Spoke to the CFO" in html.split('id="fb-event"')[1].split("</select>")[0]
    assert f'action="/coaching/{fb.pk}/acknowledge/"' not in html


def test_sdr2_does_not_see_someone_elses_feedback(crew, client):
    lead = crew.lead(owner=None)  # the pool: both SDRs can open it
    call = lead_log_call(actor=crew.manager, lead_id=lead.pk, outcome="connected")
    lead.owner = crew.sdr
    lead.save(update_fields=["owner"])
    feedback_create(
        actor=crew.manager, lead_id=lead.pk, kind="praise", body="For sdr", event_id=call.pk
    )
    client.force_login(crew.sdr2)
    assert "For sdr" not in client.get("/coaching/").content.decode()


def test_create_and_acknowledge_through_the_pages(crew, client):
    lead = crew.lead(owner="sdr")
    call = lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome="voicemail")
    client.force_login(crew.manager)
    response = client.post(
        f"/coaching/leads/{lead.pk}/",
        {"kind": "advice", "body": "Leave a shorter voicemail", "event": call.pk},
    )
    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/#coaching")
    (fb,) = Feedback.objects.all()
    assert (fb.sdr_id, fb.event_id, fb.body) == (crew.sdr.pk, call.pk, "Leave a shorter voicemail")

    client.force_login(crew.sdr)
    listing = client.get("/coaching/").content.decode()
    assert "Leave a shorter voicemail" in listing
    assert "1 to acknowledge" in listing
    response = client.post(f"/coaching/{fb.pk}/acknowledge/", {"next": "/coaching/"})
    assert (response.status_code, response["Location"]) == (302, "/coaching/")
    fb.refresh_from_db()
    assert fb.acknowledged_at is not None
    assert "0 to acknowledge" in client.get("/coaching/").content.decode()


def test_an_sdr_posting_feedback_is_refused_and_nothing_saved(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    response = client.post(f"/coaching/leads/{lead.pk}/", {"kind": "praise", "body": "Me!"})
    assert response.status_code == 403
    assert _snapshot() == []


def test_acknowledge_never_redirects_off_site(crew, client):
    lead = crew.lead(owner="sdr")
    fb = feedback_create(actor=crew.manager, lead_id=lead.pk, kind="praise", body="Good")
    client.force_login(crew.sdr)
    response = client.post(f"/coaching/{fb.pk}/acknowledge/", {"next": "https://evil.example/"})
    assert response["Location"] == "/coaching/"


@pytest.mark.parametrize("n", [1, 12])
def test_feedback_list_query_count_is_fixed(crew, client, django_assert_num_queries, n):
    lead = crew.lead(owner="sdr")
    for i in range(n):
        call = lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome="connected")
        feedback_create(
            actor=crew.manager, lead_id=lead.pk, kind="praise", body=f"Good {i}", event_id=call.pk
        )
    client.force_login(crew.sdr)
    # session, user (with their team), the feedback with author, SDR, entry and lead
    with django_assert_num_queries(3):
        response = client.get("/coaching/")
    assert response.content.decode().count('class="feedback kind-praise') == n

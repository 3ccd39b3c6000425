"""Actions on the lead page: transitions, notes, calls, the research checklist and claiming,
as plain form posts (Post/Redirect/Get) and as htmx requests (a fragment back)."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from leads.models import EventKind, LeadEvent, LeadState
from leads.services import lead_set_checklist_item
from tests.fixtures import walk
from tests.leads.helpers import lead_snapshot

HTMX = {"HTTP_HX_REQUEST": "true"}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _detail(lead) -> str:
    return f"/leads/{lead.pk}/"


# --- Transitions ----------------------------------------------------------------------------


def test_transition_moves_the_lead_and_redirects_to_it(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.post(
        f"/leads/{lead.pk}/transition/start_research/", {"expected_state": "new"}
    )

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    assert _messages(response) == ["Lead is now Researching."]
    lead.refresh_from_db()
    assert (lead.state, lead.version) == (LeadState.RESEARCHING, 2)
    event = LeadEvent.objects.get(lead=lead)
    assert (event.kind, event.actor_id, event.from_state, event.to_state) == (
        EventKind.TRANSITION, crew.sdr.pk, "new", "researching",
    )  # fmt: skip


def test_transition_with_a_stale_expected_state_is_a_conflict_and_changes_nothing(crew, client):
    """The manager's page still showed 'new'; the SDR started research meanwhile."""
    lead = crew.lead(owner="sdr")
    client.force_login(crew.manager)
    page = client.get(_detail(lead))
    assert 'name="expected_state" value="new"' in page.content.decode()
    walk(lead, "researching")
    before = lead_snapshot(lead.pk)

    response = client.post(
        f"/leads/{lead.pk}/transition/start_contacting/", {"expected_state": "new"}
    )

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    (message,) = _messages(response)
    assert message.startswith(f"This lead was moved from New to Researching by {crew.sdr} at ")
    assert message.endswith(
        "Nothing was changed; look at its current state and try again if it still makes sense."
    )
    assert lead_snapshot(lead.pk) == before


def test_conflict_message_is_shown_on_the_lead_page(crew, client):
    lead = walk(crew.lead(owner="sdr"), "researching")
    client.force_login(crew.manager)

    response = client.post(
        f"/leads/{lead.pk}/transition/start_research/", {"expected_state": "new"}, follow=True
    )

    assert response.redirect_chain == [(_detail(lead), 302)]
    assert '<li class="message error">This lead was moved from New to Researching by ' in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("state", "name", "data", "message"),
    [
        ("new", "disqualify", {}, "Choose a reason for disqualifying."),
        ("new", "disqualify", {"reason": "other"}, "Describe the reason when you choose 'Other'."),
        ("new", "nurture", {}, "Choose a recycle date in the future."),
        ("new", "nurture", {"recycle_on": "{today}"}, "Choose a recycle date in the future."),
        ("new", "accept", {}, "This action is not possible while the lead is New."),
        ("new", "teleport", {}, "Unknown action 'teleport'."),
        ("qualified", "hand_off", {}, "Choose an account executive of this team."),
        ("qualified", "hand_off", {"ae": "{other_ae}"},
         "The form was not valid: ae: Select a valid choice. {other_ae} is not one of the "
         "available choices."),
        ("new", "start_research", {"expected_state": "limbo"},
         "The form was not valid: expected_state: Select a valid choice. limbo is not one of "
         "the available choices."),
        ("new", "nurture", {"recycle_on": "someday"},
         "The form was not valid: recycle_on: Enter a valid date."),
    ],
)  # fmt: skip
def test_transition_with_bad_input_says_why_and_changes_nothing(
    crew, other_crew, client, state, name, data, message
):
    lead = walk(crew.lead(owner="sdr"), state)
    client.force_login(crew.sdr)
    fill = {"today": timezone.localdate().isoformat(), "other_ae": other_crew.ae.pk}
    post = {k: v.format(**fill) for k, v in data.items()}
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/transition/{name}/", post)

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    assert _messages(response) == [message.format(**fill)]
    assert lead_snapshot(lead.pk) == before


def test_transition_with_parameters(crew, client):
    lead = walk(crew.lead(owner="sdr"), "qualified")
    client.force_login(crew.sdr)

    client.post(
        f"/leads/{lead.pk}/transition/hand_off/",
        {"expected_state": "qualified", "ae": crew.ae2.pk, "brief": "Budget agreed."},
    )

    lead.refresh_from_db()
    assert (lead.state, lead.assigned_ae_id, lead.handoff_brief) == (
        LeadState.HANDED_OFF, crew.ae2.pk, "Budget agreed.",
    )  # fmt: skip


def test_nurture_with_a_date_in_the_future(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    day = timezone.localdate() + timedelta(days=14)

    client.post(f"/leads/{lead.pk}/transition/nurture/", {"recycle_on": day.isoformat()})

    lead.refresh_from_db()
    assert (lead.state, lead.recycle_on) == (LeadState.NURTURE, day)


def test_htmx_transition_redirects_the_browser_to_the_lead(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.post(
        f"/leads/{lead.pk}/transition/start_research/", {"expected_state": "new"}, **HTMX
    )

    assert (response.status_code, response["HX-Redirect"]) == (200, _detail(lead))
    lead.refresh_from_db()
    assert lead.state == LeadState.RESEARCHING


# --- Notes ----------------------------------------------------------------------------------


def test_htmx_note_returns_the_activity_fragment_with_the_note(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.post(f"/leads/{lead.pk}/notes/", {"body": "Asked for a demo & pricing."},
                           **HTMX)  # fmt: skip

    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<section id="activity"')
    assert "<html" not in content
    assert "Note added." in content
    assert "Asked for a demo &amp; pricing." in content
    event = LeadEvent.objects.get(lead=lead)
    assert (event.kind, event.actor_id, event.body) == (
        EventKind.NOTE, crew.sdr.pk, "Asked for a demo & pricing.",
    )  # fmt: skip


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_htmx_empty_note_returns_the_form_with_an_error_and_writes_nothing(crew, client, body):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/notes/", {"body": body}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<section id="activity"')
    assert '<p class="field-error" id="id_body_error">This field is required.</p>' in content
    assert "Note added." not in content
    assert lead_snapshot(lead.pk) == before


def test_too_long_note_is_refused(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/notes/", {"body": "x" * 10_001}, **HTMX)

    assert "Ensure this value has at most 10000 characters (it has 10001)." in (
        response.content.decode()
    )
    assert lead_snapshot(lead.pk) == before


def test_plain_note_post_redirects_to_the_lead(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.post(f"/leads/{lead.pk}/notes/", {"body": "Left a message."})

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.NOTE).count() == 1


def test_plain_empty_note_redirects_with_a_message_and_writes_nothing(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/notes/", {"body": ""})

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    assert _messages(response) == ["The note was empty: nothing was saved."]
    assert lead_snapshot(lead.pk) == before


# Calls: tests/cadences/views/test_lead_call.py (the lead page's call form posts to cadences).


# --- Research checklist ---------------------------------------------------------------------


def test_htmx_checklist_returns_the_checklist_and_the_timeline_out_of_band(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.post(
        f"/leads/{lead.pk}/checklist/", {"item": "website_checked", "done": "1"}, **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<section class="card" id="checklist"')
    assert 'aria-pressed="true" data-item="website_checked"' in content
    assert 'aria-pressed="false" data-item="role_known"' in content
    assert '<span class="muted small">1/5</span>' in content
    assert 'id="timeline" aria-labelledby="timeline-h" hx-swap-oob="true"' in content
    assert "Website checked: done" in content
    lead.refresh_from_db()
    assert (lead.website_checked, lead.version) == (True, 2)


def test_unticking_a_checklist_item(crew, client):
    lead = crew.lead(owner="sdr")
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="need_understood", done=True)
    client.force_login(crew.sdr)

    response = client.post(f"/leads/{lead.pk}/checklist/", {"item": "need_understood", "done": "0"})

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    lead.refresh_from_db()
    assert lead.need_understood is False
    assert list(
        LeadEvent.objects.filter(lead=lead).order_by("id").values_list("body", flat=True)
    ) == ["Need understood: done", "Need understood: not done"]


def test_ticking_a_ticked_item_again_records_nothing(crew, client):
    lead = crew.lead(owner="sdr")
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="role_known", done=True)
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/checklist/", {"item": "role_known", "done": "1"},
                           **HTMX)  # fmt: skip

    assert response.status_code == 200
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize("item", ["", "is_superuser", "state"])
def test_unknown_checklist_item_is_400_and_changes_nothing(crew, client, item):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/checklist/", {"item": item, "done": "1"}, **HTMX)

    assert (response.status_code, response.content) == (400, b"Unknown checklist item.")
    assert lead_snapshot(lead.pk) == before


# --- Claim ----------------------------------------------------------------------------------


def test_claiming_a_pool_lead(crew, client):
    lead = crew.lead(owner=None)
    client.force_login(crew.bdr)

    response = client.post(f"/leads/{lead.pk}/claim/")

    assert (response.status_code, response["Location"]) == (302, _detail(lead))
    assert _messages(response) == ["The lead is yours."]
    lead.refresh_from_db()
    assert lead.owner_id == crew.bdr.pk
    event = LeadEvent.objects.get(lead=lead)
    assert (event.kind, event.actor_id, event.payload) == (
        EventKind.ASSIGNMENT, crew.bdr.pk,
        {"from_owner_id": None, "to_owner_id": crew.bdr.pk, "claim": True},
    )  # fmt: skip


# --- CSRF -----------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused_and_changes_nothing(crew):
    lead = crew.lead(owner="sdr")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = browser.post(f"/leads/{lead.pk}/notes/", {"body": "Forged."}, **HTMX)

    assert response.status_code == 403
    assert lead_snapshot(lead.pk) == before


def test_htmx_post_with_the_token_from_the_page_header_is_accepted(crew):
    lead = crew.lead(owner="sdr")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(crew.sdr)
    page = browser.get(f"/leads/{lead.pk}/").content.decode()
    token = re.search(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""", page)[1]

    response = browser.post(
        f"/leads/{lead.pk}/notes/", {"body": "Real."}, HTTP_X_CSRFTOKEN=token, **HTMX
    )

    assert response.status_code == 200
    assert LeadEvent.objects.get(lead=lead).body == "Real."


def test_transition_on_a_lead_that_left_scope_meanwhile_says_so(crew, client, monkeypatch):
    """The AE clicks accept while their own reject (in another tab) wins: the lead is no
    longer theirs. The second click gets a message, not a 404, and changes nothing."""
    from leads import services
    from leads.models import LeadEvent
    from sdrcrm.errors import NotFound
    from tests.fixtures import walk

    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    events_before = LeadEvent.objects.filter(lead=lead).count()

    def moved_meanwhile(**kwargs):
        raise NotFound("No such lead")

    monkeypatch.setattr(services, "lead_transition", moved_meanwhile)
    client.force_login(crew.ae)
    response = client.post(
        f"/leads/{lead.pk}/transition/accept/", {"expected_state": "handed_off"}, follow=True
    )
    assert response.redirect_chain == [("/leads/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Someone else changed this lead meanwhile and it is no longer in your list. "
        "Nothing was changed by you."
    ]
    lead.refresh_from_db()
    assert lead.state == "handed_off"
    assert LeadEvent.objects.filter(lead=lead).count() == events_before

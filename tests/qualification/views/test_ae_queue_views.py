"""The AE queue page and the AE's accept and reject; the managers' hand-offs page; AE
capacity and away. Query counts do not grow with the number of hand-offs."""

from dataclasses import replace

import pytest

from leads.models import Lead, LeadState
from leads.services import lead_add_note
from qualification.models import AEProfile
from qualification.services import lead_qualify
from tests.html import parse
from tests.qualification.conftest import BRIEF_TEXT, qualification_snapshot
from tests.qualification.services.test_lead_qualify import LOW, qualify


def handed(crew, make_lead, ae=None, **kwargs):
    lead = make_lead("engaged", **kwargs)
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=(ae or crew.ae).pk))
    return Lead.objects.get(pk=lead.pk)


# session, user (with their team), the hand-offs (with prospect, company, SDR, answers and the
# last decision),
# their timelines with actors (one query for all), the AE's profile, the team's model, its
# outcome counts, the escalations of these hand-offs, the team's calendar (its closed days, for
# the deadlines), the team's rejection reasons: 10
@pytest.mark.parametrize("n", [1, 4])
def test_the_queue_shows_each_hand_off_with_brief_research_score_and_history(
    crew, model, make_lead, client, django_assert_num_queries, n
):
    leads = [handed(crew, make_lead) for _ in range(n)]
    handed(crew, make_lead, ae=crew.ae2)  # someone else's
    lead_add_note(actor=crew.sdr, lead_id=leads[0].pk, body="Spoke to the CFO about budget.")
    client.force_login(crew.ae)

    with django_assert_num_queries(10):
        response = client.get("/qualification/queue/")

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('<article class="card handoff') == n
    for lead in leads:
        assert f'id="handoff-{lead.pk}"' in content
        assert f'action="/qualification/leads/{lead.pk}/accept/"' in content
    assert content.count(f'<p class="prewrap brief">{BRIEF_TEXT}</p>') == n
    assert "Spoke to the CFO about budget." in content
    assert f"{n} hand-off{'s' if n > 1 else ''} waiting for your decision · capacity 10" in content
    # Each card's score has an id of its own (the qualify page's live preview is #score-preview).
    assert "score-preview" not in content
    for lead in leads:
        assert content.count(f'id="score-{lead.pk}"') == 1
    # The history is the lead page's timeline markup (partials/leads/_timeline_entries.jinja):
    # the note, with its author and time, and the hand-off as a transition.
    history = parse(content).find("details", class_="history").one("ol", class_="timeline")
    note = history.find("li", class_="kind-note")
    assert note.one("span", class_="kind").text == "Note"
    assert str(crew.sdr) in note.one("div", class_="event-head").text
    assert note.one("p", class_="prewrap").text == "Spoke to the CFO about budget."
    handed_off = history.find("span", class_="state-handed_off")
    assert (handed_off.classes, handed_off.text) == (["badge", "state-handed_off"], "Handed off")


@pytest.mark.parametrize("viewer", ["sdr", "manager", "marketing", "admin"])
def test_only_aes_have_a_queue(crew, client, viewer):
    client.force_login(getattr(crew, viewer))

    assert client.get("/qualification/queue/").status_code == 403


def test_accept_from_the_queue(crew, model, make_lead, client):
    lead = handed(crew, make_lead)
    client.force_login(crew.ae)

    response = client.post(f"/qualification/leads/{lead.pk}/accept/")

    assert response.status_code == 302
    assert response["Location"] == "/qualification/queue/"
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ACCEPTED
    page = client.get("/qualification/queue/").content.decode()
    assert f"Accepted: {lead.prospect.full_name} is yours." in page


def test_reject_from_the_queue_needs_a_reason(crew, model, make_lead, client):
    lead = handed(crew, make_lead)
    before = qualification_snapshot(lead.pk)
    client.force_login(crew.ae)

    response = client.post(f"/qualification/leads/{lead.pk}/reject/", {"reason": " "})

    assert response.status_code == 302
    assert qualification_snapshot(lead.pk) == before
    page = client.get("/qualification/queue/").content.decode()
    assert "Say why you reject the lead: the SDR reads it." in page

    client.post(
        f"/qualification/leads/{lead.pk}/reject/",
        {"reason_code": "bad_timing", "reason": "They chose to wait."},
    )

    lead.refresh_from_db()
    assert (lead.state, lead.rejection_code, lead.rejection_reason) == (
        LeadState.ENGAGED,
        "bad_timing",
        "They chose to wait.",
    )


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_another_ae_gets_404_the_manager_403_and_nothing_changes(
    crew, model, make_lead, client, action
):
    lead = handed(crew, make_lead)
    before = qualification_snapshot(lead.pk)

    client.force_login(crew.ae2)
    response = client.post(f"/qualification/leads/{lead.pk}/{action}/", {"reason": "No"})
    assert response.status_code == 404
    client.force_login(crew.manager)
    response = client.post(f"/qualification/leads/{lead.pk}/{action}/", {"reason": "No"})
    assert response.status_code == 403

    assert qualification_snapshot(lead.pk) == before


def test_accept_and_reject_are_post_only(crew, model, make_lead, client):
    lead = handed(crew, make_lead)
    client.force_login(crew.ae)

    assert client.get(f"/qualification/leads/{lead.pk}/accept/").status_code == 405
    assert Lead.objects.get(pk=lead.pk).state == LeadState.HANDED_OFF


# --- The managers' page and AE profiles ---------------------------------------------------------


# session, user, the team's hand-offs (with prospect, company, SDR, AE, answers, decision), the
# team's model, its outcome counts, the escalations, the team's calendar, the SDR figures, the
# AEs with profiles, their loads: 10
@pytest.mark.parametrize("n", [1, 4])
def test_the_managers_hand_offs_page(crew, model, make_lead, client, django_assert_num_queries, n):
    for i in range(n):
        handed(crew, make_lead, ae=crew.ae if i % 2 else crew.ae2)
    client.force_login(crew.manager)

    with django_assert_num_queries(10):
        response = client.get("/qualification/handoffs/")

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Waiting for an AE's decision ({n})" in content
    assert f'action="/qualification/aes/{crew.ae.pk}/"' in content
    assert f'<td>{crew.sdr}</td><td class="num">{n}</td>' in content


def test_an_sdr_sees_only_their_own_hand_offs_and_figures(crew, model, make_lead, client):
    mine = handed(crew, make_lead)
    other = make_lead("engaged", owner="sdr2")
    lead_qualify(actor=crew.sdr2, lead_id=other.pk, data=qualify(ae_id=crew.ae.pk))
    client.force_login(crew.sdr)

    content = client.get("/qualification/handoffs/").content.decode()

    assert f'id="handoff-{mine.pk}"' in content
    assert f'id="handoff-{other.pk}"' not in content
    assert str(crew.sdr2) not in content
    assert "Account executives" not in content


@pytest.mark.parametrize("viewer", ["ae", "marketing", "admin"])
def test_the_hand_offs_page_is_for_managers_and_sdrs(crew, client, viewer):
    client.force_login(getattr(crew, viewer))

    assert client.get("/qualification/handoffs/").status_code == 403


def test_a_manager_sets_capacity_and_away(crew, client):
    client.force_login(crew.manager)

    response = client.post(f"/qualification/aes/{crew.ae.pk}/", {"capacity": "4", "is_away": "on"})

    assert response.status_code == 302
    profile = AEProfile.objects.get(user=crew.ae)
    assert (profile.capacity, profile.is_away) == (4, True)


def test_an_ae_marks_themselves_away_but_cannot_change_capacity(crew, client):
    client.force_login(crew.ae)

    client.post(f"/qualification/aes/{crew.ae.pk}/", {"is_away": "on"})
    assert AEProfile.objects.get(user=crew.ae).is_away is True
    client.post(f"/qualification/aes/{crew.ae.pk}/", {})
    assert AEProfile.objects.get(user=crew.ae).is_away is False

    assert client.post(f"/qualification/aes/{crew.ae.pk}/", {"capacity": "99"}).status_code == 403
    assert client.post(f"/qualification/aes/{crew.ae2.pk}/", {"is_away": "on"}).status_code == 403
    assert AEProfile.objects.get(user=crew.ae).capacity == 10
    assert not AEProfile.objects.filter(user=crew.ae2).exists()


@pytest.mark.parametrize("viewer", ["sdr", "marketing"])
def test_others_cannot_change_an_aes_routing(crew, other_crew, client, viewer):
    # Someone of the AE's team who may not: 403. Another team's manager: the AE is out of
    # their scope, the same 404 as an AE that does not exist (tests/test_access_matrix.py).
    for user, status in ((getattr(crew, viewer), 403), (other_crew.manager, 404)):
        client.force_login(user)
        response = client.post(f"/qualification/aes/{crew.ae.pk}/", {"capacity": "1"})
        assert response.status_code == status
    assert not AEProfile.objects.exists()


def test_the_queue_shows_the_latest_history_of_a_long_timeline(
    crew, model, make_lead, client, django_assert_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    from leads.models import EventKind, LeadEvent
    from qualification.selectors import AE_QUEUE_HISTORY

    lead = handed(crew, make_lead)
    start = timezone.now() - timedelta(days=1)
    LeadEvent.objects.bulk_create(
        LeadEvent(lead=lead, kind=EventKind.NOTE, body=f"note {i}",
                  created_at=start + timedelta(seconds=i))
        for i in range(AE_QUEUE_HISTORY + 10)
    )  # fmt: skip
    client.force_login(crew.ae)

    with django_assert_num_queries(10):  # as above
        content = client.get("/qualification/queue/").content.decode()

    history = content.split('<details class="history">')[1].split("</details>")[0]
    assert history.count('<li class="event') == AE_QUEUE_HISTORY
    assert f"note {AE_QUEUE_HISTORY + 9}</p>" in history and "note 9</p>" not in history
    assert f"History: the latest {AE_QUEUE_HISTORY} events" in history
    assert f'href="/leads/{lead.pk}/#timeline"' in history


def test_the_lead_pages_qualification_panel_reads_the_judgement_in_its_queries(
    crew, model, make_lead, client, django_assert_num_queries
):
    """The panel loads only the columns it shows of the stored score, the answers and the last
    judgement (lead_panel._PANEL_FIELDS): showing them costs no further query."""
    lead = make_lead("contacting")
    lead_qualify(
        actor=crew.sdr,
        lead_id=lead.pk,
        data=replace(qualify(ae_id=crew.ae2.pk), answers=LOW,
                     override_reason="Their CEO called us: a <reference> customer."),
    )  # fmt: skip
    client.force_login(crew.manager)

    # a lead page's thirteen (tests/leads/views/test_lead_detail.py) but the cadences to enroll
    # in, which a handed-off lead has none of
    with django_assert_num_queries(12):
        response = client.get(f"/leads/{lead.pk}/")

    panel = response.content.decode().split('id="qualification-panel"')[1].split("</section>")[0]
    assert "(model v1). Below, as the current model scores it." in panel
    assert "Qualified and handed off by " in panel and ", at score 55, to " in panel
    assert (
        "<strong>Override — qualified below the threshold:</strong> Their CEO called us: a "
        "&lt;reference&gt; customer.</p>"
    ) in panel


def test_a_lead_moved_away_meanwhile_says_so_and_changes_nothing(
    crew, model, make_lead, client, monkeypatch
):
    """The view found the lead, the service no longer does (someone moved it meanwhile): the
    one "changed meanwhile" answer, back to the queue, nothing written."""
    from qualification import services
    from sdrcrm.errors import NotFound

    lead = handed(crew, make_lead)
    before = qualification_snapshot(lead.pk)

    def moved_meanwhile(**kwargs):
        raise NotFound("No such lead")

    monkeypatch.setattr(services, "handoff_accept", moved_meanwhile)
    client.force_login(crew.ae)
    response = client.post(f"/qualification/leads/{lead.pk}/accept/", follow=True)

    assert response.redirect_chain == [("/qualification/queue/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Someone else changed this lead meanwhile and it is no longer in your list. "
        "Nothing was changed by you."
    ]
    assert qualification_snapshot(lead.pk) == before

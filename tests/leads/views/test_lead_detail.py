"""The lead page: the buttons offered are exactly what the user may do now, the timeline,
and a query count that does not grow with the timeline."""

import re

import pytest

from leads.services import lead_add_note
from tests.fixtures import walk
from tests.html import parse


def _transitions(response) -> list[str]:
    """The transitions offered on the page, in the order of their buttons. Qualify and hand
    off link to the qualification form; accept and reject post to the qualification app."""
    assert response.status_code == 200
    found = re.findall(
        r'action="/leads/\d+/transition/(\w+)/"'
        r'|href="/qualification/leads/\d+/" data-transition="(\w+)"'
        r'|action="/qualification/leads/\d+/(accept|reject)/"',
        response.content.decode(),
    )
    return [next(name for name in groups if name) for groups in found]


def _has(response, text: str) -> bool:
    return text in response.content.decode()


SDR_NEW = ["start_research", "start_contacting", "nurture", "disqualify"]


@pytest.mark.parametrize(
    ("viewer", "owner", "state", "expected"),
    [
        ("sdr", "sdr", "new", SDR_NEW),
        ("manager", "sdr", "new", SDR_NEW),
        ("admin", "sdr", "new", SDR_NEW),
        ("bdr", "bdr", "new", SDR_NEW),
        ("sdr", "sdr", "researching",
         ["start_contacting", "engage", "qualify", "nurture", "disqualify"]),
        ("sdr", "sdr", "contacting", ["engage", "qualify", "nurture", "disqualify"]),
        ("sdr", "sdr", "engaged", ["qualify", "nurture", "disqualify"]),
        ("sdr", "sdr", "qualified", ["hand_off", "nurture", "disqualify"]),
        ("manager", "sdr", "qualified", ["hand_off", "nurture", "disqualify"]),
        ("sdr", "sdr", "handed_off", []),  # the AE decides now
        ("manager", "sdr", "handed_off", []),
        ("ae", "sdr", "handed_off", ["accept", "reject"]),
        ("admin", "sdr", "handed_off", ["accept", "reject"]),
        ("ae", "sdr", "accepted", []),
        ("sdr", "sdr", "accepted", []),
        ("sdr", "sdr", "nurture", ["recycle", "disqualify"]),
        ("sdr", "sdr", "disqualified", ["reopen"]),
        ("manager", None, "new", SDR_NEW),  # the pool: a manager works it
        ("sdr", None, "new", []),  # the pool: an SDR claims it first
        ("bdr", None, "new", []),
    ],
)  # fmt: skip
def test_transition_buttons_are_exactly_those_allowed_now(crew, client, viewer, owner, state,
                                                          expected):  # fmt: skip
    lead = crew.lead(owner=owner)
    if state != "new":
        lead = walk(lead, state, ae=crew.ae)
    client.force_login(getattr(crew, viewer))

    response = client.get(f"/leads/{lead.pk}/")

    assert _transitions(response) == expected
    assert _has(response, "Move this lead") == bool(expected)
    # Each button of the leads app posts the state the user saw, so a lead moved meanwhile is
    # not moved twice (the qualification app's forms carry their own checks).
    own = [t for t in expected if t not in ("qualify", "hand_off", "accept", "reject")]
    assert response.content.decode().count(f'name="expected_state" value="{state}"') == len(own)


def test_the_first_forward_move_is_the_primary_button(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert '<button type="submit" class="primary" data-transition="start_research">' in content
    assert '<button type="submit" class="" data-transition="start_contacting">' in content


def test_sdr_on_a_pool_lead_sees_claim_and_nothing_to_work(crew, client):
    lead = crew.lead(owner=None)
    client.force_login(crew.sdr)

    response = client.get(f"/leads/{lead.pk}/")

    assert _has(response, f'action="/leads/{lead.pk}/claim/"')
    assert _has(response, "Claim this lead")
    assert _transitions(response) == []
    assert not _has(response, f'href="/leads/{lead.pk}/edit/"')
    assert not _has(response, 'class="note-form"')
    assert not _has(response, f'action="/leads/{lead.pk}/checklist/"')
    assert _has(response, "Owner: unassigned pool")


@pytest.mark.parametrize("viewer", ["manager", "admin"])
def test_managers_and_admins_are_not_offered_the_claim(crew, client, viewer):
    lead = crew.lead(owner=None)
    client.force_login(getattr(crew, viewer))

    response = client.get(f"/leads/{lead.pk}/")

    assert not _has(response, "Claim this lead")
    assert _transitions(response) == SDR_NEW


def test_owner_sees_edit_note_call_and_checklist_forms(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.get(f"/leads/{lead.pk}/")

    assert _has(response, f'href="/leads/{lead.pk}/edit/"')
    assert _has(response, 'class="note-form"')
    assert _has(response, 'class="call-form"')
    assert response.content.decode().count(f'action="/leads/{lead.pk}/checklist/"') == 5
    assert not _has(response, "Claim this lead")


def test_ae_on_a_handed_off_lead_may_note_but_not_call_edit_or_tick(crew, client):
    lead = walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae)
    client.force_login(crew.ae)

    response = client.get(f"/leads/{lead.pk}/")

    assert _has(response, 'class="note-form"')
    assert not _has(response, 'class="call-form"')
    assert not _has(response, f'href="/leads/{lead.pk}/edit/"')
    assert not _has(response, f'action="/leads/{lead.pk}/checklist/"')
    assert not _has(response, "Claim this lead")
    assert _has(response, f"AE: {crew.ae}")


def test_hand_off_goes_through_the_qualification_form(crew, other_crew, client):
    """The hand-off needs the brief and the AE choice of the qualification form."""
    lead = walk(crew.lead(owner="sdr"), "qualified")
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert (
        f'<a class="button primary" href="/qualification/leads/{lead.pk}/" '
        'data-transition="hand_off">Hand off to AE…</a>'
    ) in content
    assert 'id="handoff-ae"' not in content


def test_timeline_lists_events_newest_first_with_actor(crew, client):
    lead = walk(crew.lead(owner="sdr"), "researching")
    lead_add_note(actor=crew.manager, lead_id=lead.pk, body="Ring after lunch.")
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    timeline = content.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    kinds = re.findall(r'<li class="event kind-(\w+)">', timeline)
    assert kinds == ["note", "transition"]
    assert "Ring after lunch." in timeline
    assert str(crew.manager) in timeline


def test_timeline_escapes_what_people_typed(crew, client):
    lead = crew.lead(owner="sdr")
    lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="<script>alert(1)</script>")
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_timeline_entries_show_each_kind(crew, client):
    """Each kind of entry as the page shows it (partials/leads/_timeline_entries.jinja): a
    transition's two states, a call's outcome, a scrap's reason, "System" without an actor,
    local time, what people typed escaped."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from leads.models import EventKind, LeadEvent

    lead = crew.lead(owner="sdr")
    crew.sdr.first_name, crew.sdr.last_name = "Siri", "<i>Selger</i>"
    crew.sdr.save()
    at = datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))  # 2 March, 00:30 in Oslo
    LeadEvent.objects.bulk_create([
        LeadEvent(lead=lead, kind=EventKind.TRANSITION, actor=crew.sdr, created_at=at,
                  from_state="engaged", to_state="disqualified",
                  payload={"reason": "no_budget"}, body="Line 1\n<b>2</b>"),
        LeadEvent(lead=lead, kind=EventKind.CALL, actor=crew.sdr, created_at=at,
                  payload={"outcome": "voicemail"}),
        LeadEvent(lead=lead, kind=EventKind.EMAIL, created_at=at, body="Sent"),
    ])  # fmt: skip
    client.force_login(crew.sdr)

    doc = parse(client.get(f"/leads/{lead.pk}/").content.decode())

    timeline = doc.one("section", id="timeline").one("ol", class_="timeline")
    email, call, scrap = timeline.elements[:3]
    assert [e.tag for e in timeline.elements[:3]] == ["li", "li", "li"]
    for entry in (email, call, scrap):
        when = entry.one("time")
        assert (when["datetime"], when.text) == ("2026-03-02T00:30:00+01:00", "2 Mar 2026 00:30")
    assert email.classes == ["event", "kind-email"]
    assert email.one("div", class_="event-head").text == "Email System · 2 Mar 2026 00:30"
    assert email.one("p", class_="prewrap").text == "Sent"

    assert call.classes == ["event", "kind-call"]
    assert call.one("span", class_="kind").text == "Call"
    assert call.one("strong").text == "Left voicemail"
    assert call.one("span", class_="muted").text == "Siri <i>Selger</i> · 2 Mar 2026 00:30"

    assert scrap.classes == ["event", "kind-transition"]
    assert scrap.one("span", class_="kind").text == "State changed"
    badges = scrap.find_all("span", class_="badge")
    assert [(b.classes, b.text) for b in badges] == [
        (["badge", "state-engaged"], "Engaged"),
        (["badge", "state-disqualified"], "Disqualified"),
    ]
    assert scrap.one("span", class_="nowrap").text == "Engaged → Disqualified"
    assert scrap.one("p", class_="small").text == "Reason: No budget"
    assert scrap.one("p", class_="prewrap").raw_text == "Line 1\n<b>2</b>"
    assert timeline.find_all("b") == [] and timeline.find_all("i") == []  # escaped, not markup


@pytest.mark.parametrize("path", ["/leads/999999/", "/leads/99999999999999999999/"])
def test_missing_lead_is_404(crew, client, path):
    client.force_login(crew.admin)
    assert client.get(path).status_code == 404


# --- Query counts ---------------------------------------------------------------------------


# session, user (with their team), the lead with prospect, company, owner, AE and team, the
# timeline with its actors
@pytest.mark.parametrize("n", [1, 30])
@pytest.mark.parametrize("viewer", ["sdr", "manager"])
def test_detail_query_count_does_not_grow_with_the_timeline(
    crew, client, django_assert_num_queries, n, viewer
):
    lead = crew.lead(owner="sdr")
    authors = [crew.sdr, crew.manager, crew.admin]
    for i in range(n):
        lead_add_note(actor=authors[i % 3], lead_id=lead.pk, body=f"Note {i}")
    client.force_login(getattr(crew, viewer))

    # + the cadence panel: enrollments, cadences to enroll in, reminders; the snippet picker
    # + the qualification panel: score and answers, the team's model, its outcome counts
    # + the coaching panel: the lead's feedback (calls and emails to coach on come from the
    #   timeline already loaded)
    # + the other leads at the company (one query)
    # + the team's disqualification reasons (the scrap form)
    with django_assert_num_queries(14):
        response = client.get(f"/leads/{lead.pk}/")

    assert response.content.decode().count('<li class="event kind-note">') == n


@pytest.mark.parametrize("n", [1, 30])
def test_detail_for_the_ae_query_count_does_not_grow_with_the_timeline(
    crew, client, django_assert_num_queries, n
):
    lead = walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae)
    for i in range(n):
        lead_add_note(actor=crew.ae, lead_id=lead.pk, body=f"Note {i}")
    client.force_login(crew.ae)

    # + the cadence panel (enrollments, reminders) and the snippet picker
    # + the qualification panel: score and answers, the team's model, its outcome counts
    # (the coaching panel is not shown to AEs: no query)
    # + the other leads at the company (one query)
    # + the team's rejection reasons (the reject form)
    with django_assert_num_queries(12):
        response = client.get(f"/leads/{lead.pk}/")

    assert response.content.decode().count('<li class="event kind-note">') == n


# A qualified lead: the hand-off happens on the qualification form, so no AE list here.
@pytest.mark.parametrize("n", [1, 30])
def test_detail_of_a_qualified_lead_query_count_does_not_grow(
    crew, client, django_assert_num_queries, n
):
    lead = walk(crew.lead(owner="sdr"), "qualified")
    for i in range(n):
        lead_add_note(actor=crew.sdr, lead_id=lead.pk, body=f"Note {i}")
    client.force_login(crew.sdr)

    # + the cadence panel (enrollments, reminders: a qualified lead is not enrollable) and
    # the snippet picker
    # + the qualification panel: score and answers, the team's model, its outcome counts
    # + the coaching panel: the lead's feedback
    # + the other leads at the company (one query)
    # + the team's disqualification reasons (the scrap form)
    with django_assert_num_queries(13):
        response = client.get(f"/leads/{lead.pk}/")

    assert response.content.decode().count('<li class="event kind-note">') == n

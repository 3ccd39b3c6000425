"""The Today page: the queue, one-click outcomes, the voicemail follow-up proposal, the
manager's view of an SDR's day, and a query count that does not grow with the queue."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from cadences.models import Channel, Enrollment, HoldReason, Reminder, Touch, TouchStatus
from cadences.services import reminder_create
from leads.models import EventKind, Prospect
from tests.cadences.helpers import (
    at,
    cadence_snapshot,
    email,
    enroll,
    events,
    make_cadence,
    statuses,
    task,
    touches,
)
from tests.html import parse

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _shown(client, response) -> list[str]:
    """The flash messages of ``response``, then shown (and so consumed) by a page."""
    messages = _messages(response)
    client.get("/today/")
    return messages


@pytest.fixture
def calls(crew):
    return make_cadence(
        crew.manager, [task(Channel.CALL), email(day_offset=1)], name="Call then email"
    )


def due_call(crew, calls, owner="sdr", **lead_kwargs):
    lead = crew.lead(owner=owner, **lead_kwargs)
    enrollment = enroll(getattr(crew, owner), lead, calls)
    touch = touches(enrollment)[0]
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.DUE)
    return lead, Touch.objects.get(pk=touch.pk)


def queue_items(html: str) -> list[str]:
    return re.findall(r'<li class="queue-item[^"]*" data-kind="(\w+)">', html)


def test_the_today_page_lists_the_queue_with_one_click_outcomes(crew, calls, now, client):
    lead, touch = due_call(crew, calls, prospect__first_name="Ada", prospect__phone="+47 1")
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=now, note="Send the deck")
    client.force_login(crew.sdr)

    response = client.get("/today/")

    assert response.status_code == 200
    html = response.content.decode()
    assert queue_items(html) == ["touch", "reminder"]
    assert "2 to do" in html
    action = f'action="/cadences/touches/{touch.pk}/complete/"'
    assert html.count(action) == 5
    for outcome in ("connected", "meeting_booked", "voicemail", "no_answer", "wrong_number"):
        assert f'data-outcome="{outcome}"' in html
    assert f'action="/cadences/touches/{touch.pk}/skip/"' in html
    assert "Reminder: Send the deck" in html
    assert "0 of 40 touches done today" in html
    assert 'href="tel:+47 1"' in html


def test_a_queue_item_shows_the_touch_its_outcomes_and_escapes_what_people_typed(
    crew, now, client
):
    """An item of the queue (partials/cadences/_today_items.jinja): a LinkedIn touch with its
    lead, cadence, step, due time and score, its instructions, a form per outcome and one to
    skip, each with the CSRF token and the way back to the day; what people typed escaped."""
    cadence = make_cadence(
        crew.manager, [task(Channel.LINKEDIN_CONNECT, instructions="Say <hi> & smile")],
        name="Q4 <push>",
    )  # fmt: skip
    lead = crew.lead(owner="sdr", prospect__first_name="<Ada>", prospect__last_name="O'Neil",
                     prospect__phone="", score=7)  # fmt: skip
    lead.prospect.company.name = "Fjord & Co"
    lead.prospect.company.save()
    touch = touches(enroll(crew.sdr, lead, cadence))[0]
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.DUE)
    touch.refresh_from_db()
    client.force_login(crew.sdr)

    html = client.get("/today/").content.decode()

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    (item,) = parse(html).one("ol", class_="queue").find_all("li")
    due = timezone.localtime(touch.due_at)
    assert (item.classes, item["data-kind"]) == (["queue-item"], "touch")
    what = item.one("div", class_="what")
    assert what.text == "LinkedIn connection request · <Ada> O'Neil (Fjord & Co)"
    assert what.one("a")["href"] == f"/leads/{lead.pk}/"
    assert item.one("div", class_="small").text == (
        f"Q4 <push>, step 1 · due {due:%a} {due.day} {due:%b} {due:%H:%M} · score 7"
    )
    assert item.one("p", class_="instructions").text == "Say <hi> & smile"
    for tag in ("hi", "push", "ada"):
        assert item.find_all(tag) == []  # escaped, not markup

    forms = item.one("div", class_="queue-actions").find_all("form")
    done = f"/cadences/touches/{touch.pk}/complete/"
    assert [(f["method"], f["action"]) for f in forms] == [
        ("post", done), ("post", done), ("post", f"/cadences/touches/{touch.pk}/skip/"),
    ]  # fmt: skip
    for form in forms:
        hidden = {i["name"]: i["value"] for i in form.find_all("input", type="hidden")}
        assert hidden.pop("csrfmiddlewaretoken") == token
        assert hidden.pop("next") == "/today/"
        assert len(hidden) <= 1
    sent, accepted, skip = (form.one("button") for form in forms)
    assert forms[0].one("input", name="outcome")["value"] == "linkedin_sent"
    assert (sent["data-outcome"], sent.classes, sent.text) == ("linkedin_sent", ["primary"], "Sent")
    assert forms[1].one("input", name="outcome")["value"] == "linkedin_accepted"
    assert (accepted["data-outcome"], accepted.classes, accepted.text) == (
        "linkedin_accepted", [], "Accepted",
    )  # fmt: skip
    assert (skip.classes, skip.text) == (["link"], "Skip")
    assert forms[2].find_all("input", name="outcome") == []


@pytest.mark.parametrize("role", ["ae", "marketing"])
def test_the_today_page_is_for_prospectors_and_managers(crew, client, role):
    client.force_login(getattr(crew, role))
    assert client.get("/today/").status_code == 403


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get("/today/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/today/")


def test_completing_a_call_with_a_voicemail_proposes_a_reminder_and_accepting_creates_it(
    crew, calls, now, client
):
    lead, touch = due_call(crew, calls, prospect__first_name="Ada", prospect__last_name="King")
    client.force_login(crew.sdr)

    response = client.post(
        f"/cadences/touches/{touch.pk}/complete/", {"outcome": "voicemail", "next": "/today/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/today/")
    assert _messages(response) == ["Phone call with Ada King: Left voicemail."]
    touch.refresh_from_db()
    assert (touch.status, touch.outcome, touch.completed_by_id) == (
        "done", "voicemail", crew.sdr.pk,
    )  # fmt: skip
    assert events(lead, EventKind.CALL)[-1].body == "Phone call: Left voicemail"
    assert statuses(touch.enrollment) == ["done", "scheduled"]
    assert Reminder.objects.count() == 0

    page = client.get("/today/").content.decode()
    assert "Follow up on the voicemail?" in page
    # Two business days after Monday 10:00: Wednesday at the window's opening.
    assert 'name="due_at" value="2027-05-05T08:00"' in page
    assert f'action="/cadences/leads/{lead.pk}/reminders/"' in page
    (note,) = re.findall(r'<input type="hidden" name="note" value="([^"]+)">', page)

    accepted = client.post(  # the proposal's form, as shown
        f"/cadences/leads/{lead.pk}/reminders/",
        {"due_at": "2027-05-05T08:00", "note": note, "next": "/today/", "accept": "1"},
    )

    assert (accepted.status_code, accepted["Location"]) == (302, "/today/")
    assert _messages(accepted) == ["Reminder set for Wed 05 May 08:00."]
    reminder = Reminder.objects.get()
    assert (reminder.lead_id, reminder.owner_id, reminder.due_at, reminder.note) == (
        lead.pk, crew.sdr.pk, at(2027, 5, 5, 8, 0), note,
    )  # fmt: skip
    assert note == "Call back after the voicemail"
    assert "Follow up on the voicemail?" not in client.get("/today/").content.decode()


def test_the_proposal_can_be_dismissed(crew, calls, now, client):
    _, touch = due_call(crew, calls)
    client.force_login(crew.sdr)
    client.post(f"/cadences/touches/{touch.pk}/complete/", {"outcome": "voicemail"})
    response = client.post("/cadences/proposal/dismiss/", {"next": "/today/"})
    assert (response.status_code, response["Location"]) == (302, "/today/")
    assert "Follow up on the voicemail?" not in client.get("/today/").content.decode()
    assert Reminder.objects.count() == 0


def test_other_outcomes_propose_nothing(crew, calls, now, client):
    _, touch = due_call(crew, calls)
    client.force_login(crew.sdr)
    client.post(f"/cadences/touches/{touch.pk}/complete/", {"outcome": "connected"})
    assert "Follow up on the voicemail?" not in client.get("/today/").content.decode()


@pytest.mark.parametrize("outcome", ["linkedin_sent", "", "nonsense"])
def test_a_wrong_outcome_changes_nothing(crew, calls, now, client, outcome):
    _, touch = due_call(crew, calls)
    before = cadence_snapshot()
    client.force_login(crew.sdr)
    response = client.post(f"/cadences/touches/{touch.pk}/complete/", {"outcome": outcome})
    assert (response.status_code, response["Location"]) == (302, "/today/")
    assert _messages(response) == ["Choose an outcome."]
    assert cadence_snapshot() == before


def test_completing_twice_says_so_and_changes_nothing(crew, calls, now, client):
    _, touch = due_call(crew, calls)
    client.force_login(crew.sdr)
    first = client.post(f"/cadences/touches/{touch.pk}/complete/", {"outcome": "no_answer"})
    assert _shown(client, first) == [f"Phone call with {touch.lead.prospect.full_name}: No answer."]
    before = cadence_snapshot()
    response = client.post(f"/cadences/touches/{touch.pk}/complete/", {"outcome": "connected"})
    assert _messages(response) == ["This task is already done."]
    assert cadence_snapshot() == before


@pytest.mark.parametrize("role", ["sdr2", "ae", "marketing"])
def test_someone_elses_task_is_not_found(crew, calls, now, client, role):
    lead, touch = due_call(crew, calls)
    held = make_cadence(crew.manager, [email(subject="{{ prospect.title }}")], name="Held")
    held_touch = touches(enroll(crew.sdr, crew.lead(prospect__title=""), held))[0]
    Touch.objects.filter(pk=held_touch.pk).update(status=TouchStatus.HELD)
    reminder = reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=now, note="Mine")
    before = cadence_snapshot()
    client.force_login(getattr(crew, role))
    for url, data in [
        (f"/cadences/touches/{touch.pk}/complete/", {"outcome": "connected"}),
        (f"/cadences/touches/{touch.pk}/skip/", {}),
        (f"/cadences/touches/{held_touch.pk}/release/", {}),
        (f"/cadences/reminders/{reminder.pk}/done/", {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert cadence_snapshot() == before


def test_skip_release_and_reminder_done_buttons(crew, calls, now, client):
    lead, touch = due_call(crew, calls)
    held = make_cadence(crew.manager, [email(subject="For the {{ prospect.title }}")], name="H")
    held_lead = crew.lead(prospect__title="")
    held_touch = touches(enroll(crew.sdr, held_lead, held))[0]
    Touch.objects.filter(pk=held_touch.pk).update(status=TouchStatus.HELD, error="Missing: x")
    reminder = reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=now, note="Ping")
    client.force_login(crew.sdr)
    page = client.get("/today/").content.decode()
    assert queue_items(page) == ["touch", "held", "reminder"]

    skipped = client.post(f"/cadences/touches/{touch.pk}/skip/", {"note": "No number"})
    assert _shown(client, skipped) == ["Step skipped; the next one is scheduled."]
    assert statuses(touch.enrollment) == ["skipped", "scheduled"]

    too_early = client.post(f"/cadences/touches/{held_touch.pk}/release/")
    assert _shown(client, too_early) == [
        "Still missing: prospect.title. Fill them in on the lead first."
    ]
    assert Touch.objects.get(pk=held_touch.pk).status == "held"
    Prospect.objects.filter(pk=held_lead.prospect_id).update(title="CTO")
    released = client.post(f"/cadences/touches/{held_touch.pk}/release/")
    assert _shown(client, released) == ["The email will go out at the next sending slot."]
    assert Touch.objects.get(pk=held_touch.pk).status == "scheduled"

    done = client.post(f"/cadences/reminders/{reminder.pk}/done/")
    assert (done.status_code, done["Location"]) == (302, "/today/")
    assert _messages(done) == ["Reminder done."]
    assert Reminder.objects.get(pk=reminder.pk).done_at == now
    assert queue_items(client.get("/today/").content.decode()) == []


def test_a_manager_views_an_sdrs_day(crew, other_crew, calls, now, client):
    lead, touch = due_call(crew, calls)
    client.force_login(crew.manager)

    response = client.get("/today/", {"sdr": crew.sdr.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Today — {crew.sdr}" in html
    assert queue_items(html) == ["touch"]
    assert f'<option value="{crew.sdr.pk}" selected>' in html
    # The outcome buttons come back to the SDR's day.
    assert f'name="next" value="/today/?sdr={crew.sdr.pk}"' in html
    completed = client.post(
        f"/cadences/touches/{touch.pk}/complete/",
        {"outcome": "connected", "next": f"/today/?sdr={crew.sdr.pk}"},
    )
    assert completed["Location"] == f"/today/?sdr={crew.sdr.pk}"
    assert Touch.objects.get(pk=touch.pk).completed_by_id == crew.manager.pk
    # Their own day is empty; another team's SDR is not found.
    assert queue_items(client.get("/today/").content.decode()) == []
    assert client.get("/today/", {"sdr": other_crew.sdr.pk}).status_code == 404


def test_an_sdr_cannot_view_a_colleagues_day(crew, calls, now, client):
    due_call(crew, calls, owner="sdr2")
    client.force_login(crew.sdr)
    assert client.get("/today/", {"sdr": crew.sdr2.pk}).status_code == 404


def test_the_holiday_button_pauses_and_resumes_all(crew, calls, now, client, time_machine):
    due_call(crew, calls)
    due_call(crew, calls)
    client.force_login(crew.sdr)
    paused = client.post("/cadences/holiday/")
    assert _shown(client, paused) == ["2 cadences paused."]
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"paused"}
    page = client.get("/today/").content.decode()
    assert "Resume my 2 paused cadences" in page
    time_machine.move_to(now + timedelta(days=1), tick=False)
    client.force_login(crew.sdr)  # the session of the day before has expired
    resumed = client.post("/cadences/holiday/", {"resume": "1"})
    assert _messages(resumed) == ["2 cadences resumed."]
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"active"}
    # Another SDR's enrollments are not theirs to pause.
    client.force_login(crew.sdr2)
    assert client.post("/cadences/holiday/", {"owner": crew.sdr.pk}).status_code == 403
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"active"}


# --- Queries ----------------------------------------------------------------------------------


def fill_queue(crew, calls, n: int, now) -> None:
    """``n`` items of every kind the page shows: calls, LinkedIn, held emails (for a field,
    for the mailbox), emails whose sending the SDR confirms, reminders."""
    linkedin = make_cadence(crew.manager, [task(Channel.LINKEDIN_CONNECT)], name=f"LI {n}")
    held = make_cadence(crew.manager, [email(subject="{{ prospect.title }}")], name=f"H {n}")
    for i in range(n):
        kind = i % 6
        if kind >= 4:
            waiting = {
                4: {"status": TouchStatus.HELD, "hold_reason": HoldReason.MAILBOX_FAILING},
                5: {"status": TouchStatus.UNCERTAIN, "hold_reason": HoldReason.ASK_SDR},
            }[kind]
            Touch.objects.filter(enrollment=enroll(crew.sdr, crew.lead(), held)).update(
                error="Authentication failed", **waiting
            )
            continue
        if kind == 0:
            due_call(crew, calls, score=i)
        elif kind == 1:
            lead = crew.lead()
            enroll(crew.sdr, lead, linkedin)
        elif kind == 2:
            lead = crew.lead(prospect__title="")
            Touch.objects.filter(enrollment=enroll(crew.sdr, lead, held)).update(
                status=TouchStatus.HELD, error="Missing: prospect.title"
            )
        else:
            reminder_create(actor=crew.sdr, lead_id=crew.lead().pk, due_at=now, note=f"R{i}")


# Session, user, the queue's touches and its reminders (one query each, related rows joined),
# the pace and upcoming counts: the same for any length of queue.
TODAY_QUERIES = 7


@pytest.mark.parametrize("n", [2, 30])
def test_the_today_page_runs_the_same_queries_for_2_or_30_items(
    crew, calls, now, client, django_assert_num_queries, n
):
    fill_queue(crew, calls, n, now)
    client.force_login(crew.sdr)
    client.get("/today/")  # warm the session

    with django_assert_num_queries(TODAY_QUERIES):
        response = client.get("/today/")

    assert len(queue_items(response.content.decode())) == n


def test_the_managers_view_runs_the_same_queries(
    crew, calls, now, client, django_assert_num_queries
):
    fill_queue(crew, calls, 30, now)
    client.force_login(crew.manager)
    client.get("/today/", {"sdr": crew.sdr.pk})
    # The chosen SDR and the team's SDRs for the picker; no paused count for a manager.
    with django_assert_num_queries(TODAY_QUERIES + 1):
        response = client.get("/today/", {"sdr": crew.sdr.pk})
    assert len(queue_items(response.content.decode())) == 30

"""Today and the lead page for emails that wait for a mailbox, and for the SDR's word on an
email no one could confirm was sent ("It was sent" / "Send it again")."""

import pytest
from django.contrib.messages import get_messages

from cadences.models import HoldReason, Touch, TouchStatus
from tests.cadences.helpers import cadence_snapshot, email, enroll, events, make_cadence, touches
from tests.cadences.views.test_today import queue_items

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _shown(client, response) -> list[str]:
    messages = _messages(response)
    client.get("/today/")
    return messages


@pytest.fixture
def emails(crew):
    return make_cadence(crew.manager, [email(subject="Hi"), email(day_offset=2)], name="Emails")


def waiting(crew, emails, **fields):
    lead = crew.lead()
    touch = touches(enroll(crew.sdr, lead, emails))[0]
    Touch.objects.filter(pk=touch.pk).update(**fields)
    return lead, Touch.objects.get(pk=touch.pk)


def test_today_shows_the_held_and_the_unconfirmed_emails_with_their_buttons(
    crew, emails, now, client
):
    _, held = waiting(
        crew,
        emails,
        status=TouchStatus.HELD,
        hold_reason=HoldReason.MAILBOX_FAILING,
        error="Authentication failed: check the username and the (app) password",
    )
    _, unsure = waiting(
        crew,
        emails,
        status=TouchStatus.UNCERTAIN,
        hold_reason=HoldReason.ASK_SDR,
        error="No one can tell.",
    )
    # Being looked for in the Sent folder: not the SDR's business yet.
    waiting(crew, emails, status=TouchStatus.UNCERTAIN, hold_reason="", lease_until=now)
    client.force_login(crew.sdr)

    html = client.get("/today/").content.decode()

    assert queue_items(html) == ["held_mailbox", "uncertain"]
    assert (
        "Email held: The mailbox is not working. Authentication failed: check the username "
        "and the (app) password"
    ) in html
    assert "Was this email sent? No one can tell." in html
    assert f'action="/cadences/touches/{held.pk}/release/"' in html
    assert '<a class="button" href="/mailboxes/">Your mailbox</a>' in html
    assert (f'<form method="post" action="/cadences/touches/{unsure.pk}/settle/">') in html
    assert 'data-settle="sent">It was sent</button>' in html
    assert 'data-settle="again">Send it again</button>' in html
    # A manager looking at the SDR's day gets no link to a mailbox that is not theirs.
    client.force_login(crew.manager)
    managers = client.get("/today/", {"sdr": crew.sdr.pk}).content.decode()
    assert queue_items(managers) == ["held_mailbox", "uncertain"]
    assert "Your mailbox" not in managers


def test_the_settle_buttons(crew, emails, now, client):
    lead, unsure = waiting(
        crew,
        emails,
        status=TouchStatus.UNCERTAIN,
        hold_reason=HoldReason.ASK_SDR,
        message_id="<x@mail.example>",
        rendered_subject="Hi",
    )
    client.force_login(crew.sdr)
    url = f"/cadences/touches/{unsure.pk}/settle/"

    before = cadence_snapshot()
    wrong = client.post(url, {"sent": "maybe"})
    assert (wrong.status_code, wrong["Location"]) == (302, "/today/")
    assert _shown(client, wrong) == ["Say whether the email was sent."]
    assert cadence_snapshot() == before

    done = client.post(url, {"sent": "1", "next": f"/leads/{lead.pk}/"})
    assert (done.status_code, done["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _shown(client, done) == ["Recorded as sent."]
    assert Touch.objects.get(pk=unsure.pk).status == "sent"
    assert len(events(lead, "email")) == 1

    again = client.post(url, {"sent": "1"})
    assert _messages(again) == ["This email's fate is already settled."]
    assert len(events(lead, "email")) == 1


def test_send_it_again_from_the_lead_page(crew, emails, now, client):
    lead, unsure = waiting(
        crew,
        emails,
        status=TouchStatus.UNCERTAIN,
        hold_reason=HoldReason.ASK_SDR,
        error="No one can tell.",
    )
    client.force_login(crew.sdr)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Not known whether it was sent: No one can tell." in page
    assert page.count(f'action="/cadences/touches/{unsure.pk}/settle/"') == 2

    response = client.post(
        f"/cadences/touches/{unsure.pk}/settle/", {"sent": "0", "next": f"/leads/{lead.pk}/"}
    )
    assert _messages(response) == ["The email will go out again at the next sending slot."]
    touch = Touch.objects.get(pk=unsure.pk)
    assert (touch.status, touch.due_at) == ("scheduled", now)


def test_another_teams_email_is_not_found_and_not_changed(crew, other_crew, emails, now, client):
    _, unsure = waiting(crew, emails, status=TouchStatus.UNCERTAIN, hold_reason=HoldReason.ASK_SDR)
    before = cadence_snapshot()
    client.force_login(other_crew.sdr)
    assert client.post(f"/cadences/touches/{unsure.pk}/settle/", {"sent": "1"}).status_code == 404
    assert client.get(f"/cadences/touches/{unsure.pk}/settle/").status_code == 405
    assert cadence_snapshot() == before


def test_the_lead_page_says_why_an_email_is_held_for_the_mailbox(crew, emails, now, client):
    lead, _ = waiting(
        crew,
        emails,
        status=TouchStatus.HELD,
        hold_reason=HoldReason.MAILBOX_FAILING,
        error="Authentication failed: check the username and the (app) password",
    )
    client.force_login(crew.sdr)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert (
        '<span class="field-error small touch-reason">The mailbox is not working: '
        "Authentication failed: check the username and the (app) password</span>"
    ) in page
    assert "/settle/" not in page

"""The site's frame in bokmål: the navigation and user menu, the error pages, a refused
request, and the emails to users (the morning digest, a notification), each in the
recipient's language. Needs the bokmål catalogue with the basepages compendium merged
(/work/wt/notes/nb_basepages.po): the lead runs it after the merge."""

import pytest
from django.core import mail
from django.test import Client

from cadences.services import digest_send_due, reminder_create
from notifications.models import Notification, NotificationKind
from notifications.services import notification_email_send
from tests.cadences.helpers import at

pytestmark = pytest.mark.django_db


def _in_bokmaal(user):
    user.language = "nb"
    user.save(update_fields=["language"])
    return user


def test_the_navigation_and_the_user_menu_are_in_bokmaal(crew, client):
    client.force_login(_in_bokmaal(crew.manager))

    html = client.get("/leads/").content.decode()

    assert '<html lang="nb">' in html
    assert '<a class="skip-link" href="#main">Gå til innholdet</a>' in html
    assert '<nav aria-label="Hovedmeny">' in html
    for word in ("Leads", "Kadenser", "Overleveringer", "Poengmodell", "Dashbord", "Varsler"):
        assert f">{word}<" in html or f">{word} <" in html, word
    assert '<span class="role">Salgssjef' in html
    assert ">Passord</a>" in html
    assert ">Logg ut</button>" in html
    for english in (">Leads<", ">Cadences<", ">Scoring model<", ">Log out<", ">Password<"):
        if english != ">Leads<":  # the same word in both languages
            assert english not in html, english


def test_the_error_pages_follow_the_browser_before_login():
    html = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()

    assert '<html lang="nb">' in html  # templates/error_plain.html, no longer always "en"
    assert '<h1 id="error-heading">Fant ikke siden</h1>' in html
    assert "Feil 404" in html
    assert ">Logg inn</a>" in html

    english = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english
    assert "Page not found" in english


def test_a_refused_request_says_why_in_bokmaal():
    response = Client().get("/login/?q=%00", HTTP_ACCEPT_LANGUAGE="nb")

    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="nb">' in html
    assert "Ugyldig forespørsel" in html
    assert "Forespørselen inneholder et NUL-tegn (\\x00), og det godtas ikke." in html


def test_the_morning_digest_is_in_the_sdrs_language(crew, time_machine):
    time_machine.move_to(at(2027, 5, 4, 6, 0), tick=False)
    lead = crew.lead()
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 4, 9, 0), note="Ping")
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 4, 10, 0), note="Pang")
    _in_bokmaal(crew.sdr)

    time_machine.move_to(at(2027, 5, 4, 7, 0), tick=False)
    assert digest_send_due() == 1

    (digest,) = mail.outbox
    assert digest.subject == "Dagen din: 2 ting å gjøre"
    assert digest.body.startswith(
        f"God morgen, {crew.sdr.first_name}!\n\nDu har 2 ting å gjøre i dag (0 forsinket):\n\n"
    )
    assert digest.body.endswith("\n\nÅpne dagen din: http://127.0.0.1:8000/today/")


def test_the_digest_follows_the_team_and_the_user_chooses_english(crew, time_machine):
    time_machine.move_to(at(2027, 5, 4, 6, 0), tick=False)
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    crew.bdr.language = "en"
    crew.bdr.save(update_fields=["language"])
    reminder_create(actor=crew.sdr, lead_id=crew.lead().pk, due_at=at(2027, 5, 4, 9, 0), note="A")
    reminder_create(
        actor=crew.bdr, lead_id=crew.lead(owner="bdr").pk, due_at=at(2027, 5, 4, 9, 0), note="B"
    )

    time_machine.move_to(at(2027, 5, 4, 7, 0), tick=False)
    assert digest_send_due() == 2

    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {
        crew.sdr.email: "Dagen din: 1 ting å gjøre",
        crew.bdr.email: "Your day: 1 to do",
    }
    bdr_body = next(m.body for m in mail.outbox if m.to == [crew.bdr.email])
    assert bdr_body.startswith(
        f"Good morning {crew.bdr.first_name},\n\nYou have 1 thing to do today"
    )


def test_a_notification_email_is_in_the_recipients_language(crew, settings):
    lead = crew.lead()
    note = Notification.objects.create(
        user=_in_bokmaal(crew.ae), lead=lead, kind=NotificationKind.HANDOFF, title="T", body="B"
    )

    assert notification_email_send(notification_id=note.pk) is True

    (message,) = mail.outbox
    base = settings.SDRCRM_BASE_URL.rstrip("/")
    assert message.body == f"B\n\nÅpne leadet: {base}/leads/{lead.pk}/"


@pytest.fixture
def unsubscribe_path(crew, time_machine):
    """A Norwegian team's first cadence email went out; the path of its unsubscribe link."""
    from unittest import mock

    from cadences.services import cadence_ensure_standard, touch_dispatch_due
    from cadences.tasks import touch_dispatch_task
    from tests.cadences.helpers import enroll

    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)  # a Monday, inside the send window
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    standard = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    with mock.patch.object(touch_dispatch_task, "delay"):
        enroll(crew.sdr, crew.lead(), standard)
    touch_dispatch_due()
    (message,) = mail.outbox
    return message.extra_headers["List-Unsubscribe"][1:-1].removeprefix("http://127.0.0.1:8000")


def test_the_prospects_unsubscribe_page_is_in_bokmaal(unsubscribe_path):
    public = Client(enforce_csrf_checks=True)

    asked = public.get(unsubscribe_path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Meld deg av</h1>" in asked
    assert "Stoppe alle e-poster fra Nordlys CRM til <strong>" in asked
    assert '<button type="submit" class="primary">Meld deg av</button>' in asked

    done = public.post(unsubscribe_path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Du er meldt av</h1>" in done
    assert "</strong> får ikke flere e-poster fra Nordlys CRM." in done

    broken = Client().get("/u/forged/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "<h1>Denne lenken er ikke gyldig</h1>" in broken
    assert "Svar på e-posten med «meld meg av», så fjerner vi deg." in broken

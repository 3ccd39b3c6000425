"""The cadences' pages in bokmål (issue 21): Today with its queue, the cadence list, a cadence's
calendar, the editor, the snippets, the lead page's cadence panel, a flash message, a domain
error and the morning digest, for a user whose language is ``nb``. Each asserts exact bokmål
strings and that the English ones are gone.

Needs the bokmål catalogue with the cadences' translations (/work/wt/notes/nb_cadui.po merged
into locale/nb/LC_MESSAGES/django.po); scripts/test-services.sh compiles it."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from cadences.models import Channel, Touch, TouchStatus
from cadences.services import digest_send_due, reminder_create
from tests.cadences.conftest import now, ring, standard  # noqa: F401, F811 (fixtures)
from tests.cadences.helpers import at, email, enroll, make_cadence, task, touches
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def nb(crew):
    for user in (crew.sdr, crew.manager):
        user.language = "nb"
        user.save(update_fields=["language"])
    return crew


def _text(response) -> str:
    assert response.status_code == 200
    return parse(response.content.decode()).text


def test_today_in_bokmal(nb, now, client):  # noqa: F811
    cadence = make_cadence(nb.manager, [task(Channel.CALL), email(day_offset=1)], name="Ring først")
    lead = nb.lead(owner="sdr", prospect__first_name="Kari", prospect__phone="", score=7)
    touch = touches(enroll(nb.sdr, lead, cadence))[0]
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.DUE)
    reminder_create(actor=nb.sdr, lead_id=lead.pk, due_at=now, note="Send presentasjonen")
    client.force_login(nb.sdr)

    text = _text(client.get("/today/"))

    assert "I dag" in text
    assert "2 å gjøre" in text
    assert "0 av 40 kontaktpunkter gjort i dag" in text
    assert "Sett alle kadensene mine på pause" in text
    assert "Ring først, trinn 1" in text
    assert "poengsum 7" in text
    assert "Fikk svar" in text  # the call's one-click outcomes
    assert "La igjen talebeskjed" in text
    assert "Hopp over" in text
    assert "Ingen telefonnummer registrert." in text
    assert "Påminnelse: Send presentasjonen" in text
    for english in ("to do", "touches done today", "Connected", "Reminder:", "step 1", "Script"):
        assert english not in text


def test_cadence_pages_in_bokmal(nb, standard, now, client):  # noqa: F811
    client.force_login(nb.manager)

    listing = _text(client.get("/cadences/"))
    detail = _text(client.get(f"/cadences/{standard.pk}/"))
    editor = _text(client.get(f"/cadences/{standard.pk}/edit/"))
    snippets = _text(client.get("/cadences/snippets/"))

    assert "Kadenser" in listing
    assert "Ny kadens" in listing
    assert "Aktive kadensløp" in listing
    assert "Sendevindu" in listing
    assert "Kalendervisning" in detail
    assert "Vis kalenderen" in detail
    assert "i kontaktpersonens tidssone, på virkedager" in detail
    assert "(avsluttende)" in detail
    assert "Lagre kadensen" in editor
    assert "Legg til et trinn" in editor
    assert "Sendedager" in editor
    assert "Kontaktpersonens fornavn" in editor  # the placeholders' help
    assert "Automatisk e-post" in editor
    assert "Nytt standardsvar" in snippets
    assert "Lagre standardsvaret" in snippets
    for english in ("New cadence", "Calendar preview", "Save cadence", "New snippet"):
        assert english not in listing + detail + editor + snippets


def test_the_lead_pages_cadence_panel_in_bokmal(nb, standard, now, client):  # noqa: F811
    enrolled = nb.lead(owner="sdr")
    enroll(nb.sdr, enrolled, standard)
    free = nb.lead(owner="sdr")
    client.force_login(nb.sdr)

    panel = _text(client.get(f"/leads/{enrolled.pk}/"))
    enroll_form = _text(client.get(f"/leads/{free.pk}/"))

    assert "Sett på pause" in panel
    assert "Stopp kadensen" in panel
    assert "Påminnelser" in panel
    assert "Ingen påminnelse satt." in panel
    assert "Sett påminnelse" in panel
    assert "Legg inn i en kadens" in enroll_form
    assert "Start kadens" in enroll_form
    for english in ("Stop the cadence", "Reminders", "Set reminder"):
        assert english not in panel
    assert "Enroll in a cadence" not in enroll_form


def test_a_flash_message_and_a_domain_error_in_bokmal(nb, standard, now, client):  # noqa: F811
    enrollment = enroll(nb.sdr, nb.lead(owner="sdr"), standard)
    client.force_login(nb.sdr)

    paused = client.post(f"/cadences/enrollments/{enrollment.pk}/pause/")
    again = client.post(f"/cadences/enrollments/{enrollment.pk}/pause/")

    assert [str(m) for m in get_messages(paused.wsgi_request)] == ["Kadensen er satt på pause."]
    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == (
        "Bare en aktiv kadens kan settes på pause."
    )


def test_the_morning_digest_is_in_the_sdrs_language(nb, now, time_machine):  # noqa: F811
    cadence = make_cadence(nb.manager, [task(Channel.CALL)], name="Ring")
    enroll(nb.sdr, nb.lead(owner="sdr"), cadence)
    time_machine.move_to(at(2027, 5, 4, 7, 0), tick=False)

    assert digest_send_due() == 1

    (message,) = mail.outbox
    assert message.subject == "Dagen din: 1 ting å gjøre"
    assert message.body.startswith(f"God morgen, {nb.sdr.first_name}!\n\n")
    assert "Du har 1 ting å gjøre i dag (1 forsinket):" in message.body

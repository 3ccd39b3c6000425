"""The step editor's "reply in the same thread" option."""

import pytest

from cadences.models import Cadence, CadenceStep
from tests.cadences.helpers import email, make_cadence
from tests.cadences.views.test_cadence_pages import CALL_STEP, EMAIL_STEP, editor_post

pytestmark = pytest.mark.django_db


def test_the_editor_saves_and_shows_the_option(crew, client):
    client.force_login(crew.sdr)
    threaded = {**EMAIL_STEP, "day_offset": "2", "reply_in_thread": "on"}
    response = client.post("/cadences/new/", editor_post("Outbound", [EMAIL_STEP, threaded]))
    cadence = Cadence.objects.get()
    assert response.status_code == 302
    assert list(cadence.steps.values_list("position", "reply_in_thread")) == [
        (1, False),
        (2, True),
    ]
    page = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert (
        '<input type="checkbox" name="steps-1-reply_in_thread" aria-describedby='
        '"id_steps-1-reply_in_thread_helptext" id="id_steps-1-reply_in_thread" checked>'
    ) in page
    assert 'name="steps-0-reply_in_thread" aria-describedby' in page
    assert '<label for="id_steps-1-reply_in_thread">Reply in the same thread</label>' in page
    detail = client.get(f"/cadences/{cadence.pk}/").content.decode()
    assert detail.count("(reply in the same thread)") == 1


def test_only_an_automatic_email_replies_in_the_thread(crew, client):
    client.force_login(crew.sdr)
    call = {**CALL_STEP, "reply_in_thread": "on"}
    response = client.post("/cadences/new/", editor_post("Outbound", [EMAIL_STEP, call]))
    assert response.status_code == 400
    assert (
        '<p class="field-error" id="id_steps-1-reply_in_thread_error">'
        "Only an automatic email can reply in the same thread.</p>"
    ) in response.content.decode()
    assert Cadence.objects.count() == 0


def test_a_copy_keeps_the_option(crew, client):
    cadence = make_cadence(
        crew.manager, [email(), email(day_offset=2, reply_in_thread=True)], name="Outbound"
    )
    client.force_login(crew.sdr)
    client.post(f"/cadences/{cadence.pk}/copy/")
    copy = Cadence.objects.exclude(pk=cadence.pk).get()
    assert list(
        CadenceStep.objects.filter(cadence=copy).values_list("position", "reply_in_thread")
    ) == [(1, False), (2, True)]

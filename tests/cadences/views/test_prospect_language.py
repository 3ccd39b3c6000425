"""What a prospect sees is in the cadence's language, which a cadence takes from its team
when it is made (sdrcrm/i18n.py's prospect_translation), whatever language the SDR or the
visiting browser uses: the email's unsubscribe line and the unsubscribe page. (The cadence's
own language winning over the team's: tests/cadences/test_content_language.py.)"""

import re

import pytest
from django.core import mail
from django.test import Client

from cadences.services import touch_dispatch_due
from tests.cadences.helpers import enroll

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([^"]*)">')


def _send_first_email(crew, standard, *, team_language: str, sdr_language: str = ""):
    crew.team.language = team_language
    crew.team.save(update_fields=["language"])
    # As if the team had its language when the cadence was made (content_language).
    standard.language = team_language or "en"
    standard.save(update_fields=["language"])
    crew.sdr.language = sdr_language
    crew.sdr.save(update_fields=["language"])
    enroll(crew.sdr, crew.lead(), standard)
    touch_dispatch_due()
    (message,) = mail.outbox
    link = message.extra_headers["List-Unsubscribe"][1:-1]
    return message, link, link.removeprefix("http://127.0.0.1:8000")


def test_a_norwegian_teams_email_ends_with_the_bokmal_unsubscribe_line(crew, standard, now):
    message, link, _ = _send_first_email(crew, standard, team_language="nb", sdr_language="en")
    assert message.body.endswith(f"\n\n--\nIkke interessert? Meld deg av med ett klikk: {link}")


@pytest.mark.parametrize("team_language", ["en", ""])
def test_an_english_teams_email_ends_with_the_english_line(crew, standard, now, team_language):
    message, link, _ = _send_first_email(
        crew, standard, team_language=team_language, sdr_language="nb"
    )
    assert message.body.endswith(f"\n\n--\nNot interested? Unsubscribe with one click: {link}")


def test_the_unsubscribe_page_is_in_the_teams_language(crew, standard, now):
    _, _, path = _send_first_email(crew, standard, team_language="nb")
    public = Client(enforce_csrf_checks=True)
    for response in (
        public.get(path, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"),
        public.post(path, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"),
    ):
        assert response.status_code == 200
        assert LANG.search(response.content.decode()).group(1) == "nb"
        assert response["Content-Language"] == "nb"


def test_the_unsubscribe_page_of_an_english_team_is_in_english(crew, standard, now):
    _, _, path = _send_first_email(crew, standard, team_language="en")
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="nb")
    assert LANG.search(response.content.decode()).group(1) == "en"
    assert response["Content-Language"] == "en"


def test_a_broken_link_answers_in_the_browsers_language(db):
    response = Client().get("/u/forged/", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 404
    assert LANG.search(response.content.decode()).group(1) == "nb"

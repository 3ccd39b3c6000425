"""The web form's answer to a visitor is in the team's language (sdrcrm/i18n.py), whatever
their browser says; an unknown form answers in the browser's."""

import re

import pytest

from intake.models import WebForm

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([^"]*)">')
VISITOR = {"first_name": "Kari", "last_name": "Nordmann", "email": "kari@visitor.no"}


def _post(client, token, accept, **data):
    return client.post(
        f"/in/{token}/", data, REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE=accept
    )


@pytest.mark.parametrize(
    ("team_language", "browser", "expected"),
    [("nb", "en-US,en;q=0.9", "nb"), ("en", "nb-NO,nb;q=0.9", "en"), ("", "nb", "en")],
)
def test_the_answer_is_in_the_teams_language(client, crew, team_language, browser, expected):
    crew.team.language = team_language
    crew.team.save(update_fields=["language"])
    form = WebForm.objects.create(team=crew.team, name="Kontakt oss")

    done = _post(client, form.token, browser, **VISITOR)
    refused = _post(client, form.token, browser, first_name="Kari", email="not an address")

    for response, status in ((done, 200), (refused, 400)):
        assert response.status_code == status
        assert LANG.search(response.content.decode()).group(1) == expected
        assert response["Content-Language"] == expected


def test_an_unknown_form_answers_in_the_browsers_language(client, crew):
    crew.team.language = "en"
    crew.team.save(update_fields=["language"])
    response = _post(client, "no-such-form", "nb-NO,nb;q=0.9", **VISITOR)
    assert response.status_code == 404
    assert LANG.search(response.content.decode()).group(1) == "nb"

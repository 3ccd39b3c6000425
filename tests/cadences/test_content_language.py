"""Content in both languages (issue 21): a cadence and a snippet have a language (the team's
when made, else English), the standard cadence and the product answers ship in English and
bokmål, the editor's snippet picker offers the cadence's language first, and what the product
adds to a prospect's email follows the cadence's language, not the team's."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from cadences import templating
from cadences.models import Cadence, CadenceStep, Snippet
from cadences.services import (
    CadenceInvalid,
    cadence_copy,
    cadence_ensure_standard,
    snippet_save,
    snippets_ensure_standard,
    touch_dispatch_due,
)
from cadences.standard import NB_NAME, SNIPPETS, STANDARD, STANDARD_NAME
from sdrcrm.errors import NotFound
from tests.cadences.helpers import email, enroll, make_cadence
from tests.cadences.views.test_cadence_pages import EMAIL_STEP, editor_post
from tests.fixtures import api_token_for

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([^"]*)">')


def _team_language(crew, code: str) -> None:
    crew.team.language = code
    crew.team.save(update_fields=["language"])


# --- The field ------------------------------------------------------------------------------


@pytest.mark.parametrize(("team_language", "expected"), [("nb", "nb"), ("en", "en"), ("", "en")])
def test_a_new_cadence_takes_the_teams_language(crew, team_language, expected):
    _team_language(crew, team_language)
    cadence = make_cadence(crew.manager, [email()])
    assert Cadence.objects.get(pk=cadence.pk).language == expected


def test_the_editor_shows_and_saves_the_language(crew, client):
    _team_language(crew, "nb")
    client.force_login(crew.manager)
    html = client.get("/cadences/new/").content.decode()
    assert '<option value="nb" selected>Norsk bokmål</option>' in html

    data = {**editor_post("Engelsk", [EMAIL_STEP]), "language": "en"}
    response = client.post("/cadences/new/", data)
    assert response.status_code == 302
    cadence = Cadence.objects.get(name="Engelsk")
    assert cadence.language == "en"

    step = {**EMAIL_STEP, "id": str(cadence.steps.get().pk)}
    data = {**editor_post("Engelsk", [step]), "language": "nb", "steps-INITIAL_FORMS": "1"}
    assert client.post(f"/cadences/{cadence.pk}/edit/", data).status_code == 302
    assert Cadence.objects.get(pk=cadence.pk).language == "nb"
    html = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert '<option value="nb" selected>Norsk bokmål</option>' in html


def test_an_edit_without_the_language_keeps_it_and_a_forged_one_is_refused(crew, client):
    cadence = make_cadence(crew.manager, [email()], language="nb")
    step = cadence.steps.get()
    client.force_login(crew.manager)
    data = {**editor_post("Kept", [{**EMAIL_STEP, "id": str(step.pk)}]), "steps-INITIAL_FORMS": "1"}
    assert client.post(f"/cadences/{cadence.pk}/edit/", data).status_code == 302
    assert Cadence.objects.get(pk=cadence.pk).language == "nb"

    forged = {**data, "name": "Forged", "language": "de"}
    response = client.post(f"/cadences/{cadence.pk}/edit/", forged)
    assert response.status_code == 400
    assert Cadence.objects.get(pk=cadence.pk).name == "Kept"


def test_the_api_gives_the_language_to_its_team_only(crew, other_crew):
    cadence = make_cadence(crew.manager, [email()], language="nb")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(crew.sdr)}")
    response = client.get(f"/api/cadences/{cadence.pk}/")
    assert (response.status_code, response.json()["language"]) == (200, "nb")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(other_crew.sdr)}")
    assert client.get(f"/api/cadences/{cadence.pk}/").status_code == 404


def test_a_copy_keeps_the_language(crew):
    cadence = make_cadence(crew.manager, [email()], language="nb")
    assert cadence_copy(actor=crew.sdr, cadence_id=cadence.pk).language == "nb"


# --- The standard cadence in each language ---------------------------------------------------


def _subjects(cadence) -> list[str]:
    return list(cadence.steps.order_by("position").values_list("subject_template", flat=True))


def test_the_standard_cadence_of_a_norwegian_team_is_in_bokmal(crew):
    _team_language(crew, "nb")
    cadence = cadence_ensure_standard(team_id=crew.team.pk)
    assert (cadence.name, cadence.language) == ("Standardkadens (9 kontaktpunkter)", "nb")
    subjects = _subjects(cadence)
    assert len(subjects) == 9
    assert subjects[0] == 'Flere kvalifiserte møter for {{ company.name or "dere" }}?'
    assert subjects[5] == "Prøvde å ringe deg, {{ prospect.first_name }}"
    assert subjects[8] == "Siste e-post fra meg"
    breakup = cadence.steps.get(position=9)
    assert breakup.is_breakup
    assert breakup.body_template.startswith("Hei {{ prospect.first_name }},\n\n")
    assert breakup.body_template.endswith(
        "\n\nVennlig hilsen\n{{ sdr.full_name }}\n{{ sdr.company }}"
    )


@pytest.mark.parametrize("team_language", ["en", ""])
def test_the_standard_cadence_of_another_team_is_in_english(crew, team_language):
    _team_language(crew, team_language)
    cadence = cadence_ensure_standard(team_id=crew.team.pk)
    assert (cadence.name, cadence.language) == ("Standard outbound (9 touches)", "en")
    subjects = _subjects(cadence)
    assert subjects[0] == '{{ company.name or "Your team" }} and your sales pipeline'
    assert subjects[5] == "Tried to reach you, {{ prospect.first_name }}"
    assert subjects[8] == "Closing the loop"


def test_a_language_asked_for_wins_and_each_language_is_made_once(crew):
    _team_language(crew, "en")
    nb = cadence_ensure_standard(team_id=crew.team.pk, language="nb")
    assert (nb.name, nb.language) == (NB_NAME, "nb")
    assert cadence_ensure_standard(team_id=crew.team.pk, language="nb").pk == nb.pk
    en = cadence_ensure_standard(team_id=crew.team.pk)
    assert (en.name, en.language) == (STANDARD_NAME, "en")
    assert CadenceStep.objects.filter(cadence__team=crew.team).count() == 18


def test_both_standards_have_the_same_steps_and_placeholders():
    en, nb = STANDARD["en"].steps, STANDARD["nb"].steps
    shape = ("channel", "day_offset", "is_breakup")
    assert [[s.get(k) for k in shape] for s in nb] == [[s.get(k) for k in shape] for s in en]
    for mine, theirs in zip(nb, en, strict=True):
        for name in ("subject_template", "body_template"):
            assert templating.validate(mine.get(name, "")) == []
            assert templating.fields_used(mine.get(name, "")) == templating.fields_used(
                theirs.get(name, "")
            )


def test_the_standard_cadence_is_made_in_its_own_team_only(crew, other_crew):
    _team_language(crew, "nb")
    cadence_ensure_standard(team_id=crew.team.pk)
    assert not Cadence.objects.filter(team=other_crew.team).exists()


# --- Snippets by language -------------------------------------------------------------------


def test_a_new_snippet_takes_the_teams_language_or_the_one_chosen(crew):
    _team_language(crew, "nb")
    assert snippet_save(actor=crew.sdr, title="Pris", body="490 kr").language == "nb"
    chosen = snippet_save(actor=crew.sdr, title="Pricing", body="NOK 490", language="en")
    assert chosen.language == "en"
    # An edit without a language keeps it.
    snippet_save(actor=crew.sdr, title="Pricing", body="NOK 590", snippet_id=chosen.pk)
    assert Snippet.objects.get(pk=chosen.pk).language == "en"


def test_the_same_title_may_exist_once_per_language(crew):
    snippet_save(actor=crew.sdr, title="Onboarding", body="Two weeks.", language="en")
    snippet_save(actor=crew.sdr, title="Onboarding", body="To uker.", language="nb")
    with pytest.raises(CadenceInvalid, match="A snippet with this title exists."):
        snippet_save(actor=crew.sdr, title="Onboarding", body="Again", language="nb")
    assert sorted(Snippet.objects.values_list("language", "body")) == [
        ("en", "Two weeks."),
        ("nb", "To uker."),
    ]


def test_the_product_answers_ship_in_both_languages_for_one_team(crew, other_crew):
    assert snippets_ensure_standard(team_id=crew.team.pk) == 8
    assert snippets_ensure_standard(team_id=crew.team.pk) == 0
    assert sorted(Snippet.objects.filter(language="nb").values_list("title", flat=True)) == [
        "Integrasjoner",
        "Oppstart",
        "Pris",
        "Sikkerhet",
    ]
    assert set(Snippet.objects.filter(language="en").values_list("title", "body")) == set(
        SNIPPETS["en"]
    )
    assert not Snippet.objects.filter(team=other_crew.team).exists()


def test_the_snippet_page_saves_the_language_and_shows_it(crew, client):
    _team_language(crew, "nb")
    client.force_login(crew.sdr)
    html = client.get("/cadences/snippets/").content.decode()
    assert '<option value="nb" selected>Norsk bokmål</option>' in html
    response = client.post(
        "/cadences/snippets/", {"title": "Pricing", "body": "NOK 490", "language": "en"}
    )
    assert response.status_code == 302
    assert Snippet.objects.get().language == "en"
    html = client.get("/cadences/snippets/").content.decode()
    assert '<article class="snippet" lang="en">' in html


def test_the_editor_offers_the_snippets_in_the_cadences_language_first(crew, client):
    snippets_ensure_standard(team_id=crew.team.pk)
    nb = make_cadence(crew.manager, [email()], name="Norsk", language="nb")
    en = make_cadence(crew.manager, [email()], name="English", language="en")
    client.force_login(crew.manager)

    html = client.get(f"/cadences/{nb.pk}/edit/").content.decode()
    picker = html[html.index('class="snippet-picker"') :]
    assert picker.index('<optgroup label="Norsk bokmål">') < picker.index(
        '<optgroup label="English">'
    )
    assert picker.index(">Pris</option>") < picker.index(">Pricing</option>")

    html = client.get(f"/cadences/{en.pk}/edit/").content.decode()
    picker = html[html.index('class="snippet-picker"') :]
    assert picker.index('<optgroup label="English">') < picker.index(
        '<optgroup label="Norsk bokmål">'
    )


def test_the_picker_of_one_language_has_no_groups_and_no_other_teams_snippets(
    crew, other_crew, client
):
    snippet_save(actor=crew.sdr, title="Pricing", body="NOK 490", language="en")
    snippets_ensure_standard(team_id=other_crew.team.pk)
    cadence = make_cadence(crew.manager, [email()], language="nb")
    client.force_login(crew.manager)
    html = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert "<optgroup" not in html
    assert ">Pricing</option>" in html
    assert ">Pris</option>" not in html and ">Security</option>" not in html


# --- What the prospect gets follows the cadence ---------------------------------------------


def _first_email(crew, cadence):
    enroll(crew.sdr, crew.lead(), cadence)
    touch_dispatch_due()
    (message,) = mail.outbox
    link = message.extra_headers["List-Unsubscribe"][1:-1]
    return message, link


def test_an_email_of_a_bokmal_cadence_ends_with_the_bokmal_line_in_an_english_team(crew, now):
    _team_language(crew, "en")
    cadence = cadence_ensure_standard(team_id=crew.team.pk, language="nb")
    message, link = _first_email(crew, cadence)
    assert message.subject.startswith("Flere kvalifiserte møter for ")
    assert message.body.endswith(f"\n\n--\nIkke interessert? Meld deg av med ett klikk: {link}")
    response = Client().get(link.removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert LANG.search(response.content.decode()).group(1) == "nb"
    assert response["Content-Language"] == "nb"


def test_an_email_of_an_english_cadence_ends_with_the_english_line_in_a_norwegian_team(crew, now):
    _team_language(crew, "nb")
    cadence = cadence_ensure_standard(team_id=crew.team.pk, language="en")
    message, link = _first_email(crew, cadence)
    assert message.body.endswith(f"\n\n--\nNot interested? Unsubscribe with one click: {link}")


def test_another_teams_snippet_cannot_be_changed_into_another_language(crew, other_crew):
    snippet = snippet_save(actor=crew.sdr, title="Pricing", body="NOK 490", language="en")
    with pytest.raises(NotFound):
        snippet_save(
            actor=other_crew.sdr, title="Pris", body="x", language="nb", snippet_id=snippet.pk
        )
    assert Snippet.objects.get(pk=snippet.pk).language == "en"


def test_the_migration_gives_existing_rows_their_teams_language(crew, other_crew):
    """cadences.0007's data step (run here on today's models, as it runs on the historical)."""
    from importlib import import_module

    from django.apps import apps

    step = import_module("cadences.migrations.0007_i21content").from_team
    ours = make_cadence(crew.manager, [email()], name="Ours")
    theirs = make_cadence(other_crew.manager, [email()], name="Theirs")
    snippet = snippet_save(actor=crew.sdr, title="Pris", body="490 kr")
    assert (ours.language, theirs.language, snippet.language) == ("en", "en", "en")
    _team_language(crew, "nb")

    step(apps, None)

    assert Cadence.objects.get(pk=ours.pk).language == "nb"
    assert Cadence.objects.get(pk=theirs.pk).language == "en"  # a team without a language
    assert Snippet.objects.get(pk=snippet.pk).language == "nb"

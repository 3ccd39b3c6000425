"""The cadence language and snippet strings in bokmål (issue 21, content): the editor's and
the snippet page's new fields and the snippet picker. Needs the merged catalogue
(/work/wt/notes/nb_content.po): the lead runs it after merging the compendia."""

import pytest

from cadences.services import snippets_ensure_standard
from tests.cadences.helpers import email, make_cadence

pytestmark = pytest.mark.django_db


@pytest.fixture
def norwegian(crew):
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    return crew


def test_the_cadence_editor_asks_for_the_language_in_bokmal(norwegian, client):
    snippets_ensure_standard(team_id=norwegian.team.pk)
    cadence = make_cadence(norwegian.manager, [email()])
    client.force_login(norwegian.manager)
    html = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert ">Språk<" in html
    assert (
        "Skriv e-postene på dette språket. Avmeldingslenken og avmeldingssiden "
        "kontaktpersonen ser, kommer også på dette språket."
    ) in html
    assert '<option value="">Sett inn standardsvar…</option>' in html
    assert ">Sett inn et standardsvar</label>" in html
    assert "Insert a snippet" not in html


def test_the_snippet_form_explains_the_language_in_bokmal(norwegian, client):
    client.force_login(norwegian.sdr)
    html = client.get("/cadences/snippets/").content.decode()
    assert ">Språk<" in html
    assert "Når du redigerer en kadens, kommer standardsvarene på kadensens språk først." in html
    assert "In the cadence editor" not in html

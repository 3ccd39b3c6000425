"""Qualification in bokmål (issue 21): the qualify page with its score and its explanation,
the scoring model's editor, the AE queue, the hand-offs page, the flash messages and the
notifications written in the recipient's language.

Runs once the bokmål catalogue carries the qualification compendium
(/work/wt/notes/nb_qual.po, merged by the lead): scripts/test-services.sh compiles it."""

import pytest

from leads.models import Lead
from notifications.models import Notification, NotificationKind
from qualification.models import ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from qualification.services import lead_answers_save, lead_qualify
from tests.i18n.helpers import login_nb as _nb
from tests.qualification.conftest import HIGH, company_lead
from tests.qualification.services.test_lead_qualify import qualify

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


@pytest.fixture
def model(crew):
    return ScoringModel.objects.create(team=crew.team, version=1, config=DEFAULT_CONFIG)


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_qualify_page_and_its_score_in_bokmal(crew, model, client):
    lead = company_lead(crew, "engaged", employees=120, industry="Software")
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=HIGH)
    page = _page(_nb(client, crew.sdr), f"/qualification/leads/{lead.pk}/")

    assert '<html lang="nb"' in page
    assert "<legend>Hva du har funnet ut</legend>" in page
    assert "<legend>Din vurdering</legend>" in page
    assert "Kvalifiser og overlever til en AE" in page
    assert "Skrot (diskvalifiser)" in page
    assert "Ikke nå – pleie til en dato" in page
    assert '<button type="submit" name="action" value="save">Lagre svarene</button>' in page
    assert "Oppgitt budsjett per år" in page
    assert '<option value="this_quarter" selected>Dette kvartalet</option>' in page
    assert "120 ansatte" in page
    # The score's explanation, with numbers as a Norwegian reads them.
    assert '<span class="factor-label">Bedriftsstørrelse</span>' in page
    assert "51–200 ansatte: +20" in page
    assert "Software (målbransje): +10" in page
    assert f"Budsjett 150{NBSP}000 dekker en vanlig avtale (120{NBSP}000): +15" in page
    assert "Kjøper dette kvartalet: +15" not in page  # this quarter scores 10
    assert "Kjøper dette kvartalet: +10" in page
    assert "Snakker med beslutningstakeren: +15" in page
    assert "Kvalifisert fra 60 · 100 poeng · modell v1" in page
    # The brief's draft from the answers, in the page's language.
    assert "Vil starte dette kvartalet." in page
    for english in (
        "What you found out",
        "Your judgement",
        "Record decision",
        "employees",
        "Buying this quarter",
        "Qualified from",
    ):
        assert english not in page


def test_the_scoring_model_editor_in_bokmal(crew, model, client):
    page = _page(_nb(client, crew.manager), "/qualification/model/")

    assert "<h1>Poengmodell</h1>" in page
    assert "<legend>Hvor mye det haster (tidsramme)</legend>" in page
    assert "<legend>Terskel og overlevering</legend>" in page
    assert "Skrot bedrifter med færre ansatte enn" in page
    assert "Kvalifisert fra poengsum" in page
    assert '<button type="submit" class="primary">Lagre som ny versjon</button>' in page
    for english in ("Company size", "Save as a new version", "Target industry", "Versions"):
        assert english not in page


def test_saving_the_model_says_so_in_bokmal(crew, model, client):
    client = _nb(client, crew.manager)
    response = client.post("/qualification/model/", {"based_on_version": "0"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ingenting ble lagret." in page
    assert "Rett feltene som er merket nedenfor." in page


def test_the_ae_queue_and_the_hand_off_notification_in_bokmal(crew, model, client):
    crew.ae.language = "nb"
    crew.ae.save(update_fields=["language"])
    lead = company_lead(crew, "engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    # Written in the AE's language, whatever the SDR's.
    note = Notification.objects.get(user=crew.ae, kind=NotificationKind.HANDOFF)
    assert note.title.startswith(f"{crew.sdr} overleverte et lead til deg: ")

    page = _page(_nb(client, crew.ae), "/qualification/queue/")
    assert "<h1>AE-kø</h1>" in page
    assert "1 overlevering venter på din avgjørelse · kapasitet 10" in page
    assert '<button type="submit" class="primary">Godta</button>' in page
    assert '<summary class="button danger">Avvis…</summary>' in page
    assert "Avvis og send tilbake til SDR-en" in page
    assert '<h3 class="h4">Overleveringsnotat</h3>' in page
    assert "Lært anslag" in page
    for english in ("waiting for your decision", "Accept", "Learned estimate", "business hours"):
        assert english not in page


def test_accepting_says_so_in_bokmal_and_tells_the_sdr_in_english(crew, model, client):
    lead = company_lead(crew, "engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    client = _nb(client, crew.ae)

    response = client.post(f"/qualification/leads/{lead.pk}/accept/", follow=True)

    assert Lead.objects.get(pk=lead.pk).state == "accepted"
    assert f"Godtatt: {lead.prospect.full_name} er ditt." in response.content.decode()
    note = Notification.objects.get(user=crew.sdr, kind=NotificationKind.ACCEPTED)
    assert note.title.startswith(f"{crew.ae} accepted your lead ")


def test_the_hand_offs_page_in_bokmal(crew, model, client):
    page = _page(_nb(client, crew.manager), "/qualification/handoffs/")

    assert "<h1>Overleveringer</h1>" in page
    assert '<h2 id="aes-h" class="h3">Kundeansvarlige (AE-er)</h2>' in page
    assert "Venter på en AE-s avgjørelse (0)" in page
    assert "Ingenting venter." in page
    for english in ("Account executives", "Nothing is waiting", "Capacity and away"):
        assert english not in page

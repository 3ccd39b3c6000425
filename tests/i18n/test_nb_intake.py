"""Lead intake in bokmål (issue 21): the import pages, the mapping, the progress and its
report, the leads an import made, the web forms, a web form's answer to a visitor, the inbound
panel and notification, and the privacy officer's data subject page.

Runs once the bokmål catalogue carries the intake compendium (/work/wt/notes/nb_intake.po,
merged by the lead): scripts/test-services.sh compiles it."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake.models import WebForm
from leads.models import Lead, LeadEvent
from notifications.models import Notification
from tests.i18n.helpers import login_nb as _nb
from tests.intake.conftest import run_import, upload
from tests.intake.files import csv_bytes, messy_csv

pytestmark = pytest.mark.django_db


def test_the_import_list_in_bokmal(crew, client):
    run_import(crew.marketing, csv_bytes(["Fornavn", "E-post"], [["Kari", "kari@fjord.no"]]))
    page = _nb(client, crew.marketing).get("/imports/").content.decode()

    assert '<html lang="nb"' in page
    assert "<h1>Importer leads</h1>" in page
    assert ">Nettskjemaer</a>" in page
    assert "CSV- eller XLSX-fil" in page
    assert ">Last opp og koble kolonner</button>" in page
    assert "<h2>Siste importer</h2>" in page
    assert '<th scope="col">Fil</th><th scope="col">Av</th>' in page
    assert ">Ferdig</span>" in page  # the job's status
    for english in ("Recent imports", "Upload and map columns", "Next you check"):
        assert english not in page


def test_a_bad_upload_is_refused_in_bokmal(crew, client):
    content = b"\x00\x01\x02" * 1000
    response = _nb(client, crew.marketing).post(
        "/imports/", {"file": SimpleUploadedFile("x.csv", content)}
    )

    assert response.status_code == 400
    assert (
        "x.csv: Dette er ikke et regneark: filen er binær. Last opp en CSV- eller XLSX-fil. "
        "Ingenting ble lagret." in response.content.decode()
    )


def test_the_mapping_page_and_its_preview_in_bokmal(crew, client):
    job = upload(crew.marketing, messy_csv(), "messy.csv")
    page = _nb(client, crew.marketing).get(f"/imports/{job.pk}/").content.decode()

    assert "<h1>Koble kolonnene i messy.csv</h1>" in page
    assert "<legend>Kolonner</legend>" in page and "<legend>Valg</legend>" in page
    assert "Overskriftsrad (linjenummer)" in page
    assert '<option value="">— ignorer —</option>' in page
    assert ">E-post</option>" in page  # a field a column maps to
    assert "La dem være uten eier (teamets felles leads)" in page
    assert "Alt eller ingenting: importer bare hvis alle radene er gyldige" in page
    assert '<span class="badge warn">Duplikat</span>' in page
    assert "Samme person som linje 2" in page
    assert ">Start importen</button>" in page
    for english in ("Map the columns", "Preview", "Start the import", "Same person as"):
        assert english not in page


def test_the_report_its_csv_and_the_leads_page_in_bokmal(crew, client):
    data = csv_bytes(
        ["First Name", "Email"],
        [["Kari", "kari@fjord.no"], ["Ola", "not-an-email"], ["Kari", "kari@fjord.no"]],
    )
    crew.marketing.language = "nb"  # the import's words are in its uploader's language
    crew.marketing.save(update_fields=["language"])
    job = run_import(crew.marketing, data)
    nb = _nb(client, crew.marketing)

    page = nb.get(f"/imports/{job.pk}/").content.decode()
    assert f"<h1>Import av {job.file_name}</h1>" in page
    assert ">Ferdig</h2>" in page
    assert "3 av 3 rader" in page and "1 feil" in page
    assert "1 opprettet, 0 oppdatert, 1 duplikat, 1 avvist." in page
    assert "<dt>Duplikater</dt>" in page and "<dt>Avvist</dt>" in page
    assert "Se leadet den opprettet" in page
    assert '<h3 class="h3">Avviste rader</h3>' in page
    assert "Last ned de avviste radene (CSV)" in page

    response = nb.get(f"/imports/{job.pk}/issues.csv", {"kind": "duplicate"})
    raw = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    assert rows[0] == ["linje", "type", "årsak", "First Name", "Email"]
    assert rows[1][:3] == ["4", "duplikat", "kari@fjord.no: står tidligere i filen"]

    page = nb.get(f"/imports/{job.pk}/leads/").content.decode()
    assert f"<h1>Leads fra {job.file_name}</h1>" in page
    assert "Importen opprettet 1 lead." in page
    assert ">Uten eier</span>" in page

    lead = Lead.objects.get(prospect__email="kari@fjord.no")
    event = LeadEvent.objects.filter(lead=lead).order_by("id").first()
    assert event.body == f"Importert fra {job.file_name} (import #{job.pk})"


def test_the_web_forms_page_in_bokmal(crew, client):
    WebForm.objects.create(team=crew.team, name="Kontakt oss")
    page = _nb(client, crew.manager).get("/imports/web-forms/").content.decode()

    assert "<h1>Nettskjemaer for innkommende leads</h1>" in page
    assert '<span class="badge success">Aktiv</span>' in page
    assert "HTML å lime inn på nettstedet ditt" in page
    assert ">Slå av</button>" in page
    assert '<h2 class="h3">Nytt nettskjema</h2>' in page
    assert ">Opprett nettskjema</button>" in page
    assert "Videresendingsadresse" in page


def test_a_web_form_answers_the_visitor_and_tells_the_sdr_in_bokmal(crew, client):
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    form = WebForm.objects.create(team=crew.team, name="Kontakt oss")
    sent = {"first_name": "Kari", "last_name": "Nord", "email": "kari@fjord.no"}

    done = client.post(f"/in/{form.token}/", sent, REMOTE_ADDR="203.0.113.9")
    refused = client.post(
        f"/in/{form.token}/", {"first_name": "Kari", "email": "nope"}, REMOTE_ADDR="203.0.113.8"
    )

    assert "<h1>Takk</h1><p>Takk! Vi tar kontakt med deg snart.</p>" in done.content.decode()
    assert refused.status_code == 400
    assert "<h1>Ikke sendt</h1><p>Skriv inn en gyldig e-postadresse.</p>" in (
        refused.content.decode()
    )
    note = Notification.objects.get()
    assert note.title == "Nytt innkommende lead til deg: Kari Nord"
    assert note.body == "Fra nettskjemaet «Kontakt oss»."


def test_the_inbound_panel_in_bokmal(crew, client):
    form = WebForm.objects.create(team=crew.team, name="Kontakt oss")
    client.post(f"/in/{form.token}/", {"first_name": "In", "email": "in@bound.no"},
                REMOTE_ADDR="203.0.113.9")  # fmt: skip
    lead = Lead.objects.get(prospect__email="in@bound.no")
    page = _nb(client, lead.owner).get(f"/leads/{lead.pk}/").content.decode()

    assert '<h2 id="inbound-title" class="h3">Innkommende lead</h2>' in page
    assert "Fra nettskjemaet «Kontakt oss»" in page
    assert "Venter på første kontaktpunkt: under ett minutt" in page
    assert "Innkommende leads blir fort kalde: ring eller send e-post nå." in page


def test_the_data_subject_page_in_bokmal(crew, client):
    page = _nb(client, crew.privacy).get("/privacy/").content.decode()

    assert '<h1 id="subject-h">Personopplysninger om en registrert person</h1>' in page
    assert "Finn en person på e-postadresse i alle team" in page
    assert ">Finn</button>" in page

    page = client.post("/privacy/", {"email": "nobody@nowhere.no"}).content.decode()
    assert "Ingen er registrert med denne adressen i noe team." in page

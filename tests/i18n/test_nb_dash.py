"""The dashboards, the commission export, the coaching messages and the API's errors in bokmål
(issue 21).

Runs once the bokmål catalogue carries the dash compendium (/work/wt/notes/nb_dash.po, merged
by the lead): scripts/test-services.sh compiles it."""

import csv
import io
import os

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from api.services import api_token_create
from dashboards.rollup import facts_refresh
from tests.dashboards.helpers import build_week
from tests.i18n.helpers import login_nb as _nb

pytestmark = pytest.mark.django_db

RANGE = "start=2027-01-11&end=2027-01-12"


@pytest.fixture
def week(crew, time_machine):
    leads = build_week(crew, time_machine)
    facts_refresh()
    return leads


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    if os.environ.get("DASH_DUMP"):
        name = path.strip("/").replace("/", "_").split("?")[0] or "pipeline"
        with open(f"{os.environ['DASH_DUMP']}/{name}.html", "w") as f:
            f.write(page)
    return page


def test_the_pipeline_in_bokmal(crew, client, week):
    page = _page(_nb(client, crew.manager), f"/dashboards/?{RANGE}")

    assert '<html lang="nb"' in page
    assert "<h1>Pipeline</h1>" in page
    assert "Funnel" not in page
    assert "Trakt: leads som kom inn i perioden, og hvor langt de kom" in page
    assert '<th scope="col" class="num">Fra trinnet før</th>' in page
    assert "Hvor leads faller fra" in page
    assert ">SDR-aktivitet</a></li>" in page
    assert ">Provisjon</a></li>" in page
    assert '<button type="submit" class="primary">Vis</button>' in page
    assert "Står stille etter (dager)" in page
    for english in ("Where leads drop out", "figures as of", "local days", "Stalled"):
        assert english not in page


def test_the_activity_page_in_bokmal(crew, client, week):
    page = _page(_nb(client, crew.manager), f"/dashboards/activity/?{RANGE}")

    assert "<h1>SDR-aktivitet</h1>" in page
    assert '<th scope="col" class="num">Samtaler</th>' in page
    assert '<th scope="col" class="num">Responstid (median)</th>' in page
    assert "Per SDR for hele perioden (hvert tall åpner leadene bak det)" in page
    assert "Kontaktpunkter per dag (e-poster, samtaler, LinkedIn)" in page  # the chart's title
    assert "Samtaler etter utfall:" in page
    for english in ("Touches per day", "Leads worked", "No activity", "Calls by outcome"):
        assert english not in page


def test_the_commission_page_and_its_csv_in_bokmal(crew, client, week):
    client = _nb(client, crew.manager)
    page = _page(client, f"/dashboards/commission/?{RANGE}")

    assert "<h1>Provisjonsrapport</h1>" in page
    assert "Kvalifiserte leads godtatt av AE-er: 2" in page
    assert ">Last ned CSV</a>" in page
    assert '<h2 class="h3">Slik telles det</h2>' in page
    assert "How this is counted" not in page

    response = client.get(f"/dashboards/commission/export/csv/?{RANGE}")
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header == [
        "SDR", "Lead", "Kontaktperson", "Bedrift", "Godtatt av",
        "Godtatt (America/New_York)", "Dag",
    ]  # fmt: skip

    response = client.get(f"/dashboards/commission/export/xlsx/?{RANGE}")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Provisjon"]
    assert next(book["Provisjon"].iter_rows(values_only=True))[:3] == (
        "SDR",
        "Lead",
        "Kontaktperson",
    )


def test_cadences_and_time_in_stage_in_bokmal(crew, client, week):
    client = _nb(client, crew.manager)
    cadences = _page(client, f"/dashboards/cadences/?{RANGE}")
    stages = _page(client, f"/dashboards/time-in-stage/?{RANGE}")

    assert "<h1>Kadensresultater</h1>" in cadences
    assert ">Sammenlign</button>" in cadences
    assert "<h1>Tid i hver status</h1>" in stages
    assert '<th scope="col" class="num">90. persentil</th>' in stages
    assert "Median and 90th percentile" not in stages


def test_the_leads_behind_a_figure_in_bokmal(crew, client, week):
    page = _page(_nb(client, crew.manager), f"/dashboards/leads/?figure=call&{RANGE}")

    assert "<h1>Leads bak: Samtaler</h1>" in page
    assert '<th scope="col">Eier</th>' in page
    assert "Leads behind" not in page


def test_wrong_filters_are_explained_in_bokmal(crew, client):
    response = _nb(client, crew.manager).get("/dashboards/?start=2027-13-40")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Disse filtrene kan ikke vises" in page
    assert "cannot be shown" not in page


def test_coaching_feedback_errors_in_bokmal(crew, client):
    lead = crew.lead()
    response = _nb(client, crew.manager).post(
        f"/coaching/leads/{lead.pk}/", {"kind": "praise", "body": ""}, follow=True
    )

    assert "Velg ros eller råd, og skriv tilbakemeldingen." in response.content.decode()


def test_the_apis_errors_in_bokmal(crew):
    api_token_create(actor=crew.sdr, name="real")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer sdr_deadbeef_not-a-real-token")

    response = client.get("/api/leads/", HTTP_ACCEPT_LANGUAGE="nb")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "API-nøkkelen er ikke gyldig, eller den er trukket tilbake."
    }

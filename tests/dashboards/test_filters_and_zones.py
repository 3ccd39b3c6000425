"""A departed SDR's figures stay reachable; wrong filters are an error, never figures of other
dates; the all-teams commission download gives each lead's times in its own team's zone."""

import csv
import io

import pytest
from openpyxl import load_workbook

from dashboards.rollup import facts_refresh
from tests.dashboards.helpers import build_week, oslo
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

RANGE = "start=2027-01-11&end=2027-01-12"
PAGES = [
    "/dashboards/",
    "/dashboards/activity/",
    "/dashboards/commission/",
    "/dashboards/cadences/",
    "/dashboards/time-in-stage/",
    "/dashboards/leads/?figure=accepted",
]
DOWNLOADS = ["/dashboards/commission/export/csv/", "/dashboards/commission/export/xlsx/"]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def week(crew, time_machine):
    leads = build_week(crew, time_machine)
    facts_refresh()
    return leads


@pytest.fixture
def departed(crew, week, time_machine):
    """Months later, the SDR who owned lead A has left (deactivated)."""
    crew.sdr.is_active = False
    crew.sdr.save(update_fields=["is_active"])
    time_machine.move_to(oslo(28, 12).replace(month=4), tick=False)
    return crew.sdr


def _sep(path: str) -> str:
    return "&" if "?" in path else "?"


# --- A departed SDR ---------------------------------------------------------------------------


def test_a_departed_sdr_s_commission_stays_reachable(crew, client, week, departed):
    client.force_login(crew.manager)
    query = f"{RANGE}&sdr={departed.pk}"

    html = client.get(f"/dashboards/commission/?{query}").content.decode()
    assert "Qualified leads accepted by AEs: 1" in html
    assert f"/leads/{week['a'].pk}/" in html and f"/leads/{week['d'].pk}/" not in html
    assert f'<option value="{departed.pk}" selected>{departed} (inactive)</option>' in html
    rows = _csv(client.get(f"/dashboards/commission/export/csv/?{query}"))
    assert [r[:2] for r in rows[1:]] == [[str(departed), str(week["a"].pk)]]
    assert [r[5:] for r in rows[1:]] == [["2027-01-12 10:00", "2027-01-12"]]
    # The other pages filter on them too: their calls of A and D (Monday) and B (Tuesday).
    activity = client.get(f"/dashboards/activity/?{query}")
    assert activity.status_code == 200
    assert activity.context["totals"][0]["call"] == 3


@pytest.mark.parametrize("path", PAGES)
def test_every_page_takes_a_departed_sdr_as_filter(crew, client, departed, path):
    client.force_login(crew.manager)
    response = client.get(f"{path}{_sep(path)}{RANGE}&sdr={departed.pk}")
    assert response.status_code == 200
    assert response.context["f"].sdr == departed.pk
    assert (response.context["f"].start.isoformat(), response.context["f"].end.isoformat()) == (
        "2027-01-11",
        "2027-01-12",
    )


def test_an_admin_filters_all_teams_on_any_sdr(crew, client, week, departed):
    client.force_login(crew.admin)
    rows = _csv(client.get(f"/dashboards/commission/export/csv/?{RANGE}&sdr={departed.pk}"))
    assert [r[:2] for r in rows[1:]] == [[str(departed), str(week["a"].pk)]]
    html = client.get(f"/dashboards/commission/?{RANGE}").content.decode()
    assert f"{departed} · {crew.team.name} (inactive)</option>" in html


# --- Wrong filters ----------------------------------------------------------------------------

WRONG = [
    "sdr=999999",  # nobody of the team
    "start=2027-13-01",
    "end=yesterday",
    "source=fax",
    "cadence=999999",
    "by=month",
]


@pytest.mark.parametrize("wrong", WRONG)
@pytest.mark.parametrize("path", PAGES)
def test_wrong_filters_show_the_error_and_no_figures(crew, client, week, path, wrong):
    """The default period (the last 30 days, from 13 January) holds the week's figures: none
    of them may appear when the filters asked for are wrong."""
    client.force_login(crew.manager)
    response = client.get(f"{path}{_sep(path)}{wrong}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "These filters cannot be shown" in html
    assert 'class="field-error"' in html
    assert response.context["f"] is None
    for lead in week.values():
        assert f"/leads/{lead.pk}/" not in html
    assert "Qualified leads accepted by AEs" not in html


def test_the_error_names_the_wrong_field(crew, client, week):
    client.force_login(crew.manager)
    html = client.get(f"/dashboards/commission/?{RANGE}&sdr=999999").content.decode()
    assert (
        '<p class="field-error" id="id_sdr_error">Select a valid choice. 999999 is not one of the '
        "available choices.</p>"
    ) in html


@pytest.mark.parametrize("wrong", WRONG[:3])
@pytest.mark.parametrize("path", DOWNLOADS)
def test_downloads_answer_400_on_wrong_filters(crew, client, week, path, wrong):
    client.force_login(crew.manager)
    response = client.get(f"{path}?{RANGE}&{wrong}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Nothing to download: the filters are wrong.")


def test_an_sdr_of_another_team_is_a_wrong_filter(crew, other_crew, client, week):
    client.force_login(crew.manager)
    response = client.get(f"/dashboards/commission/export/csv/?{RANGE}&sdr={other_crew.sdr.pk}")
    assert response.status_code == 400


# --- Time zones in the all-teams download -----------------------------------------------------


@pytest.fixture
def two_zones(crew, other_crew, week, time_machine):
    """Alpha (New York) accepted A on Tuesday 10:00 and D at 11:00, local time; Beta (Oslo)
    accepts a lead on Tuesday 00:30 local time, still Monday in UTC and in New York."""
    assert other_crew.team.time_zone == "Europe/Oslo"
    time_machine.move_to(oslo(12, 0, 30), tick=False)
    lead = walk(other_crew.lead(owner="sdr"), "accepted", ae=other_crew.ae)
    facts_refresh()
    return week["a"], week["d"], lead


def _xlsx(response) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_all_teams_download_gives_each_team_s_zone(crew, other_crew, client, two_zones):
    a, d, beta = two_zones
    client.force_login(crew.admin)
    header = [
        *["SDR", "Lead", "Prospect", "Company", "Accepted by"],
        *["Accepted at (the team's time zone)", "Day", "Time zone"],
    ]
    ny, osl = "America/New_York", "Europe/Oslo"

    def expected(lead_id):
        return [
            [str(crew.sdr), lead_id(a), "2027-01-12 10:00", "2027-01-12", ny],
            [str(crew.sdr2), lead_id(d), "2027-01-12 11:00", "2027-01-12", ny],
            [str(other_crew.sdr), lead_id(beta), "2027-01-12 00:30", "2027-01-12", osl],
        ]

    rows = _csv(client.get(f"/dashboards/commission/export/csv/?{RANGE}"))
    assert rows[0] == header
    assert [[r[0], r[1], r[5], r[6], r[7]] for r in rows[1:]] == expected(lambda x: str(x.pk))
    assert [r[4] for r in rows[1:]] == [str(crew.ae), str(crew.ae), str(other_crew.ae)]

    values = _xlsx(client.get(f"/dashboards/commission/export/xlsx/?{RANGE}"))
    assert values[0] == header
    assert [[r[0], r[1], r[5], r[6], r[7]] for r in values[1:]] == expected(lambda x: x.pk)


def test_one_team_s_download_names_its_zone_in_the_header(crew, other_crew, client, two_zones):
    client.force_login(crew.admin)
    rows = _csv(client.get(f"/dashboards/commission/export/csv/?{RANGE}&team={other_crew.team.pk}"))
    assert rows[0][5:] == ["Accepted at (Europe/Oslo)", "Day"]
    assert [r[5:] for r in rows[1:]] == [["2027-01-12 00:30", "2027-01-12"]]
    client.force_login(crew.manager)
    rows = _csv(client.get(f"/dashboards/commission/export/csv/?{RANGE}"))
    assert rows[0][5:] == ["Accepted at (America/New_York)", "Day"]
    assert [r[5:] for r in rows[1:]] == [
        ["2027-01-12 10:00", "2027-01-12"],
        ["2027-01-12 11:00", "2027-01-12"],
    ]

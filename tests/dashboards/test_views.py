"""Dashboard pages: scopes per role, drill-down links, downloads, pinned query counts."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from dashboards.export import neutralise
from dashboards.rollup import facts_refresh
from leads.services import lead_bulk_assign
from tests.dashboards.helpers import build_week

pytestmark = pytest.mark.django_db

PAGES = [
    "/dashboards/",
    "/dashboards/activity/",
    "/dashboards/commission/",
    "/dashboards/cadences/",
    "/dashboards/time-in-stage/",
    "/dashboards/leads/?figure=call",
    "/dashboards/commission/export/csv/",
    "/dashboards/commission/export/xlsx/",
]
RANGE = "start=2027-01-11&end=2027-01-12"

# role -> pages (by index in PAGES) answered 200; every other page is 403
ALLOWED = {
    "admin": set(range(8)),
    "manager": set(range(8)),
    "sdr": set(range(8)),
    "bdr": set(range(8)),
    "ae": {0, 1, 4, 5},
    "marketing": {0},
}


@pytest.fixture
def week(crew, time_machine):
    leads = build_week(crew, time_machine)
    facts_refresh()
    return leads


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_gets_its_pages_and_403_elsewhere(crew, client, role):
    client.force_login(getattr(crew, role))
    got = {i for i, path in enumerate(PAGES) if client.get(path).status_code == 200}
    assert got == ALLOWED[role]
    denied = {i for i, path in enumerate(PAGES) if client.get(path).status_code == 403}
    assert denied == set(range(len(PAGES))) - ALLOWED[role]


def _activity_names(client, path):
    html = client.get(path).content.decode()
    return html


def test_sdr_sees_only_their_own_figures(crew, client, week):
    client.force_login(crew.sdr2)
    html = client.get(f"/dashboards/activity/?{RANGE}").content.decode()
    assert f'<th scope="row">{crew.sdr2}</th>' in html
    assert str(crew.sdr) + "<" not in html
    # another SDR's id in the filter changes nothing: the scope wins
    html2 = client.get(f"/dashboards/activity/?{RANGE}&sdr={crew.sdr.pk}").content.decode()
    assert str(crew.sdr) + "<" not in html2
    report = client.get(f"/dashboards/commission/export/csv/?{RANGE}").content.decode()
    rows = list(csv.reader(io.StringIO(report)))
    assert [r[1] for r in rows[1:]] == [str(week["d"].pk)]


def test_manager_of_another_team_sees_none_of_it(crew, other_crew, client, week):
    client.force_login(other_crew.manager)
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/dashboards/commission/export/csv/?{RANGE}").content.decode())
        )
    )
    zone = other_crew.team.time_zone
    header = ["SDR", "Lead", "Prospect", "Company", "Accepted by", f"Accepted at ({zone})", "Day"]
    assert rows == [header]
    html = client.get(f"/dashboards/leads/?figure=call&{RANGE}").content.decode()
    assert "No lead you can see" in html


def test_ae_sees_their_queue_figures(crew, client, week):
    client.force_login(crew.ae)
    html = client.get(f"/dashboards/?{RANGE}").content.decode()
    assert "Hand-offs to you" in html
    act = client.get(f"/dashboards/activity/?{RANGE}").content.decode()
    assert "Handed to me" in act
    assert "Emails" not in act


def test_marketing_sees_aggregates_only(crew, client, week):
    client.force_login(crew.marketing)
    html = client.get(f"/dashboards/?{RANGE}").content.decode()
    assert "Funnel" in html
    assert "Stalled" not in html
    assert f"/leads/{week['a'].pk}/" not in html
    assert client.get(f"/dashboards/?{RANGE}&sdr={crew.sdr.pk}").status_code == 200


def test_activity_figures_link_to_the_leads_behind_them(crew, client, week):
    client.force_login(crew.manager)
    html = client.get(f"/dashboards/activity/?{RANGE}&sdr={crew.sdr.pk}").content.decode()
    link = (
        f"/dashboards/leads/?figure=call&amp;start=2027-01-11&amp;end=2027-01-11"
        f"&amp;sdr={crew.sdr.pk}&amp;team={crew.team.pk}"
    )
    assert link in html
    drill = client.get(link.replace("&amp;", "&")).content.decode()
    assert f"/leads/{week['a'].pk}/" in drill
    assert f"/leads/{week['d'].pk}/" in drill
    assert f"/leads/{week['b'].pk}/" not in drill  # B was called on Tuesday
    assert f"/leads/{week['c'].pk}/" not in drill
    # the whole period's figure of sdr2 (a totals row) lists D only
    team = client.get(f"/dashboards/activity/?{RANGE}").content.decode()
    link2 = (
        f"/dashboards/leads/?figure=qualified&amp;start=2027-01-11&amp;end=2027-01-12"
        f"&amp;sdr={crew.sdr2.pk}&amp;team={crew.team.pk}"
    )
    assert link2 in team
    drill2 = client.get(link2.replace("&amp;", "&")).content.decode()
    assert f"/leads/{week['d'].pk}/" in drill2
    assert f"/leads/{week['a'].pk}/" not in drill2


def test_commission_downloads_are_stable_under_later_edits(crew, client, week, time_machine):
    client.force_login(crew.manager)
    before_csv = client.get(f"/dashboards/commission/export/csv/?{RANGE}").content
    # Later: the accepted lead A moves to sdr2, and the rollup runs again.
    time_machine.move_to(date(2027, 2, 1).isoformat() + "T10:00:00+00:00", tick=False)
    lead_bulk_assign(actor=crew.manager, lead_ids=[week["a"].pk], owner_id=crew.sdr2.pk)
    facts_refresh()
    client.force_login(crew.manager)  # weeks later: a fresh session
    after_csv = client.get(f"/dashboards/commission/export/csv/?{RANGE}").content
    assert after_csv == before_csv
    rows = list(csv.reader(io.StringIO(after_csv.decode())))
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (str(crew.sdr), str(week["a"].pk)),
        (str(crew.sdr2), str(week["d"].pk)),
    ]
    xlsx = client.get(f"/dashboards/commission/export/xlsx/?{RANGE}")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "SDR"
    assert [(v[0], v[1]) for v in values[1:]] == [
        (str(crew.sdr), week["a"].pk),
        (str(crew.sdr2), week["d"].pk),
    ]


def test_exports_neutralise_formula_cells(crew, client, week):
    prospect = week["a"].prospect
    prospect.first_name = '=HYPERLINK("http://evil")'
    prospect.save(update_fields=["first_name"])
    client.force_login(crew.manager)
    body = client.get(f"/dashboards/commission/export/csv/?{RANGE}").content.decode()
    assert "'=HYPERLINK" in body
    sheet = load_workbook(
        io.BytesIO(client.get(f"/dashboards/commission/export/xlsx/?{RANGE}").content)
    ).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in cells)
    assert [neutralise(v) for v in ("=1", "+1", "-1", "@x", "ok", 5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "ok",
        5,
    ]


def test_unknown_export_format_is_404(crew, client):
    client.force_login(crew.manager)
    assert client.get("/dashboards/commission/export/pdf/").status_code == 404

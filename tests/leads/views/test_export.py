"""Lead export: the list's filters, the user's scope, formula cells neutralised."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.factories import CompanyFactory, LeadFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_respects_scope_and_filters(client, crew, other_crew):
    mine = crew.lead(owner="sdr", prospect=ProspectFactory(first_name="Mine", email="m@x.no"))
    pool = crew.lead(owner=None, prospect=ProspectFactory(first_name="Pool", email="p@x.no"))
    crew.lead(owner="sdr2", prospect=ProspectFactory(first_name="Colleague", email="c@x.no"))
    other_crew.lead(owner="sdr", prospect=ProspectFactory(first_name="Other", email="o@x.no"))
    client.force_login(crew.sdr)
    response = client.get("/leads/export/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0][:3] == ["Lead id", "State", "Source"]
    assert sorted(r[6] for r in rows[1:]) == ["Mine", "Pool"]
    rows = csv_rows(client.get("/leads/export/?format=csv&owner=me"))
    assert [int(r[0]) for r in rows[1:]] == [mine.pk]
    assert pool.pk not in [int(r[0]) for r in rows[1:]]
    client.force_login(crew.manager)
    assert sorted(r[6] for r in csv_rows(client.get("/leads/export/"))[1:]) == [
        "Colleague",
        "Mine",
        "Pool",
    ]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(client, crew):
    company = CompanyFactory(name="@SUM(A1:A9)", industry="=1+1")
    crew.lead(
        owner="sdr",
        prospect=ProspectFactory(
            first_name='=HYPERLINK("http://evil","x")',
            last_name="-2+3",
            email="f@x.no",
            company=company,
        ),
    )
    client.force_login(crew.sdr)
    row = csv_rows(client.get("/leads/export/?format=csv"))[1]
    assert (row[6], row[7], row[11], row[13]) == (
        '\'=HYPERLINK("http://evil","x")',
        "'-2+3",
        "'@SUM(A1:A9)",
        "'=1+1",
    )
    response = client.get("/leads/export/?format=xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [c.value for c in ws[2]]
    assert (values[6], values[7], values[11], values[13]) == (
        '\'=HYPERLINK("http://evil","x")',
        "'-2+3",
        "'@SUM(A1:A9)",
        "'=1+1",
    )
    assert all(c.data_type != "f" for c in ws[2])


def test_marketing_cannot_export_leads(client, crew):
    crew.lead(owner="sdr")
    client.force_login(crew.marketing)
    assert client.get("/leads/export/").status_code == 403


def test_an_ae_exports_only_their_leads(client, crew):
    handed = walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae)
    walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae2)
    client.force_login(crew.ae)
    assert [int(r[0]) for r in csv_rows(client.get("/leads/export/"))[1:]] == [handed.pk]


def test_export_reads_with_a_bounded_number_of_queries(client, crew, django_assert_max_num_queries):
    for _ in range(30):
        LeadFactory(team=crew.team, owner=crew.sdr)
    client.force_login(crew.sdr)
    with django_assert_max_num_queries(4):
        rows = csv_rows(client.get("/leads/export/"))
    assert len(rows) == 31

"""The leads an import created (/imports/<id>/leads/, "See the leads" on the finished import):
for whoever may see the import, marketing included, with what the file gave, the owner and the
state, and nothing of the SDR's work; a link to each lead only for those who may open it."""

import pytest

from intake.models import AssignmentRule
from leads.models import Lead
from leads.services import lead_add_note, lead_bulk_assign
from tests.factories import ProspectFactory
from tests.fixtures import walk
from tests.html import parse

from .conftest import run_import, upload
from .files import csv_bytes, people

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Company", "Job Title", "Phone"]


def _table(content: str) -> list[list[str]]:
    body = parse(content).one("table", class_="import-leads").one("tbody")
    return [[td.text for td in tr.find_all("td")] for tr in body.find_all("tr")]


def _links(content: str) -> list[str]:
    body = parse(content).one("table", class_="import-leads").one("tbody")
    return [a["href"] for a in body.find_all("a")]


@pytest.fixture
def imported(crew):
    """Three rows imported by marketing, round-robin to the two SDRs; the SDRs then work them
    (a note, a call's outcome, a disqualification with its note: none of it is marketing's)."""
    data = csv_bytes(HEADER, [
        ["Kari", "Nordmann", "kari@fjord.example", "Fjordkraft AS", "CFO", "+47 900 00 001"],
        ["Øystein", "Ødegård", "oy@blabaer.example", "Blåbær AS", "CEO", "+47 900 00 002"],
        ["Ola", "Hansen", "ola@brygge.example", "", "Buyer", "+47 900 00 003"],
    ])  # fmt: skip
    job = run_import(crew.marketing, data, assignment=AssignmentRule.ROUND_ROBIN,
                     assignees=[crew.sdr.pk, crew.sdr2.pk])  # fmt: skip
    leads = list(Lead.objects.order_by("pk"))
    lead_add_note(actor=leads[0].owner, lead_id=leads[0].pk, body="Private: spouse works at DNB")
    walk(leads[1], "researching")
    return job, leads


def test_the_finished_import_links_marketing_to_its_leads(client, crew, imported):
    job, leads = imported
    client.force_login(crew.marketing)

    detail = parse(client.get(f"/imports/{job.pk}/").content.decode())
    link = detail.one("a", href=f"/imports/{job.pk}/leads/")
    assert link.text == "See the 3 leads it created"
    response = client.get(link["href"])

    assert response.status_code == 200
    content = response.content.decode()
    owners = [str(lead.owner) for lead in leads]
    assert _table(content) == [
        ["2", "Kari Nordmann", "CFO", "Fjordkraft AS", "kari@fjord.example", owners[0], "New"],
        ["3", "Øystein Ødegård", "CEO", "Blåbær AS", "oy@blabaer.example", owners[1],
         "Researching"],
        # no company in the file: the import names one after the address's domain
        ["4", "Ola Hansen", "Buyer", "brygge.example", "ola@brygge.example", owners[2], "New"],
    ]  # fmt: skip
    assert _links(content) == []  # marketing opens no lead
    assert "The import created 3 leads." in content
    for private in ("spouse", "+47 900", "data-score", "Role known", "Hand-off"):
        assert private not in content, private


def test_a_manager_sees_the_same_rows_with_a_link_to_each_lead(client, crew, imported):
    job, leads = imported
    client.force_login(crew.manager)

    content = client.get(f"/imports/{job.pk}/leads/").content.decode()

    assert [row[1] for row in _table(content)] == ["Kari Nordmann", "Øystein Ødegård", "Ola Hansen"]
    assert _links(content) == [f"/leads/{lead.pk}/" for lead in leads]


def test_the_sdr_who_imported_opens_only_the_leads_in_their_scope(client, crew):
    job = run_import(crew.sdr, people(4))  # to the team's pool
    leads = list(Lead.objects.order_by("pk"))
    lead_bulk_assign(actor=crew.manager, lead_ids=[leads[1].pk], owner_id=crew.sdr2.pk)
    client.force_login(crew.sdr)

    content = client.get(f"/imports/{job.pk}/leads/").content.decode()

    assert [row[5] for row in _table(content)] == [
        "Unassigned pool",
        str(crew.sdr2),
        "Unassigned pool",
        "Unassigned pool",
    ]
    assert _links(content) == [f"/leads/{lead.pk}/" for lead in (leads[0], *leads[2:])]


@pytest.mark.parametrize("who", ["other_marketing", "other_manager", "ae", "sdr2"])
def test_anyone_who_may_not_see_the_import_gets_404(client, crew, other_crew, imported, who):
    job, _leads = imported
    user = {"other_marketing": other_crew.marketing, "other_manager": other_crew.manager,
            "ae": crew.ae, "sdr2": crew.sdr2}[who]  # fmt: skip
    client.force_login(user)

    response = client.get(f"/imports/{job.pk}/leads/")

    assert response.status_code == 404
    assert "Kari" not in response.content.decode()


def test_only_the_leads_this_import_created_in_the_files_order(client, crew, monkeypatch):
    first = run_import(crew.marketing, people(3))
    crew.lead(prospect=ProspectFactory(first_name="ByHand"))  # made meanwhile, not imported
    second = run_import(crew.marketing, people(2, start=10))
    monkeypatch.setattr("intake.selectors.IMPORT_LEADS_SHOWN", 2)
    client.force_login(crew.marketing)

    content = client.get(f"/imports/{first.pk}/leads/").content.decode()
    other = client.get(f"/imports/{second.pk}/leads/").content.decode()

    assert [row[:2] for row in _table(content)] == [["2", "First0 Last0"], ["3", "First1 Last1"]]
    assert "The import created 3 leads. Here are the first 2, in the file's order." in content
    assert [row[:2] for row in _table(other)] == [["2", "First10 Last10"], ["3", "First11 Last11"]]


def test_an_import_not_run_yet_lists_nothing(client, crew):
    job = upload(crew.marketing, people(2))
    client.force_login(crew.marketing)

    content = client.get(f"/imports/{job.pk}/leads/").content.decode()

    assert "This import created no lead that is still there." in content


@pytest.mark.parametrize("n", [2, 30])
def test_the_query_count_does_not_grow_with_the_leads(client, crew, django_assert_num_queries, n):
    job = run_import(crew.marketing, people(n))
    client.force_login(crew.marketing)
    # session, user, the import (with its team and author), its leads
    with django_assert_num_queries(4):
        response = client.get(f"/imports/{job.pk}/leads/")
    assert len(_table(response.content.decode())) == n

    client.force_login(crew.manager)
    # the same, and which of them the manager may open
    with django_assert_num_queries(5):
        client.get(f"/imports/{job.pk}/leads/")

"""GET /api/leads/?q=…: the same search as the lead list page (leads/search.py), counted up to
SEARCH_COUNT_CAP, an SDR's count in halves."""

import pytest

from tests.factories import CompanyFactory, ProspectFactory

pytestmark = pytest.mark.django_db


def _lead(crew, first, last, email, company, owner="sdr"):
    comp = CompanyFactory(team=crew.team, name=company)
    prospect = ProspectFactory(first_name=first, last_name=last, email=email, company=comp)
    return crew.lead(owner=owner, prospect=prospect)


def test_the_api_finds_a_lead_by_full_name_without_the_nordic_letters(crew, other_crew, api):
    oystein = _lead(crew, "Øystein", "Ødegård", "oy@blabaer.example", "Blåbær AS")
    _lead(crew, "Ola", "Hansen", "ola@x.example", "Solheim", owner="sdr2")
    _lead(other_crew, "Øystein", "Ødegård", "oy@other.example", "Blåbær AS")

    body = api(crew.sdr).get("/api/leads/", {"q": "odegard, oystein"}).json()
    nobody = api(crew.sdr).get("/api/leads/", {"q": "Ola Hansen"}).json()  # sdr2's lead

    assert [r["id"] for r in body["results"]] == [oystein.pk]
    assert (body["count"], body["count_capped"]) == (1, False)
    assert (nobody["results"], nobody["count"]) == ([], 0)


def test_a_search_through_the_api_is_counted_up_to_its_cap(crew, api, monkeypatch):
    monkeypatch.setattr("api.views.leads.SEARCH_COUNT_CAP", 2)
    for i in range(3):
        _lead(crew, "Kari", f"Hansen{i}", f"k{i}@x.example", f"Co {i}")

    searched = api(crew.manager).get("/api/leads/", {"q": "kari"}).json()
    listed = api(crew.manager).get("/api/leads/").json()

    assert (searched["count"], searched["count_capped"], len(searched["results"])) == (2, True, 3)
    assert (listed["count"], listed["count_capped"]) == (3, False)

"""The lead page's panel "Other leads at <company>": the team's other leads at the company with
their person, role, owner and state, a link where the viewer may open the lead, the first ten and
"and N more", never another team's, and one query whatever the number of leads."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import ProspectRole
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(crew):
    crew.sdr2.first_name, crew.sdr2.last_name = "Kari", "Nordmann"
    crew.sdr2.save(update_fields=["first_name", "last_name"])
    return CompanyFactory(team=crew.team, name="Acme AS", domain="acme.example")


def at(crew, company, owner="sdr", **prospect):
    return crew.lead(
        owner=owner, prospect=ProspectFactory(team=crew.team, company=company, **prospect)
    )


def _panel(html: str) -> str:
    found = re.search(r'<section class="card company-leads".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _rows(panel: str) -> list[tuple[str, str, str, str]]:
    """(lead id, link or "", person, state) of each row."""
    return [
        (lead_id, href, name, state)
        for lead_id, href, name, state in re.findall(
            r'<li data-lead="(\d+)">\s*(?:<a href="([^"]+)">|<strong>)([^<]+)</(?:a|strong)>\s*'
            r'<span class="badge state-(\w+)">',
            panel,
        )
    ]


def test_the_panel_lists_the_teams_other_leads_with_owner_role_and_state(
    crew, other_crew, acme, client
):
    mine = at(crew, acme, first_name="Ida", last_name="Olsen")
    theirs = walk(
        at(
            crew, acme, owner="sdr2", first_name="Per", last_name="Berg", title="CFO",
            role=ProspectRole.DECISION_MAKER,
        ),
        "researching",
    )  # fmt: skip
    pool = at(crew, acme, owner=None, first_name="Siv", last_name="Lie", title="")
    other_team_acme = CompanyFactory(team=other_crew.team, name="Acme AS", domain="acme.example")
    other_crew.lead(
        owner="sdr", prospect=ProspectFactory(team=other_crew.team, company=other_team_acme)
    )
    client.force_login(crew.sdr)

    panel = _panel(client.get(f"/leads/{mine.pk}/").content.decode())

    assert '<h2 id="company-leads-h" class="h3">Other leads at Acme AS</h2>' in panel
    # Newest first; the SDR may open the pool's lead, not Kari's (shown without a link).
    assert _rows(panel) == [
        (str(pool.pk), f"/leads/{pool.pk}/", "Siv Lie", "new"),
        (str(theirs.pk), "", "Per Berg", "researching"),
    ]
    assert "CFO · Decision maker · Kari Nordmann" in panel
    assert "Title unknown · buying role unknown · unassigned pool" in panel
    assert "and " not in panel

    client.force_login(crew.manager)
    managers = _rows(_panel(client.get(f"/leads/{mine.pk}/").content.decode()))
    assert [href for _id, href, _n, _s in managers] == [
        f"/leads/{pool.pk}/",
        f"/leads/{theirs.pk}/",
    ]


def test_the_first_ten_and_how_many_more(crew, acme, client):
    mine = at(crew, acme)
    others = [at(crew, acme, owner="sdr2") for _ in range(12)]
    client.force_login(crew.manager)

    panel = _panel(client.get(f"/leads/{mine.pk}/").content.decode())

    assert [int(r[0]) for r in _rows(panel)] == [o.pk for o in reversed(others)][:10]
    assert '<a href="/leads/?q=Acme%20AS">and 2 more</a>' in panel


def test_no_other_lead_and_no_company(crew, acme, client):
    alone = at(crew, acme)
    nowhere = at(crew, None)
    client.force_login(crew.sdr)

    assert "No other lead at this company." in _panel(
        client.get(f"/leads/{alone.pk}/").content.decode()
    )
    assert _panel(client.get(f"/leads/{nowhere.pk}/").content.decode()) == ""


def test_the_panel_costs_the_same_queries_whatever_the_number_of_leads(crew, acme, client):
    client.force_login(crew.manager)
    counts = []
    for n in (1, 15):
        mine = at(crew, acme)
        for _ in range(n):
            at(crew, acme, owner="sdr2")
        client.get(f"/leads/{mine.pk}/")  # the session's first read
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/leads/{mine.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]

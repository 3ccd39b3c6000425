"""Defence in depth: whatever a row holds (written before the gate, by SQL, by a future bug),
a page links only to http(s). The lead page, the AE queue's hand-off card and the managers'
hand-offs page render a bad address as text, never as an href; the API returns it as ''."""

import re

import pytest
from rest_framework.test import APIClient

from api.services import api_token_create
from leads.models import Lead
from qualification.models import ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from qualification.services import lead_qualify
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk
from tests.qualification.services.test_lead_qualify import qualify

pytestmark = pytest.mark.django_db

BAD_SITE = "javascript://fjord.example/%0Aalert(document.cookie)"


def _lead(crew, state="new", **company):
    company = {"name": "Fjord AS", "domain": "fjord.example", "website": BAD_SITE,
               "linkedin_url": "data:text/html,<b>x</b>", "employee_count": 120,
               "industry": "Software", **company}  # fmt: skip
    prospect = ProspectFactory(
        linkedin_url="JavaScript:alert(1)", company=CompanyFactory(**company)
    )
    lead = crew.lead(owner="sdr", prospect=prospect)
    return walk(lead, state, ae=crew.ae) if state != "new" else lead


def _hrefs(content: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', content)


def test_the_lead_page_renders_a_bad_address_without_an_href(crew, client):
    lead = _lead(crew)
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    hrefs = _hrefs(content)
    assert [h for h in hrefs if "script" in h.lower() or h.startswith("data:")] == []
    # Shown as text: the domain for the website, the escaped value for the others.
    assert "<dt>Website</dt><dd>fjord.example</dd>" in content
    assert "<dt>LinkedIn</dt><dd>JavaScript:alert(1)</dd>" in content
    assert "<dt>LinkedIn</dt><dd>data:text/html,&lt;b&gt;x&lt;/b&gt;</dd>" in content


def test_the_lead_page_links_a_good_address(crew, client):
    lead = _lead(crew, website="https://fjord.example", linkedin_url="")
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert (
        '<dt>Website</dt><dd><a href="https://fjord.example" rel="noopener noreferrer" '
        'target="_blank">fjord.example</a></dd>'
    ) in content


def _handed(crew):
    ScoringModel.objects.get_or_create(team=crew.team, version=1, config=DEFAULT_CONFIG)
    lead = _lead(crew, "engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    return Lead.objects.get(pk=lead.pk)


@pytest.mark.parametrize(("who", "page"), [("ae", "/qualification/queue/"),
                                           ("manager", "/qualification/handoffs/")])  # fmt: skip
def test_the_hand_off_cards_render_a_bad_website_without_an_href(crew, client, who, page):
    lead = _handed(crew)
    assert lead.state == "handed_off"
    client.force_login(getattr(crew, who))

    content = client.get(page).content.decode()

    card = content.split(f'id="handoff-{lead.pk}"')[1].split("</article>")[0]
    assert [h for h in _hrefs(card) if "script" in h.lower()] == []
    assert "<dt>Company</dt><dd>Fjord AS · fjord.example</dd>" in card


def test_the_api_returns_a_bad_stored_address_as_empty(crew):
    lead = _lead(crew)
    client = APIClient()
    token = api_token_create(actor=crew.sdr, name="t").raw
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    body = client.get(f"/api/leads/{lead.pk}/").json()

    company = body["prospect"]["company"]
    assert (body["prospect"]["linkedin_url"], company["website"], company["linkedin_url"]) == (
        "",
        "",
        "",
    )

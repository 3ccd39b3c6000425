"""Phone numbers are tel: links wherever a page shows them (the lead page, the lead list, the
AE queue's and the hand-off page's cards), shown as typed; LinkedIn addresses are links only
to linkedin.com over http(s). The lead page puts research, the checklist and the brief first."""

import pytest

from leads.models import Prospect
from qualification.models import ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from tests.fixtures import walk
from tests.html import parse
from tests.qualification.conftest import company_lead
from tests.qualification.views.test_ae_queue_views import handed

pytestmark = pytest.mark.django_db

PHONE = "+47 22 33 44 55"
HREF = "tel:+4722334455"
PROFILE = "https://www.linkedin.com/in/kari"


def facts(doc, card_id: str) -> dict:
    card = doc.one(id=card_id).parent
    dl = card.one("dl")
    return dict(zip(dl.find_all("dt"), dl.find_all("dd"), strict=True))


def fact(doc, heading_id: str, name: str):
    pairs = facts(doc, heading_id)
    return next(dd for dt, dd in pairs.items() if dt.text == name)


def test_the_lead_page_links_the_phone_and_the_linkedin_profile(crew, client):
    lead = crew.lead(owner="sdr", prospect__phone=PHONE, prospect__linkedin_url=PROFILE)
    client.force_login(crew.sdr)

    doc = parse(client.get(f"/leads/{lead.pk}/").content.decode())

    (tel,) = fact(doc, "prospect-h", "Phone").find_all("a")
    assert (tel["href"], tel.text) == (HREF, PHONE)
    (profile,) = fact(doc, "prospect-h", "LinkedIn").find_all("a")
    assert (profile["href"], profile["target"], profile["rel"]) == (
        PROFILE, "_blank", "noopener noreferrer",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("phone", "linkedin", "phone_text", "linkedin_text"),
    [
        ("call the switchboard", "javascript:alert(1)", "call the switchboard",
         "javascript:alert(1)"),
        ("", "https://evil.example/in/kari", "—", "https://evil.example/in/kari"),
        ("12", "", "12", "—"),
    ],
)  # fmt: skip
def test_what_is_no_number_or_no_linkedin_address_stays_text(
    crew, client, phone, linkedin, phone_text, linkedin_text
):
    lead = crew.lead(owner="sdr")
    # Past the field gate, as an old row might hold it.
    Prospect.objects.filter(pk=lead.prospect_id).update(phone=phone, linkedin_url=linkedin)
    client.force_login(crew.sdr)

    doc = parse(client.get(f"/leads/{lead.pk}/").content.decode())

    for name, text in (("Phone", phone_text), ("LinkedIn", linkedin_text)):
        dd = fact(doc, "prospect-h", name)
        assert (dd.text, dd.find_all("a")) == (text, [])


def test_the_lead_list_links_each_phone(crew, client):
    with_phone = crew.lead(owner="sdr", prospect__phone=PHONE, prospect__title="CFO")
    without = crew.lead(owner="sdr", prospect__phone="", prospect__title="CEO")
    client.force_login(crew.sdr)

    doc = parse(client.get("/leads/").content.decode())

    names = [  # each row's prospect cell: the link to the lead, the title and phone below
        td
        for row in doc.one(id="lead-rows").find_all("tr")
        for td in row.find_all("td")
        if any(a["href"].startswith("/leads/") for a in td.find_all("a"))
    ]
    cells = {td.find_all("a")[0]["href"]: td.one("div", class_="small") for td in names}
    shown = cells[f"/leads/{with_phone.pk}/"]
    assert shown.text == f"CFO · {PHONE}"
    assert [(a["href"], a.text) for a in shown.find_all("a")] == [(HREF, PHONE)]
    assert (cells[f"/leads/{without.pk}/"].text, cells[f"/leads/{without.pk}/"].find_all("a")) == (
        "CEO", [],
    )  # fmt: skip


@pytest.mark.parametrize(("viewer", "url"), [("ae", "/qualification/queue/"),
                                             ("manager", "/qualification/handoffs/")])  # fmt: skip
def test_the_hand_off_cards_link_the_phone(crew, client, viewer, url):
    ScoringModel.objects.create(team=crew.team, version=1, config=DEFAULT_CONFIG)
    lead = handed(crew, lambda state, **kw: company_lead(crew, state, **kw))
    Prospect.objects.filter(pk=lead.prospect_id).update(phone=PHONE)
    client.force_login(getattr(crew, viewer))

    doc = parse(client.get(url).content.decode())

    card = doc.one("article", id=f"handoff-{lead.pk}")
    dl = card.one("dl")
    shown = dict(zip((dt.text for dt in dl.find_all("dt")), dl.find_all("dd"), strict=True))
    phone = shown["Phone"]
    assert [(a["href"], a.text) for a in phone.find_all("a")] == [(HREF, PHONE)]


def _sections(doc) -> list[list[str]]:
    """The ids of the lead page's cards, column by column (each card's id, else its heading's)."""
    layout = doc.one("div", class_="lead-layout")
    return [
        [s.get("id") or s.one("h2")["id"] for s in col.elements if s.tag == "section"]
        for col in layout.find_all("div", class_="col")
        if col.parent is layout
    ]


def test_the_lead_page_puts_research_checklist_and_brief_first_and_the_next_action_on_top(
    crew, client
):
    lead = walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae)
    type(lead).objects.filter(pk=lead.pk).update(handoff_brief="Need: a CRM\nNext step: demo")
    client.force_login(crew.ae)

    doc = parse(client.get(f"/leads/{lead.pk}/").content.decode())

    first, second = _sections(doc)
    assert first == ["prospect-h", "company-h", "company-leads", "checklist", "handoff-brief"]
    assert second[:2] == ["cadence-panel", "qualification-panel"]
    assert second[-1] == "activity"
    assert doc.one(id="handoff-brief").one("p").raw_text == "Need: a CRM\nNext step: demo"


def test_without_a_brief_the_lead_page_shows_no_brief_card(crew, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    doc = parse(client.get(f"/leads/{lead.pk}/").content.decode())

    assert _sections(doc)[0] == ["prospect-h", "company-h", "company-leads", "checklist"]

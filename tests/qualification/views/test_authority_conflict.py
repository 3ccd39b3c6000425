"""The score's authority answer and the prospect's buying role never contradict each other
silently (issue 20): the qualification page says so when they disagree, and says where the
authority comes from when it is not answered."""

import pytest

from leads.models import Prospect
from qualification.models import LeadAnswers
from qualification.scoring import LeadFacts, authority_role_conflict
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("authority", "role", "conflict"),
    [
        ("decision_maker", "gatekeeper", ("decision_maker", "gatekeeper")),
        ("none", "decision_maker", ("none", "decision_maker")),
        ("influencer", "champion", None),
        ("decision_maker", "decision_maker", None),
        ("", "gatekeeper", None),  # not answered: the role stands in
        ("none", "", None),  # role unknown
    ],
)
def test_the_conflict(authority, role, conflict):
    assert authority_role_conflict(LeadFacts(authority=authority, prospect_role=role)) == conflict


def _page(client, lead):
    response = client.get(f"/qualification/leads/{lead.pk}/")
    assert response.status_code == 200
    return parse(response.content.decode())


def test_the_page_shows_a_disagreement(crew, model, make_lead, client):
    lead = make_lead("engaged")
    Prospect.objects.filter(pk=lead.prospect_id).update(role="gatekeeper")
    LeadAnswers.objects.create(lead=lead, authority="decision_maker")
    client.force_login(crew.sdr)
    notice = _page(client, lead).one("div", id="authority-conflict")
    assert notice.text == (
        "The answers disagree: your authority answer is “Decision maker” but the prospect's "
        "buying role is “Gatekeeper”. Correct the one that is wrong: the answer here, or the "
        "role on the lead."
    )


def test_no_notice_when_they_agree_and_a_hint_when_the_role_stands_in(
    crew, model, make_lead, client
):
    lead = make_lead("engaged")
    Prospect.objects.filter(pk=lead.prospect_id).update(role="champion")
    client.force_login(crew.sdr)
    page = _page(client, lead)
    assert page.find_all("div", id="authority-conflict") == []
    assert page.one("dd", id="buying-role").text == "Champion"
    assert page.one("p", id="authority-from-role").text == (
        "Authority not answered yet: the score takes it from the buying role."
    )
    LeadAnswers.objects.create(lead=lead, authority="influencer")
    page = _page(client, lead)
    assert page.find_all("div", id="authority-conflict") == []
    assert page.find_all("p", id="authority-from-role") == []

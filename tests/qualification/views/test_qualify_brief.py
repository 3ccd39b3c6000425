"""The qualification form's hand-off brief starts as a draft from the saved answers for the
SDR to edit (qualification/brief_draft.py), and never shows a draft over a brief the SDR wrote:
the last brief written for the lead, or fields edited before "Save answers"."""

import pytest

from leads.models import Lead, LeadState
from qualification.models import QualificationDecision
from qualification.services import handoff_reject, lead_answers_save
from tests.fixtures import walk
from tests.html import parse
from tests.qualification.conftest import BRIEF, HIGH
from tests.qualification.views.test_qualify_views import FORM, decide

pytestmark = pytest.mark.django_db

NAMES = ("need", "budget", "timeline", "decision_maker", "next_step")


def brief_values(response, status: int = 200) -> dict[str, str]:
    assert response.status_code == status
    doc = parse(response.content.decode())
    return {name: doc.one("input", name=f"brief_{name}").get("value", "") for name in NAMES}


def named(lead) -> Lead:
    prospect = lead.prospect
    prospect.first_name, prospect.last_name, prospect.title = "Kari", "Hansen", "CEO"
    prospect.save(update_fields=["first_name", "last_name", "title"])
    return lead


def test_the_brief_starts_as_a_draft_from_the_saved_answers(crew, model, make_lead, client):
    lead = named(make_lead("engaged"))
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=HIGH)
    client.force_login(crew.sdr)

    values = brief_values(client.get(f"/qualification/leads/{lead.pk}/"))

    assert values == {
        "need": "Need confirmed by the prospect.",
        "budget": "Stated budget: 150,000 a year.",
        "timeline": "Wants to start this quarter.",
        "decision_maker": "Kari Hansen, CEO is the decision maker.",
        "next_step": "",
    }


def test_without_answers_or_a_buying_role_the_brief_starts_empty(crew, model, make_lead, client):
    lead = named(make_lead("engaged"))
    client.force_login(crew.sdr)

    values = brief_values(client.get(f"/qualification/leads/{lead.pk}/"))

    assert values == dict.fromkeys(NAMES, "")


def test_a_lead_the_ae_returned_starts_from_the_brief_the_sdr_wrote(crew, model, make_lead, client):
    lead = named(make_lead("engaged"))
    client.force_login(crew.sdr)
    assert client.post(f"/qualification/leads/{lead.pk}/", decide()).status_code == 302
    handoff_reject(actor=crew.ae, lead_id=lead.pk, reason="Call them again first")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED

    values = brief_values(client.get(f"/qualification/leads/{lead.pk}/"))

    assert values == {name: getattr(BRIEF, name) for name in NAMES}


def test_brief_fields_edited_before_save_answers_survive_its_redirect_the_rest_follows_the_answers(
    crew, model, make_lead, client
):
    lead = named(make_lead("engaged"))
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=HIGH)
    client.force_login(crew.sdr)
    url = f"/qualification/leads/{lead.pk}/"
    shown = brief_values(client.get(url))
    posted = {f"brief_{name}": value for name, value in shown.items()}
    posted["brief_need"] = "Spreadsheets for 120 sellers; they lose leads"  # the SDR's words

    response = client.post(url, {**posted, **FORM, "timeline": "this_month", "action": "save"})

    assert (response.status_code, response["Location"]) == (302, url)
    values = brief_values(client.get(url))
    assert values["need"] == "Spreadsheets for 120 sellers; they lose leads"
    assert values["timeline"] == "Wants to start this month."  # the untouched draft follows
    assert values["budget"] == "Stated budget: 150,000 a year."
    # Kept for that one page: the next visit drafts afresh from the answers.
    assert brief_values(client.get(url))["need"] == "Need confirmed by the prospect."
    assert not QualificationDecision.objects.filter(lead=lead).exists()


def test_a_refused_decision_shows_the_brief_as_typed_not_a_draft(crew, model, make_lead, client):
    lead = named(make_lead("engaged"))
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=HIGH)
    client.force_login(crew.sdr)

    response = client.post(
        f"/qualification/leads/{lead.pk}/",
        decide(brief_need="My own words", brief_next_step="", expected_state="engaged"),
    )

    values = brief_values(response, status=400)
    assert (values["need"], values["next_step"]) == ("My own words", "")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    assert not QualificationDecision.objects.filter(lead=lead).exists()


def test_another_teams_lead_shows_no_brief_and_keeps_none(crew, other_crew, model, client):
    theirs = walk(other_crew.lead(owner="sdr"), "engaged")
    client.force_login(crew.sdr)

    response = client.post(
        f"/qualification/leads/{theirs.pk}/",
        {**FORM, "brief_need": "Mine now", "action": "save"},
    )

    assert response.status_code == 404
    assert not any(key.startswith("qualify_brief_") for key in client.session.keys())

"""The qualification form: the page, the live score preview, the decision, and permissions
(someone else's lead: 404; forbidden: 403 and nothing changed). Query counts are pinned."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Lead, LeadState
from qualification.models import QualificationDecision
from qualification.services import Answers, lead_answers_save
from tests.html import parse
from tests.qualification.conftest import BRIEF, qualification_snapshot

FORM = {
    "budget": "150000", "timeline": "this_quarter", "authority": "decision_maker",
    "need": "confirmed", "fit": "yes",
}  # fmt: skip


def decide(expected_state="engaged", **changes) -> dict:
    data = {
        **FORM,
        "action": "decide",
        "decision": "qualify",
        "expected_state": expected_state,
        "brief_need": BRIEF.need,
        "brief_budget": BRIEF.budget,
        "brief_timeline": BRIEF.timeline,
        "brief_decision_maker": BRIEF.decision_maker,
        "brief_next_step": BRIEF.next_step,
        "ae": "route",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def factors(content: str) -> list[str]:
    return re.findall(r'<span class="factor-text">([^<]*)</span>', content)


# session, user (with their team), the lead (with prospect, company, owner, AE, team), the
# team's AEs with their profiles and their loads, the team's model, the answers, the team's
# disqualification reasons
def test_the_page_shows_the_score_and_its_breakdown(
    crew, model, make_lead, client, django_assert_num_queries
):
    lead = make_lead("engaged")
    client.force_login(crew.sdr)

    with django_assert_num_queries(8):
        response = client.get(f"/qualification/leads/{lead.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert factors(content) == [
        "51–200 employees: +20",
        "Software (target industry): +10",
        "Budget not known yet: +0",
        "Timeline not known yet: +0",
        "Authority not known yet: +0",
        "Need not known yet: +0",
        "Fit not assessed yet: +0",
    ]
    assert 'data-score="30"' in content
    assert f'hx-get="/qualification/leads/{lead.pk}/preview/"' in content
    assert f"{crew.ae} (0/10)" in content


# session, user, the lead (with prospect and company), the team's model
def test_the_preview_scores_what_is_typed_so_far(
    crew, model, make_lead, client, django_assert_num_queries
):
    lead = make_lead("engaged")
    client.force_login(crew.sdr)

    with django_assert_num_queries(4):
        response = client.get(
            f"/qualification/leads/{lead.pk}/preview/",
            {"budget": "60000", "timeline": "this_month", "need": "none"},
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div class="score-card verdict-disqualified"')
    assert factors(content)[2:4] == [
        "Budget 60,000 is a stretch (between 30,000 and 120,000): +5",
        "Buying this month: +15",
    ]
    assert "<strong>Scrap:</strong> The prospect has no need" in content
    assert "Only a manager can qualify a lead with a hard disqualifier." in content


def test_deciding_qualifies_hands_off_and_goes_back_to_the_lead(crew, model, make_lead, client):
    lead = make_lead("engaged")
    client.force_login(crew.sdr)

    response = client.post(f"/qualification/leads/{lead.pk}/", decide(ae=str(crew.ae2.pk)))

    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.state, lead.assigned_ae_id, lead.score) == (
        LeadState.HANDED_OFF,
        crew.ae2.pk,
        100,
    )
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"Qualified and handed to {crew.ae2}." in page


def test_save_answers_keeps_the_lead_where_it_is(crew, model, make_lead, client):
    lead = make_lead("contacting")
    client.force_login(crew.sdr)

    response = client.post(f"/qualification/leads/{lead.pk}/", {**FORM, "action": "save"})

    assert response.status_code == 302
    assert response["Location"] == f"/qualification/leads/{lead.pk}/"
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.state, lead.score) == (LeadState.CONTACTING, 100)


def test_going_against_the_score_without_a_reason_is_a_form_error(crew, model, make_lead, client):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)
    client.force_login(crew.sdr)

    response = client.post(
        f"/qualification/leads/{lead.pk}/",
        decide(decision="disqualify", disqualify_reason="competitor"),
    )

    assert response.status_code == 400
    assert "The score 100 reaches the threshold 60: say why you do not qualify it." in (
        response.content.decode()
    )
    assert qualification_snapshot(lead.pk) == before


def _score_panel(content: str):
    """The score column of the qualify page: its number and its factors, read from the HTML."""
    panel = parse(content).one("aside", class_="score-col")
    number = panel.one("span", class_="score-number")
    return (
        int(number["data-score"]),
        number.text,
        [f.text for f in panel.find_all("span", class_="factor-text")],
    )


def test_a_refused_decision_shows_the_score_of_the_submitted_answers(
    crew, model, make_lead, client
):
    """Saved answers score 50; the SDR sets answers that score 95, chooses to qualify and
    forgets the brief: the page comes back with the brief's error, the answers as typed and
    their score, 95, not the saved 50."""
    lead = make_lead("engaged")
    # 20 + 10 + a stretch 5 + this year 5 + influencer 5 + possible 5 + fit not assessed 0
    saved = Answers(budget=60_000, timeline="this_year", authority="influencer", need="possible")
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=saved)
    before = qualification_snapshot(lead.pk)
    client.force_login(crew.sdr)
    page = client.get(f"/qualification/leads/{lead.pk}/").content.decode()
    assert _score_panel(page)[:2] == (50, "50")

    # 20 + 10 + can afford 15 + this quarter 10 + decision maker 15 + confirmed 20 + partly 5
    response = client.post(
        f"/qualification/leads/{lead.pk}/",
        decide(fit="partly", brief_need="", brief_budget="", brief_timeline="",
               brief_decision_maker="", brief_next_step=""),
    )  # fmt: skip

    assert response.status_code == 400
    content = response.content.decode()
    doc = parse(content)
    assert doc.one("p", class_="field-error").text == "The hand-off brief needs the need."
    assert doc.one("input", name="budget")["value"] == "150000"
    assert doc.one("select", name="fit").one("option", selected="")["value"] == "partly"
    assert _score_panel(content) == (
        95,
        "95",
        [
            "51–200 employees: +20",
            "Software (target industry): +10",
            "Budget 150,000 covers the usual deal (120,000): +15",
            "Buying this quarter: +10",
            "Talking to the decision maker: +15",
            "Need confirmed: +20",
            "Partial fit: +5",
        ],
    )
    assert qualification_snapshot(lead.pk) == before  # nothing saved, the score still 50


def test_an_answer_that_is_not_valid_counts_as_not_known_and_the_others_count(
    crew, model, make_lead, client
):
    lead = make_lead("engaged")
    client.force_login(crew.sdr)

    page = client.post(
        f"/qualification/leads/{lead.pk}/", {**FORM, "budget": "lots", "action": "save"}
    )
    preview = client.get(
        f"/qualification/leads/{lead.pk}/preview/", {**FORM, "budget": "lots"},
        headers={"HX-Request": "true"},
    )  # fmt: skip

    assert page.status_code == 400
    assert parse(page.content.decode()).one("p", class_="field-error").text == (
        "Enter a whole number."
    )
    # 100 with every answer; the budget's 15 not counted
    assert 'data-score="85"' in preview.content.decode()
    assert _score_panel(page.content.decode())[:2] == (85, "85")
    assert "Budget not known yet: +0" in _score_panel(page.content.decode())[2]
    assert not Lead.objects.get(pk=lead.pk).score


def test_scrap_and_nurture_through_the_form(crew, model, make_lead, client):
    scrap, later = make_lead("engaged", employees=0), make_lead("researching")
    client.force_login(crew.sdr)
    on = timezone.localdate() + timedelta(days=60)

    client.post(
        f"/qualification/leads/{scrap.pk}/",
        decide(decision="disqualify", disqualify_reason="too_small"),
    )
    client.post(
        f"/qualification/leads/{later.pk}/",
        decide("researching", decision="nurture", recycle_on=on.isoformat(), budget="",
               timeline="this_year", authority="", need="possible", fit=""),
    )  # fmt: skip

    assert Lead.objects.get(pk=scrap.pk).disqualify_reason == "too_small"
    assert (Lead.objects.get(pk=later.pk).state, Lead.objects.get(pk=later.pk).recycle_on) == (
        LeadState.NURTURE,
        on,
    )


def test_an_sdr_overriding_a_hard_disqualifier_gets_403_and_nothing_changes(
    crew, model, make_lead, client
):
    lead = make_lead("engaged", industry="Gambling")
    before = qualification_snapshot(lead.pk)
    client.force_login(crew.sdr)

    response = client.post(
        f"/qualification/leads/{lead.pk}/", decide(override_reason="They pay well")
    )

    assert response.status_code == 403
    assert qualification_snapshot(lead.pk) == before


@pytest.mark.parametrize("viewer", ["sdr2", "ae", "marketing"])
def test_someone_elses_lead_is_404_and_nothing_changes(
    crew, other_crew, model, make_lead, client, viewer
):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)
    for user in (getattr(crew, viewer), other_crew.manager):
        client.force_login(user)
        assert client.get(f"/qualification/leads/{lead.pk}/").status_code == 404
        assert client.get(f"/qualification/leads/{lead.pk}/preview/").status_code == 404
        assert client.post(f"/qualification/leads/{lead.pk}/", decide()).status_code == 404
    assert qualification_snapshot(lead.pk) == before


def test_a_pool_lead_is_403_for_an_sdr(crew, model, make_lead, client):
    lead = make_lead("new", owner=None)
    before = qualification_snapshot(lead.pk)
    client.force_login(crew.sdr)

    assert client.get(f"/qualification/leads/{lead.pk}/").status_code == 403
    assert client.post(f"/qualification/leads/{lead.pk}/", decide("new")).status_code == 403
    assert qualification_snapshot(lead.pk) == before


def test_a_lead_past_qualification_goes_back_to_its_page(crew, model, make_lead, client):
    lead = make_lead("handed_off")
    client.force_login(crew.sdr)

    response = client.get(f"/qualification/leads/{lead.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert not QualificationDecision.objects.exists()

"""The set-based SQL rescore: it agrees with the pure scoring function on a table of cases,
scores only the team's open leads, records the model version, and never overwrites a newer
score."""

import random
from datetime import timedelta

import pytest

from leads.models import Lead, LeadEvent
from qualification.models import LeadAnswers, LeadScore, ScoringModel
from qualification.rescore import (
    FULL,
    rescore_batch_cached,
    rescore_batch_read,
    rescore_team,
)
from qualification.scoring import DEFAULT_CONFIG, ScoringConfig, score_lead
from qualification.services import lead_facts, lead_scores_sweep
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

VARIANT = {
    **DEFAULT_CONFIG,
    "size_unknown_points": 3,
    "min_employees": None,
    "other_industry_points": -5,
    "target_industries": [["Næringsmiddel", 7], ["Software", 10]],
    "excluded_industries": ["Gambling", "Tobakk"],
    "budget_cannot_disqualifies": True,
    "need_none_disqualifies": False,
    "threshold": 40,
}

# ((employees, industry), role, decision maker, (budget, timeline, authority, need, fit));
# None for the company means the prospect has none; None for the answers, no answers row.
CASES = [
    (None, "", False, None),
    ((0, "Consulting"), "", False, ("200000", "this_month", "decision_maker", "confirmed", "yes")),
    ((1, "Software"), "", False, None),
    ((10, "software"), "decision_maker", False, None),
    ((11, "SOFTWARE"), "", True, None),
    ((50, "Logistics"), "influencer", False, ("30000", "this_quarter", "", "possible", "partly")),
    ((51, "Retail"), "gatekeeper", False, ("29999", "this_year", "", "none", "no")),
    ((200, "Gambling"), "user", False, ("120000", "none", "influencer", "", "")),
    ((201, "Næringsmiddel"), "", False, ("119999", "", "none", "confirmed", "yes")),
    ((1000, "NÆRINGSMIDDEL"), "", False, ("0", "this_month", "", "", "")),
    ((1001, "Tobakk"), "", False, ("", "", "", "", "")),
    ((None, "Software"), "decision_maker", True, ("500000", "this_month", "decision_maker",
                                                  "confirmed", "yes")),
    ((120, ""), "", False, ("1", "none", "none", "none", "no")),
    ((4, "IT services"), "influencer", True, ("60000", "this_quarter", "influencer",
                                              "possible", "partly")),
]  # fmt: skip


def make_lead(crew, company, role, dm, answers, *, state="researching"):
    # ``dm``: the decision-maker checkbox of before issue 20, now the role itself.
    role = "decision_maker" if dm else role
    if company is None:
        prospect = ProspectFactory(company=None, role=role)
    else:
        employees, industry = company
        prospect = ProspectFactory(
            company=CompanyFactory(employee_count=employees, industry=industry),
            role=role,
        )
    lead = crew.lead(owner="sdr", prospect=prospect)
    if state != "new":
        lead = walk(lead, state, ae=crew.ae)
    if answers is not None:
        budget, timeline, authority, need, fit = answers
        LeadAnswers.objects.create(
            lead=lead,
            budget=int(budget) if budget else None,
            timeline=timeline,
            authority=authority,
            need=need,
            fit=fit,
        )
    return lead


def new_model(team, config, version=1) -> ScoringModel:
    return ScoringModel.objects.create(team=team, version=version, config=config)


def python_score(lead_id, config):
    lead = Lead.objects.select_related("prospect__company").get(pk=lead_id)
    answers = LeadAnswers.objects.filter(lead_id=lead_id).first()
    return score_lead(lead_facts(lead.prospect, answers), ScoringConfig.from_dict(config))


def assert_agrees(lead_ids, model):
    for lead_id in lead_ids:
        expected = python_score(lead_id, model.config)
        stored = LeadScore.objects.get(lead_id=lead_id)
        assert (stored.model_id, stored.score, stored.points, stored.disqualifier) == (
            model.pk,
            expected.score,
            expected.points,
            expected.disqualifier_code,
        ), f"lead {lead_id}: {expected.as_dict()}"
        assert Lead.objects.get(pk=lead_id).score == expected.score


@pytest.mark.parametrize("config", [DEFAULT_CONFIG, VARIANT], ids=["default", "variant"])
def test_sql_and_python_agree_on_the_table_of_cases(crew, config):
    """Inputs read from the leads (first scoring, nightly), and from the stored inputs (a
    model change)."""
    leads = [make_lead(crew, *case).pk for case in CASES]
    v1 = new_model(crew.team, VARIANT if config is DEFAULT_CONFIG else DEFAULT_CONFIG)

    first = rescore_team(v1, batch_size=4)

    assert (first.scanned, first.read) == (len(CASES), len(CASES))
    assert first.batches >= 4
    assert_agrees(leads, v1)

    v2 = new_model(crew.team, config, 2)
    change = rescore_team(v2, batch_size=4)

    assert (change.scanned, change.read) == (len(CASES), 0)  # all from the stored inputs
    assert_agrees(leads, v2)

    nightly = rescore_team(v2, batch_size=5, mode=FULL)

    assert (nightly.scanned, nightly.read, nightly.changed) == (len(CASES), len(CASES), 0)
    assert_agrees(leads, v2)


def test_sql_and_python_agree_on_random_leads(crew):
    rng = random.Random(5)
    industries = ["Software", "software", "Retail", "Gambling", "Næringsmiddel", "", "Tobakk"]
    leads = []
    for _ in range(60):
        company = None if rng.random() < 0.1 else (
            rng.choice([None, 0, 1, 9, 10, 11, 50, 51, 200, 201, 999, 1000, 1001, 5000]),
            rng.choice(industries),
        )  # fmt: skip
        answers = None if rng.random() < 0.2 else (
            rng.choice(["", "0", "29999", "30000", "119999", "120000", "900000"]),
            rng.choice(["", "this_month", "this_quarter", "this_year", "none"]),
            rng.choice(["", "decision_maker", "influencer", "none"]),
            rng.choice(["", "confirmed", "possible", "none"]),
            rng.choice(["", "yes", "partly", "no"]),
        )  # fmt: skip
        role = rng.choice(["", "decision_maker", "influencer", "user", "gatekeeper"])
        leads.append(make_lead(crew, company, role, rng.random() < 0.3, answers, state="new").pk)

    for version, config in enumerate([DEFAULT_CONFIG, VARIANT], start=1):
        model = new_model(crew.team, config, version)
        rescore_team(model, batch_size=7)
        assert_agrees(leads, model)


def test_only_the_teams_open_leads_are_scored(crew, other_crew):
    open_lead = make_lead(crew, (120, "Software"), "", False, None, state="engaged")
    closed = {
        state: make_lead(crew, (120, "Software"), "", False, None, state=state)
        for state in ("handed_off", "accepted", "disqualified", "nurture")
    }
    other_team = other_crew.lead(owner="sdr")
    model = new_model(crew.team, DEFAULT_CONFIG)
    new_model(other_crew.team, DEFAULT_CONFIG)

    result = rescore_team(model)

    assert result.scanned == 1
    assert list(LeadScore.objects.values_list("lead_id", flat=True)) == [open_lead.pk]
    assert Lead.objects.get(pk=open_lead.pk).score == 30  # 51-200: 20, Software: 10
    for lead in [*closed.values(), other_team]:
        assert Lead.objects.get(pk=lead.pk).score is None


def test_a_new_version_rescores_and_records_its_version(crew):
    lead = make_lead(crew, (120, "Software"), "", False, None)
    v1 = new_model(crew.team, DEFAULT_CONFIG)
    rescore_team(v1)
    assert (LeadScore.objects.get(lead=lead).model_id, Lead.objects.get(pk=lead.pk).score) == (
        v1.pk,
        30,
    )
    v2 = new_model(crew.team, {**DEFAULT_CONFIG, "other_industry_points": 0,
                               "target_industries": [["Software", 25]]}, 2)  # fmt: skip

    rescore_team(v2)

    stored = LeadScore.objects.get(lead=lead)
    assert (stored.model_id, stored.score, stored.points) == (v2.pk, 45, 45)
    assert Lead.objects.get(pk=lead.pk).score == 45


def test_the_background_rescore_writes_no_timeline_event_and_leaves_the_lead_version(crew):
    lead = make_lead(crew, (120, "Software"), "", False, None)
    before = Lead.objects.filter(pk=lead.pk).values("version", "updated_at").get()
    events = LeadEvent.objects.filter(lead=lead).count()

    rescore_team(new_model(crew.team, DEFAULT_CONFIG))

    assert Lead.objects.filter(pk=lead.pk).values("version", "updated_at").get() == before
    assert LeadEvent.objects.filter(lead=lead).count() == events


def test_an_old_versions_rescore_stops_when_a_newer_one_exists(crew):
    lead = make_lead(crew, (120, "Software"), "", False, None)
    v1 = new_model(crew.team, DEFAULT_CONFIG)
    new_model(crew.team, DEFAULT_CONFIG, 2)

    result = rescore_team(v1)

    assert (result.superseded, result.scanned) == (True, 0)
    assert not LeadScore.objects.filter(lead=lead).exists()


def test_a_batch_never_overwrites_a_newer_versions_score(crew):
    lead = make_lead(crew, (120, "Software"), "", False, None)
    v1 = new_model(crew.team, DEFAULT_CONFIG)
    v2 = new_model(crew.team, {**DEFAULT_CONFIG, "target_industries": [["Software", 25]]}, 2)
    rescore_team(v2)

    rescore_batch_read(v1, lo=lead.pk, hi=lead.pk + 1, only_outdated=False)
    rescore_batch_cached(v1, lo=lead.pk, hi=lead.pk + 1)

    stored = LeadScore.objects.get(lead=lead)
    assert (stored.model_id, stored.score) == (v2.pk, 45)
    assert Lead.objects.get(pk=lead.pk).score == 45


def test_a_batch_never_overwrites_a_score_saved_from_newer_answers(crew):
    """An SDR saved answers (and their score) after the batch read the old answers."""
    lead = make_lead(crew, (120, "Software"), "", False, ("", "", "", "", ""))
    model = new_model(crew.team, DEFAULT_CONFIG)
    read_at = LeadAnswers.objects.get(lead=lead).updated_at
    LeadScore.objects.create(
        lead=lead, model=model, score=77, points=77, lead_updated_at=lead.updated_at,
        answers_at=read_at + timedelta(seconds=1),
    )  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(score=77)

    rescore_batch_read(model, lo=lead.pk, hi=lead.pk + 1, only_outdated=False)

    assert LeadScore.objects.get(lead=lead).score == 77
    assert Lead.objects.get(pk=lead.pk).score == 77


def test_the_sweep_scores_new_and_changed_leads_only(crew):
    from leads.services import lead_update
    from tests.leads.helpers import data_for

    first = make_lead(crew, (120, "Software"), "", False, None)
    model = new_model(crew.team, DEFAULT_CONFIG)
    assert lead_scores_sweep() == 1
    assert Lead.objects.get(pk=first.pk).score == 30
    assert lead_scores_sweep() == 0

    second = make_lead(crew, (5, "Retail"), "", False, None)
    lead_update(
        actor=crew.sdr,
        lead_id=first.pk,
        expected_version=Lead.objects.get(pk=first.pk).version,
        data=data_for(first, company_employee_count=5),
    )

    assert lead_scores_sweep() == 2
    assert Lead.objects.get(pk=first.pk).score == 15  # 1-10: 5, Software: 10
    assert Lead.objects.get(pk=second.pk).score == 5
    assert LeadScore.objects.get(lead=second).model_id == model.pk


def test_a_model_change_reads_afresh_the_leads_changed_since_their_inputs_were_read(crew):
    from leads.services import lead_update
    from tests.leads.helpers import data_for

    lead = make_lead(crew, (120, "Software"), "", False, None)
    untouched = make_lead(crew, (120, "Retail"), "", False, None)
    rescore_team(new_model(crew.team, DEFAULT_CONFIG))
    # Then the company shrinks (an edit moves the lead's updated_at).
    lead_update(
        actor=crew.sdr,
        lead_id=lead.pk,
        expected_version=Lead.objects.get(pk=lead.pk).version,
        data=data_for(lead, company_employee_count=5),
    )

    result = rescore_team(new_model(crew.team, DEFAULT_CONFIG, 2))

    assert (result.scanned, result.read) == (2, 1)
    assert LeadScore.objects.get(lead=lead).employee_count == 5
    assert Lead.objects.get(pk=lead.pk).score == 15
    assert Lead.objects.get(pk=untouched.pk).score == 20


@pytest.mark.django_db(transaction=True)
def test_batches_on_parallel_connections_agree_and_add_up(crew):
    """Outside a transaction the rescore takes batches on two connections at once."""
    leads = [make_lead(crew, *case, state="new").pk for case in CASES]
    v1 = new_model(crew.team, DEFAULT_CONFIG)
    progress = []

    first = rescore_team(v1, batch_size=3, workers=2, on_batch=lambda r: progress.append(r))

    assert (first.scanned, first.read, first.superseded) == (len(CASES), len(CASES), False)
    assert first.batches == len(progress) >= 5
    assert progress[-1].scanned == len(CASES)
    assert_agrees(leads, v1)

    v2 = new_model(crew.team, VARIANT, 2)
    change = rescore_team(v2, batch_size=3, workers=2)

    assert (change.scanned, change.read) == (len(CASES), 0)
    assert_agrees(leads, v2)

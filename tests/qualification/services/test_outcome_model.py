"""The learned estimate's counts: built from the team's outcomes (accepted versus scrapped or
rejected), refreshed when they change, and shown only with enough of them."""

import pytest

from leads.models import DisqualifyReason
from leads.services import TransitionParams, lead_transition
from qualification.models import Decision, OutcomeModel
from qualification.scoring import DEFAULT_CONFIG, LeadFacts, ScoringConfig, score_lead
from qualification.selectors import estimate_view
from qualification.services import (
    QualifyInput,
    handoff_accept,
    handoff_reject,
    lead_qualify,
    outcome_model_rebuild,
    outcome_models_refresh,
)
from tests.qualification.conftest import BRIEF, HIGH, LOW


@pytest.fixture
def outcomes(crew, other_crew, model, make_lead):
    accepted = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=accepted.pk, data=QualifyInput(
        decision=Decision.QUALIFY, answers=HIGH, brief=BRIEF, ae_id=crew.ae.pk))  # fmt: skip
    handoff_accept(actor=crew.ae, lead_id=accepted.pk)
    make_lead("accepted")  # no answers: only size and industry are known
    make_lead("disqualified")  # scrapped (no need) before any answer
    duplicate = make_lead("new")
    lead_transition(actor=crew.sdr, lead_id=duplicate.pk, name="disqualify",
                    params=TransitionParams(reason=DisqualifyReason.DUPLICATE))  # fmt: skip
    rejected = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=rejected.pk, data=QualifyInput(
        decision=Decision.QUALIFY, answers=LOW, brief=BRIEF, ae_id=crew.ae.pk,
        override_reason="Worth a try"))  # fmt: skip
    handoff_reject(actor=crew.ae, lead_id=rejected.pk, reason="No budget")
    make_lead("handed_off")  # not decided yet: no outcome
    from tests.qualification.conftest import company_lead

    company_lead(other_crew, "accepted")  # another team's


def test_rebuild_counts_each_factor_value_per_outcome(crew, outcomes):
    row = outcome_model_rebuild(team_id=crew.team.pk)

    assert (row.positives, row.negatives) == (2, 2)
    assert row.counts == {
        "size": {"51-200": [2, 2]},
        "industry": {"software": [2, 2]},
        "budget": {"afford": [1, 0], "stretch": [0, 1]},
        "timeline": {"this_quarter": [1, 0], "this_year": [0, 1]},
        "authority": {"decision_maker": [1, 0], "influencer": [0, 1]},
        "need": {"confirmed": [1, 0], "possible": [0, 1]},
        "fit": {"yes": [1, 0], "partly": [0, 1]},
    }


def test_refresh_rebuilds_only_teams_whose_outcomes_changed(crew, other_crew, outcomes,
                                                             make_lead):  # fmt: skip
    assert outcome_models_refresh() == 2  # both teams have outcomes and no model yet
    assert outcome_models_refresh() == 0

    make_lead("disqualified")

    assert outcome_models_refresh() == 1
    assert OutcomeModel.objects.get(team=crew.team).negatives == 3
    assert outcome_models_refresh(all_teams=True) == 2


def test_the_estimate_is_shown_only_with_enough_outcomes_and_says_how_many(crew, outcomes):
    row = outcome_model_rebuild(team_id=crew.team.pk)
    config = ScoringConfig.from_dict(DEFAULT_CONFIG)
    result = score_lead(LeadFacts(employee_count=120, industry="Software"), config)

    view = estimate_view(result, row, config)

    assert (view.enough, view.outcomes, view.positives, view.negatives, view.percent) == (
        False,
        4,
        2,
        2,
        None,
    )


def test_the_estimate_with_enough_outcomes_against_a_hand_computed_value():
    config = ScoringConfig.from_dict(DEFAULT_CONFIG)
    row = OutcomeModel(
        positives=10,
        negatives=10,
        counts={"timeline": {"this_quarter": [8, 2], "this_year": [2, 8]}},
    )
    result = score_lead(
        LeadFacts(employee_count=120, industry="Software", timeline="this_quarter"), config
    )  # fmt: skip

    view = estimate_view(result, row, config)

    # Prior 1/2. This quarter: (8+1)/(10+4) against (2+1)/(10+4), x3; size and industry were
    # never seen among outcomes: x1. Odds 3 -> 75%.
    assert (view.enough, view.percent, view.outcomes) == (True, 75, 20)
    assert [(what, round(ratio, 6)) for what, ratio in view.up] == [("Buying this quarter", 3.0)]
    assert view.down == []

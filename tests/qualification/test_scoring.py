"""The rule score as a pure function: every factor, every hard disqualifier, the threshold and
the seed's sole-proprietor example, each with its exact explanation."""

import pytest

from qualification.scoring import (
    DEFAULT_CONFIG,
    LeadFacts,
    ScoringConfig,
    score_lead,
)

CONFIG = ScoringConfig.from_dict(DEFAULT_CONFIG)


def config(**changes) -> ScoringConfig:
    return ScoringConfig.from_dict({**DEFAULT_CONFIG, **changes})


def explain(facts: LeadFacts, factor: str, cfg: ScoringConfig = CONFIG) -> tuple[str, int]:
    f = score_lead(facts, cfg).factor(factor)
    return f.explanation, f.points


def test_nothing_known_scores_zero_and_says_so_for_every_factor():
    result = score_lead(LeadFacts(), CONFIG)

    assert [f.explanation for f in result.factors] == [
        "Company size unknown: +0",
        "Industry unknown: +0",
        "Budget not known yet: +0",
        "Timeline not known yet: +0",
        "Authority not known yet: +0",
        "Need not known yet: +0",
        "Fit not assessed yet: +0",
    ]
    assert (result.points, result.score, result.verdict) == (0, 0, "below_threshold")
    assert result.disqualifiers == ()


@pytest.mark.parametrize(
    ("employees", "explanation", "points"),
    [
        (1, "1–10 employees: +5", 5),
        (10, "1–10 employees: +5", 5),
        (11, "11–50 employees: +10", 10),
        (51, "51–200 employees: +20", 20),
        (200, "51–200 employees: +20", 20),
        (201, "201–1,000 employees: +20", 20),
        (1000, "201–1,000 employees: +20", 20),
        (1001, "1,001+ employees: +10", 10),
        (250_000, "1,001+ employees: +10", 10),
        (None, "Company size unknown: +0", 0),
    ],
)
def test_size_bands(employees, explanation, points):
    assert explain(LeadFacts(employee_count=employees), "size") == (explanation, points)


def test_a_size_in_no_band_scores_zero():
    cfg = config(size_bands=[{"min_employees": 10, "max_employees": 20, "points": 7}])

    assert explain(LeadFacts(employee_count=30), "size", cfg) == (
        "30 employees, in no size band: +0",
        0,
    )
    assert explain(LeadFacts(employee_count=None), "size", config(size_unknown_points=-5)) == (
        "Company size unknown: −5",
        -5,
    )


@pytest.mark.parametrize(
    ("industry", "explanation", "points"),
    [
        ("Software", "Software (target industry): +10", 10),
        ("software", "software (target industry): +10", 10),
        ("IT services", "IT services (target industry): +10", 10),
        ("Logistics", "Logistics (target industry): +5", 5),
        ("Retail", "Retail (other industry): +0", 0),
        ("Gambling", "Gambling (excluded industry): +0", 0),
        ("", "Industry unknown: +0", 0),
    ],
)
def test_industries(industry, explanation, points):
    assert explain(LeadFacts(industry=industry), "industry") == (explanation, points)


def test_other_industries_can_score_and_non_ascii_names_match_ignoring_case():
    cfg = config(other_industry_points=-5, target_industries=[["Næringsmiddel", 12]])

    assert explain(LeadFacts(industry="Retail"), "industry", cfg) == (
        "Retail (other industry): −5",
        -5,
    )
    assert explain(LeadFacts(industry="NÆRINGSMIDDEL"), "industry", cfg) == (
        "NÆRINGSMIDDEL (target industry): +12",
        12,
    )


@pytest.mark.parametrize(
    ("budget", "explanation", "points"),
    [
        (500_000, "Budget 500,000 covers the usual deal (120,000): +15", 15),
        (120_000, "Budget 120,000 covers the usual deal (120,000): +15", 15),
        (119_999, "Budget 119,999 is a stretch (between 30,000 and 120,000): +5", 5),
        (30_000, "Budget 30,000 is a stretch (between 30,000 and 120,000): +5", 5),
        (29_999, "Budget 29,999 is below the cheapest plan (30,000): −15", -15),
        (0, "Budget 0 is below the cheapest plan (30,000): −15", -15),
        (None, "Budget not known yet: +0", 0),
    ],
)
def test_budget_against_the_price_bands(budget, explanation, points):
    assert explain(LeadFacts(budget=budget), "budget") == (explanation, points)


@pytest.mark.parametrize(
    ("timeline", "explanation", "points"),
    [
        ("this_month", "Buying this month: +15", 15),
        ("this_quarter", "Buying this quarter: +10", 10),
        ("this_year", "Buying this year: +5", 5),
        ("none", "No timeline: −5", -5),
        ("", "Timeline not known yet: +0", 0),
    ],
)
def test_urgency(timeline, explanation, points):
    assert explain(LeadFacts(timeline=timeline), "timeline") == (explanation, points)


@pytest.mark.parametrize(
    ("facts", "explanation", "points"),
    [
        (LeadFacts(authority="decision_maker"), "Talking to the decision maker: +15", 15),
        (LeadFacts(authority="influencer"), "Talking to an influencer: +5", 5),
        (LeadFacts(authority="none"), "Contact has no buying authority: −5", -5),
        (
            LeadFacts(prospect_role="decision_maker"),
            "Talking to the decision maker (from the prospect's role): +15",
            15,
        ),
        (
            LeadFacts(prospect_role="champion"),
            "Talking to an influencer (from the prospect's role): +5",
            5,
        ),
        (
            LeadFacts(prospect_role="influencer"),
            "Talking to an influencer (from the prospect's role): +5",
            5,
        ),
        (
            LeadFacts(prospect_role="gatekeeper"),
            "Contact has no buying authority (from the prospect's role): −5",
            -5,
        ),
        (
            LeadFacts(prospect_role="user"),
            "Contact has no buying authority (from the prospect's role): −5",
            -5,
        ),
        (LeadFacts(prospect_role=""), "Authority not known yet: +0", 0),
        # The SDR's answer wins over the recorded role.
        (
            LeadFacts(authority="influencer", prospect_role="decision_maker"),
            "Talking to an influencer: +5",
            5,
        ),
    ],
)  # fmt: skip
def test_authority_answered_or_taken_from_the_prospect(facts, explanation, points):
    assert explain(facts, "authority") == (explanation, points)


@pytest.mark.parametrize(
    ("need", "explanation", "points"),
    [
        ("confirmed", "Need confirmed: +20", 20),
        ("possible", "Need possible: +5", 5),
        ("none", "No need: +0", 0),
        ("", "Need not known yet: +0", 0),
    ],
)
def test_need(need, explanation, points):
    assert explain(LeadFacts(need=need), "need") == (explanation, points)


@pytest.mark.parametrize(
    ("fit", "explanation", "points"),
    [
        ("yes", "Good fit: we sell to companies like this: +10", 10),
        ("partly", "Partial fit: +5", 5),
        ("no", "Poor fit: not a kind of company we sell to: −10", -10),
        ("", "Fit not assessed yet: +0", 0),
    ],
)
def test_fit(fit, explanation, points):
    assert explain(LeadFacts(fit=fit), "fit") == (explanation, points)


BEST = dict(budget=200_000, timeline="this_month", authority="decision_maker",
            need="confirmed", fit="yes")  # fmt: skip


def test_the_seeds_sole_proprietor_is_scrapped_whatever_its_points():
    """The domain text: selling CRM software, a home-based sole proprietor with no employees."""
    facts = LeadFacts(employee_count=0, industry="Consulting", **BEST)

    result = score_lead(facts, CONFIG)

    assert result.points == 75
    assert result.score == 0
    assert result.verdict == "disqualified"
    assert result.verdict_label == "Hard disqualifier"
    assert [(d.code, d.explanation) for d in result.disqualifiers] == [
        ("size", "0 employees: fewer than 1 (a sole proprietor)")
    ]
    assert result.factor("size").explanation == "0 employees, in no size band: +0"


def test_size_disqualifier_uses_the_configured_minimum_and_can_be_turned_off():
    small = LeadFacts(employee_count=4, industry="Software", **BEST)

    assert [d.explanation for d in score_lead(small, config(min_employees=5)).disqualifiers] == [
        "4 employees: fewer than 5"
    ]
    assert score_lead(small, config(min_employees=None)).disqualifiers == ()
    # Unknown size never disqualifies.
    assert score_lead(LeadFacts(employee_count=None), CONFIG).disqualifiers == ()


def test_excluded_industry_disqualifies():
    result = score_lead(LeadFacts(employee_count=120, industry="gambling", **BEST), CONFIG)

    assert [(d.code, d.explanation) for d in result.disqualifiers] == [
        ("industry", "gambling is an excluded industry")
    ]
    assert (result.points, result.score) == (95, 0)


def test_no_need_disqualifies_unless_turned_off():
    facts = LeadFacts(employee_count=120, industry="Software",
                      **{**BEST, "need": "none"})  # fmt: skip

    assert score_lead(facts, CONFIG).disqualifier_code == "need"
    result = score_lead(facts, config(need_none_disqualifies=False))
    assert (result.disqualifiers, result.score, result.verdict) == ((), 85, "qualified")


def test_no_budget_disqualifies_only_when_configured():
    facts = LeadFacts(employee_count=120, industry="Software",
                      **{**BEST, "budget": 1000})  # fmt: skip

    assert score_lead(facts, CONFIG).disqualifiers == ()
    result = score_lead(facts, config(budget_cannot_disqualifies=True))
    assert [(d.code, d.explanation) for d in result.disqualifiers] == [
        ("budget", "The budget is below the cheapest plan")
    ]


def test_every_disqualifier_is_listed_in_order_and_the_first_is_the_code():
    facts = LeadFacts(employee_count=0, industry="Gambling", need="none", budget=10)

    result = score_lead(facts, config(budget_cannot_disqualifies=True))

    assert [d.code for d in result.disqualifiers] == ["size", "industry", "need", "budget"]
    assert result.disqualifier_code == "size"


# 51–200 employees 20 + Software 10 + can afford 15 + this quarter 10 + influencer 5 = 60.
AT_THRESHOLD = LeadFacts(employee_count=120, industry="Software", budget=150_000,
                         timeline="this_quarter", authority="influencer")  # fmt: skip


def test_threshold_is_inclusive():
    result = score_lead(AT_THRESHOLD, CONFIG)
    assert (result.points, result.score, result.verdict) == (60, 60, "qualified")
    assert result.above_threshold is True

    result = score_lead(AT_THRESHOLD, config(threshold=61))
    assert (result.score, result.verdict, result.above_threshold) == (60, "below_threshold", False)


def test_score_is_kept_within_0_and_100():
    best = score_lead(LeadFacts(employee_count=120, industry="Software", **BEST), CONFIG)
    assert (best.points, best.score) == (105, 100)

    worst = LeadFacts(budget=1, timeline="none", authority="none", fit="no", industry="Retail")
    result = score_lead(worst, CONFIG)
    assert (result.points, result.score, result.verdict) == (-35, 0, "below_threshold")


def test_a_full_breakdown_reads_as_one_line_per_factor():
    result = score_lead(
        LeadFacts(employee_count=140, industry="Software", budget=90_000, timeline="this_month",
                  prospect_role="decision_maker", need="confirmed", fit="partly"),
        CONFIG,
    )  # fmt: skip

    assert [f.explanation for f in result.factors] == [
        "51–200 employees: +20",
        "Software (target industry): +10",
        "Budget 90,000 is a stretch (between 30,000 and 120,000): +5",
        "Buying this month: +15",
        "Talking to the decision maker (from the prospect's role): +15",
        "Need confirmed: +20",
        "Partial fit: +5",
    ]
    assert (result.points, result.score, result.verdict) == (90, 90, "qualified")


# --- The model's own validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"size_bands": [{"min_employees": 1, "max_employees": 10, "points": 5},
                         {"min_employees": 10, "max_employees": 20, "points": 5}]},
         "Size bands overlap: 1–10 employees and 10–20 employees"),
        ({"size_bands": [{"min_employees": 10, "max_employees": 5, "points": 5}]},
         "Size band 1: the highest employee count must be at least the lowest"),
        ({"size_bands": [{"min_employees": 1, "max_employees": 5, "points": 500}]},
         "Size band 1 points must be between -100 and 100"),
        ({"excluded_industries": ["software"]},
         "The industry software is both a target and excluded"),
        ({"target_industries": [["Retail", 5], ["retail", 3]]},
         "The industry retail is listed twice"),
        ({"price_floor": 100, "price_list": 50},
         "The usual deal cannot cost less than the cheapest plan"),
        ({"threshold": 101}, "The threshold must be between 0 and 100"),
        ({"escalate_after_hours": 0}, "Escalate after 1 to 200 business hours"),
    ],
)  # fmt: skip
def test_an_invalid_model_is_refused_with_a_message(changes, message):
    with pytest.raises(ValueError) as exc:
        config(**changes)
    assert str(exc.value) == message


def test_the_model_round_trips_through_its_json():
    assert ScoringConfig.from_dict(CONFIG.to_dict()) == CONFIG
    assert CONFIG.max_points() == 105

"""The learned estimate against values computed by hand (alpha = 1)."""

import math

import pytest

from qualification.bayes import OutcomeCounts, estimate, train

# Domain sizes as the default model gives them (5 size bands + "in no band").
SIZES = {"size": 6, "industry": 1, "budget": 3, "timeline": 4, "authority": 3, "need": 3,
         "fit": 3}  # fmt: skip

# 4 accepted, 3 not.
OUTCOMES = [
    ({"timeline": "this_month", "need": "confirmed"}, True, 3),
    ({"timeline": "this_year"}, True, 1),
    ({"timeline": "this_year", "need": "possible"}, False, 2),
    ({"need": "none"}, False, 1),
]


def test_training_counts_each_value_per_outcome():
    model = train(OUTCOMES)

    assert (model.positives, model.negatives) == (4, 3)
    assert model.counts == {
        "timeline": {"this_month": [3, 0], "this_year": [1, 2]},
        "need": {"confirmed": [3, 0], "possible": [0, 2], "none": [0, 1]},
    }


def test_estimate_for_a_lead_like_the_accepted_ones():
    # prior (4+1)/(7+2) = 5/9, prior odds 5/4
    # timeline this_month: P(v|acc) = (3+1)/(4+4) = 1/2, P(v|not) = (0+1)/(2+4) = 1/6 -> x3
    # need confirmed:      P(v|acc) = (3+1)/(3+3) = 2/3, P(v|not) = (0+1)/(3+3) = 1/6 -> x4
    # odds 5/4 * 3 * 4 = 15 -> P = 15/16
    result = estimate({"timeline": "this_month", "need": "confirmed"}, train(OUTCOMES), SIZES)

    assert result.prior == pytest.approx(5 / 9)
    assert result.probability == pytest.approx(15 / 16)
    assert result.percent == 94
    assert [(c.factor, c.value) for c in result.up] == [
        ("need", "confirmed"),
        ("timeline", "this_month"),
    ]
    assert [c.odds_ratio for c in result.up] == [pytest.approx(4), pytest.approx(3)]
    assert result.down == []
    assert (result.positives, result.negatives, result.outcomes) == (4, 3, 7)


def test_estimate_for_a_lead_like_the_rejected_ones_and_an_unseen_factor_is_neutral():
    # timeline this_year: P(v|acc) = (1+1)/(4+4) = 1/4, P(v|not) = (2+1)/(2+4) = 1/2 -> x1/2
    # industry never seen in any outcome: (0+1)/(0+1) both ways -> x1
    # odds 5/4 * 1/2 = 5/8 -> P = 5/13
    result = estimate({"timeline": "this_year", "industry": "retail"}, train(OUTCOMES), SIZES)

    assert result.probability == pytest.approx(5 / 13)
    assert [(c.factor, c.log_odds) for c in result.down] == [
        ("timeline", pytest.approx(math.log(0.5)))
    ]
    assert result.up == []
    assert [(c.factor, c.log_odds) for c in result.contributions] == [
        ("timeline", pytest.approx(math.log(0.5))),
        ("industry", pytest.approx(0.0)),
    ]


def test_no_known_factor_gives_the_smoothed_prior():
    assert estimate({}, train(OUTCOMES), SIZES).probability == pytest.approx(5 / 9)


def test_smoothing_keeps_one_lucky_lead_from_swinging_a_small_team():
    # 10 accepted and 10 rejected; one accepted lead was in an industry no rejected lead had.
    outcomes = [({"industry": "software"}, True, 1), ({"industry": "retail"}, True, 9),
                ({"industry": "retail"}, False, 10)]  # fmt: skip
    model = train(outcomes)
    sizes = {**SIZES, "industry": 3}  # software, retail and any other

    result = estimate({"industry": "software"}, model, sizes)

    # P(v|acc) = (1+1)/(10+3) = 2/13, P(v|not) = (0+1)/(10+3) = 1/13: twice as likely, not
    # certain; the prior is 1/2, so P = 2/3.
    assert result.contributions[0].odds_ratio == pytest.approx(2)
    assert result.probability == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("positives", "negatives", "enough"),
    [(10, 9, False), (10, 10, True), (4, 16, False), (16, 4, False), (5, 15, True)],
)
def test_enough_outcomes_needs_twenty_with_five_of_each(positives, negatives, enough):
    assert OutcomeCounts(positives, negatives, {}).enough is enough

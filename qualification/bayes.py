"""The learned estimate: naive Bayes over the team's past outcomes. Pure.

An outcome is a lead an AE accepted (positive) or one that was scrapped or rejected by an AE
(negative). Its features are the factor values the rule score uses (the size band, the
industry, the budget class, the timeline, authority, need and fit); a value not known for a
lead is left out of both training and estimate, as naive Bayes allows.

Smoothing (Laplace, ``alpha`` pseudo-outcomes per value) keeps a small team from being swung by
a few leads: with 10 accepted leads, one of them in an industry never seen among the rejected
makes that industry count double, not infinitely:

    P(accepted)          = (A + alpha) / (A + R + 2 alpha)
    P(value | accepted)  = (a_v + alpha) / (A_f + alpha K_f)

where A and R count the accepted and rejected outcomes, a_v the accepted ones with that value,
A_f the accepted ones with any known value of the factor and K_f the number of values the
factor can take (for industries: those seen, plus one for any other).

The estimate is P(accepted | the lead's known values); each factor's contribution is the log of
the ratio of its two likelihoods, so the factors that pushed the estimate up and down can be
listed, largest first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .scoring import Authority, Budget, Fit, Need, ScoreResult, ScoringConfig, Timeline

ALPHA = 1.0
MIN_OUTCOMES = 20  # in all …
MIN_PER_CLASS = 5  # … and at least this many accepted and this many not


def features_of(result: ScoreResult) -> dict[str, str]:
    """The known factor values of a scored lead."""
    return {f.factor: f.value for f in result.factors if f.known}


def domain_sizes(config: ScoringConfig, counts: dict[str, dict[str, list[int]]]) -> dict[str, int]:
    return {
        "size": len(config.size_bands) + 1,  # the bands, and "in no band"
        "industry": len(counts.get("industry", {})) + 1,  # those seen, and any other
        "budget": len(Budget.choices),
        "timeline": len(Timeline.choices),
        "authority": len(Authority.choices),
        "need": len(Need.choices),
        "fit": len(Fit.choices),
    }


@dataclass(frozen=True)
class OutcomeCounts:
    positives: int
    negatives: int
    counts: dict[str, dict[str, list[int]]]  # factor -> value -> [accepted, not]

    @property
    def total(self) -> int:
        return self.positives + self.negatives

    @property
    def enough(self) -> bool:
        return (
            self.total >= MIN_OUTCOMES
            and self.positives >= MIN_PER_CLASS
            and self.negatives >= MIN_PER_CLASS
        )


def train(outcomes: Iterable[tuple[dict[str, str], bool, int]]) -> OutcomeCounts:
    """Count outcomes given as (features, accepted, how many leads had exactly these)."""
    pos = neg = 0
    counts: dict[str, dict[str, list[int]]] = {}
    for features, accepted, n in outcomes:
        if accepted:
            pos += n
        else:
            neg += n
        for factor, value in features.items():
            cell = counts.setdefault(factor, {}).setdefault(value, [0, 0])
            cell[0 if accepted else 1] += n
    return OutcomeCounts(pos, neg, counts)


@dataclass(frozen=True)
class Contribution:
    factor: str
    value: str
    log_odds: float  # > 0 pushed the estimate up

    @property
    def odds_ratio(self) -> float:
        return math.exp(self.log_odds)


@dataclass(frozen=True)
class Estimate:
    probability: float
    prior: float
    positives: int
    negatives: int
    contributions: tuple[Contribution, ...]  # by size of effect, largest first

    @property
    def outcomes(self) -> int:
        return self.positives + self.negatives

    @property
    def percent(self) -> int:
        return round(self.probability * 100)

    @property
    def up(self) -> list[Contribution]:
        return [c for c in self.contributions if c.log_odds > 0]

    @property
    def down(self) -> list[Contribution]:
        return [c for c in self.contributions if c.log_odds < 0]


def estimate(
    features: dict[str, str],
    model: OutcomeCounts,
    sizes: dict[str, int],
    alpha: float = ALPHA,
) -> Estimate:
    """P(accepted | features) with each factor's contribution."""
    a, r = model.positives, model.negatives
    prior = (a + alpha) / (a + r + 2 * alpha)
    logit = math.log(prior / (1 - prior))
    contributions = []
    for factor, value in features.items():
        by_value = model.counts.get(factor, {})
        k = sizes[factor]
        a_f = sum(c[0] for c in by_value.values())
        r_f = sum(c[1] for c in by_value.values())
        a_v, r_v = by_value.get(value, [0, 0])
        p_pos = (a_v + alpha) / (a_f + alpha * k)
        p_neg = (r_v + alpha) / (r_f + alpha * k)
        llr = math.log(p_pos / p_neg)
        logit += llr
        contributions.append(Contribution(factor, value, llr))
    contributions.sort(key=lambda c: (-abs(c.log_odds), c.factor))
    probability = 1 / (1 + math.exp(-logit))
    return Estimate(probability, prior, a, r, tuple(contributions))

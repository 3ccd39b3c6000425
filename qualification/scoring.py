"""The rule score: a pure function of a lead's data and the team's scoring model.

No database and no clock here. ``score_lead(facts, config)`` returns the score with one line of
explanation per factor ("51–200 employees: +20") and the hard disqualifiers that scrap a lead
whatever its points. ``qualification.rescore`` computes the same score set-based in SQL for
every open lead at once; a test holds the two to the same table of cases.

The score is the sum of the factors' points, kept within 0–100 (the range the lead list
filters on); a lead with a hard disqualifier scores 0. A factor that is not known yet (no
budget stated, timeline not asked) scores its "unknown" points, normally 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

SCORE_MIN, SCORE_MAX = 0, 100


# --- The answers an SDR gives (BANT and fit) --------------------------------------------------


class Budget(models.TextChoices):
    """Not an answer but the verdict of the stated budget against the price bands."""

    AFFORD = "afford", gettext_lazy("Can afford")
    STRETCH = "stretch", gettext_lazy("Stretch")
    CANNOT = "cannot", gettext_lazy("Cannot afford")


class Timeline(models.TextChoices):
    THIS_MONTH = "this_month", gettext_lazy("This month")
    THIS_QUARTER = "this_quarter", gettext_lazy("This quarter")
    THIS_YEAR = "this_year", gettext_lazy("This year")
    NONE = "none", gettext_lazy("No timeline")


class Authority(models.TextChoices):
    DECISION_MAKER = "decision_maker", gettext_lazy("Decision maker")
    INFLUENCER = "influencer", gettext_lazy("Influencer")
    NONE = "none", gettext_lazy("No authority")


class Need(models.TextChoices):
    CONFIRMED = "confirmed", gettext_lazy("Confirmed")
    POSSIBLE = "possible", gettext_lazy("Possible")
    NONE = "none", gettext_lazy("No need")


class Fit(models.TextChoices):
    YES = "yes", gettext_lazy("Good fit")
    PARTLY = "partly", gettext_lazy("Partial fit")
    NO = "no", gettext_lazy("Poor fit")


# The prospect's recorded buying role stands in for the authority answer until the SDR gives
# one (leads.models.ProspectRole values); an answer that says otherwise is shown as a
# contradiction on the qualification page (authority_role_conflict).
ROLE_AUTHORITY = {
    "decision_maker": Authority.DECISION_MAKER.value,
    "champion": Authority.INFLUENCER.value,
    "influencer": Authority.INFLUENCER.value,
    "user": Authority.NONE.value,
    "gatekeeper": Authority.NONE.value,
}

FACTORS = ("size", "industry", "budget", "timeline", "authority", "need", "fit")
FACTOR_LABELS = {
    "size": gettext_lazy("Company size"),
    "industry": gettext_lazy("Industry"),
    "budget": gettext_lazy("Budget"),
    "timeline": pgettext_lazy("BANT", "Timeline"),
    "authority": gettext_lazy("Authority"),
    "need": gettext_lazy("Need"),
    "fit": gettext_lazy("Fit"),
}
# Hard disqualifiers in the order they are reported (the first is the one stored).
DISQUALIFIERS = ("size", "industry", "need", "budget")


# --- The scoring model ------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeBand:
    min_employees: int
    max_employees: int | None  # inclusive; None: no upper bound
    points: int

    @property
    def label(self) -> str:
        lo = _count(self.min_employees)
        if self.max_employees is None:
            return _("%(lo)s+ employees") % {"lo": lo}
        if self.min_employees == self.max_employees:
            return ngettext("%(n)s employee", "%(n)s employees", self.min_employees) % {"n": lo}
        return _("%(lo)s–%(hi)s employees") % {"lo": lo, "hi": _count(self.max_employees)}

    @property
    def key(self) -> str:
        return f"{self.min_employees}-{'' if self.max_employees is None else self.max_employees}"

    def contains(self, n: int) -> bool:
        return n >= self.min_employees and (self.max_employees is None or n <= self.max_employees)


def _count(n: int) -> str:
    """A count as the current language groups it (1,234 / 1 234)."""
    return number_format(n, decimal_pos=0, force_grouping=True)


def industry_key(name: str | None) -> str:
    """How industries are matched: exactly, ignoring case. The SQL side uses lower()."""
    return (name or "").lower()


def _points_map(choices, values: dict[str, Any] | None, default: dict[str, int]) -> dict[str, int]:
    values = values or {}
    out = {}
    for key in [c.value for c in choices] + ["unknown"]:
        raw = values.get(key, default.get(key, 0))
        out[key] = _int(raw, _("points for %(key)s") % {"key": key})
    return out


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_("%(what)s must be a whole number") % {"what": what})
    try:
        n = int(value)
    except ValueError:
        raise ValueError(_("%(what)s must be a whole number") % {"what": what}) from None
    if not -100 <= n <= 100:
        raise ValueError(_("%(what)s must be between -100 and 100") % {"what": what})
    return n


@dataclass(frozen=True)
class ScoringConfig:
    """A team's qualification model (one version of it). Build with ``from_dict``."""

    size_bands: tuple[SizeBand, ...]
    size_unknown_points: int = 0
    min_employees: int | None = 1  # hard disqualifier: fewer employees than this scraps
    target_industries: tuple[tuple[str, int], ...] = ()  # (name as typed, points)
    other_industry_points: int = 0
    excluded_industries: tuple[str, ...] = ()  # hard disqualifier
    price_floor: int = 0  # the cheapest plan a year: a budget below it cannot afford
    price_list: int = 0  # the usual deal a year: a budget at or above it can afford
    budget_points: dict[str, int] = field(default_factory=dict)
    budget_cannot_disqualifies: bool = False
    timeline_points: dict[str, int] = field(default_factory=dict)
    authority_points: dict[str, int] = field(default_factory=dict)
    need_points: dict[str, int] = field(default_factory=dict)
    need_none_disqualifies: bool = True
    fit_points: dict[str, int] = field(default_factory=dict)
    threshold: int = 60
    escalate_after_hours: int = 8  # business hours an AE has to accept or reject

    # -- (de)serialisation: the JSON stored on each version ------------------------------------

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoringConfig:
        """Validate and build. Raises ValueError with a message for the manager."""
        bands = []
        for i, b in enumerate(d.get("size_bands") or []):
            lo = b.get("min_employees")
            hi = b.get("max_employees")
            if not isinstance(lo, int) or isinstance(lo, bool) or lo < 0:
                raise ValueError(
                    _("Size band %(n)s: the lowest employee count must be 0 or more") % {"n": i + 1}
                )
            if hi is not None and (not isinstance(hi, int) or isinstance(hi, bool) or hi < lo):
                raise ValueError(
                    _("Size band %(n)s: the highest employee count must be at least the lowest")
                    % {"n": i + 1}
                )
            bands.append(
                SizeBand(
                    lo, hi, _int(b.get("points", 0), _("Size band %(n)s points") % {"n": i + 1})
                )
            )
        bands.sort(key=lambda b: b.min_employees)
        for a, b in zip(bands, bands[1:], strict=False):
            if a.max_employees is None or b.min_employees <= a.max_employees:
                raise ValueError(
                    _("Size bands overlap: %(a)s and %(b)s") % {"a": a.label, "b": b.label}
                )
        targets: list[tuple[str, int]] = []
        seen: set[str] = set()
        for item in d.get("target_industries") or []:
            name, pts = " ".join(str(item[0]).split()), item[1]
            if not name:
                continue
            if industry_key(name) in seen:
                raise ValueError(_("The industry %(name)s is listed twice") % {"name": name})
            seen.add(industry_key(name))
            targets.append((name, _int(pts, _("Points for %(name)s") % {"name": name})))
        excluded: list[str] = []
        for raw in d.get("excluded_industries") or []:
            name = " ".join(str(raw).split())
            if not name:
                continue
            if industry_key(name) in seen:
                raise ValueError(
                    _("The industry %(name)s is both a target and excluded") % {"name": name}
                )
            seen.add(industry_key(name))
            excluded.append(name)
        min_emp = d.get("min_employees", 1)
        if min_emp is not None and (not isinstance(min_emp, int) or min_emp < 0):
            raise ValueError(_("The smallest company size must be 0 or more, or empty"))
        floor, price = d.get("price_floor", 0), d.get("price_list", 0)
        for v, what in ((floor, _("The cheapest plan")), (price, _("The usual deal"))):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(_("%(what)s must be a whole amount of 0 or more") % {"what": what})
        if price < floor:
            raise ValueError(_("The usual deal cannot cost less than the cheapest plan"))
        threshold = d.get("threshold", 60)
        if not isinstance(threshold, int) or not SCORE_MIN <= threshold <= SCORE_MAX:
            raise ValueError(_("The threshold must be between 0 and 100"))
        hours = d.get("escalate_after_hours", 8)
        if not isinstance(hours, int) or not 1 <= hours <= 200:
            raise ValueError(_("Escalate after 1 to 200 business hours"))
        return cls(
            size_bands=tuple(bands),
            size_unknown_points=_int(d.get("size_unknown_points", 0), _("Points for unknown size")),
            min_employees=min_emp,
            target_industries=tuple(targets),
            other_industry_points=_int(d.get("other_industry_points", 0), _("Other industries")),
            excluded_industries=tuple(excluded),
            price_floor=floor,
            price_list=price,
            budget_points=_points_map(Budget, d.get("budget_points"), {}),
            budget_cannot_disqualifies=bool(d.get("budget_cannot_disqualifies", False)),
            timeline_points=_points_map(Timeline, d.get("timeline_points"), {}),
            authority_points=_points_map(Authority, d.get("authority_points"), {}),
            need_points=_points_map(Need, d.get("need_points"), {}),
            need_none_disqualifies=bool(d.get("need_none_disqualifies", True)),
            fit_points=_points_map(Fit, d.get("fit_points"), {}),
            threshold=threshold,
            escalate_after_hours=hours,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "size_bands": [
                {"min_employees": b.min_employees, "max_employees": b.max_employees,
                 "points": b.points}
                for b in self.size_bands
            ],
            "size_unknown_points": self.size_unknown_points,
            "min_employees": self.min_employees,
            "target_industries": [[n, p] for n, p in self.target_industries],
            "other_industry_points": self.other_industry_points,
            "excluded_industries": list(self.excluded_industries),
            "price_floor": self.price_floor,
            "price_list": self.price_list,
            "budget_points": dict(self.budget_points),
            "budget_cannot_disqualifies": self.budget_cannot_disqualifies,
            "timeline_points": dict(self.timeline_points),
            "authority_points": dict(self.authority_points),
            "need_points": dict(self.need_points),
            "need_none_disqualifies": self.need_none_disqualifies,
            "fit_points": dict(self.fit_points),
            "threshold": self.threshold,
            "escalate_after_hours": self.escalate_after_hours,
        }  # fmt: skip

    def max_points(self) -> int:
        """The most points a lead can get (for the editor's hint)."""
        best = [
            max([b.points for b in self.size_bands] + [self.size_unknown_points]),
            max([p for _, p in self.target_industries] + [self.other_industry_points]),
        ]
        best += [max(m.values()) for m in self._answer_maps()]
        return sum(best)

    def _answer_maps(self):
        return (
            self.budget_points,
            self.timeline_points,
            self.authority_points,
            self.need_points,
            self.fit_points,
        )


# A CRM-software seller: the domain text's example. A home-based sole proprietor with no
# employees has no need for a CRM, so fewer than one employee scraps the lead.
DEFAULT_CONFIG: dict[str, Any] = {
    "size_bands": [
        {"min_employees": 1, "max_employees": 10, "points": 5},
        {"min_employees": 11, "max_employees": 50, "points": 10},
        {"min_employees": 51, "max_employees": 200, "points": 20},
        {"min_employees": 201, "max_employees": 1000, "points": 20},
        {"min_employees": 1001, "max_employees": None, "points": 10},
    ],
    "size_unknown_points": 0,
    "min_employees": 1,
    "target_industries": [["Software", 10], ["IT services", 10], ["Logistics", 5],
                          ["Financial services", 5]],
    "other_industry_points": 0,
    "excluded_industries": ["Gambling"],
    "price_floor": 30_000,
    "price_list": 120_000,
    "budget_points": {"afford": 15, "stretch": 5, "cannot": -15, "unknown": 0},
    "budget_cannot_disqualifies": False,
    "timeline_points": {"this_month": 15, "this_quarter": 10, "this_year": 5, "none": -5,
                        "unknown": 0},
    "authority_points": {"decision_maker": 15, "influencer": 5, "none": -5, "unknown": 0},
    "need_points": {"confirmed": 20, "possible": 5, "none": 0, "unknown": 0},
    "need_none_disqualifies": True,
    "fit_points": {"yes": 10, "partly": 5, "no": -10, "unknown": 0},
    "threshold": 60,
    "escalate_after_hours": 8,
}  # fmt: skip


# --- The lead's side --------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFacts:
    """What the score is computed from: the company, the prospect and the SDR's answers.
    Empty strings and None mean "not known yet"."""

    employee_count: int | None = None
    industry: str = ""
    budget: int | None = None  # the prospect's stated budget a year
    timeline: str = ""
    authority: str = ""  # the SDR's answer; empty: taken from the prospect's role
    need: str = ""
    fit: str = ""
    prospect_role: str = ""


def lead_facts(prospect, answers) -> LeadFacts:
    """The facts of a prospect (``leads.Prospect``, its company loaded) and the SDR's answers
    (``LeadAnswers``, ``services.Answers`` or None)."""
    company = prospect.company
    return LeadFacts(
        employee_count=company.employee_count if company else None,
        industry=(company.industry or "") if company else "",
        budget=answers.budget if answers else None,
        timeline=answers.timeline if answers else "",
        authority=answers.authority if answers else "",
        need=answers.need if answers else "",
        fit=answers.fit if answers else "",
        prospect_role=prospect.role or "",
    )


@dataclass(frozen=True)
class FactorResult:
    factor: str
    value: str  # a stable key: "51-200", "software", "afford", "this_month", "" when unknown
    points: int
    explanation: str

    @property
    def label(self) -> str:
        return str(FACTOR_LABELS[self.factor])

    @property
    def known(self) -> bool:
        return self.value != ""


@dataclass(frozen=True)
class Disqualifier:
    code: str  # one of DISQUALIFIERS
    explanation: str


@dataclass(frozen=True)
class ScoreResult:
    points: int
    score: int
    threshold: int
    factors: tuple[FactorResult, ...]
    disqualifiers: tuple[Disqualifier, ...]

    @property
    def disqualified(self) -> bool:
        return bool(self.disqualifiers)

    @property
    def disqualifier_code(self) -> str:
        return self.disqualifiers[0].code if self.disqualifiers else ""

    @property
    def above_threshold(self) -> bool:
        return not self.disqualified and self.score >= self.threshold

    @property
    def verdict(self) -> str:
        if self.disqualified:
            return "disqualified"
        return "qualified" if self.score >= self.threshold else "below_threshold"

    @property
    def verdict_label(self) -> str:
        return {
            "disqualified": _("Hard disqualifier"),
            "qualified": _("Qualified"),
            "below_threshold": _("Below the threshold"),
        }[self.verdict]

    def factor(self, name: str) -> FactorResult:
        return next(f for f in self.factors if f.factor == name)

    def as_dict(self) -> dict[str, Any]:
        """For a JSON snapshot (the decision record)."""
        return {
            "points": self.points,
            "score": self.score,
            "threshold": self.threshold,
            "verdict": self.verdict,
            "factors": [
                {"factor": f.factor, "value": f.value, "points": f.points,
                 "explanation": f.explanation}
                for f in self.factors
            ],
            "disqualifiers": [
                {"code": d.code, "explanation": d.explanation} for d in self.disqualifiers
            ],
        }  # fmt: skip


def signed(points: int) -> str:
    """+20, +0, −15 (a real minus sign)."""
    return f"+{points}" if points >= 0 else f"−{-points}"


def _money(n: int) -> str:
    return _count(n)


def budget_class(budget: int | None, config: ScoringConfig) -> str:
    if budget is None:
        return ""
    if budget >= config.price_list:
        return Budget.AFFORD
    if budget >= config.price_floor:
        return Budget.STRETCH
    return Budget.CANNOT


def effective_authority(facts: LeadFacts) -> tuple[str, bool]:
    """(authority, derived): the SDR's answer, else what the prospect's role says."""
    if facts.authority:
        return facts.authority, False
    return ROLE_AUTHORITY.get(facts.prospect_role, ""), True


def authority_role_conflict(facts: LeadFacts) -> tuple[str, str] | None:
    """(the SDR's authority answer, the prospect's buying role) when they say different
    things (an answer "decision maker" for a prospect recorded as a gatekeeper, or "no
    authority" for the recorded decision maker); None when they agree or one is unknown."""
    implied = ROLE_AUTHORITY.get(facts.prospect_role, "")
    if facts.authority and implied and facts.authority != implied:
        return facts.authority, facts.prospect_role
    return None


def size_band(employee_count: int | None, config: ScoringConfig) -> SizeBand | None:
    if employee_count is None:
        return None
    return next((b for b in config.size_bands if b.contains(employee_count)), None)


def _size(facts: LeadFacts, config: ScoringConfig) -> FactorResult:
    n = facts.employee_count
    if n is None:
        p = config.size_unknown_points
        return FactorResult(
            "size", "", p, _("Company size unknown: %(points)s") % {"points": signed(p)}
        )
    band = size_band(n, config)
    if band is None:
        return FactorResult(
            "size", "none", 0, _("%(n)s employees, in no size band: +0") % {"n": _count(n)}
        )
    return FactorResult("size", band.key, band.points, f"{band.label}: {signed(band.points)}")


def _industry(facts: LeadFacts, config: ScoringConfig) -> FactorResult:
    key = industry_key(facts.industry)
    if not key:
        return FactorResult("industry", "", 0, _("Industry unknown: +0"))
    for name, p in config.target_industries:
        if industry_key(name) == key:
            return FactorResult(
                "industry",
                key,
                p,
                _("%(industry)s (target industry): %(points)s")
                % {"industry": facts.industry, "points": signed(p)},
            )
    if key in {industry_key(n) for n in config.excluded_industries}:
        return FactorResult(
            "industry",
            key,
            0,
            _("%(industry)s (excluded industry): +0") % {"industry": facts.industry},
        )
    p = config.other_industry_points
    return FactorResult(
        "industry",
        key,
        p,
        _("%(industry)s (other industry): %(points)s")
        % {"industry": facts.industry, "points": signed(p)},
    )


def _budget(facts: LeadFacts, config: ScoringConfig) -> FactorResult:
    cls = budget_class(facts.budget, config)
    p = config.budget_points[cls or "unknown"]
    if not cls:
        return FactorResult(
            "budget", "", p, _("Budget not known yet: %(points)s") % {"points": signed(p)}
        )
    amount = _money(facts.budget)
    text = {
        Budget.AFFORD: _("Budget %(amount)s covers the usual deal (%(price)s)"),
        Budget.STRETCH: _("Budget %(amount)s is a stretch (between %(floor)s and %(price)s)"),
        Budget.CANNOT: _("Budget %(amount)s is below the cheapest plan (%(floor)s)"),
    }[cls] % {
        "amount": amount,
        "floor": _money(config.price_floor),
        "price": _money(config.price_list),
    }
    return FactorResult("budget", cls, p, f"{text}: {signed(p)}")


_ANSWER_TEXT = {
    "timeline": {
        Timeline.THIS_MONTH: gettext_lazy("Buying this month"),
        Timeline.THIS_QUARTER: gettext_lazy("Buying this quarter"),
        Timeline.THIS_YEAR: gettext_lazy("Buying this year"),
        Timeline.NONE: gettext_lazy("No timeline"),
        "": gettext_lazy("Timeline not known yet"),
    },
    "authority": {
        Authority.DECISION_MAKER: gettext_lazy("Talking to the decision maker"),
        Authority.INFLUENCER: gettext_lazy("Talking to an influencer"),
        Authority.NONE: gettext_lazy("Contact has no buying authority"),
        "": gettext_lazy("Authority not known yet"),
    },
    "need": {
        Need.CONFIRMED: gettext_lazy("Need confirmed"),
        Need.POSSIBLE: gettext_lazy("Need possible"),
        Need.NONE: gettext_lazy("No need"),
        "": gettext_lazy("Need not known yet"),
    },
    "fit": {
        Fit.YES: gettext_lazy("Good fit: we sell to companies like this"),
        Fit.PARTLY: gettext_lazy("Partial fit"),
        Fit.NO: gettext_lazy("Poor fit: not a kind of company we sell to"),
        "": gettext_lazy("Fit not assessed yet"),
    },
}


def _answer(factor: str, value: str, points: dict[str, int], suffix: str = "") -> FactorResult:
    p = points[value or "unknown"]
    text = _ANSWER_TEXT[factor][value]
    return FactorResult(factor, value, p, f"{text}{suffix}: {signed(p)}")


def score_lead(facts: LeadFacts, config: ScoringConfig) -> ScoreResult:
    """The rule score of one lead under one model version, with its explanation."""
    authority, derived = effective_authority(facts)
    factors = (
        _size(facts, config),
        _industry(facts, config),
        _budget(facts, config),
        _answer("timeline", facts.timeline, config.timeline_points),
        _answer(
            "authority",
            authority,
            config.authority_points,
            _(" (from the prospect's role)") if derived and authority else "",
        ),
        _answer("need", facts.need, config.need_points),
        _answer("fit", facts.fit, config.fit_points),
    )
    dq: list[Disqualifier] = []
    n = facts.employee_count
    if config.min_employees is not None and n is not None and n < config.min_employees:
        dq.append(
            Disqualifier(
                "size",
                _("%(n)s employees: fewer than %(min)s")
                % {"n": _count(n), "min": _count(config.min_employees)}
                + (_(" (a sole proprietor)") if n == 0 else ""),
            )
        )
    key = industry_key(facts.industry)
    if key and key in {industry_key(i) for i in config.excluded_industries}:
        dq.append(
            Disqualifier(
                "industry", _("%(industry)s is an excluded industry") % {"industry": facts.industry}
            )
        )
    if config.need_none_disqualifies and facts.need == Need.NONE:
        dq.append(Disqualifier("need", _("The prospect has no need")))
    if config.budget_cannot_disqualifies and factors[2].value == Budget.CANNOT:
        dq.append(Disqualifier("budget", _("The budget is below the cheapest plan")))
    points = sum(f.points for f in factors)
    score = 0 if dq else max(SCORE_MIN, min(SCORE_MAX, points))
    return ScoreResult(
        points=points,
        score=score,
        threshold=config.threshold,
        factors=factors,
        disqualifiers=tuple(dq),
    )


def score_inputs(facts: LeadFacts) -> dict:
    """The inputs as LeadScore stores them (what the cached rescore reads)."""
    return {
        "employee_count": facts.employee_count,
        "industry": industry_key(facts.industry),
        "budget": facts.budget,
        "timeline": facts.timeline,
        "authority": effective_authority(facts)[0],
        "need": facts.need,
        "fit": facts.fit,
    }

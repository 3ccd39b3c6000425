"""Reads for qualification pages. Each starts from the user and runs a fixed number of
queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.calendar import team_calendar
from accounts.models import Role, User
from leads.models import OPEN_STATES, EventKind, Lead, LeadEvent, LeadState
from leads.selectors import TIMELINE_FIELDS, user_works_lead

from . import bayes
from .clock import handoff_due_at, handoff_waiting_hours
from .models import (
    AEProfile,
    Decision,
    Escalation,
    LeadAnswers,
    LeadScore,
    OutcomeModel,
    QualificationDecision,
    ScoringModel,
)
from .scoring import DEFAULT_CONFIG, ScoreResult, lead_facts, score_lead


def scoring_model_current(team_id: int) -> ScoringModel | None:
    return ScoringModel.objects.filter(team_id=team_id).order_by("-version").first()


def scoring_model_default(team_id: int) -> ScoringModel:
    """An unsaved version 0 with the default settings, for a team that has none yet."""
    return ScoringModel(team_id=team_id, version=0, config=DEFAULT_CONFIG)


def scoring_model_for_team(team_id: int):
    """The current version, or the unsaved default (version 0) for a team without one."""
    return scoring_model_current(team_id) or scoring_model_default(team_id)


def scoring_model_history(team_id: int, limit: int = 20):
    return list(
        ScoringModel.objects.filter(team_id=team_id)
        .select_related("created_by")
        .order_by("-version")[:limit]
    )


def lead_answers(*, lead_id: int) -> LeadAnswers | None:
    return LeadAnswers.objects.filter(lead_id=lead_id).first()


def lead_last_brief(*, lead_id: int) -> dict[str, str]:
    """The hand-off brief the SDR last wrote for the lead (its fields by name; {} if none):
    a lead the AE returned is handed off again from it, not from a fresh draft."""
    brief = (
        QualificationDecision.objects.filter(
            lead_id=lead_id, decision__in=(Decision.QUALIFY, Decision.HAND_OFF)
        )
        .exclude(brief={})
        .order_by("-created_at", "-pk")
        .values_list("brief", flat=True)
        .first()
    )
    return brief if isinstance(brief, dict) else {}


# --- The learned estimate, for display ---------------------------------------------------------


@dataclass
class EstimateView:
    enough: bool
    outcomes: int
    positives: int
    negatives: int
    needed: int = bayes.MIN_OUTCOMES
    percent: int | None = None
    up: list[tuple[str, float]] = field(default_factory=list)  # (what, odds ratio)
    down: list[tuple[str, float]] = field(default_factory=list)


def _what(result: ScoreResult, factor: str) -> str:
    return result.factor(factor).explanation.rsplit(": ", 1)[0]


def estimate_view(result: ScoreResult, outcome: OutcomeModel | None, config) -> EstimateView:
    if outcome is None:
        return EstimateView(enough=False, outcomes=0, positives=0, negatives=0)
    counts = bayes.OutcomeCounts(outcome.positives, outcome.negatives, outcome.counts)
    view = EstimateView(
        enough=counts.enough,
        outcomes=counts.total,
        positives=counts.positives,
        negatives=counts.negatives,
    )
    if not counts.enough:
        return view
    est = bayes.estimate(
        bayes.features_of(result), counts, bayes.domain_sizes(config, outcome.counts)
    )
    view.percent = est.percent
    view.up = [(_what(result, c.factor), c.odds_ratio) for c in est.up[:3]]
    view.down = [(_what(result, c.factor), c.odds_ratio) for c in est.down[:3]]
    return view


def _related(obj, name):
    try:
        return getattr(obj, name)
    except (LeadScore.DoesNotExist, LeadAnswers.DoesNotExist):
        return None


# --- The panel on the lead page -----------------------------------------------------------------


_NAME = ("first_name", "last_name", "username")
_DECISION = ("decision", "created_at", "score", "routed", "override", "override_reason", "actor",
             "ae")  # fmt: skip
# What the panel reads of the lead's stored score (the model's version), answers (all: they are
# scored) and last judgement with its people (their names): not the score's inputs, the model's
# configuration or the judgement's breakdown and brief, JSON the panel would parse for nothing
# (docs/performance.md).
_PANEL_FIELDS = (
    "id",
    "rule_score__model__version",
    *(f"qualification__{f.name}" for f in LeadAnswers._meta.concrete_fields),
    *(f"qualification__last_decision__{name}" for name in _DECISION),
    *(f"qualification__last_decision__actor__{name}" for name in _NAME),
    *(f"qualification__last_decision__ae__{name}" for name in _NAME),
)


def lead_panel(*, lead: Lead, user: User) -> dict:
    """Score, breakdown, learned estimate and the SDR's last judgement for a lead the user
    may see (``lead`` comes with its prospect and company). Three queries."""
    row = (
        Lead.objects.filter(pk=lead.pk)
        .select_related(
            "rule_score__model",
            "qualification__last_decision__actor",
            "qualification__last_decision__ae",
        )
        .only(*_PANEL_FIELDS)
        .order_by()[:1]  # one row by its key: no ORDER BY to build
    )[0]
    stored = _related(row, "rule_score")
    answers = _related(row, "qualification")
    model = scoring_model_for_team(lead.team_id)
    outcome = next(iter(OutcomeModel.objects.filter(team_id=lead.team_id).order_by()[:1]), None)
    config = model.scoring
    result = score_lead(lead_facts(lead.prospect, answers), config)
    return {
        "lead": lead,
        "model": model,
        "result": result,
        "stored": stored,
        "stale": stored is not None and stored.model_id != model.pk,
        "answers": answers,
        "decision": answers.last_decision if answers else None,
        "estimate": estimate_view(result, outcome, config),
        "can_qualify": user_works_lead(user, lead) and lead.state in OPEN_STATES,
    }


# --- The AE queue and the team's hand-offs ------------------------------------------------------


@dataclass
class HandoffEntry:
    lead: Lead
    result: ScoreResult
    estimate: EstimateView
    waiting_hours: float
    due_at: datetime
    overdue: bool
    escalation: Escalation | None
    decision: object | None


def _entries(leads: list[Lead], model, now: datetime) -> list[HandoffEntry]:
    team_id = model.team_id
    outcome = OutcomeModel.objects.filter(team_id=team_id).first()
    escalations = {
        (e.lead_id, e.handed_off_at): e
        for e in Escalation.objects.filter(lead_id__in=[lead.pk for lead in leads])
    }
    config = model.scoring
    team = team_calendar(team_id)
    entries = []
    for lead in leads:
        answers = _related(lead, "qualification")
        result = score_lead(lead_facts(lead.prospect, answers), config)
        due = handoff_due_at(lead.handed_off_at, config.escalate_after_hours, team)
        entries.append(
            HandoffEntry(
                lead=lead,
                result=result,
                estimate=estimate_view(result, outcome, config),
                waiting_hours=handoff_waiting_hours(lead.handed_off_at, now, team),
                due_at=due,
                overdue=due <= now,
                escalation=escalations.get((lead.pk, lead.handed_off_at)),
                decision=answers.last_decision if answers else None,
            )
        )
    return entries


AE_QUEUE_HISTORY = 10


def ae_queue(*, user: User, now: datetime | None = None) -> dict:
    """The hand-offs waiting for this AE's decision, oldest first, each with its brief,
    research, score and whole timeline. Fixed number of queries."""
    now = now or timezone.now()
    leads = list(
        Lead.objects.filter(assigned_ae_id=user.pk, state=LeadState.HANDED_OFF)
        .select_related("prospect__company", "owner", "qualification__last_decision__actor")
        .prefetch_related(
            Prefetch(
                "events",
                # The newest entries of each lead (one windowed query): a lead with hundreds
                # of events cost the whole queue its speed; the lead's page has the rest.
                queryset=LeadEvent.objects.select_related("actor")
                .only(*TIMELINE_FIELDS)
                .order_by("-created_at", "-id")[:AE_QUEUE_HISTORY],
                to_attr="timeline",
            )
        )
        .order_by("handed_off_at", "id")
    )
    profile = AEProfile.objects.filter(user_id=user.pk).first() or AEProfile(user_id=user.pk)
    model = scoring_model_for_team(user.team_id)
    return {
        "model": model,
        "entries": _entries(leads, model, now) if leads else [],
        "profile": profile,
        "load": len(leads),
        "history_limit": AE_QUEUE_HISTORY,
    }


def _month_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def handoff_figures(*, team_id: int, since: datetime, owner_id: int | None = None) -> list[dict]:
    """Per SDR since ``since``: hand-offs made, accepted and rejected by AEs (from the
    timeline, whichever page the change was made on). One query."""
    events = LeadEvent.objects.filter(
        kind=EventKind.TRANSITION, lead__team_id=team_id, created_at__gte=since
    ).filter(
        Q(to_state__in=[LeadState.HANDED_OFF, LeadState.ACCEPTED])
        | Q(from_state=LeadState.HANDED_OFF, to_state=LeadState.ENGAGED)
    )
    if owner_id is not None:
        events = events.filter(lead__owner_id=owner_id)
    rows = (
        events.values(
            "lead__owner_id", "lead__owner__first_name", "lead__owner__last_name",
            "lead__owner__username", "to_state",
        )
        .annotate(n=Count("id"))
        .order_by()
    )  # fmt: skip
    figures: dict[int | None, dict] = {}
    for r in rows:
        name = " ".join(
            p for p in (r["lead__owner__first_name"], r["lead__owner__last_name"]) if p
        ) or (r["lead__owner__username"] or _("Unassigned"))
        f = figures.setdefault(
            r["lead__owner_id"],
            {"owner_id": r["lead__owner_id"], "name": name, "handed_off": 0, "accepted": 0,
             "rejected": 0},
        )  # fmt: skip
        key = {
            LeadState.HANDED_OFF: "handed_off",
            LeadState.ACCEPTED: "accepted",
            LeadState.ENGAGED: "rejected",
        }[r["to_state"]]
        f[key] += r["n"]
    return sorted(figures.values(), key=lambda f: f["name"])


def team_handoffs(*, user: User, now: datetime | None = None) -> dict:
    """For a manager: the team's waiting hand-offs, its AEs' load and capacity, and the SDRs'
    figures this month. For an SDR/BDR: their own waiting hand-offs and figures."""
    now = now or timezone.now()
    team_id = user.team_id
    leads = Lead.objects.filter(team_id=team_id, state=LeadState.HANDED_OFF)
    manager = user.is_manager or user.is_admin_role
    if not manager:
        leads = leads.filter(owner_id=user.pk)
    leads = list(
        leads.select_related(
            "prospect__company", "owner", "assigned_ae", "qualification__last_decision__actor"
        ).order_by("handed_off_at", "id")
    )
    since = _month_start(now)
    model = scoring_model_for_team(team_id)
    context = {
        "model": model,
        "entries": _entries(leads, model, now) if leads else [],
        "figures": handoff_figures(
            team_id=team_id, since=since, owner_id=None if manager else user.pk
        ),
        "since": since,
        "aes": [],
        "manager": manager,
    }
    if manager:
        context["aes"] = [
            {"user": ae, "profile": profile, "load": load}
            for ae, profile, load in _team_aes(team_id)
        ]
    return context


def _team_aes(team_id: int) -> list[tuple[User, AEProfile, int]]:
    """The team's active AEs by name, each with its profile (an unsaved default one when it has
    none) and its load, the hand-offs waiting for it. Two queries."""
    aes = list(
        User.objects.filter(team_id=team_id, role=Role.AE, is_active=True)
        .select_related("ae_profile")
        .order_by("first_name", "last_name")
    )
    loads = dict(
        Lead.objects.filter(assigned_ae__in=aes, state=LeadState.HANDED_OFF)
        .values_list("assigned_ae_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    out = []
    for ae in aes:
        try:
            profile = ae.ae_profile
        except AEProfile.DoesNotExist:
            profile = AEProfile(user_id=ae.pk)
        out.append((ae, profile, loads.get(ae.pk, 0)))
    return out


def team_aes_for_handoff(*, team_id: int) -> list[dict]:
    """The team's active AEs for the hand-off choice, with load, capacity and away. Two
    queries."""
    return [
        {
            "user": ae,
            "load": load,
            "capacity": profile.capacity,
            "status": "away" if profile.is_away else ("full" if load >= profile.capacity else ""),
        }
        for ae, profile, load in _team_aes(team_id)
    ]

"""The learned outcome model: outcome counts per factor value, rebuilt from scratch."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from leads.models import Lead, LeadState
from sdrcrm.tasks import enqueue_on_commit

from .. import bayes
from ..models import OutcomeModel
from ..scoring import LeadFacts, score_lead
from ..selectors import scoring_model_current, scoring_model_default
from .common import NOT_OUTCOMES


def _outcome_changed(team_id: int) -> None:
    enqueue_on_commit("qualification.outcome_model_rebuild_task", team_id)


def _outcome_leads():
    """Leads that ended: accepted (positive), scrapped or rejected by an AE (negative)."""
    return Lead.objects.filter(
        Q(state=LeadState.ACCEPTED)
        | (Q(state=LeadState.DISQUALIFIED) & ~Q(disqualify_reason__in=NOT_OUTCOMES))
        | (Q(rejected_at__isnull=False) & ~Q(state__in=[LeadState.HANDED_OFF]))
    )


def outcome_model_rebuild(*, team_id: int) -> OutcomeModel:
    """Count the team's outcomes per factor value from scratch. Cheap: one grouped query."""
    model = scoring_model_current(team_id) or scoring_model_default(team_id)
    config = model.scoring
    rows = (
        _outcome_leads()
        .filter(team_id=team_id)
        .values(
            "state",
            "prospect__company__employee_count",
            "prospect__company__industry",
            "prospect__company_id",
            "prospect__role",
            "qualification__budget",
            "qualification__timeline",
            "qualification__authority",
            "qualification__need",
            "qualification__fit",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    outcomes = []
    for r in rows:
        has_company = r["prospect__company_id"] is not None
        facts = LeadFacts(
            employee_count=r["prospect__company__employee_count"] if has_company else None,
            industry=(r["prospect__company__industry"] or "") if has_company else "",
            budget=r["qualification__budget"],
            timeline=r["qualification__timeline"] or "",
            authority=r["qualification__authority"] or "",
            need=r["qualification__need"] or "",
            fit=r["qualification__fit"] or "",
            prospect_role=r["prospect__role"] or "",
        )
        features = bayes.features_of(score_lead(facts, config))
        outcomes.append((features, r["state"] == LeadState.ACCEPTED, r["n"]))
    trained = bayes.train(outcomes)
    row, _ = OutcomeModel.objects.update_or_create(
        team_id=team_id,
        defaults={
            "built_at": timezone.now(),
            "positives": trained.positives,
            "negatives": trained.negatives,
            "counts": trained.counts,
        },
    )
    return row


def outcome_models_refresh(*, all_teams: bool = False) -> int:
    """Rebuild the outcome model of every team whose count of outcomes changed (or all of
    them). Returns how many were rebuilt."""
    counts = {
        r["team_id"]: (r["pos"], r["neg"])
        for r in _outcome_leads()
        .values("team_id")
        .annotate(
            pos=Count("id", filter=Q(state=LeadState.ACCEPTED)),
            neg=Count("id", filter=~Q(state=LeadState.ACCEPTED)),
        )
        .order_by()
    }
    stored = {
        m.team_id: (m.positives, m.negatives)
        for m in OutcomeModel.objects.all().only("team_id", "positives", "negatives")
    }
    teams = set(counts) | set(stored)
    rebuilt = 0
    for team_id in sorted(teams):
        if all_teams or counts.get(team_id, (0, 0)) != stored.get(team_id):
            outcome_model_rebuild(team_id=team_id)
            rebuilt += 1
    return rebuilt

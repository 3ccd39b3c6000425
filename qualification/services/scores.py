"""A lead's qualification answers and its score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import EventKind, Lead, LeadState, Prospect
from leads.selectors import lead_scope
from leads.services import (
    LeadConflict,
    LeadForbidden,
    LeadInvalid,
    lead_event_record,
    user_works_lead,
)
from sdrcrm.errors import NotFound

from ..models import LeadAnswers, LeadScore, ScoringModel
from ..scoring import (
    FACTOR_LABELS,
    Authority,
    Fit,
    LeadFacts,
    Need,
    ScoreResult,
    Timeline,
    lead_facts,
    score_inputs,
    score_lead,
)
from .common import _OPEN
from .model import _ensure_model


@dataclass
class Answers:
    budget: int | None = None
    timeline: str = ""
    authority: str = ""
    need: str = ""
    fit: str = ""

    def validate(self) -> None:
        for name, choices in (
            ("timeline", Timeline),
            ("authority", Authority),
            ("need", Need),
            ("fit", Fit),
        ):
            value = getattr(self, name)
            if value and value not in choices.values:
                raise LeadInvalid(
                    _("Choose a valid %(name)s.") % {"name": str(FACTOR_LABELS[name]).lower()},
                    field=name,
                )
        if self.budget is not None and self.budget < 0:
            raise LeadInvalid(_("A budget cannot be negative."), field="budget")


def _lock_workable(actor: User, lead_id: int) -> Lead:
    """Lock the lead among those ``actor`` sees (404 otherwise); 403 if they may not work it."""
    try:
        lead = lead_scope(actor).select_for_update(of=("self",)).get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such lead")) from None
    if not user_works_lead(actor, lead):
        raise LeadForbidden(_("Only the lead's SDR or a manager of its team can qualify it."))
    return lead


def _answers_write(lead: Lead, answers: Answers, actor: User, now: datetime) -> LeadAnswers:
    answers.validate()
    row, _created = LeadAnswers.objects.update_or_create(
        lead=lead,
        defaults={
            "budget": answers.budget,
            "timeline": answers.timeline,
            "authority": answers.authority,
            "need": answers.need,
            "fit": answers.fit,
            "updated_at": now,
            "updated_by": actor,
        },
    )
    return row


def _score_write(
    lead: Lead,
    model: ScoringModel,
    facts: LeadFacts,
    result: ScoreResult,
    *,
    answers_at: datetime | None,
    actor: User | None,
    now: datetime,
) -> bool:
    """Store one lead's score (and Lead.score); a SCORE event if it changed. Returns whether
    the score changed."""
    LeadScore.objects.update_or_create(
        lead=lead,
        defaults={
            "model": model,
            "score": result.score,
            "points": result.points,
            "disqualifier": result.disqualifier_code,
            **score_inputs(facts),
            "lead_updated_at": lead.updated_at,
            "answers_at": answers_at,
        },
    )
    old = lead.score
    if old == result.score:
        return False
    Lead.objects.filter(pk=lead.pk).update(score=result.score)
    lead.score = result.score
    if actor is not None:
        lead_event_record(
            lead=lead,
            kind=EventKind.SCORE,
            actor=actor,
            at=now,
            body=_("Score %(old)s → %(new)s (model v%(version)s): %(verdict)s")
            % {
                "old": "—" if old is None else old,
                "new": result.score,
                "version": model.version,
                "verdict": result.verdict_label.lower(),
            },
            payload=_score_payload(model, result, old),
        )
    return True


def _score_payload(model: ScoringModel, result: ScoreResult, old: int | None) -> dict:
    return {
        "from": old,
        "to": result.score,
        "points": result.points,
        "model_version": model.version,
        "verdict": result.verdict,
        "disqualifiers": [d.code for d in result.disqualifiers],
    }


def lead_score_backfill(*, lead_id: int, model_id: int) -> int:
    """Score a lead that has no score yet whatever its state (demo data and leads from before
    the team had a model). No timeline event. Returns 1 if it was scored, else 0."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id, score__isnull=True).first()
        if lead is None:
            return 0
        model = ScoringModel.objects.get(pk=model_id, team_id=lead.team_id)
        answers = LeadAnswers.objects.filter(lead=lead).first()
        prospect = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
        facts = lead_facts(prospect, answers)
        _score_write(
            lead,
            model,
            facts,
            score_lead(facts, model.scoring),
            answers_at=answers.updated_at if answers else None,
            actor=None,
            now=timezone.now(),
        )
    return 1


def lead_answers_save(*, actor: User, lead_id: int, answers: Answers) -> ScoreResult:
    """Save what the SDR found out so far (no decision yet) and rescore the lead."""
    with transaction.atomic():
        lead = _lock_workable(actor, lead_id)
        if lead.state not in (*(s.value for s in _OPEN), LeadState.NURTURE):
            raise LeadConflict(
                _("The lead is %(state)s: its answers can no longer change.")
                % {"state": LeadState(lead.state).label}
            )
        now = timezone.now()
        model = _ensure_model(lead.team_id)
        row = _answers_write(lead, answers, actor, now)
        prospect = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
        facts = lead_facts(prospect, row)
        result = score_lead(facts, model.scoring)
        _score_write(lead, model, facts, result, answers_at=row.updated_at, actor=actor, now=now)
    return result

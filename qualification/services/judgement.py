"""The SDR's judgement: qualify and hand off (routed to an AE), scrap, or nurture."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import Role, User
from leads.models import EventKind, Lead, LeadState, Prospect
from leads.services import (
    LeadConflict,
    LeadForbidden,
    LeadInvalid,
    TransitionParams,
    lead_event_record,
    lead_transition,
)

from .. import routing
from ..models import AEProfile, Decision, Override, QualificationDecision
from ..scoring import ScoreResult, lead_facts, score_lead
from .common import _OPEN
from .learned import _outcome_changed
from .model import _ensure_model
from .notify import _last_transition_events, notifications_for_events
from .scores import Answers, _answers_write, _lock_workable, _score_payload, _score_write

BRIEF_FIELDS = (
    ("need", gettext_lazy("Need")),
    ("budget", gettext_lazy("Budget")),
    ("timeline", pgettext_lazy("BANT", "Timeline")),
    ("decision_maker", gettext_lazy("Decision maker")),
    ("next_step", gettext_lazy("Next step")),
)


@dataclass
class Brief:
    need: str = ""
    budget: str = ""
    timeline: str = ""
    decision_maker: str = ""
    next_step: str = ""

    def cleaned(self) -> Brief:
        return Brief(**{name: " ".join(getattr(self, name).split()) for name, _ in BRIEF_FIELDS})

    def as_text(self) -> str:
        return "\n".join(f"{label}: {getattr(self, name)}" for name, label in BRIEF_FIELDS)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name, _ in BRIEF_FIELDS}


@dataclass
class QualifyInput:
    decision: str  # Decision.QUALIFY, DISQUALIFY or NURTURE
    answers: Answers = field(default_factory=Answers)
    override_reason: str = ""
    brief: Brief = field(default_factory=Brief)
    ae_id: int | None = None  # None: route round-robin
    disqualify_reason: str = ""
    disqualify_note: str = ""
    recycle_on: date | None = None
    expected_state: str | None = None


@dataclass
class QualifyOutcome:
    lead: Lead
    decision: QualificationDecision
    result: ScoreResult
    ae: User | None = None
    routed: bool = False


def _judgement(actor: User, data: QualifyInput, result: ScoreResult) -> str:
    """The override this decision is, if any; raises if it is not allowed or not explained."""
    reason = data.override_reason.strip()
    if data.decision == Decision.QUALIFY:
        if result.disqualified:
            if not (actor.is_manager or actor.is_admin_role):
                raise LeadForbidden(
                    "A hard disqualifier applies ("
                    + "; ".join(d.explanation for d in result.disqualifiers)
                    + "): only a manager can qualify this lead."
                )
            override = Override.HARD
        elif not result.above_threshold:
            override = Override.UP
        else:
            return Override.NONE
    else:
        if not result.above_threshold:
            return Override.NONE
        override = Override.DOWN
    if not reason:
        raise LeadInvalid(
            {
                Override.HARD: _(
                    "Say why this lead should be qualified despite the hard disqualifier."
                ),
                Override.UP: _(
                    "The score %(score)s is below the threshold %(threshold)s: say why you "
                    "qualify it anyway."
                ),
                Override.DOWN: _(
                    "The score %(score)s reaches the threshold %(threshold)s: say why you do "
                    "not qualify it."
                ),
            }[override]
            % {"score": result.score, "threshold": result.threshold},
            field="override_reason",
        )
    return override


def _judgement_text(decision: str, override: str, result: ScoreResult, reason: str) -> str:
    verb = {
        Decision.QUALIFY: _("Qualified"),
        Decision.HAND_OFF: _("Handed off"),
        Decision.DISQUALIFY: _("Scrapped"),
        Decision.NURTURE: _("Nurtured"),
    }[decision]
    words = {"verb": verb, "score": result.score, "threshold": result.threshold}
    text = _("%(verb)s at score %(score)s (threshold %(threshold)s).") % words
    if override == Override.HARD:
        text = _("%(verb)s despite a hard disqualifier (%(reasons)s).") % {
            "verb": verb,
            "reasons": "; ".join(d.explanation for d in result.disqualifiers),
        }
    if override:
        text += " " + _("Override: %(reason)s") % {"reason": reason}
    return text


def _route(team_id: int) -> User | None:
    """Pick the AE for a hand-off, round-robin weighted by capacity. Locks the team's AE
    profiles, so two hand-offs at once are routed one after the other."""
    aes = {
        u.pk: u
        for u in User.objects.filter(team_id=team_id, role=Role.AE, is_active=True).order_by("pk")
    }
    if not aes:
        return None
    AEProfile.objects.bulk_create([AEProfile(user_id=pk) for pk in aes], ignore_conflicts=True)
    profiles = list(
        AEProfile.objects.select_for_update().filter(user_id__in=aes).order_by("user_id")
    )
    loads = dict(
        Lead.objects.filter(assigned_ae_id__in=aes, state=LeadState.HANDED_OFF)
        .values_list("assigned_ae_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    chosen, credits = routing.pick(
        [
            routing.Candidate(
                ae_id=p.user_id,
                capacity=p.capacity,
                load=loads.get(p.user_id, 0),
                away=p.is_away,
                credit=p.rr_credit,
            )
            for p in profiles
        ]
    )
    changed = [p for p in profiles if credits[p.user_id] != p.rr_credit]
    for p in changed:
        p.rr_credit = credits[p.user_id]
    AEProfile.objects.bulk_update(changed, ["rr_credit"])
    return aes.get(chosen) if chosen is not None else None


def lead_qualify(*, actor: User, lead_id: int, data: QualifyInput) -> QualifyOutcome:
    """Record the SDR's judgement on a lead and act on it, in one transaction: qualify and
    hand off to an AE (chosen or routed) with a brief, scrap with a reason, or nurture until a
    date. Qualifying below the threshold, or scrapping or nurturing at or above it, is an
    override and needs a reason; qualifying despite a hard disqualifier is for managers only."""
    if data.decision not in (Decision.QUALIFY, Decision.DISQUALIFY, Decision.NURTURE):
        raise LeadInvalid(_("Choose what to do with the lead."), field="decision")
    with transaction.atomic():
        lead = _lock_workable(actor, lead_id)
        if data.expected_state and data.expected_state != lead.state:
            raise LeadConflict(
                _(
                    "This lead was moved to %(state)s meanwhile. Nothing was changed; look at "
                    "it again."
                )
                % {"state": LeadState(lead.state).label}
            )
        if lead.state not in _OPEN:
            raise LeadConflict(
                _("The lead is %(state)s: it cannot be qualified now.")
                % {"state": LeadState(lead.state).label}
            )
        now = timezone.now()
        model = _ensure_model(lead.team_id)
        answers_row = _answers_write(lead, data.answers, actor, now)
        prospect = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
        facts = lead_facts(prospect, answers_row)
        result = score_lead(facts, model.scoring)
        override = _judgement(actor, data, result)
        reason = data.override_reason.strip() if override else ""

        decision = data.decision
        ae, routed, brief = None, False, Brief()
        if decision == Decision.QUALIFY:
            brief = data.brief.cleaned()
            for name, label in BRIEF_FIELDS:
                if not getattr(brief, name):
                    raise LeadInvalid(
                        _("The hand-off brief needs the %(field)s.") % {"field": label.lower()},
                        field=f"brief_{name}",
                    )
            if lead.state == LeadState.QUALIFIED:
                decision = Decision.HAND_OFF  # qualified earlier: only the hand-off is left
            elif lead.state == LeadState.NEW:
                raise LeadConflict(_("Start research on the lead before qualifying it."))
            if data.ae_id is None:
                ae = _route(lead.team_id)
                routed = True
                if ae is None:
                    raise LeadInvalid(
                        _(
                            "No account executive is available: all are away or their queues "
                            "are full. Choose one by hand or ask your manager."
                        ),
                        field="ae",
                    )
            else:
                ae = User.objects.filter(
                    pk=data.ae_id, team_id=lead.team_id, role=Role.AE, is_active=True
                ).first()
                if ae is None:
                    raise LeadInvalid(_("Choose an account executive of this team."), field="ae")

        old_score = lead.score
        _score_write(
            lead, model, facts, result, answers_at=answers_row.updated_at, actor=None, now=now
        )
        record = QualificationDecision.objects.create(
            lead=lead,
            actor=actor,
            created_at=now,
            decision=decision,
            model=model,
            score=result.score,
            points=result.points,
            verdict=result.verdict,
            override=override,
            override_reason=reason,
            breakdown=result.as_dict(),
            brief=brief.as_dict() if decision in (Decision.QUALIFY, Decision.HAND_OFF) else {},
            ae=ae,
            routed=routed,
            disqualify_reason=data.disqualify_reason if decision == Decision.DISQUALIFY else "",
            recycle_on=data.recycle_on if decision == Decision.NURTURE else None,
        )
        answers_row.last_decision = record
        answers_row.save(update_fields=["last_decision"])
        lead_event_record(
            lead=lead,
            kind=EventKind.SCORE,
            actor=actor,
            at=now,
            body=_judgement_text(decision, override, result, reason),
            payload={
                **_score_payload(model, result, old_score),
                "decision": decision,
                "override": override,
            },
        )

        state = lead.state
        if decision == Decision.QUALIFY:
            lead_transition(actor=actor, lead_id=lead.pk, name="qualify", expected_state=state)
            state = LeadState.QUALIFIED
        if decision in (Decision.QUALIFY, Decision.HAND_OFF):
            lead = lead_transition(
                actor=actor,
                lead_id=lead.pk,
                name="hand_off",
                expected_state=state,
                params=TransitionParams(ae_id=ae.pk, brief=brief.as_text()),
            )
        elif decision == Decision.DISQUALIFY:
            lead = lead_transition(
                actor=actor,
                lead_id=lead.pk,
                name="disqualify",
                expected_state=state,
                params=TransitionParams(reason=data.disqualify_reason, note=data.disqualify_note),
            )
            _outcome_changed(lead.team_id)
        else:
            lead = lead_transition(
                actor=actor,
                lead_id=lead.pk,
                name="nurture",
                expected_state=state,
                params=TransitionParams(recycle_on=data.recycle_on),
            )
        notifications_for_events(_last_transition_events(lead.pk, 1))
    return QualifyOutcome(lead=lead, decision=record, result=result, ae=ae, routed=routed)

"""Writes for qualification. Lifecycle changes go through ``leads.services.lead_transition``
(which locks the lead, checks the transition and records its timeline event); the functions
here add what qualification owns in the same transaction: the answers and the score, the SDR's
judgement, routing to an AE, notifications, escalations, and the learned outcome model.

Errors are the leads app's ``LeadError`` family, so views handle them the same way.

Timeline: an SDR's action that changes a lead's score (saving answers, qualifying, scrapping)
records a SCORE event; background rescores after a model change do not (a million events for
one click would drown every timeline), the score's model version records where it came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, Team, User
from leads.models import (
    DisqualifyReason,
    EventKind,
    Lead,
    LeadEvent,
    LeadState,
    Prospect,
)
from leads.selectors import lead_scope
from leads.services import (
    LeadConflict,
    LeadForbidden,
    LeadInvalid,
    TransitionParams,
    lead_event_record,
    lead_transition,
    user_works_lead,
)
from sdrcrm.tasks import enqueue_on_commit

from . import bayes, rescore, routing
from .clock import handoff_due_at
from .models import (
    AEProfile,
    Decision,
    Escalation,
    LeadAnswers,
    LeadScore,
    Notification,
    NotificationKind,
    OutcomeModel,
    Override,
    QualificationDecision,
    ScoringModel,
)
from .rescore import RescoreResult, rescore_team
from .scoring import (
    DEFAULT_CONFIG,
    Authority,
    Fit,
    LeadFacts,
    Need,
    ScoreResult,
    ScoringConfig,
    Timeline,
    effective_authority,
    industry_key,
    lead_facts,
    score_lead,
)
from .selectors import scoring_model_current, scoring_model_default

log = logging.getLogger(__name__)

# A hard disqualifier suggests the scrap reason.
DISQUALIFIER_REASONS = {
    "size": DisqualifyReason.TOO_SMALL,
    "industry": DisqualifyReason.WRONG_INDUSTRY,
    "need": DisqualifyReason.NO_NEED,
    "budget": DisqualifyReason.NO_BUDGET,
}
# Scraps that say nothing about the lead as a customer are not outcomes to learn from.
NOT_OUTCOMES = (DisqualifyReason.DUPLICATE, DisqualifyReason.BAD_DATA)


def _may_manage_team(actor: User, team_id: int) -> bool:
    return actor.is_active and (
        actor.is_admin_role or (actor.is_manager and actor.team_id == team_id)
    )


# --- The scoring model ----------------------------------------------------------------------


def _ensure_model(team_id: int) -> ScoringModel:
    """The team's current model; the first write of a team without one saves the default
    as version 1 (and scores its leads after commit)."""
    model = scoring_model_current(team_id)
    if model is not None:
        return model
    Team.objects.select_for_update().get(pk=team_id)
    model = scoring_model_current(team_id)
    if model is None:
        model = ScoringModel.objects.create(
            team_id=team_id, version=1, config=DEFAULT_CONFIG, note="The default model"
        )
        _after_model_change(model)
    return model


def _after_model_change(model: ScoringModel) -> None:
    enqueue_on_commit("qualification.scoring_model_rescore_task", model.pk)
    enqueue_on_commit("qualification.outcome_model_rebuild_task", model.team_id)


def scoring_model_save(
    *,
    actor: User,
    team_id: int,
    config: dict,
    based_on_version: int | None,
    note: str = "",
) -> tuple[ScoringModel, bool]:
    """Save a new version of the team's model. Returns (the current version, whether a new
    one was created: saving an unchanged model creates nothing). ``based_on_version`` is the
    version the editor was opened on: if someone saved meanwhile, nothing is saved."""
    if not _may_manage_team(actor, team_id):
        raise LeadForbidden("Only a manager of the team changes its qualification model.")
    try:
        cfg = ScoringConfig.from_dict(config)
    except ValueError as exc:
        raise LeadInvalid(str(exc)) from exc
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team_id)
        current = scoring_model_current(team_id)
        current_version = current.version if current else 0
        if based_on_version is not None and based_on_version != current_version:
            who = current.created_by if current and current.created_by else "someone else"
            when = timezone.localtime(current.created_at) if current else None
            raise LeadConflict(
                f"{who} saved version {current_version} of the model"
                + (f" at {when:%H:%M}" if when else "")
                + " after you opened it. Nothing was saved: reload the page and make your "
                "change again."
            )
        if current is not None and current.scoring == cfg:
            return current, False
        model = ScoringModel.objects.create(
            team_id=team_id,
            version=current_version + 1,
            config=cfg.to_dict(),
            created_by=actor,
            note=note.strip()[:200],
        )
        _after_model_change(model)
    return model, True


def scoring_model_rescore(
    *, model_id: int, batch_size: int = 100_000, workers: int | None = None
) -> RescoreResult:
    """Rescore the open leads of the model's team under this version. Idempotent; stops when
    a newer version appears (its own rescore takes over)."""
    model = ScoringModel.objects.get(pk=model_id)
    ScoringModel.objects.filter(pk=model_id).update(
        rescore_started_at=timezone.now(), rescore_finished_at=None, rescored_leads=0
    )

    def progress(result: RescoreResult) -> None:
        ScoringModel.objects.filter(pk=model_id).update(rescored_leads=result.scanned)

    result = rescore_team(model, batch_size=batch_size, workers=workers, on_batch=progress)
    if not result.superseded:
        ScoringModel.objects.filter(pk=model_id).update(
            rescore_finished_at=timezone.now(), rescored_leads=result.scanned
        )
    return result


def lead_scores_sweep(*, full: bool = False) -> int:
    """Score the open leads without a current score: new leads, leads changed since their
    inputs were read (an edited company, a lead back from nurture), leads still on an older
    model version. ``full`` reads every open lead afresh (nightly: catches a company edited
    through another of its leads). Periodic. Returns how many leads were scored."""
    latest = ScoringModel.objects.filter(
        version=ScoringModel.objects.filter(team_id=OuterRef("team_id"))
        .order_by("-version")
        .values("version")[:1]
    ).order_by("team_id")
    scored = 0
    for model in latest:
        scored += rescore_team(model, mode=rescore.FULL if full else rescore.SWEEP).scanned
    return scored


# --- Answers and the score of one lead --------------------------------------------------------


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
                raise LeadInvalid(f"Choose a valid {name}.", field=name)
        if self.budget is not None and self.budget < 0:
            raise LeadInvalid("A budget cannot be negative.", field="budget")


def _lock_workable(actor: User, lead_id: int) -> Lead:
    """Lock the lead among those ``actor`` sees (404 otherwise); 403 if they may not work it."""
    try:
        lead = lead_scope(actor).select_for_update(of=("self",)).get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("No such lead") from None
    if not user_works_lead(actor, lead):
        raise LeadForbidden("Only the lead's SDR or a manager of its team can qualify it.")
    return lead


def _answers_write(lead: Lead, answers: Answers, actor: User, now: datetime) -> LeadAnswers:
    answers.validate()
    row, _ = LeadAnswers.objects.update_or_create(
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
            body=f"Score {'—' if old is None else old} → {result.score} "
            f"(model v{model.version}): {result.verdict_label.lower()}",
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
                f"The lead is {LeadState(lead.state).label}: its answers can no longer change."
            )
        now = timezone.now()
        model = _ensure_model(lead.team_id)
        row = _answers_write(lead, answers, actor, now)
        prospect = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
        facts = lead_facts(prospect, row)
        result = score_lead(facts, model.scoring)
        _score_write(lead, model, facts, result, answers_at=row.updated_at, actor=actor, now=now)
    return result


# --- The SDR's judgement: qualify and hand off, scrap, or nurture -----------------------------

_OPEN = (
    LeadState.NEW,
    LeadState.RESEARCHING,
    LeadState.CONTACTING,
    LeadState.ENGAGED,
    LeadState.QUALIFIED,
)
BRIEF_FIELDS = (
    ("need", "Need"),
    ("budget", "Budget"),
    ("timeline", "Timeline"),
    ("decision_maker", "Decision maker"),
    ("next_step", "Next step"),
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
                Override.HARD: "Say why this lead should be qualified despite the hard "
                "disqualifier.",
                Override.UP: f"The score {result.score} is below the threshold "
                f"{result.threshold}: say why you qualify it anyway.",
                Override.DOWN: f"The score {result.score} reaches the threshold "
                f"{result.threshold}: say why you do not qualify it.",
            }[override],
            field="override_reason",
        )
    return override


def _judgement_text(decision: str, override: str, result: ScoreResult, reason: str) -> str:
    verb = {
        Decision.QUALIFY: "Qualified",
        Decision.HAND_OFF: "Handed off",
        Decision.DISQUALIFY: "Scrapped",
        Decision.NURTURE: "Nurtured",
    }[decision]
    text = f"{verb} at score {result.score} (threshold {result.threshold})."
    if override == Override.HARD:
        text = (
            f"{verb} despite a hard disqualifier ("
            + "; ".join(d.explanation for d in result.disqualifiers)
            + ")."
        )
    if override:
        text += f" Override: {reason}"
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
        raise LeadInvalid("Choose what to do with the lead.", field="decision")
    with transaction.atomic():
        lead = _lock_workable(actor, lead_id)
        if data.expected_state and data.expected_state != lead.state:
            raise LeadConflict(
                f"This lead was moved to {LeadState(lead.state).label} meanwhile. Nothing was "
                "changed; look at it again."
            )
        if lead.state not in _OPEN:
            raise LeadConflict(
                f"The lead is {LeadState(lead.state).label}: it cannot be qualified now."
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
                        f"The hand-off brief needs the {label.lower()}.", field=f"brief_{name}"
                    )
            if lead.state == LeadState.QUALIFIED:
                decision = Decision.HAND_OFF  # qualified earlier: only the hand-off is left
            elif lead.state == LeadState.NEW:
                raise LeadConflict("Start research on the lead before qualifying it.")
            if data.ae_id is None:
                ae = _route(lead.team_id)
                routed = True
                if ae is None:
                    raise LeadInvalid(
                        "No account executive is available: all are away or their queues are "
                        "full. Choose one by hand or ask your manager.",
                        field="ae",
                    )
            else:
                ae = User.objects.filter(
                    pk=data.ae_id, team_id=lead.team_id, role=Role.AE, is_active=True
                ).first()
                if ae is None:
                    raise LeadInvalid("Choose an account executive of this team.", field="ae")

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


# --- The AE's decision ------------------------------------------------------------------------


def handoff_accept(*, actor: User, lead_id: int) -> Lead:
    """The AE takes the lead: it is theirs, and it counts for the SDR."""
    with transaction.atomic():
        lead = lead_transition(
            actor=actor, lead_id=lead_id, name="accept", expected_state=LeadState.HANDED_OFF
        )
        _after_ae_decision(actor, lead)
    return lead


def handoff_reject(*, actor: User, lead_id: int, reason: str) -> Lead:
    """The AE sends the lead back to the SDR (engaged again) with a reason; the rejection
    counts in the SDR's figures."""
    with transaction.atomic():
        lead = lead_transition(
            actor=actor,
            lead_id=lead_id,
            name="reject",
            expected_state=LeadState.HANDED_OFF,
            params=TransitionParams(reason=reason),
        )
        _after_ae_decision(actor, lead)
    return lead


def _after_ae_decision(actor: User, lead: Lead) -> None:
    """Tell the SDR, count the outcome, and mark read what the AE was told about the lead
    (deciding on it answers the notification)."""
    notifications_for_events(_last_transition_events(lead.pk, 1))
    Notification.objects.filter(user=actor, lead=lead, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _outcome_changed(lead.team_id)


def ae_profile_update(
    *, actor: User, ae_id: int, capacity: int | None = None, is_away: bool | None = None
) -> AEProfile:
    """A manager sets an AE's capacity or away flag; an AE may mark themselves away."""
    ae = User.objects.filter(pk=ae_id, role=Role.AE).first()
    # Another team's AE is out of scope: the same 404 as an AE that does not exist.
    if ae is None or not (
        actor.is_admin_role or actor.pk == ae.pk or (actor.team_id and actor.team_id == ae.team_id)
    ):
        raise Http404("No such account executive")
    manager = _may_manage_team(actor, ae.team_id)
    if not manager and not (actor.pk == ae.pk and capacity is None):
        raise LeadForbidden("Only a manager of the team changes an AE's capacity.")
    if capacity is not None and not 0 <= capacity <= 500:
        raise LeadInvalid("Capacity is between 0 and 500.", field="capacity")
    with transaction.atomic():
        profile, _ = AEProfile.objects.select_for_update().get_or_create(user=ae)
        fields = []
        if capacity is not None and capacity != profile.capacity:
            profile.capacity = capacity
            fields.append("capacity")
        if is_away is not None and is_away != profile.is_away:
            profile.is_away = is_away
            fields.append("is_away")
        if fields:
            profile.updated_at = timezone.now()
            profile.save(update_fields=[*fields, "updated_at"])
    return profile


# --- Notifications ----------------------------------------------------------------------------


def _last_transition_events(lead_id: int, n: int) -> list[LeadEvent]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id, kind=EventKind.TRANSITION)
        .select_related("lead__prospect__company", "lead__owner", "lead__assigned_ae", "actor")
        .order_by("-created_at", "-id")[:n]
    )


def _lead_name(lead: Lead) -> str:
    prospect = lead.prospect
    company = prospect.company
    return prospect.full_name + (f" ({company.name})" if company else "")


def _path(lead: Lead) -> str:
    return f"/leads/{lead.pk}/"


def _notification_for(event: LeadEvent) -> list[Notification]:
    """Who hears about a timeline event: the AE of a hand-off, the SDR of an accept or
    reject. Other events notify nobody."""
    lead = event.lead
    name = _lead_name(lead)
    who = str(event.actor) if event.actor else "The system"
    transition = (event.payload or {}).get("transition")
    if transition == "hand_off":
        ae_id = event.payload.get("ae_id")
        if not ae_id or ae_id == event.actor_id:
            return []
        return [
            Notification(
                user_id=ae_id,
                lead=lead,
                event=event,
                kind=NotificationKind.HANDOFF,
                title=f"{who} handed you a lead: {name}",
                body=event.body,
                created_at=event.created_at,
            )
        ]
    if transition in ("accept", "reject") and lead.owner_id and lead.owner_id != event.actor_id:
        accepted = transition == "accept"
        return [
            Notification(
                user_id=lead.owner_id,
                lead=lead,
                event=event,
                kind=NotificationKind.ACCEPTED if accepted else NotificationKind.REJECTED,
                title=f"{who} {'accepted' if accepted else 'rejected'} your lead {name}",
                body="" if accepted else f"Reason: {event.body}",
                created_at=event.created_at,
            )
        ]
    return []


def _email_after_commit(notifications: list[Notification]) -> None:
    for n in notifications:
        if n.pk:
            enqueue_on_commit("qualification.notification_email_task", n.pk, robust=True)


def notify_inbound(*, lead: Lead, form_name: str, message: str, again: bool) -> Notification | None:
    """Tell the lead's SDR at once that a web form brought them a lead (or that a prospect of
    theirs submitted again): speed to lead starts at the capture. In the caller's transaction;
    the email goes after commit. None when the lead has no owner (no active SDR)."""
    if lead.owner_id is None:
        return None
    name = _lead_name(lead)
    title = (
        f"{name} submitted the web form “{form_name}” again"
        if again
        else f"New inbound lead for you: {name}"
    )
    note = Notification.objects.create(
        user_id=lead.owner_id,
        lead=lead,
        kind=NotificationKind.INBOUND,
        title=title[:200],
        body=message or f"From the web form “{form_name}”.",
    )
    _email_after_commit([note])
    return note


def notifications_for_events(events: list[LeadEvent]) -> list[Notification]:
    """Create the notifications these events call for (at most once per person and event)
    and email them after commit."""
    created = []
    for event in events:
        for n in _notification_for(event):
            try:
                with transaction.atomic():
                    n.save()
            except IntegrityError:  # already notified (the sweep and the service met)
                continue
            created.append(n)
    _email_after_commit(created)
    return created


def notifications_sweep(*, since: timedelta = timedelta(hours=24)) -> int:
    """Notify about hand-offs, accepts and rejects made anywhere (the lead page's buttons
    too) that nobody was told about yet. Periodic and idempotent."""
    now = timezone.now()
    notified = Notification.objects.filter(event_id=OuterRef("pk"))
    events = list(
        LeadEvent.objects.filter(
            kind=EventKind.TRANSITION,
            created_at__gte=now - since,
            payload__transition__in=["hand_off", "accept", "reject"],
        )
        .exclude(Exists(notified))
        .select_related("lead__prospect__company", "lead__owner", "actor")
        .order_by("created_at", "id")[:1000]
    )
    with transaction.atomic():
        return len(notifications_for_events(events))


def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification through Django's email backend, once. Returns whether it
    was sent now."""
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user", "lead")
            .filter(pk=notification_id)
            .first()
        )
        if n is None or n.emailed_at is not None or not n.user.email:
            return False
        base = settings.SDRCRM_BASE_URL.rstrip("/")
        link = f"{base}{_path(n.lead)}" if n.lead_id else ""
        body = "\n\n".join(part for part in (n.body, link and f"Open the lead: {link}") if part)
        send_mail(n.title, body or n.title, None, [n.user.email])
        n.emailed_at = timezone.now()
        n.save(update_fields=["emailed_at"])
    return True


# --- Escalation -------------------------------------------------------------------------------


def handoff_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate to the team's managers every hand-off its AE has neither accepted nor
    rejected within the model's number of business hours. Once per hand-off (a unique row
    records it); safe to run from several workers at once. Returns how many were escalated."""
    now = now or timezone.now()
    escalated = Escalation.objects.filter(
        lead_id=OuterRef("pk"), handed_off_at=OuterRef("handed_off_at")
    )
    # Business hours pass no faster than the clock: a hand-off younger than one hour (the
    # shortest setting) cannot be due yet.
    candidates = list(
        Lead.objects.filter(
            state=LeadState.HANDED_OFF,
            handed_off_at__isnull=False,
            handed_off_at__lte=now - timedelta(hours=1),
        )
        .exclude(Exists(escalated))
        .order_by("handed_off_at", "id")
        .values_list("pk", "team_id", "handed_off_at")[:5000]
    )
    hours_by_team: dict[int, int] = {}
    done = 0
    for lead_id, team_id, handed_off_at in candidates:
        if team_id not in hours_by_team:
            model = scoring_model_current(team_id) or scoring_model_default(team_id)
            hours_by_team[team_id] = model.scoring.escalate_after_hours
        due = handoff_due_at(handed_off_at, hours_by_team[team_id])
        if due > now:
            continue
        if _escalate_one(lead_id, handed_off_at, due, now, hours_by_team[team_id]):
            done += 1
    return done


def _escalate_one(
    lead_id: int, handed_off_at: datetime, due: datetime, now: datetime, hours: int
) -> bool:
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("prospect__company", "assigned_ae")
            .filter(pk=lead_id, state=LeadState.HANDED_OFF, handed_off_at=handed_off_at)
            .first()
        )
        if lead is None:  # decided meanwhile
            return False
        try:
            with transaction.atomic():
                Escalation.objects.create(
                    lead=lead,
                    handed_off_at=handed_off_at,
                    ae=lead.assigned_ae,
                    due_at=due,
                    escalated_at=now,
                )
        except IntegrityError:  # another worker escalated it first
            return False
        managers = User.objects.filter(team_id=lead.team_id, role=Role.MANAGER, is_active=True)
        created = []
        for manager in managers:
            created.append(
                Notification.objects.create(
                    user=manager,
                    lead=lead,
                    kind=NotificationKind.ESCALATED,
                    title=f"Hand-off waiting too long: {_lead_name(lead)}",
                    body=(
                        f"{lead.assigned_ae} has neither accepted nor rejected this lead, handed "
                        f"off {timezone.localtime(handed_off_at):%a %d %b %H:%M}; it was due by "
                        f"{timezone.localtime(due):%a %d %b %H:%M} ({hours} business hours)."
                    ),
                    created_at=now,
                )
            )
        _email_after_commit(created)
    return True


# --- The learned outcome model ----------------------------------------------------------------


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
            "prospect__is_decision_maker",
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
            prospect_is_decision_maker=r["prospect__is_decision_maker"],
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

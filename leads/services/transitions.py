"""A lead's lifecycle: the transitions of its state machine, and the nightly recycle of nurture
leads."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from accounts.models import Role, User

from ..errors import LeadConflict, LeadForbidden, LeadInvalid
from ..models import (
    OTHER_REASON,
    EventKind,
    Lead,
    LeadState,
    ReasonKind,
)
from .common import _last_changer, _lock, _save, _state_label, _touch
from .events import lead_event_record
from .reasons import reason_validate

TRANSITION_FIELDS = {
    "start_research": [],
    "start_contacting": [],
    "engage": [],
    "qualify": ["qualified_at"],
    "hand_off": [
        "assigned_ae",
        "handed_off_at",
        "handoff_brief",
        "rejection_code",
        "rejection_reason",
        "rejected_at",
    ],
    "accept": ["accepted_at"],
    "reject": ["rejection_code", "rejection_reason", "rejected_at", "assigned_ae", "handed_off_at"],
    "disqualify": [
        "disqualify_reason",
        "disqualify_note",
        "disqualified_at",
        "disqualified_from",
        "recycle_on",
    ],
    "reopen": ["disqualify_reason", "disqualify_note", "disqualified_at", "disqualified_from"],
    "nurture": ["recycle_on"],
    "recycle": ["recycle_on"],
}


@dataclass
class TransitionParams:
    # disqualify: the code of one of the team's reasons, ``note`` the free text;
    # reject: ``reason`` the AE's words for the SDR, ``reason_code`` the team's reason.
    reason: str = ""
    note: str = ""
    reason_code: str = ""
    # The reason was chosen by the code, not the person (a hard disqualifier's scrap): one of
    # the default codes is then taken even if the team no longer offers it.
    reason_by_system: bool = False
    recycle_on: date | None = None
    ae_id: int | None = None
    brief: str = ""


def _transition_kwargs(
    lead: Lead, name: str, p: TransitionParams, now: datetime, *, system: bool = False
) -> dict:
    """Validate the parameters a transition needs; raise LeadInvalid naming the field."""
    if name in ("qualify", "accept"):
        return {"at": now}
    if name == "hand_off":
        ae = (
            User.objects.filter(
                pk=p.ae_id, role=Role.AE, team_id=lead.team_id, is_active=True
            ).first()
            if p.ae_id
            else None
        )
        if ae is None:
            raise LeadInvalid(_("Choose an account executive of this team."), field="ae")
        return {"at": now, "ae": ae, "brief": p.brief.strip()}
    if name == "reject":
        text = p.reason.strip()
        # A caller that sends only words (the API before reasons existed) files them under
        # "Other"; neither words nor a reason is refused.
        code = p.reason_code or (OTHER_REASON if text else "")
        if not code:
            raise LeadInvalid(_("Say why you reject the lead: the SDR reads it."), field="reason")
        label = reason_validate(
            team_id=lead.team_id, kind=ReasonKind.REJECT, code=code, text=text, text_field="reason"
        )
        return {"at": now, "reason": text, "code": code, "label": label}
    if name == "disqualify":
        label = reason_validate(
            team_id=lead.team_id,
            kind=ReasonKind.DISQUALIFY,
            code=p.reason,
            text=p.note,
            system=system,
        )
        return {"at": now, "reason": p.reason, "note": p.note.strip(), "label": label}
    if name == "nurture":
        if p.recycle_on is None or p.recycle_on <= timezone.localdate(now):
            raise LeadInvalid(_("Choose a recycle date in the future."), field="recycle_on")
        return {"recycle_on": p.recycle_on}
    return {}


def lead_transition(
    *,
    actor: User | None,
    lead_id: int,
    name: str,
    expected_state: str | None = None,
    params: TransitionParams | None = None,
    system_actor_ok: bool = False,
) -> Lead:
    """Move a lead through its lifecycle.

    ``expected_state`` is the state the user saw when they chose the action: if the lead has
    moved since, nothing changes and ``LeadConflict`` says who moved it. ``actor=None`` is the
    system (periodic tasks) and needs ``system_actor_ok``.
    """
    if name not in TRANSITION_FIELDS:
        raise LeadInvalid(_("Unknown action '%(name)s'.") % {"name": name})
    params = params or TransitionParams()
    now = timezone.now()
    with transaction.atomic():
        if actor is None:
            if not system_actor_ok:
                raise LeadForbidden(_("An actor is required."))
            lead = Lead.objects.select_for_update().get(pk=lead_id)
        else:
            lead = _lock(actor, lead_id)
        from_state = lead.state
        if expected_state and expected_state != from_state:
            raise LeadConflict(
                _(
                    "This lead was moved from %(old)s to %(new)s by %(who)s. Nothing was changed; "
                    "look at its current state and try again if it still makes sense."
                )
                % {
                    "old": _state_label(expected_state),
                    "new": _state_label(from_state),
                    "who": _last_changer(lead, [EventKind.TRANSITION]),
                }
            )
        method = getattr(lead, name)
        if not can_proceed(method):
            raise LeadConflict(
                _("This action is not possible while the lead is %(state)s.")
                % {"state": _state_label(from_state)}
            )
        if actor is not None and not has_transition_perm(method, actor):
            raise LeadForbidden(_("You are not allowed to do this on this lead."))
        kwargs = _transition_kwargs(
            lead, name, params, now, system=actor is None or params.reason_by_system
        )
        # The reason's label goes on the timeline entry as it read then; the lead keeps its code.
        label = kwargs.pop("label", "")
        try:
            method(**kwargs)
        except TransitionNotAllowed as exc:  # pragma: no cover - guarded by can_proceed
            raise LeadConflict(str(exc)) from exc
        lead.state_changed_at = now
        fields = _touch(lead, now, ["state", "state_changed_at", *TRANSITION_FIELDS[name]])
        try:
            with transaction.atomic():
                _save(lead, fields)
        except IntegrityError as exc:
            # Only "one active lead per prospect" can fail here: reopening a scrapped lead
            # whose prospect has a newer active lead.
            raise LeadConflict(
                _("This prospect already has another active lead; work that one instead.")
            ) from exc
        payload = {"transition": name}
        body = ""
        if name == "disqualify":
            payload["reason"] = kwargs["reason"]
            payload["reason_label"] = label
            body = kwargs["note"]
        if name == "reject":
            payload["reason"] = kwargs["reason"]
            payload["reason_code"] = kwargs["code"]
            payload["reason_label"] = label
            body = kwargs["reason"]
        if name == "nurture":
            payload["recycle_on"] = kwargs["recycle_on"].isoformat()
        if name == "hand_off":
            payload["ae_id"] = kwargs["ae"].pk
            payload["ae"] = str(kwargs["ae"])
            body = kwargs["brief"]
        lead_event_record(
            lead=lead,
            kind=EventKind.TRANSITION,
            actor=actor,
            at=now,
            from_state=from_state,
            to_state=lead.state,
            body=body,
            payload=payload,
        )
    return lead


def lead_recycle_due_nurture(*, today: date | None = None, batch_size: int = 500) -> int:
    """Return nurture leads whose recycle date has come to ``new``. Idempotent; safe to run
    from several workers at once (rows are claimed with SKIP LOCKED)."""
    today = today or timezone.localdate()
    done = 0
    while True:
        with transaction.atomic():
            leads = list(
                Lead.objects.select_for_update(skip_locked=True)
                .filter(state=LeadState.NURTURE, recycle_on__lte=today)
                .order_by("recycle_on", "id")[:batch_size]
            )
            if not leads:
                return done
            now = timezone.now()
            for lead in leads:
                lead.recycle()
                lead.state_changed_at = now
                _save(lead, _touch(lead, now, ["state", "state_changed_at", "recycle_on"]))
                lead_event_record(
                    lead=lead,
                    kind=EventKind.TRANSITION,
                    actor=None,
                    at=now,
                    from_state=LeadState.NURTURE,
                    to_state=LeadState.NEW,
                    body=_("Recycle date reached: back to new."),
                    payload={"transition": "recycle", "automatic": True},
                )
            done += len(leads)

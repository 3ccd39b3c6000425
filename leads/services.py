"""Writes. Every change to a lead goes through one of these functions: each locks the lead row,
checks, changes, saves with ``update_fields`` and records a timeline event in one transaction.

Errors are ``LeadError`` subclasses with a message meant for the person who acted; views turn
them into form errors or flash messages, never a 500.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from accounts.models import Role, User
from sdrcrm.errors import Conflict, DomainError, Invalid, NotAllowed

from . import fields as lead_fields
from .erasure import ERASED, event_erased_payload
from .models import (
    ACTIVE_STATES,
    CallOutcome,
    Company,
    DisqualifyReason,
    EventKind,
    Lead,
    LeadEvent,
    LeadSource,
    LeadState,
    Prospect,
    ProspectRole,
)
from .normalize import normalize_domain, normalize_email, normalize_name
from .selectors import lead_scope, user_works_lead


class LeadError(DomainError):
    """A change that could not be made; ``str(error)`` is shown to the user."""


class LeadConflict(LeadError, Conflict):
    """Someone else changed the lead first."""


class LeadForbidden(LeadError, NotAllowed):
    """The user may see the lead but not make this change."""


class LeadInvalid(LeadError, Invalid):
    """The input is wrong; ``field`` names the form field when there is one."""


class DuplicateProspect(LeadInvalid):
    def __init__(self, message: str, existing_lead_id: int | None = None):
        super().__init__(message, field="email")
        self.existing_lead_id = existing_lead_id


# --- Internals ----------------------------------------------------------------------------


def lead_event_record(
    *,
    lead: Lead,
    kind: str,
    actor: User | None,
    at: datetime | None = None,
    from_state: str = "",
    to_state: str = "",
    body: str = "",
    payload: dict | None = None,
) -> LeadEvent:
    """Append one entry to a lead's timeline. Call inside the transaction of the change."""
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=actor,
        created_at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        body=body,
        payload=payload or {},
    )


def lead_events_erase(*, events: QuerySet[LeadEvent]) -> int:
    """Erase the personal data of these timeline entries (the privacy app's erasure, inside its
    transaction): blank the body and keep of the payload only what leads/erasure.py lists,
    the structure the dashboards and the commission report are built from. Entries erased
    before are left as they are. The trigger on the table allows exactly this update.
    Returns the number of entries erased."""
    rows = list(
        events.filter(~Q(payload__has_key=ERASED)).only("id", "kind", "payload").order_by("pk")
    )
    for event in rows:
        event.body = ""
        event.payload = event_erased_payload(event.kind, event.payload)
    LeadEvent.objects.bulk_update(rows, ["body", "payload"], batch_size=500)
    return len(rows)


def _lock(actor: User, lead_id: int) -> Lead:
    """Lock the lead row, starting from what ``actor`` may see (404 otherwise)."""
    try:
        return lead_scope(actor).select_for_update(of=("self",)).get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("No such lead") from None


def _touch(lead: Lead, now: datetime, fields: list[str]) -> list[str]:
    lead.version = F("version") + 1
    lead.updated_at = now
    return [*fields, "version", "updated_at"]


def _save(lead: Lead, fields: list[str]) -> None:
    lead.save(update_fields=fields)
    lead.refresh_from_db(fields=["version"])


# The events of changes that bump ``Lead.version``.
VERSIONED_KINDS = (EventKind.TRANSITION, EventKind.EDIT, EventKind.ASSIGNMENT, EventKind.CHECKLIST)


def _last_changer(lead: Lead, kinds=VERSIONED_KINDS) -> str:
    event = (
        lead.events.filter(kind__in=kinds)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if event is None:
        return "someone else"
    who = str(event.actor) if event.actor else "the system"
    return f"{who} at {timezone.localtime(event.created_at):%H:%M}"


def _state_label(state: str) -> str:
    return LeadState(state).label


# --- Transitions --------------------------------------------------------------------------

TRANSITION_FIELDS = {
    "start_research": [],
    "start_contacting": [],
    "engage": [],
    "qualify": ["qualified_at"],
    "hand_off": [
        "assigned_ae",
        "handed_off_at",
        "handoff_brief",
        "rejection_reason",
        "rejected_at",
    ],
    "accept": ["accepted_at"],
    "reject": ["rejection_reason", "rejected_at", "assigned_ae", "handed_off_at"],
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
    reason: str = ""
    note: str = ""
    recycle_on: date | None = None
    ae_id: int | None = None
    brief: str = ""


def _transition_kwargs(lead: Lead, name: str, p: TransitionParams, now: datetime) -> dict:
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
            raise LeadInvalid("Choose an account executive of this team.", field="ae")
        return {"at": now, "ae": ae, "brief": p.brief.strip()}
    if name == "reject":
        if not p.reason.strip():
            raise LeadInvalid("Say why you reject the lead: the SDR reads it.", field="reason")
        return {"at": now, "reason": p.reason.strip()}
    if name == "disqualify":
        if p.reason not in DisqualifyReason.values:
            raise LeadInvalid("Choose a reason for disqualifying.", field="reason")
        if p.reason == DisqualifyReason.OTHER and not p.note.strip():
            raise LeadInvalid("Describe the reason when you choose 'Other'.", field="note")
        return {"at": now, "reason": p.reason, "note": p.note.strip()}
    if name == "nurture":
        if p.recycle_on is None or p.recycle_on <= timezone.localdate(now):
            raise LeadInvalid("Choose a recycle date in the future.", field="recycle_on")
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
        raise LeadInvalid(f"Unknown action '{name}'.")
    params = params or TransitionParams()
    now = timezone.now()
    with transaction.atomic():
        if actor is None:
            if not system_actor_ok:
                raise LeadForbidden("An actor is required.")
            lead = Lead.objects.select_for_update().get(pk=lead_id)
        else:
            lead = _lock(actor, lead_id)
        from_state = lead.state
        if expected_state and expected_state != from_state:
            raise LeadConflict(
                f"This lead was moved from {_state_label(expected_state)} to "
                f"{_state_label(from_state)} by {_last_changer(lead, [EventKind.TRANSITION])}. "
                "Nothing was changed; "
                "look at its current state and try again if it still makes sense."
            )
        method = getattr(lead, name)
        if not can_proceed(method):
            raise LeadConflict(
                f"This action is not possible while the lead is {_state_label(from_state)}."
            )
        if actor is not None and not has_transition_perm(method, actor):
            raise LeadForbidden("You are not allowed to do this on this lead.")
        kwargs = _transition_kwargs(lead, name, params, now)
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
                "This prospect already has another active lead; work that one instead."
            ) from exc
        payload = {"transition": name}
        body = ""
        if name in ("disqualify", "reject"):
            payload["reason"] = kwargs["reason"]
            body = kwargs.get("note", "") if name == "disqualify" else kwargs["reason"]
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
                    body="Recycle date reached: back to new.",
                    payload={"transition": "recycle", "automatic": True},
                )
            done += len(leads)


# --- Notes, calls, research ---------------------------------------------------------------


def _require_works(actor: User, lead: Lead) -> None:
    if not user_works_lead(actor, lead):
        raise LeadForbidden("Only the lead's SDR or a manager of its team can do this.")


def lead_add_note(*, actor: User, lead_id: int, body: str) -> LeadEvent:
    body = body.strip()
    if not body:
        raise LeadInvalid("Write something in the note.", field="body")
    if len(body) > 10_000:
        raise LeadInvalid("A note is at most 10,000 characters.", field="body")
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        if not (lead.assigned_ae_id == actor.id):
            _require_works(actor, lead)
        return lead_event_record(lead=lead, kind=EventKind.NOTE, actor=actor, body=body)


def lead_log_call(*, actor: User, lead_id: int, outcome: str, notes: str = "") -> LeadEvent:
    if outcome not in CallOutcome.values:
        raise LeadInvalid("Choose the call's outcome.", field="outcome")
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        _require_works(actor, lead)
        event = lead_event_record(
            lead=lead,
            kind=EventKind.CALL,
            actor=actor,
            body=notes.strip(),
            payload={"outcome": outcome, "outcome_label": CallOutcome(outcome).label},
        )
        # A booked meeting means the prospect answered: the lead is engaged (which also ends
        # its cadence: cadences stop for leads that leave contacting).
        if outcome == CallOutcome.MEETING_BOOKED and lead.state in (
            LeadState.RESEARCHING,
            LeadState.CONTACTING,
        ):
            lead_transition(actor=actor, lead_id=lead.pk, name="engage")
        return event


def lead_set_checklist_item(*, actor: User, lead_id: int, item: str, done: bool) -> Lead:
    """Tick or untick one research checklist item. Setting it to what it already is
    changes nothing and records nothing (a double click is harmless)."""
    names = dict(Lead.CHECKLIST_FIELDS)
    if item not in names:
        raise LeadInvalid("Unknown checklist item.")
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        _require_works(actor, lead)
        if getattr(lead, item) == done:
            return lead
        setattr(lead, item, done)
        now = timezone.now()
        _save(lead, _touch(lead, now, [item]))
        lead_event_record(
            lead=lead,
            kind=EventKind.CHECKLIST,
            actor=actor,
            at=now,
            body=f"{names[item]}: {'done' if done else 'not done'}",
            payload={"item": item, "done": done},
        )
    return lead


# --- Assignment ---------------------------------------------------------------------------


def lead_claim(*, actor: User, lead_id: int) -> Lead:
    """An SDR/BDR takes a lead from the team's unassigned pool. First click wins."""
    if not actor.is_prospector:
        raise LeadForbidden("Only SDRs and BDRs claim leads from the pool.")

    with transaction.atomic():
        # Lock among the team's leads, not the claimer's scope: a lead someone else claimed
        # has left that scope, and the loser should hear who was first, not get a 404.
        team_leads = (
            Lead.objects.filter(team_id=actor.team_id)
            if actor.is_active and actor.team_id is not None
            else Lead.objects.none()
        )
        try:
            lead = team_leads.select_for_update(of=("self",)).get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise Http404("No such lead") from None
        if lead.owner_id is not None:
            if lead.owner_id == actor.id:
                return lead
            raise LeadConflict(f"{lead.owner} claimed this lead first.")
        lead.owner = actor
        now = timezone.now()
        _save(lead, _touch(lead, now, ["owner"]))
        lead_event_record(
            lead=lead,
            kind=EventKind.ASSIGNMENT,
            actor=actor,
            at=now,
            body=f"Claimed by {actor}",
            payload={"from_owner_id": None, "to_owner_id": actor.pk, "claim": True},
        )
    return lead


def lead_bulk_assign(*, actor: User, lead_ids: list[int], owner_id: int | None) -> int:
    """A manager assigns leads of their team to one SDR/BDR (or back to the pool).
    Returns how many leads changed owner; leads outside the manager's scope are ignored."""
    if not (actor.is_manager or actor.is_admin_role):
        raise LeadForbidden("Only managers assign leads.")
    lead_ids = sorted({int(i) for i in lead_ids})
    if not lead_ids:
        raise LeadInvalid("Select at least one lead.", field="lead_ids")
    owner = None
    if owner_id is not None:
        owners = User.objects.filter(pk=owner_id, role__in=[Role.SDR, Role.BDR], is_active=True)
        if not actor.is_admin_role:
            owners = owners.filter(team_id=actor.team_id)
        owner = owners.first()
        if owner is None:
            raise LeadInvalid("Choose an SDR or BDR of your team.", field="owner")
    changed = 0
    with transaction.atomic():
        leads = list(
            lead_scope(actor)
            .select_for_update(of=("self",))
            .filter(pk__in=lead_ids)
            .select_related("owner")
            .order_by("pk")
        )
        now = timezone.now()
        for lead in leads:
            if owner is not None and lead.team_id != owner.team_id:
                continue
            if lead.owner_id == (owner.pk if owner else None):
                continue
            previous = lead.owner
            lead.owner = owner
            _save(lead, _touch(lead, now, ["owner"]))
            lead_event_record(
                lead=lead,
                kind=EventKind.ASSIGNMENT,
                actor=actor,
                at=now,
                body=f"Assigned to {owner or 'the unassigned pool'}"
                + (f" (was {previous})" if previous else ""),
                payload={
                    "from_owner_id": previous.pk if previous else None,
                    "to_owner_id": owner.pk if owner else None,
                },
            )
            changed += 1
    return changed


# --- Create and edit ----------------------------------------------------------------------

PROSPECT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "role",
    "is_decision_maker",
    "linkedin_url",
    "time_zone",
    "do_not_contact",
)
COMPANY_FIELDS = (
    "name",
    "website",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "time_zone",
    "linkedin_url",
)


@dataclass
class LeadData:
    """What a person types to create or edit a lead. Company fields are prefixed company_.

    Always clean: construction passes every field through its gate in ``leads.fields`` (the
    same functions the forms, the API and the import call) and raises ``LeadInvalid`` naming
    the first field refused, so no path can store what another would refuse."""

    first_name: str
    last_name: str = ""
    email: str = ""
    phone: str = ""
    title: str = ""
    role: str = ""
    is_decision_maker: bool = False
    linkedin_url: str = ""
    time_zone: str = ""
    do_not_contact: bool = False
    company_name: str = ""
    company_website: str = ""
    company_domain: str = ""
    company_industry: str = ""
    company_employee_count: int | None = None
    company_annual_revenue: int | None = None
    company_country: str = ""
    company_time_zone: str = ""
    company_linkedin_url: str = ""
    source: str = LeadSource.OUTBOUND
    owner_id: int | None = None

    def __post_init__(self):
        for name, gate in lead_fields.LEAD_FIELDS.items():
            try:
                setattr(self, name, gate(getattr(self, name)))
            except ValidationError as exc:
                raise LeadInvalid(exc.messages[0], field=name) from None
        self.role = self.role or ""
        if self.role not in ProspectRole.values:
            raise LeadInvalid(_("Choose a buying role from the list."), field="role")


def _clean_prospect_values(data: LeadData) -> dict:
    values = {f: getattr(data, f) for f in PROSPECT_FIELDS}
    values["first_name"] = normalize_name(values["first_name"])
    values["last_name"] = normalize_name(values["last_name"])
    values["email"] = normalize_email(values["email"])
    if not values["first_name"]:
        raise LeadInvalid("The prospect needs a first name.", field="first_name")
    return values


def _company_values(data: LeadData, *, fallback_name: str) -> dict:
    return {
        "name": normalize_name(data.company_name) or fallback_name,
        "website": data.company_website.strip(),
        "industry": normalize_name(data.company_industry),
        "employee_count": data.company_employee_count,
        "annual_revenue": data.company_annual_revenue,
        "country": data.company_country.strip().upper(),
        "time_zone": data.company_time_zone.strip(),
        "linkedin_url": data.company_linkedin_url.strip(),
    }


def _company_for(data: LeadData, *, team_id: int) -> tuple[Company | None, bool]:
    """Find the team's company by normalised domain or create it for the team. Returns
    (company, matched). Another team's company with the same domain is never used."""
    name = normalize_name(data.company_name)
    domain = normalize_domain(data.company_domain or data.company_website)
    if (data.company_domain or data.company_website) and domain is None:
        raise LeadInvalid("That website is not a valid domain.", field="company_website")
    if not name and not domain:
        return None, False
    values = _company_values(data, fallback_name=domain)
    if domain:
        try:
            with transaction.atomic():
                company, created = Company.objects.get_or_create(
                    team_id=team_id, domain=domain, defaults=values
                )
        except IntegrityError:  # created concurrently
            company, created = Company.objects.get(team_id=team_id, domain=domain), False
        if not created:
            # Fill what the existing company lacks; never overwrite what someone recorded.
            missing = [
                k for k, v in values.items() if v not in ("", None) and not getattr(company, k)
            ]
            for k in missing:
                setattr(company, k, values[k])
            if missing:
                company.save(update_fields=missing)
        return company, not created
    return Company.objects.create(team_id=team_id, domain=None, **values), False


@dataclass
class LeadMade:
    lead: Lead | None  # the new lead, or None when the prospect already has an active lead
    existing: Lead | None = None  # that active lead (always of the same team)
    prospect_known: bool = False  # the team knew the person from an earlier lead
    company_matched: Company | None = None


def _lead_make(
    *,
    team_id: int,
    owner_id: int | None,
    data: LeadData,
    prospect_values: dict,
    at: datetime,
    actor: User | None,
    body: str,
    payload: dict,
) -> LeadMade:
    """The one routine that creates a lead, whoever asks (a person by hand or through the API,
    the web form; the list import writes the same rows set-based in ``intake.engine``). Call
    inside a transaction. A team is a workspace: the prospect and company are found by email
    and domain among the team's own rows only, and created for the team when it has none, so
    nothing another team recorded is read, linked or changed."""
    prospect = None
    if prospect_values["email"]:
        prospect = (
            Prospect.objects.select_for_update()
            .filter(team_id=team_id, email=prospect_values["email"])
            .first()
        )
    if prospect is not None:
        active = prospect.leads.filter(state__in=ACTIVE_STATES).first()
        if active is not None:
            return LeadMade(lead=None, existing=active, prospect_known=True)
    company, matched = _company_for(data, team_id=team_id)
    if prospect is None:
        prospect = Prospect.objects.create(team_id=team_id, company=company, **prospect_values)
        known = False
    else:
        known = True
        if company is not None and prospect.company_id is None:
            prospect.company = company
            prospect.save(update_fields=["company"])
    lead = Lead.objects.create(
        team_id=team_id,
        prospect=prospect,
        source=data.source,
        owner_id=owner_id,
        created_at=at,
        updated_at=at,
        state_changed_at=at,
    )
    lead_event_record(
        lead=lead, kind=EventKind.CREATED, actor=actor, at=at, to_state=lead.state, body=body,
        payload={"source": data.source, "owner_id": owner_id, **payload},
    )  # fmt: skip
    return LeadMade(
        lead=lead, prospect_known=known, company_matched=company if matched else None
    )


def lead_create(*, actor: User, data: LeadData) -> tuple[Lead, list[str]]:
    """Create a lead by hand. Returns the lead and notices for the user (e.g. the company
    was matched by its domain). A prospect of the team whose email already has an active lead
    is refused, naming that lead if the user may see it."""
    if not (actor.is_prospector or actor.is_manager or actor.is_admin_role):
        raise LeadForbidden("Your role cannot create leads.")
    if actor.team_id is None:
        raise LeadForbidden("You need to belong to a team to create leads.")
    if data.source not in LeadSource.values:
        raise LeadInvalid("Choose a source.", field="source")
    prospect_values = _clean_prospect_values(data)
    owner_id = data.owner_id
    if actor.is_prospector:
        owner_id = actor.pk if owner_id in (None, actor.pk) else owner_id
        if owner_id != actor.pk:
            raise LeadForbidden("SDRs create leads for themselves.")
    elif (
        owner_id is not None
        and not User.objects.filter(
            pk=owner_id, team_id=actor.team_id, role__in=[Role.SDR, Role.BDR], is_active=True
        ).exists()
    ):
        raise LeadInvalid("Choose an SDR or BDR of your team.", field="owner")
    notices: list[str] = []
    try:
        with transaction.atomic():
            made = _lead_make(
                team_id=actor.team_id, owner_id=owner_id, data=data,
                prospect_values=prospect_values, at=timezone.now(), actor=actor,
                body=f"Created by hand ({LeadSource(data.source).label})", payload={},
            )  # fmt: skip
            if made.lead is None:
                active = made.existing
                visible = lead_scope(actor).filter(pk=active.pk).exists()
                raise DuplicateProspect(
                    "A lead for this email already exists"
                    + (f" (lead #{active.pk})." if visible else " in your team."),
                    existing_lead_id=active.pk if visible else None,
                )
    except IntegrityError as exc:  # a concurrent create of the same prospect won the race
        raise DuplicateProspect("A lead for this email was just created by someone else.") from exc
    if made.prospect_known:
        notices.append(
            "This prospect was known from an earlier lead: the new lead shares their history."
        )
    if made.company_matched is not None:
        company = made.company_matched
        notices.append(f"Linked to the existing company {company.name} ({company.domain}).")
    return made.lead, notices


def lead_create_inbound(
    *, team_id: int, owner_id: int | None, data: LeadData, at: datetime, body: str, payload: dict
) -> tuple[Lead | None, Lead | None]:
    """A lead captured by the system (an inbound web form), not by a person. Call inside a
    transaction. Returns (new lead, None), or (None, the prospect's existing active lead) when
    the team's prospect with this email already has one."""
    made = _lead_make(
        team_id=team_id, owner_id=owner_id, data=data,
        prospect_values=_clean_prospect_values(data), at=at, actor=None, body=body,
        payload=payload,
    )  # fmt: skip
    return made.lead, made.existing


def _company_apply(company: Company, data: LeadData) -> dict[str, list]:
    """Write the form's company fields onto ``company``; return the changes."""
    values = _company_values(data, fallback_name=company.name)
    changes = {}
    for name, value in values.items():
        old = getattr(company, name)
        old_s = "" if old is None else str(old)
        new_s = "" if value is None else str(value)
        if old_s != new_s:
            changes[f"company_{name}"] = [old_s, new_s]
            setattr(company, name, value)
    if changes:
        company.save(update_fields=[k.removeprefix("company_") for k in changes])
    return changes


def lead_update(*, actor: User, lead_id: int, expected_version: int, data: LeadData) -> Lead:
    """Edit the prospect and company behind a lead. Refused with ``LeadConflict`` if the lead
    changed since the form was opened, so no one's edit is silently overwritten."""
    prospect_values = _clean_prospect_values(data)
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        _require_works(actor, lead)
        if lead.version != expected_version:
            raise LeadConflict(
                f"This lead was changed by {_last_changer(lead)} after you opened the form. "
                "Nothing was saved: reload it and make your change again."
            )
        prospect = Prospect.objects.select_for_update().get(pk=lead.prospect_id)
        if prospect_values["email"] and prospect_values["email"] != prospect.email:
            clash = Prospect.objects.filter(
                team_id=prospect.team_id, email=prospect_values["email"]
            ).exclude(pk=prospect.pk)
            if clash.exists():
                raise DuplicateProspect("Another prospect already has this email.")
        changes: dict[str, list] = {}
        for name, value in prospect_values.items():
            if getattr(prospect, name) != value:
                changes[name] = [getattr(prospect, name), value]
                setattr(prospect, name, value)
        current = Company.objects.select_for_update().filter(pk=prospect.company_id).first()
        new_domain = normalize_domain(data.company_domain or data.company_website)
        if (data.company_domain or data.company_website) and new_domain is None:
            raise LeadInvalid("That website is not a valid domain.", field="company_website")
        has_company = bool(normalize_name(data.company_name) or new_domain)
        if current is not None and has_company and new_domain == current.domain:
            changes.update(_company_apply(current, data))
        elif not has_company:
            if current is not None:
                changes["company"] = [current.name, ""]
                prospect.company = None
        else:
            company, _matched = _company_for(data, team_id=prospect.team_id)
            changes["company"] = [current.name if current else "", company.name]
            prospect.company = company
        if not changes and data.source == lead.source:
            return lead
        try:
            prospect.save()
        except IntegrityError as exc:  # the email was taken by a concurrent create or edit
            raise DuplicateProspect("Another prospect already has this email.") from exc
        fields = []
        if data.source != lead.source:
            if data.source not in LeadSource.values:
                raise LeadInvalid("Choose a source.", field="source")
            changes["source"] = [lead.source, data.source]
            lead.source = data.source
            fields.append("source")
        now = timezone.now()
        _save(lead, _touch(lead, now, fields))
        lead_event_record(
            lead=lead,
            kind=EventKind.EDIT,
            actor=actor,
            at=now,
            body="Edited " + ", ".join(k.replace("_", " ") for k in changes),
            payload={"changes": {k: [str(a or ""), str(b or "")] for k, (a, b) in changes.items()}},
        )
    return lead

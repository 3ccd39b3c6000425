"""The work on a lead that does not change its state: notes, calls, the research checklist."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..errors import LeadInvalid
from ..models import (
    CallOutcome,
    EventKind,
    Lead,
    LeadEvent,
    LeadState,
)
from .common import _lock, _require_works, _save, _touch
from .events import lead_event_record
from .transitions import lead_transition


def lead_add_note(*, actor: User, lead_id: int, body: str) -> LeadEvent:
    body = body.strip()
    if not body:
        raise LeadInvalid(_("Write something in the note."), field="body")
    if len(body) > 10_000:
        raise LeadInvalid(_("A note is at most 10,000 characters."), field="body")
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        if not (lead.assigned_ae_id == actor.id):
            _require_works(actor, lead)
        return lead_event_record(lead=lead, kind=EventKind.NOTE, actor=actor, body=body)


def lead_log_call(*, actor: User, lead_id: int, outcome: str, notes: str = "") -> LeadEvent:
    if outcome not in CallOutcome.values:
        raise LeadInvalid(_("Choose the call's outcome."), field="outcome")
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        _require_works(actor, lead)
        event = lead_event_record(
            lead=lead,
            kind=EventKind.CALL,
            actor=actor,
            body=notes.strip(),
            payload={"outcome": outcome, "outcome_label": str(CallOutcome(outcome).label)},
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
        raise LeadInvalid(_("Unknown checklist item."))
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
            body=(_("%(item)s: done") if done else _("%(item)s: not done")) % {"item": names[item]},
            payload={"item": item, "done": done},
        )
    return lead

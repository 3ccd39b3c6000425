"""Writes. Every change to a lead goes through one of these functions: each locks the lead row,
checks, changes, saves with ``update_fields`` and records a timeline event in one transaction.

By job: ``transitions`` (the lifecycle), ``activity`` (notes, calls, the checklist),
``assignment`` (claim, bulk assign), ``creation`` (``LeadData`` and the one routine that makes a
lead), ``update`` (editing), ``reasons`` (a team's lists of scrap and rejection reasons),
``events`` (the timeline and its erasure), ``common`` (locking and versioning, shared by the
others). The public names are re-exported here: callers import from
``leads.services``.

Errors are ``LeadError`` subclasses (``leads.errors``) with a message meant for the person who
acted; views turn them into form errors or flash messages, never a 500.
"""

from ..errors import DuplicateProspect, LeadConflict, LeadError, LeadForbidden, LeadInvalid
from ..fields import COMPANY_FIELDS, PROSPECT_FIELDS
from ..selectors import lead_scope, user_works_lead
from .activity import lead_add_note, lead_log_call, lead_set_checklist_item
from .assignment import lead_bulk_assign, lead_claim
from .common import VERSIONED_KINDS
from .creation import LeadData, LeadMade, lead_create, lead_create_inbound
from .events import lead_event_record, lead_events_erase
from .reasons import (
    reason_create,
    reason_move,
    reason_update,
    reason_validate,
    reasons_ensure,
)
from .transitions import (
    TRANSITION_FIELDS,
    TransitionParams,
    lead_recycle_due_nurture,
    lead_transition,
)
from .update import lead_update

__all__ = [
    "COMPANY_FIELDS",
    "PROSPECT_FIELDS",
    "TRANSITION_FIELDS",
    "VERSIONED_KINDS",
    "DuplicateProspect",
    "LeadConflict",
    "LeadData",
    "LeadError",
    "LeadForbidden",
    "LeadInvalid",
    "LeadMade",
    "TransitionParams",
    "lead_add_note",
    "lead_bulk_assign",
    "lead_claim",
    "lead_create",
    "lead_create_inbound",
    "lead_event_record",
    "lead_events_erase",
    "lead_log_call",
    "lead_recycle_due_nurture",
    "lead_scope",
    "lead_set_checklist_item",
    "lead_transition",
    "lead_update",
    "reason_create",
    "reason_move",
    "reason_update",
    "reason_validate",
    "reasons_ensure",
    "user_works_lead",
]

"""Writes for cadences, one module per job; the public names are re-exported here so that
callers import from ``cadences.services``.

- ``authoring``: cadence templates and snippets;
- ``enrollment``: enrolling a lead, and stopping, pausing, resuming and advancing an enrollment;
- ``company``: whether another SDR is working the lead's company (enrolling asks first);
- ``exits``: what ends an enrollment besides its last step (reply, bounce, unsubscribe,
  erasure, the lead moving on, no answer to the break-up);
- ``inbound``: what else a message read from the SDR's mailbox does (an automatic reply
  pauses until the person is back, a temporary failure counts and sends again, the SDR's own
  email in the thread);
- ``tasks``: manual touches and reminders;
- ``calls``: a call logged on the lead page, the same path as a call step done on Today;
- ``dispatch/``: the email dispatcher (``claim``, ``load``, ``caps``, ``send``, ``mailbox``,
  ``outcome``, ``record``, ``uncertain``, ``holds``, ``run`` with the periodic tick);
- ``digest``: the SDRs' morning digest.

The database is the record of every scheduled touch. The dispatcher claims due automatic-email
touches in batches with ``SELECT … FOR UPDATE SKIP LOCKED`` (marking them ``sending`` under a
lease, committed before anything is sent), sends them, and marks them sent in small chunks. A
worker killed mid-batch leaves its touches ``sending``; when the lease expires the tick puts them
back to ``scheduled`` and another worker sends them, with the same ``Message-ID`` (the touch's
idempotency key) so that the receiving side can drop a repeat of the at most one chunk that was
sent but not yet recorded.

Cadences react to the lead's state rather than the other way round (``leads`` knows nothing of
``cadences``): at send time, and on every tick, an enrollment whose lead is no longer
``contacting`` is stopped.
"""

from leads.services import LeadConflict, LeadForbidden, LeadInvalid
from suppression.services import email_is_suppressed, suppressed_emails, suppression_add

from ..errors import CadenceError, CadenceForbidden, CadenceInvalid, CompanyWorked
from ..projection import touch_due_after, touches_project
from .authoring import (
    CadenceData,
    StepData,
    cadence_copy,
    cadence_create,
    cadence_ensure_standard,
    cadence_set_archived,
    cadence_update,
    cadence_validate_steps,
    content_language,
    snippet_save,
    snippets_ensure_standard,
)
from .calls import lead_call_log
from .company import WORKING_STATES, company_workers
from .digest import digest_send_due
from .dispatch import (
    Claim,
    DispatchStats,
    has_due_emails,
    has_uncertain_due,
    tick,
    touch_claim_due_emails,
    touch_dispatch_due,
    touch_mark_manual_due,
    touch_recover_expired_leases,
    touch_release_mailbox_holds,
    touch_resolve_uncertain,
    touch_send_claimed,
    touch_settle_uncertain,
)
from .disqualified import touch_override_disqualifier, touch_scrap_disqualified
from .enrollment import (
    ENROLLABLE_STATES,
    BulkResult,
    enrollment_bulk_create,
    enrollment_create,
    enrollment_pause,
    enrollment_pause_all,
    enrollment_pause_until,
    enrollment_resume,
    enrollment_resume_all,
    enrollment_resume_due,
    enrollment_stop,
)
from .exits import (
    email_record_bounce,
    email_record_complaint,
    email_record_erasure,
    email_record_unsubscribe,
    enrollment_scrap_unanswered,
    enrollment_stop_for_moved_leads,
    lead_record_colleague_reply,
    lead_record_reply,
)
from .inbound import (
    SoftBounce,
    auto_reply_resume_at,
    email_record_soft_bounce,
    lead_record_auto_reply,
    lead_record_sdr_email,
)
from .tasks import (
    FOLLOW_UP_OUTCOMES,
    OUTCOMES_BY_CHANNEL,
    TaskResult,
    follow_up_at,
    reminder_create,
    reminder_done,
    touch_complete,
    touch_release_held,
    touch_skip,
)

__all__ = [
    "ENROLLABLE_STATES",
    "FOLLOW_UP_OUTCOMES",
    "OUTCOMES_BY_CHANNEL",
    "WORKING_STATES",
    "BulkResult",
    "CadenceData",
    "CadenceError",
    "CadenceForbidden",
    "CadenceInvalid",
    "Claim",
    "CompanyWorked",
    "DispatchStats",
    "SoftBounce",
    "LeadConflict",
    "LeadForbidden",
    "LeadInvalid",
    "StepData",
    "TaskResult",
    "auto_reply_resume_at",
    "cadence_copy",
    "cadence_create",
    "cadence_ensure_standard",
    "cadence_set_archived",
    "cadence_update",
    "cadence_validate_steps",
    "content_language",
    "company_workers",
    "digest_send_due",
    "email_is_suppressed",
    "email_record_bounce",
    "email_record_complaint",
    "email_record_erasure",
    "email_record_soft_bounce",
    "email_record_unsubscribe",
    "enrollment_bulk_create",
    "enrollment_create",
    "enrollment_pause",
    "enrollment_pause_all",
    "enrollment_pause_until",
    "enrollment_resume",
    "enrollment_resume_all",
    "enrollment_resume_due",
    "enrollment_scrap_unanswered",
    "enrollment_stop",
    "enrollment_stop_for_moved_leads",
    "follow_up_at",
    "has_due_emails",
    "has_uncertain_due",
    "lead_call_log",
    "lead_record_auto_reply",
    "lead_record_colleague_reply",
    "lead_record_reply",
    "lead_record_sdr_email",
    "reminder_create",
    "reminder_done",
    "snippet_save",
    "snippets_ensure_standard",
    "suppressed_emails",
    "suppression_add",
    "tick",
    "touch_claim_due_emails",
    "touch_complete",
    "touch_dispatch_due",
    "touch_due_after",
    "touch_mark_manual_due",
    "touch_recover_expired_leases",
    "touch_override_disqualifier",
    "touch_release_held",
    "touch_scrap_disqualified",
    "touch_release_mailbox_holds",
    "touch_resolve_uncertain",
    "touch_send_claimed",
    "touch_settle_uncertain",
    "touch_skip",
    "touches_project",
]

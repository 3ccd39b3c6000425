"""What erasing a person leaves of a timeline entry (privacy app, on request).

An erased entry keeps every column but ``body`` (blanked) and keeps from its ``payload`` only
the keys listed here for its kind: ids of users, touches, cadences and enrolments, states,
outcome and reason codes, numbers and times, from which every dashboard figure and the
commission report are built (dashboards/rollup.py). Names, addresses and free text go: the
body (notes, call notes, email subjects, the hand-off brief, the AE's rejection text), an
email's ``to`` address, a rejection's ``reason`` (the AE's own words, not a code), and the
values of an edit's ``changes`` (only the names of the changed fields are kept, as
``changed_fields``). A key not listed is dropped: a new key is personal until listed here.

The database trigger on ``leads_leadevent`` (leads migration 0001) refuses any UPDATE whose
result is not exactly this function of the old row, with the same list in SQL; keep both in
step (tests/privacy/test_erasure_keeps_figures.py runs every kind through both)."""

ERASED = "erased"
CHANGED_FIELDS = "changed_fields"

_TOUCH = tuple(
    "touch_id step channel outcome outcome_label skipped reminder_id cadence_id breakup".split()
)

KEPT_PAYLOAD_KEYS: dict[str, tuple[str, ...]] = {
    "created": ("source", "owner_id", "import_id", "line", "web_form_id", "captured_at"),
    # "reason" is a disqualification code; a rejection's reason is the AE's text (dropped),
    # its "reason_code" the team's reason. "reason_label" is the team's name for the reason.
    "transition": (
        "transition", "reason", "reason_code", "reason_label", "recycle_on", "ae_id", "ae",
        "automatic",
    ),
    "note": ("web_form_id",),
    "call": _TOUCH,
    "email": _TOUCH,
    "task": _TOUCH,
    "score": tuple("from to points model_version verdict disqualifiers decision override".split()),
    "assignment": ("from_owner_id", "to_owner_id", "claim"),
    "edit": ("import_id", "line", CHANGED_FIELDS),
    "checklist": ("item", "done"),
    "cadence": ("enrollment_id", "cadence_id", "action", "reason"),
    "reply": ("source", "matched_by", "inbound_message_id", "colleague"),
    # What the sync of the SDR's mailbox read (inbox app): codes, dates and ids; the sender's
    # address and the text are in the body, which goes.
    "auto_reply": ("source", "matched_by", "inbound_message_id", "return_on", "resume_at"),
    "bounce": (
        "source", "matched_by", "inbound_message_id", "touch_id", "status", "permanent", "count",
        "retry_at",
    ),
    "opt_out": ("source", "matched_by", "inbound_message_id"),
    "sdr_email": ("source", "matched_by", "inbound_message_id", "live"),
}


def event_erased_payload(kind: str, payload) -> dict:
    """The payload an erased entry of ``kind`` keeps of ``payload`` (idempotent)."""
    payload = payload if isinstance(payload, dict) else {}
    kept = KEPT_PAYLOAD_KEYS.get(kind, ())
    out = {
        k: v
        for k, v in payload.items()
        if k in kept
        and not (k == "reason" and kind == "transition" and payload.get("transition") == "reject")
    }
    if kind == "edit" and isinstance(payload.get("changes"), dict):
        out[CHANGED_FIELDS] = sorted(payload["changes"])
    out[ERASED] = True
    return out

"""The transition table and the expected outcome of each transition, shared by the transition
tests."""

from datetime import timedelta

from django.utils import timezone

from leads.models import DisqualifyReason, LeadEvent
from leads.services import (
    TransitionParams,
)

TABLE = {
    "new": {
        "start_research": "researching",
        "start_contacting": "contacting",
        "disqualify": "disqualified",
        "nurture": "nurture",
    },
    "researching": {
        "start_contacting": "contacting",
        "engage": "engaged",
        "qualify": "qualified",
        "disqualify": "disqualified",
        "nurture": "nurture",
    },
    "contacting": {
        "engage": "engaged",
        "qualify": "qualified",
        "disqualify": "disqualified",
        "nurture": "nurture",
    },
    "engaged": {"qualify": "qualified", "disqualify": "disqualified", "nurture": "nurture"},
    "qualified": {"hand_off": "handed_off", "disqualify": "disqualified", "nurture": "nurture"},
    "handed_off": {"accept": "accepted", "reject": "engaged"},
    "accepted": {},
    # Undo returns to the state it was scrapped from (``walk`` scraps from new).
    "disqualified": {"reopen": "new"},
    "nurture": {"disqualify": "disqualified", "recycle": "new"},
}
NAMES = [
    "start_research",
    "start_contacting",
    "engage",
    "qualify",
    "hand_off",
    "accept",
    "reject",
    "disqualify",
    "nurture",
    "recycle",
    "reopen",
]
ALLOWED = [(s, n, t) for s, moves in TABLE.items() for n, t in moves.items()]
DISALLOWED = [(s, n) for s in TABLE for n in NAMES if n not in TABLE[s]]
AE_TRANSITIONS = ("accept", "reject")

BRIEF = "Budget confirmed, wants a demo"
REJECTION = "Not a fit for our enterprise plan"
NOTE = "Frozen until Q3"


def in_two_weeks():
    return timezone.localdate() + timedelta(days=14)


def valid_params(name: str, ae) -> TransitionParams:
    if name == "hand_off":
        return TransitionParams(ae_id=ae.pk, brief=f"  {BRIEF}  ")
    if name == "reject":
        return TransitionParams(reason_code="not_qualified", reason=f"  {REJECTION}  ")
    if name == "disqualify":
        return TransitionParams(reason=DisqualifyReason.NO_BUDGET, note=f"  {NOTE}  ")
    if name == "nurture":
        return TransitionParams(recycle_on=in_two_weeks())
    return TransitionParams()


def expected_fields(name: str, at, ae, state: str = "") -> dict:
    return {
        "qualify": {"qualified_at": at},
        "hand_off": {
            "assigned_ae_id": ae.pk,
            "handed_off_at": at,
            "handoff_brief": BRIEF,
            "rejection_code": "",
            "rejection_reason": "",
            "rejected_at": None,
        },
        "accept": {"accepted_at": at},
        "reject": {
            "rejection_code": "not_qualified",
            "rejection_reason": REJECTION,
            "rejected_at": at,
            "assigned_ae_id": None,
            "handed_off_at": None,
        },
        "disqualify": {
            "disqualify_reason": DisqualifyReason.NO_BUDGET,
            "disqualify_note": NOTE,
            "disqualified_at": at,
            "disqualified_from": state,
            "recycle_on": None,
        },
        "nurture": {"recycle_on": in_two_weeks()},
        "recycle": {"recycle_on": None},
        "reopen": {
            "disqualify_reason": "",
            "disqualify_note": "",
            "disqualified_at": None,
            "disqualified_from": "",
        },
    }.get(name, {})


def expected_event(name: str, ae) -> tuple[str, dict]:
    """(body, payload) of the transition event."""
    if name == "hand_off":
        return BRIEF, {"transition": name, "ae_id": ae.pk, "ae": str(ae)}
    if name == "reject":
        return REJECTION, {
            "transition": name,
            "reason": REJECTION,
            "reason_code": "not_qualified",
            "reason_label": "Not qualified after all",
        }
    if name == "disqualify":
        return NOTE, {
            "transition": name,
            "reason": DisqualifyReason.NO_BUDGET,
            "reason_label": "No budget",
        }
    if name == "nurture":
        return "", {"transition": name, "recycle_on": in_two_weeks().isoformat()}
    return "", {"transition": name}


def event_ids(lead_id: int) -> list[int]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id).order_by("id").values_list("id", flat=True)
    )

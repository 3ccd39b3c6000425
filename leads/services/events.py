"""The timeline: append an event, erase the personal data of events."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User

from ..erasure import ERASED, event_erased_payload
from ..models import (
    Lead,
    LeadEvent,
)


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

"""Helpers of the API tests."""

from leads.models import Lead, LeadEvent


def lead_state(lead_id):
    """What a refused request must leave as it was: the lead's state, version, owner and the
    number of its timeline entries."""
    row = Lead.objects.filter(pk=lead_id).values("state", "version", "owner_id").get()
    return {**row, "events": LeadEvent.objects.filter(lead_id=lead_id).count()}

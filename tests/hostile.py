"""Helpers for the hostile-input tests: a count of every row a request could write, so that a
refused request can be shown to have written nothing."""

from api.models import ProcessedEvent
from cadences.models import Enrollment, Reminder, Touch
from intake.models import ImportJob, InboundCapture
from leads.models import Company, Lead, LeadEvent, Prospect
from suppression.models import Suppression

MODELS = [
    Lead,
    Prospect,
    Company,
    LeadEvent,
    Enrollment,
    Touch,
    Reminder,
    Suppression,
    ProcessedEvent,
    InboundCapture,
    ImportJob,
]


def row_counts() -> dict[str, int]:
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts["lead_versions"] = sum(Lead.objects.values_list("version", flat=True))
    return counts


def deep_json(depth: int) -> bytes:
    """An object nested ``depth`` levels deep: {"a": {"a": … {} … }}."""
    return b'{"a": ' * depth + b"{}" + b"}" * depth

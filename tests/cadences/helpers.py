"""Helpers for the cadence tests: moments in a time zone, cadences built through the services,
and snapshots that let a negative test assert that nothing at all happened."""

from datetime import datetime
from zoneinfo import ZoneInfo

from cadences.models import Cadence, CadenceStep, Channel, Enrollment, Reminder, Touch
from cadences.services import CadenceData, StepData, cadence_create, enrollment_create
from leads.models import Lead, LeadEvent, Prospect
from suppression.models import Suppression

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz=OSLO) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def local(moment: datetime, tz=OSLO) -> tuple:
    """(date, "HH:MM") of ``moment`` in ``tz``: short, exact and readable in assertions."""
    m = moment.astimezone(tz)
    return (m.date().isoformat(), m.strftime("%H:%M"))


def email(
    subject: str = "Hello {{ prospect.first_name }}",
    body: str = "Hi {{ prospect.first_name }},\n\nShall we talk?\n{{ sdr.full_name }}",
    day_offset: int = 0,
    **kwargs,
) -> StepData:
    return StepData(
        channel=Channel.AUTO_EMAIL,
        subject_template=subject,
        body_template=body,
        day_offset=day_offset,
        **kwargs,
    )


def task(channel: str = Channel.CALL, day_offset: int = 0, **kwargs) -> StepData:
    kwargs.setdefault("instructions", "Do it and log the outcome.")
    return StepData(channel=channel, day_offset=day_offset, **kwargs)


def make_cadence(actor, steps: list[StepData], name: str = "Test cadence", **kwargs) -> Cadence:
    return cadence_create(actor=actor, data=CadenceData(name=name, steps=steps, **kwargs))


def enroll(actor, lead: Lead, cadence: Cadence, start_at=None) -> Enrollment:
    return enrollment_create(actor=actor, lead_id=lead.pk, cadence_id=cadence.pk, start_at=start_at)


def touches(enrollment_or_lead) -> list[Touch]:
    field = "enrollment" if isinstance(enrollment_or_lead, Enrollment) else "lead"
    return list(
        Touch.objects.filter(**{field: enrollment_or_lead}).order_by("enrollment", "position")
    )


def statuses(enrollment_or_lead) -> list[str]:
    return [t.status for t in touches(enrollment_or_lead)]


def events(lead: Lead, kind: str | None = None) -> list[LeadEvent]:
    qs = LeadEvent.objects.filter(lead_id=lead.pk).order_by("id")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


def cadence_snapshot() -> dict:
    """Every cadence row that a service could write, and every lead and timeline row."""
    return {
        "cadences": list(Cadence.objects.order_by("pk").values()),
        "enrollments": list(Enrollment.objects.order_by("pk").values()),
        "touches": list(Touch.objects.order_by("pk").values()),
        "suppressions": list(Suppression.objects.order_by("pk").values()),
        "reminders": list(Reminder.objects.order_by("pk").values()),
        "steps": list(CadenceStep.objects.order_by("pk").values()),
        "leads": list(Lead.objects.order_by("pk").values()),
        "prospects": list(Prospect.objects.order_by("pk").values()),
        "events": list(LeadEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }

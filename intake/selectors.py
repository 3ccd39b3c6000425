"""Reads for lead intake. Every query starts from the user."""

from django.db.models import QuerySet

from accounts.models import User
from leads.models import EventKind, Lead, LeadEvent, LeadSource, LeadState
from leads.selectors import TOUCH_EVENT_Q

from .models import (
    CaptureOutcome,
    ImportIssue,
    ImportJob,
    ImportStatus,
    InboundCapture,
    IssueKind,
    WebForm,
)


def import_scope(user: User) -> QuerySet[ImportJob]:
    """Imports a user may see: admins all; managers and marketing their team's; SDRs their own.
    Deny by default."""
    qs = ImportJob.objects.select_related("team", "created_by")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.team_id is None:
        return qs.none()
    if user.is_manager or user.is_marketing:
        return qs.filter(team_id=user.team_id)
    if user.is_prospector:
        return qs.filter(team_id=user.team_id, created_by_id=user.pk)
    return qs.none()


def import_list(*, user: User, limit: int = 50) -> list[ImportJob]:
    return list(import_scope(user).order_by("-created_at", "-id")[:limit])


# How many of an import's new leads its page lists (the file's first rows; the lead list and
# its export have them all, for those who may see leads).
IMPORT_LEADS_SHOWN = 100
# What that list shows of a lead: the facts the file brought, who works it and where it is
# now. Nothing of the SDR's work (notes, calls, the timeline, the score and its answers,
# reasons, the brief): marketing sees this page, and marketing sees no lead.
IMPORT_LEAD_FIELDS = (
    "lead_id", "lead__state", "payload__line",
    "lead__prospect__first_name", "lead__prospect__last_name", "lead__prospect__title",
    "lead__prospect__email", "lead__prospect__company__name",
    "lead__owner__first_name", "lead__owner__last_name", "lead__owner__username",
)  # fmt: skip


def import_created_leads(*, job: ImportJob, limit: int = IMPORT_LEADS_SHOWN) -> list[dict]:
    """The first ``limit`` leads ``job`` created, in the file's order, as dicts of
    ``IMPORT_LEAD_FIELDS`` and ``state_label``; ``job`` comes from ``import_scope(user)``.
    Found by their "created" timeline entries, which name the import, among the entries made
    while it ran (index ``leadevent_kind_time``): one query."""
    if job.started_at is None:
        return []
    events = LeadEvent.objects.filter(
        kind=EventKind.CREATED,
        created_at__gte=job.started_at,
        payload__import_id=job.pk,
        lead__team_id=job.team_id,
    )
    if job.finished_at is not None:
        events = events.filter(created_at__lte=job.finished_at)
    rows = list(events.order_by("created_at", "id").values(*IMPORT_LEAD_FIELDS)[:limit])
    labels = dict(LeadState.choices)
    for row in rows:
        row["state_label"] = labels.get(row["lead__state"], row["lead__state"])
    return rows


def import_same_file_before(job: ImportJob) -> ImportJob | None:
    """The latest earlier import of the same file into the same team that got going."""
    return (
        ImportJob.objects.filter(team_id=job.team_id, file_sha256=job.file_sha256, pk__lt=job.pk)
        .exclude(status=ImportStatus.UPLOADED)
        .select_related("created_by")
        .order_by("-pk")
        .first()
    )


def import_issues(*, job: ImportJob, kind: str = IssueKind.REJECTED, limit: int | None = 100):
    qs = ImportIssue.objects.filter(job=job, kind=kind).order_by("line", "id")
    return list(qs[:limit]) if limit else qs.iterator(chunk_size=2000)


def webform_scope(user: User) -> QuerySet[WebForm]:
    if not user.is_authenticated or not user.is_active:
        return WebForm.objects.none()
    if user.is_admin_role:
        return WebForm.objects.select_related("team")
    if (user.is_manager or user.is_marketing) and user.team_id:
        return WebForm.objects.filter(team_id=user.team_id).select_related("team")
    return WebForm.objects.none()


def lead_inbound_capture(*, lead: Lead) -> tuple[InboundCapture | None, LeadEvent | None]:
    """The web-form capture that created ``lead`` and its first touch since (two queries), or
    (None, None) for a lead that did not come from a web form (no query)."""
    if lead.source != LeadSource.WEB_FORM:
        return None, None
    capture = (
        InboundCapture.objects.filter(lead=lead, outcome=CaptureOutcome.CREATED)
        .select_related("form")
        .first()
    )
    if capture is None:
        return None, None
    first = (
        # A touch as leads.selectors defines it: the dashboards' speed to lead agrees.
        LeadEvent.objects.filter(TOUCH_EVENT_Q, lead=lead, created_at__gte=capture.captured_at)
        .order_by("created_at", "id")
        .first()
    )
    return capture, first

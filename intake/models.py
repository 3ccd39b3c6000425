"""Lead intake: list imports (a job per uploaded file, stored in PostgreSQL so any worker can
read it) and inbound web-form capture.

An import is resumable: rows are written in batches, each batch in one transaction together with
the job's cursor (``rows_done``) and counters, so a worker killed half-way leaves a job that
continues where the last committed batch ended and never writes a row twice.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import LeadSource


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportPhase(models.TextChoices):
    SCAN = "scan", _("Reading the file")
    CHECK = "check", _("Checking every row")
    WRITE = "write", _("Importing")


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", _("Skip them")
    UPDATE_EMPTY = "update_empty", _("Fill in their empty fields")


class AssignmentRule(models.TextChoices):
    UNASSIGNED = "unassigned", _("Leave unassigned (team pool)")
    ONE = "one", _("Assign to one SDR")
    ROUND_ROBIN = "round_robin", _("Round-robin over chosen SDRs")
    BY_COUNTRY = "by_country", _("By country")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")


class ImportJob(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the command line",
    )
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField()
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=4, choices=FileFormat.choices)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header_row = models.PositiveIntegerField(default=0, help_text="0-based record index")
    columns = models.JSONField(default=list, help_text="The header cells, as read")
    mapping = models.JSONField(default=dict, help_text="column index (as text) -> field")

    source = models.CharField(
        max_length=20, choices=LeadSource.choices, default=LeadSource.MARKETING_LIST
    )
    assignment = models.CharField(
        max_length=20, choices=AssignmentRule.choices, default=AssignmentRule.UNASSIGNED
    )
    assignees = models.JSONField(default=list, help_text="SDR ids: one, or the round-robin")
    country_owners = models.JSONField(default=dict, help_text="ISO country -> SDR id")
    duplicates = models.CharField(
        max_length=20, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    all_or_nothing = models.BooleanField(default=False)

    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    phase = models.CharField(max_length=10, choices=ImportPhase.choices, blank=True)
    message = models.TextField(blank=True)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0, help_text="Data rows committed")
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["team", "-created_at"], name="import_team_created"),
            models.Index(fields=["file_sha256"], name="import_sha"),
            models.Index(
                fields=["lease_until"],
                name="import_active",
                condition=Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.file_name})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.rows_done / self.total_rows))

    @property
    def rows_per_second(self) -> int | None:
        if not self.started_at or not self.rows_done:
            return None
        end = self.finished_at or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return int(self.rows_done / seconds) if seconds > 0 else None


class ImportChunk(models.Model):
    """The uploaded file, in pieces of ``SDRCRM_IMPORT_CHUNK_BYTES``, so it is streamed both in
    and out and any worker on any machine can read it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "seq"], name="importchunk_unique_seq")
        ]

    def __str__(self) -> str:
        return f"Chunk {self.seq} of import {self.job_id}"


class IssueKind(models.TextChoices):
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


class ImportIssue(models.Model):
    """A row that was not imported (rejected, with the reason) or was a duplicate."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=IssueKind.choices)
    reason = models.TextField()
    data = models.JSONField(default=list, help_text="The row's cells (cut to a sane size)")

    class Meta:
        indexes = [models.Index(fields=["job", "kind", "line"], name="importissue_job_line")]

    def __str__(self) -> str:
        return f"Line {self.line}: {self.reason}"


def _token() -> str:
    return secrets.token_urlsafe(24)


class WebForm(models.Model):
    """An inbound capture endpoint a team's website posts to: /in/<token>/."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="web_forms")
    name = models.CharField(max_length=100)
    token = models.CharField(max_length=64, unique=True, default=_token)
    redirect_url = models.URLField(
        max_length=300, blank=True, help_text="Where the visitor goes after posting (optional)"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class InboundRotation(models.Model):
    """Round-robin position for a team's inbound leads (locked while choosing the next SDR)."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, primary_key=True)
    last_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Inbound rotation of team {self.team_id}"


class CaptureOutcome(models.TextChoices):
    CREATED = "created", _("New lead")
    EXISTING = "existing", _("Existing lead (noted on it)")
    # Kept for rows recorded when teams shared prospects; never made now: a team's form looks
    # only at the team's own people.
    ELSEWHERE = "elsewhere", _("Prospect already worked by another team")


class InboundCapture(models.Model):
    """One accepted web-form submission; speed to lead runs from ``captured_at``."""

    form = models.ForeignKey(WebForm, on_delete=models.PROTECT, related_name="captures")
    lead = models.ForeignKey(
        "leads.Lead", null=True, on_delete=models.PROTECT, related_name="captures"
    )
    captured_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=CaptureOutcome.choices)
    fields = models.JSONField(default=dict)
    referrer = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lead", "captured_at"], name="capture_lead")]

    def __str__(self) -> str:
        return f"Capture {self.pk} from {self.form_id}"

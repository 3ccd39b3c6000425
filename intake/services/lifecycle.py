"""An import job's life around the run: claimed under a lease kept by heartbeats, failed with a
message, released for a retry, summed up; the periodic sweep that re-enqueues lost runs and
applies the retention periods."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sdrcrm.tasks import enqueue

from ..models import (
    ImportChunk,
    ImportIssue,
    ImportJob,
    ImportStatus,
)
from . import start

log = logging.getLogger(__name__)


def _claim(job_id: int) -> ImportJob | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SDRCRM_IMPORT_LEASE_SECONDS)
    with transaction.atomic():
        claimable = Q(status=ImportStatus.QUEUED) | Q(
            status=ImportStatus.RUNNING, lease_until__lt=now
        )
        n = ImportJob.objects.filter(claimable, pk=job_id).update(
            status=ImportStatus.RUNNING, lease_until=lease
        )
        if not n:
            return None
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.attempts >= settings.SDRCRM_IMPORT_MAX_ATTEMPTS:
            # Each run that did not finish (a crash, a worker killed, a database error) ended
            # here again: stop trying rather than fail the same way for ever.
            log.error("import %s: given up after %s attempts", job_id, job.attempts)
            _fail(job, _gave_up_message(job))
            return job
        job.attempts += 1
        if job.started_at is None:
            job.started_at = now
        job.save(update_fields=["attempts", "started_at"])
    return job


def _kept(job: ImportJob) -> str:
    if not job.created_count and not job.updated_count:
        return _("Nothing was imported.")
    return _(
        "What was imported before it stopped is kept (%(summary)s); upload the file again to "
        "import the rest: the rows already imported will count as duplicates."
    ) % {"summary": import_summary(job).rstrip(".")}


def _gave_up_message(job: ImportJob) -> str:
    return " ".join([
        _("The import stopped: it was tried %(n)s times and could not finish.")
        % {"n": job.attempts},
        _kept(job),
        _("If it happens again, tell your administrator."),
    ])  # fmt: skip


def _error_message(job: ImportJob) -> str:
    return " ".join([
        _("The import stopped because of an unexpected error; it was logged for your "
          "administrator."),
        _kept(job),
    ])  # fmt: skip


class LostLease(Exception):
    pass


def _heartbeat(job: ImportJob, **fields) -> None:
    """Save progress if the job is still ours (same attempt); else stop this run."""
    fields["lease_until"] = timezone.now() + timedelta(seconds=settings.SDRCRM_IMPORT_LEASE_SECONDS)
    n = ImportJob.objects.filter(
        pk=job.pk, attempts=job.attempts, status=ImportStatus.RUNNING
    ).update(**fields)
    if not n:
        raise LostLease
    for k, v in fields.items():
        setattr(job, k, v)


def _fail(job: ImportJob, message: str) -> None:
    with transaction.atomic():
        n = ImportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
            status=ImportStatus.FAILED, message=message, finished_at=timezone.now(),
            lease_until=None,
        )  # fmt: skip
        if n:
            ImportChunk.objects.filter(job_id=job.pk).delete()  # the file is not kept
    job.status, job.message = ImportStatus.FAILED, message


# The database went away (a COPY's errors are Django's too: sdrcrm.pg.copy_from wraps them).
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def _release(job: ImportJob) -> None:
    """Let the next run (the task's retry) claim the job now rather than after the lease."""
    try:
        ImportJob.objects.filter(
            pk=job.pk, attempts=job.attempts, status=ImportStatus.RUNNING
        ).update(lease_until=timezone.now())
    except TRANSIENT_ERRORS:
        pass  # the lease expires by itself


def _after_import() -> None:
    """Score the new leads now rather than at the next periodic sweep."""
    try:
        enqueue("qualification.lead_scores_sweep_task")
    except Exception:  # the broker being down only delays scoring to the next sweep
        log.warning("could not enqueue the score sweep after an import", exc_info=True)


def import_summary(job: ImportJob) -> str:
    def n(value: int) -> str:
        return number_format(value, force_grouping=True)

    parts = [
        _("%(n)s created") % {"n": n(job.created_count)},
        _("%(n)s updated") % {"n": n(job.updated_count)},
        ngettext("%(n)s duplicate", "%(n)s duplicates", job.duplicate_count)
        % {"n": n(job.duplicate_count)},
        _("%(n)s rejected") % {"n": n(job.rejected_count)},
    ]
    return ", ".join(parts) + "."


def import_sweep() -> int:
    """Periodic: re-enqueue imports whose enqueue was lost (queued for a while) or whose
    worker died (lease expired). The run claims atomically, so a repeat is harmless."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SDRCRM_IMPORT_REQUEUE_SECONDS)
    ids = list(
        ImportJob.objects.filter(
            Q(status=ImportStatus.QUEUED, queued_at__lt=stale)
            | Q(status=ImportStatus.RUNNING, lease_until__lt=now)
        ).values_list("pk", flat=True)[:100]
    )
    for job_id in ids:
        start._enqueue(job_id)  # looked up when called: tests replace it
    _retention(now)
    return len(ids)


def _retention(now) -> None:
    """Personal data is not kept longer than needed: the file of an upload never started is
    deleted after SDRCRM_IMPORT_ABANDONED_DAYS, a finished import's report of rejected and
    duplicate rows after SDRCRM_IMPORT_REPORT_DAYS (its counts stay)."""
    abandoned = now - timedelta(days=settings.SDRCRM_IMPORT_ABANDONED_DAYS)
    with transaction.atomic():
        old = list(
            ImportJob.objects.filter(status=ImportStatus.UPLOADED, created_at__lt=abandoned)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:100]
        )
        if old:
            ImportChunk.objects.filter(job_id__in=old).delete()
            ImportJob.objects.filter(pk__in=old).update(
                status=ImportStatus.FAILED, finished_at=now,
                message=_("Never started: the uploaded file was deleted after %(n)s days.")
                % {"n": settings.SDRCRM_IMPORT_ABANDONED_DAYS},
            )  # fmt: skip
    expired = now - timedelta(days=settings.SDRCRM_IMPORT_REPORT_DAYS)
    ImportIssue.objects.filter(
        job__in=ImportJob.objects.filter(finished_at__lt=expired).values("pk")[:100]
    ).delete()

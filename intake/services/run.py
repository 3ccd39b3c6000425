"""Running an import: the scan, the all-or-nothing check and the write, resumable after the last
committed batch."""

from __future__ import annotations

import logging

from django.db import (
    transaction,
)
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import ngettext

from sdrcrm.i18n import pick, user_language

from .. import reader
from ..models import (
    ImportIssue,
    ImportJob,
    ImportPhase,
    ImportStatus,
    IssueKind,
)
from ..reader import FileRejected
from ..rows import (
    RowError,
    normalise_row,
)
from .common import (
    _data_records,
    _issue,
)
from .lifecycle import (
    TRANSIENT_ERRORS,
    LostLease,
    _claim,
    _error_message,
    _fail,
    _heartbeat,
    _release,
)
from .writer import _write_all

log = logging.getLogger(__name__)


def import_language(job_id: int) -> str:
    """The language an import's stored words (row reasons, its message) are written in: the
    language of whoever uploaded it, else the team's (the command line), else the site's."""
    job = ImportJob.objects.select_related("created_by__team", "team").filter(pk=job_id).first()
    if job is None:
        return pick()
    if job.created_by is not None:
        return user_language(job.created_by)
    return pick(job.team.language)


def import_run(job_id: int) -> ImportJob | None:
    """Run (or resume) an import. Idempotent: returns None when the job is not claimable
    (done, failed, or being run by a live worker)."""
    with translation.override(import_language(job_id)):
        return _import_run(job_id)


def _import_run(job_id: int) -> ImportJob | None:
    job = _claim(job_id)
    if job is None or job.status == ImportStatus.FAILED:
        return job
    try:
        if job.total_rows is None:
            _heartbeat(job, phase=ImportPhase.SCAN)
            total = 0
            for _ in _data_records(job):
                total += 1
            _heartbeat(job, total_rows=total)
        if job.all_or_nothing and job.phase != ImportPhase.WRITE:
            _heartbeat(job, phase=ImportPhase.CHECK)
            if not _check_all(job):
                return job
        if job.phase != ImportPhase.WRITE:  # no batch written yet
            _heartbeat(job, phase=ImportPhase.WRITE, rows_done=0)
        _write_all(job)
    except FileRejected as exc:
        _fail(job, str(exc))
    except LostLease:
        log.info("import %s: lease lost, another run continues it", job_id)
        return None
    except TRANSIENT_ERRORS:
        # The database went away: the task retries (a few times), and the sweep hands the job
        # on once the lease expired; either way the attempts are capped (_claim).
        log.warning("import %s: transient database error", job_id, exc_info=True)
        _release(job)
        raise
    except Exception:
        log.exception("import %s failed", job_id)
        job.refresh_from_db(fields=["created_count", "updated_count", "duplicate_count",
                                    "rejected_count"])  # fmt: skip
        _fail(job, _error_message(job))
    return job


def _check_all(job: ImportJob) -> bool:
    """All-or-nothing: validate every row; any error fails the import with nothing stored."""
    imap = {int(k): v for k, v in job.mapping.items()}
    issues = []
    for n, rec in enumerate(_data_records(job), start=1):
        try:
            if problem := reader.row_problem(rec.cells):
                raise RowError(problem)
            normalise_row(rec.line, rec.cells, imap)
        except RowError as exc:
            issues.append(_issue(job.pk, rec.line, IssueKind.REJECTED, str(exc), rec.cells))
        if n % 20_000 == 0:
            _heartbeat(job, rows_done=n)
    if not issues:
        return True
    with transaction.atomic():
        ImportIssue.objects.filter(job_id=job.pk).delete()
        ImportIssue.objects.bulk_create(issues, batch_size=2000)
        n = len(issues)
        _heartbeat(job, rejected_count=n)
        _fail(
            job,
            ngettext(
                "%(n)s row has errors, so nothing was imported (all or nothing). Fix them and "
                "upload the file again, or import the valid rows only.",
                "%(n)s rows have errors, so nothing was imported (all or nothing). Fix them and "
                "upload the file again, or import the valid rows only.",
                n,
            )
            % {"n": number_format(n, force_grouping=True)},
        )
    return False

"""Writing the rows: batches through ``intake.engine`` in a writer thread, each with the job's
cursor and counters, the erased people left out."""

from __future__ import annotations

import logging
import queue
import threading

from django.conf import settings
from django.db import (
    DataError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads.normalize import normalize_email
from sdrcrm.pg import value_refused
from suppression.models import Suppression, email_hash

from .. import engine, reader
from ..models import (
    AssignmentRule,
    DuplicatePolicy,
    ImportChunk,
    ImportIssue,
    ImportJob,
    ImportStatus,
    IssueKind,
)
from ..rows import (
    RowError,
    normalise_row,
)
from .common import (
    _data_records,
    _issue,
)
from .lifecycle import (
    LostLease,
    _after_import,
    _heartbeat,
    import_summary,
)

log = logging.getLogger(__name__)


def _owner_picker(job: ImportJob):
    if job.assignment == AssignmentRule.ONE:
        owner = job.assignees[0]
        return lambda index, row: owner
    if job.assignment == AssignmentRule.ROUND_ROBIN:
        ids = list(job.assignees)
        return lambda index, row: ids[index % len(ids)]
    if job.assignment == AssignmentRule.BY_COUNTRY:
        owners = {k.upper(): v for k, v in job.country_owners.items()}
        return lambda index, row: owners.get(row.country)
    return lambda index, row: None


def _write_batch(job: ImportJob, rows, owners, issues, consumed: int, cells=None) -> None:
    """One batch in one transaction: rows, their issues, and the job's cursor and counters.
    ``cells`` holds each row's cells by line, for the report of the rows found duplicates.
    Asynchronous commit: a batch lost in a server crash is lost together with the cursor that
    counted it, so the resumed run writes it again."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.attempts != job.attempts or locked.status != ImportStatus.RUNNING:
            raise LostLease
        now = timezone.now()
        kw = dict(
            team_id=job.team_id, source=job.source,
            actor_id=job.created_by_id, import_id=job.pk, import_name=job.file_name,
            update_empty=job.duplicates == DuplicatePolicy.UPDATE_EMPTY, now=now,
        )  # fmt: skip
        with connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit TO OFF")
            res = _write_rows(
                lambda r, o: engine.write_batch(cur, rows=r, owners=o, **kw),
                job.pk, rows, owners, issues,
            )  # fmt: skip
        for line, email, existing in res.duplicate_lines:
            why = (
                _("%(email)s: already in the CRM")
                if existing
                else _("%(email)s: created at the same moment by someone else")
            ) % {"email": email}
            issues.append(
                _issue(job.pk, line, IssueKind.DUPLICATE, why, (cells or {}).get(line, []))
            )
        if issues:
            ImportIssue.objects.bulk_create(issues, batch_size=2000)
        rejected = sum(1 for i in issues if i.kind == IssueKind.REJECTED)
        _heartbeat(
            job,
            rows_done=consumed,
            created_count=job.created_count + res.created,
            updated_count=job.updated_count + res.updated,
            duplicate_count=job.duplicate_count + len(issues) - rejected,
            rejected_count=job.rejected_count + rejected,
        )


UNSTORABLE_REASON = gettext_noop(
    "The database could not store this row: one of its values is not valid text or is too "
    "long. Fix the row and import it again."
)


def _unstorable(exc: BaseException) -> bool:
    """A value the database refuses (not a fault of the database or of this code)."""
    # A COPY's DataError is Django's too (sdrcrm.pg.copy_from wraps the driver's errors).
    return isinstance(exc, DataError | UnicodeEncodeError) or value_refused(exc)


def _write_rows(write, job_id: int, rows, owners, issues) -> engine.BatchResult:
    """``write(rows, owners)`` in a savepoint. When the database refuses a value, the rows are
    split in halves until the ones it refuses are found (about 2·log2(batch) tries for one bad
    row); those are rejected with their line, and the others written."""
    try:
        with transaction.atomic():
            return write(rows, owners)
    except Exception as exc:
        if not _unstorable(exc):
            raise
        if len(rows) == 1:
            log.warning("import %s: line %s not stored: %s", job_id, rows[0].line, exc)
            issues.append(
                _issue(job_id, rows[0].line, IssueKind.REJECTED, _(UNSTORABLE_REASON), [])
            )
            return engine.BatchResult()
    mid = len(rows) // 2
    a = _write_rows(write, job_id, rows[:mid], owners[:mid], issues)
    b = _write_rows(write, job_id, rows[mid:], owners[mid:], issues)
    return engine.BatchResult(
        created=a.created + b.created,
        updated=a.updated + b.updated,
        duplicate_lines=a.duplicate_lines + b.duplicate_lines,
    )


class _Writer:
    """Writes batches on a thread of its own (its own database connection) while the caller
    reads and validates the next one: parsing in Python and writing in PostgreSQL overlap on two
    cores. Batches are still written one after another, in order."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"import-{job.pk}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (batch := self.queue.get()) is not None:
                if self.error is None:
                    try:
                        _write_batch(self.job, *batch)
                    except BaseException as exc:  # noqa: BLE001  handed to the caller
                        self.error = exc
        finally:
            connections.close_all()

    def submit(self, *batch) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _write_all(job: ImportJob) -> None:
    imap = {int(k): v for k, v in job.mapping.items()}
    pick_owner = _owner_picker(job)
    batch_size = settings.SDRCRM_IMPORT_BATCH
    seen: set[str] = set()
    rows, owners, issues = [], [], []
    cells: dict[int, list[str]] = {}  # the batch's rows as read, by line (for the duplicates)
    consumed = 0  # data rows read in this run, including the ones already committed
    committed = last_flush = job.rows_done
    turn = job.created_count  # round-robin position: valid rows, continued after a resume
    # Inside an outer transaction (the command line's dry run, tests) another connection would
    # not see it: write on this thread then.
    writer = None if connection.in_atomic_block else _Writer(job)

    def flush():
        nonlocal rows, owners, issues, cells
        rows, owners = _without_erased(job, rows, owners, issues)
        if writer is not None:
            writer.submit(rows, owners, issues, consumed, cells)
        else:
            _write_batch(job, rows, owners, issues, consumed, cells)
        rows, owners, issues, cells = [], [], [], {}

    try:
        for rec in _data_records(job):
            consumed += 1
            if consumed <= committed:  # done by an earlier run: only remember its emails
                email = _email_of(rec.cells, imap)
                if email:
                    seen.add(email)
                continue
            try:
                if problem := reader.row_problem(rec.cells):
                    raise RowError(problem)
                row = normalise_row(rec.line, rec.cells, imap)
            except RowError as exc:
                issues.append(_issue(job.pk, rec.line, IssueKind.REJECTED, str(exc), rec.cells))
            else:
                if row.email in seen:
                    why = _("%(email)s: appears earlier in the file") % {"email": row.email}
                    issues.append(_issue(job.pk, rec.line, IssueKind.DUPLICATE, why, rec.cells))
                else:
                    seen.add(row.email)
                    rows.append(row)
                    cells[rec.line] = rec.cells
                    owners.append(pick_owner(turn, row))
                    turn += 1
            if consumed - last_flush >= batch_size:
                flush()
                last_flush = consumed
        flush()
    finally:
        if writer is not None:
            writer.close()
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
            status=ImportStatus.DONE, finished_at=timezone.now(), lease_until=None,
            message=import_summary(job),
        )  # fmt: skip
        ImportChunk.objects.filter(job_id=job.pk).delete()  # the file is not kept
        job.status = ImportStatus.DONE
        transaction.on_commit(_after_import)


ERASED_REASON = "This person had their data erased at their request: not imported again."


def _without_erased(job: ImportJob, rows, owners, issues):
    """People erased on request (only the hash of their address is kept) are not imported
    again: one query per batch."""
    if not rows:
        return rows, owners

    hashes = {email_hash(r.email): r for r in rows}
    with connection.cursor() as cur:  # one array parameter, not 5,000 placeholders
        cur.execute(
            f"SELECT email_hash FROM {Suppression._meta.db_table} "
            "WHERE email_hash = ANY(%s) AND reason = %s",
            [list(hashes), Suppression.Reason.ERASED],
        )
        erased = {h for (h,) in cur.fetchall()}
    if not erased:
        return rows, owners
    gone = {id(hashes[h]) for h in erased}
    for r in rows:
        if id(r) in gone:
            issues.append(_issue(job.pk, r.line, IssueKind.REJECTED, ERASED_REASON, []))
    kept = [(r, o) for r, o in zip(rows, owners, strict=True) if id(r) not in gone]
    return [r for r, _ in kept], [o for _, o in kept]


def _email_of(cells: list[str], imap: dict[int, str]) -> str | None:
    for i, f in imap.items():
        if f == "email":
            return normalize_email(cells[i] if i < len(cells) else "")
    return None

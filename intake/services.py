"""Writes for lead intake: upload, start, run (resumable), sweep; inbound web-form capture.

An import runs in three phases over the stored file: *scan* (structure: columns, cell sizes,
the number of rows; nothing is written, so a broken file stores nothing), *check* (all-or-nothing
only: every row validated; one bad row and nothing is written) and *write* (batches of
``SDRCRM_IMPORT_BATCH`` rows, each in one transaction with the job's cursor and counters). A
worker killed mid-import leaves a job whose lease expires; the sweep re-enqueues it and the next
run continues after the last committed batch.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg2
from django.conf import settings
from django.db import (
    DataError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from leads.models import LeadSource, Prospect
from leads.normalize import normalize_email
from sdrcrm.inputs import is_ascii_digits
from sdrcrm.tasks import enqueue
from suppression.models import Suppression, email_hash

from . import engine, reader
from .models import (
    AssignmentRule,
    DuplicatePolicy,
    ImportChunk,
    ImportIssue,
    ImportJob,
    ImportPhase,
    ImportStatus,
    IssueKind,
)
from .reader import FileRejected
from .rows import (
    RowError,
    field_for_header,
    is_blank,
    mapping_problems,
    normalise_row,
    propose_mapping,
)
from .selectors import import_scope

log = logging.getLogger(__name__)

IMPORT_ROLES = (Role.MARKETING, Role.MANAGER, Role.SDR, Role.BDR, Role.ADMIN)
PREVIEW_ROWS = 8
ISSUE_CELLS_CHARS = 2000


class IntakeError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IntakeForbidden(IntakeError):
    pass


class IntakeConflict(IntakeError):
    pass


def may_import(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in IMPORT_ROLES


# --- Reading the stored file ------------------------------------------------------------------


def _job_chunks(job_id: int) -> Iterator[bytes]:
    """The stored file, one chunk per query, so memory holds one chunk at a time."""
    seq = 0
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT data FROM intake_importchunk WHERE job_id = %s AND seq = %s", [job_id, seq]
            )
            row = cur.fetchone()
        if row is None:
            return
        yield bytes(row[0])
        seq += 1


def _detected(job: ImportJob) -> reader.Detected:
    return reader.Detected(job.file_format, job.encoding, job.delimiter)


def _first_records(job: ImportJob, n: int) -> list[reader.Record]:
    """The first ``n`` records, read with a bounded budget (this runs in web requests)."""
    out = []
    for rec in reader.iter_records(_detected(job), _job_chunks(job.pk), preview=True):
        out.append(rec)
        if len(out) >= n:
            break
    return out


# --- Upload -----------------------------------------------------------------------------------


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        while len(buf) >= size:
            yield bytes(buf[:size])
            del buf[:size]
    if buf:
        yield bytes(buf)


def import_upload(
    *, actor: User | None, team: Team, name: str, chunks: Iterable[bytes], size: int | None = None
) -> ImportJob:
    """Store an uploaded file and detect its shape. Raises FileRejected (nothing stored) for a
    file that cannot be imported. ``actor`` None is the command line."""
    if actor is not None:
        if not may_import(actor):
            raise IntakeForbidden("Your role cannot import leads.")
        if not actor.is_admin_role and actor.team_id != team.pk:
            raise IntakeForbidden("You can import into your own team only.")
    limit = settings.SDRCRM_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise FileRejected(
            f"The file is {size / 1e6:,.1f} MB; the limit is {limit / 1e6:,.0f} MB. "
            "Split it into smaller files."
        )
    sniff = reader.Sniffer()
    digest = hashlib.sha256()
    with transaction.atomic():
        job = ImportJob.objects.create(
            team=team, created_by=actor, file_name=name[:255] or "upload", file_size=0,
            file_sha256="", file_format="csv",
        )  # fmt: skip
        seq = 0
        for piece in _rechunk(chunks, settings.SDRCRM_IMPORT_CHUNK_BYTES):
            sniff.feed(piece)
            digest.update(piece)
            if sniff.size > limit:
                raise FileRejected(
                    f"The file is larger than the limit of {limit / 1e6:,.0f} MB. "
                    "Split it into smaller files."
                )
            ImportChunk.objects.create(job=job, seq=seq, data=piece)
            seq += 1
        detected = sniff.finish()
        job.file_size = sniff.size
        job.file_sha256 = digest.hexdigest()
        job.file_format = detected.file_format
        job.encoding = detected.encoding
        job.delimiter = detected.delimiter
        records = _first_records(job, 20)

        header = reader.header_guess(records, field_for_header)
        if not any(not is_blank(r.cells) for r in records[header + 1 :]):
            raise FileRejected("The file has a header row but no rows of data.")
        job.header_row = header
        job.columns = [c.strip()[:100] for c in records[header].cells]
        job.mapping = propose_mapping(records[header].cells)
        job.save()
    return job


@dataclass
class PreviewRow:
    line: int
    row: object | None
    error: str = ""
    duplicate: str = ""  # why the import would count it a duplicate rather than create it


def import_preview(job: ImportJob, mapping: dict[str, str], header_row: int) -> list[PreviewRow]:
    """The first rows after the header as they would be stored (or why not), the duplicates
    among them flagged: a person earlier in the file, or already in the team's CRM (another
    team's people are not looked at, nor revealed). One query."""
    imap = {int(k): v for k, v in mapping.items() if v}
    out = []
    first_line: dict[str, int] = {}
    for rec in _first_records(job, header_row + 1 + PREVIEW_ROWS * 2)[header_row + 1 :]:
        if is_blank(rec.cells):
            continue
        problem = reader.row_problem(rec.cells)
        try:
            if problem:
                raise RowError(problem)
            row = normalise_row(rec.line, rec.cells, imap)
        except RowError as exc:
            out.append(PreviewRow(rec.line, None, reader.storable_text(str(exc))))
        else:
            earlier = first_line.setdefault(row.email, rec.line)
            why = f"Same person as line {earlier}" if earlier != rec.line else ""
            out.append(PreviewRow(rec.line, row, duplicate=why))
        if len(out) >= PREVIEW_ROWS:
            break
    known = set(
        Prospect.objects.filter(team_id=job.team_id, email__in=list(first_line)).values_list(
            "email", flat=True
        )
    )
    for p in out:
        if p.row is not None and not p.duplicate and p.row.email in known:
            p.duplicate = "Already in the CRM"
    return out


def import_header_cells(job: ImportJob, header_row: int) -> list[str]:
    records = _first_records(job, header_row + 1)
    if header_row >= len(records):
        raise IntakeError("The file has no such row.", field="header_row")
    return [c.strip()[:100] for c in records[header_row].cells]


# --- Start ------------------------------------------------------------------------------------


@dataclass
class ImportOptions:
    mapping: dict[str, str]
    header_row: int = 0
    source: str = LeadSource.MARKETING_LIST
    assignment: str = AssignmentRule.UNASSIGNED
    assignees: list[int] = field(default_factory=list)
    country_owners: dict[str, int] = field(default_factory=dict)
    duplicates: str = DuplicatePolicy.SKIP
    all_or_nothing: bool = False


def _team_prospector_ids(team_id: int) -> set[int]:
    return set(
        User.objects.filter(
            team_id=team_id, role__in=[Role.SDR, Role.BDR], is_active=True
        ).values_list("pk", flat=True)
    )


def _validate_options(actor: User | None, job: ImportJob, o: ImportOptions) -> None:
    mapping = {k: v for k, v in o.mapping.items() if v}
    problems = mapping_problems(mapping)
    if any(not is_ascii_digits(k, 6) or int(k) >= max(len(job.columns), 1) for k in mapping):
        problems.append("The mapping names a column the file does not have.")
    if problems:
        raise IntakeError(" ".join(problems), field="mapping")
    o.mapping = mapping
    if o.source not in LeadSource.values:
        raise IntakeError("Choose a lead source.", field="source")
    if o.duplicates not in DuplicatePolicy.values:
        raise IntakeError("Choose what to do with duplicates.", field="duplicates")
    if o.assignment not in AssignmentRule.values:
        raise IntakeError("Choose an assignment rule.", field="assignment")
    allowed = _team_prospector_ids(job.team_id)
    chosen = set(o.assignees) | set(o.country_owners.values())
    if chosen - allowed:
        raise IntakeError("Choose active SDRs or BDRs of the team.", field="assignees")
    if o.assignment == AssignmentRule.ONE and len(o.assignees) != 1:
        raise IntakeError("Choose the one SDR to assign the leads to.", field="assignees")
    if o.assignment == AssignmentRule.ROUND_ROBIN and len(o.assignees) < 1:
        raise IntakeError("Choose the SDRs for the round-robin.", field="assignees")
    if o.assignment == AssignmentRule.BY_COUNTRY and not o.country_owners:
        raise IntakeError("Give at least one country and its SDR.", field="country_owners")
    if o.assignment in (AssignmentRule.UNASSIGNED,):
        o.assignees, o.country_owners = [], {}
    if actor is not None and actor.is_prospector and not (chosen <= {actor.pk}):
        raise IntakeForbidden("SDRs import leads for themselves or the team's pool.")


def import_get_for_user(*, user: User, job_id: int, lock: bool = False) -> ImportJob:
    qs = import_scope(user)
    if lock:
        qs = qs.select_for_update(of=("self",))
    job = qs.filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import")
    return job


def import_start(*, actor: User | None, job_id: int, options: ImportOptions) -> ImportJob:
    """Save the mapping and options and queue the import (enqueued after commit). A second
    click finds it started and changes nothing."""
    with transaction.atomic():
        if actor is None:
            job = ImportJob.objects.select_for_update().get(pk=job_id)
        else:
            job = import_get_for_user(user=actor, job_id=job_id, lock=True)
            if not may_import(actor):
                raise IntakeForbidden("Your role cannot import leads.")
        if job.status != ImportStatus.UPLOADED:
            raise IntakeConflict(
                f"This import was already started ({job.get_status_display().lower()})."
            )
        if options.header_row != job.header_row:
            job.columns = import_header_cells(job, options.header_row)
            job.header_row = options.header_row
        _validate_options(actor, job, options)
        for name in ("mapping", "source", "assignment", "assignees", "country_owners",
                     "duplicates", "all_or_nothing"):  # fmt: skip
            setattr(job, name, getattr(options, name))
        job.status = ImportStatus.QUEUED
        job.queued_at = timezone.now()
        job.message = ""
        job.save()
        if actor is not None:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    enqueue("intake.import_run_task", job_id)


# --- Run --------------------------------------------------------------------------------------


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


def _data_records(job: ImportJob) -> Iterator[reader.Record]:
    for i, rec in enumerate(reader.iter_records(_detected(job), _job_chunks(job.pk))):
        if i > job.header_row and not is_blank(rec.cells):
            yield rec


def _issue(job_id: int, line: int, kind: str, reason: str, cells: list[str]) -> ImportIssue:
    kept, total = [], 0
    for c in cells[:60]:
        c = reader.storable_text(c[:500])  # a NUL or a broken byte is why it was rejected
        total += len(c)
        if total > ISSUE_CELLS_CHARS:
            break
        kept.append(c)
    return ImportIssue(
        job_id=job_id, line=line, kind=kind, reason=reader.storable_text(reason), data=kept
    )


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


def import_run(job_id: int) -> ImportJob | None:
    """Run (or resume) an import. Idempotent: returns None when the job is not claimable
    (done, failed, or being run by a live worker)."""
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


# COPY's psycopg2 errors are not wrapped by Django.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)


def _release(job: ImportJob) -> None:
    """Let the next run (the task's retry) claim the job now rather than after the lease."""
    try:
        ImportJob.objects.filter(
            pk=job.pk, attempts=job.attempts, status=ImportStatus.RUNNING
        ).update(lease_until=timezone.now())
    except TRANSIENT_ERRORS:
        pass  # the lease expires by itself


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
            f"{n:,} row{'s' if n != 1 else ''} ha{'ve' if n != 1 else 's'} errors, so nothing "
            "was imported (all or nothing). Fix them and upload the file again, or import the "
            "valid rows only.",
        )
    return False


def _write_batch(job: ImportJob, rows, owners, issues, consumed: int) -> None:
    """One batch in one transaction: rows, their issues, and the job's cursor and counters.
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
        for line, email, why in res.duplicate_lines:
            issues.append(_issue(job.pk, line, IssueKind.DUPLICATE, f"{email}: {why}", []))
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


UNSTORABLE_REASON = (
    "The database could not store this row: one of its values is not valid text or is too "
    "long. Fix the row and import it again."
)


def _unstorable(exc: BaseException) -> bool:
    """A value the database refuses (not a fault of the database or of this code)."""
    if isinstance(exc, DataError | UnicodeEncodeError):
        return True
    if isinstance(exc, psycopg2.DataError):  # COPY's errors are not wrapped by Django
        return True
    return isinstance(exc, ValueError) and "NUL (0x00)" in str(exc)  # psycopg2's own check


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
    consumed = 0  # data rows read in this run, including the ones already committed
    committed = last_flush = job.rows_done
    turn = job.created_count  # round-robin position: valid rows, continued after a resume
    # Inside an outer transaction (the command line's dry run, tests) another connection would
    # not see it: write on this thread then.
    writer = None if connection.in_atomic_block else _Writer(job)

    def flush():
        nonlocal rows, owners, issues
        rows, owners = _without_erased(job, rows, owners, issues)
        if writer is not None:
            writer.submit(rows, owners, issues, consumed)
        else:
            _write_batch(job, rows, owners, issues, consumed)
        rows, owners, issues = [], [], []

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
                    issues.append(
                        _issue(job.pk, rec.line, IssueKind.DUPLICATE,
                               f"{row.email}: appears earlier in the file", [])
                    )  # fmt: skip
                else:
                    seen.add(row.email)
                    rows.append(row)
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


def _after_import() -> None:
    """Score the new leads now rather than at the next periodic sweep."""
    try:
        enqueue("qualification.lead_scores_sweep_task")
    except Exception:  # the broker being down only delays scoring to the next sweep
        log.warning("could not enqueue the score sweep after an import", exc_info=True)


def import_summary(job: ImportJob) -> str:
    dup = "duplicate" if job.duplicate_count == 1 else "duplicates"
    parts = [
        f"{job.created_count:,} created",
        f"{job.updated_count:,} updated",
        f"{job.duplicate_count:,} {dup}",
        f"{job.rejected_count:,} rejected",
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
        _enqueue(job_id)
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
                message="Never started: the uploaded file was deleted "
                f"after {settings.SDRCRM_IMPORT_ABANDONED_DAYS} days.",
            )  # fmt: skip
    expired = now - timedelta(days=settings.SDRCRM_IMPORT_REPORT_DAYS)
    ImportIssue.objects.filter(
        job__in=ImportJob.objects.filter(finished_at__lt=expired).values("pk")[:100]
    ).delete()

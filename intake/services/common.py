"""What every part of an import uses: its errors, who may import, the stored file read back
chunk by chunk, the job as the user may see it, a row's issue."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import (
    connection,
)
from django.utils.translation import gettext as _

from accounts.models import Role, User
from sdrcrm.errors import Conflict, DomainError, NotAllowed, NotFound

from .. import reader
from ..models import (
    ImportIssue,
    ImportJob,
)
from ..rows import (
    is_blank,
)
from ..selectors import import_scope

IMPORT_ROLES = (Role.MARKETING, Role.MANAGER, Role.SDR, Role.BDR, Role.ADMIN)
PREVIEW_ROWS = 8
ISSUE_CELLS_CHARS = 2000


class IntakeError(DomainError):
    """An import that could not be made (wrong input unless a subclass says otherwise);
    ``field`` names the form field when there is one."""


class IntakeForbidden(IntakeError, NotAllowed):
    """The user may see the import but not do this."""


class IntakeConflict(IntakeError, Conflict):
    """The import's state does not allow it (it was started already, say)."""


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


def import_get_for_user(*, user: User, job_id: int, lock: bool = False) -> ImportJob:
    qs = import_scope(user)
    if lock:
        qs = qs.select_for_update(of=("self",))
    job = qs.filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job


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

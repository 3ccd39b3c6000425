"""The upload (the file stored in chunks, its shape detected) and the preview of a mapping."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import (
    transaction,
)
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Team, User
from leads.models import Prospect

from .. import reader
from ..models import (
    ImportChunk,
    ImportJob,
)
from ..reader import FileRejected
from ..rows import (
    RowError,
    field_for_header,
    is_blank,
    normalise_row,
    propose_mapping,
)
from .common import (
    PREVIEW_ROWS,
    IntakeError,
    IntakeForbidden,
    _first_records,
    may_import,
)

# --- Upload -----------------------------------------------------------------------------------


def _mb(size: int, decimals: int) -> str:
    """Megabytes as the reader's language writes them: 1,234.5 / 1 234,5."""
    return number_format(size / 1e6, decimal_pos=decimals, force_grouping=True)


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
            raise IntakeForbidden(_("You can import into your own team only."))
    limit = settings.SDRCRM_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise FileRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": _mb(size, 1), "limit": _mb(limit, 0)}
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
                    _(
                        "The file is larger than the limit of %(limit)s MB. "
                        "Split it into smaller files."
                    )
                    % {"limit": _mb(limit, 0)}
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
            why = (
                _("Same person as line %(line)s") % {"line": earlier} if earlier != rec.line else ""
            )
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
            p.duplicate = _("Already in the CRM")
    return out


def import_header_cells(job: ImportJob, header_row: int) -> list[str]:
    records = _first_records(job, header_row + 1)
    if header_row >= len(records):
        raise IntakeError(_("The file has no such row."), field="header_row")
    return [c.strip()[:100] for c in records[header_row].cells]

"""Writes for lead intake: upload, start, run (resumable), sweep.

An import runs in three phases over the stored file: *scan* (structure: columns, cell sizes,
the number of rows; nothing is written, so a broken file stores nothing), *check* (all-or-nothing
only: every row validated; one bad row and nothing is written) and *write* (batches of
``SDRCRM_IMPORT_BATCH`` rows, each in one transaction with the job's cursor and counters). A
worker killed mid-import leaves a job whose lease expires; the sweep re-enqueues it and the next
run continues after the last committed batch.

By job: ``upload`` (storing the file, the mapping's preview), ``start`` (options, queueing),
``run`` (the three phases), ``writer`` (the batches through ``intake.engine``), ``lifecycle``
(lease, failure, summary, the sweep and retention), ``common`` (errors, the stored file). The
public names are re-exported here: callers import from ``intake.services``.
"""

from .common import (
    IMPORT_ROLES,
    PREVIEW_ROWS,
    IntakeConflict,
    IntakeError,
    IntakeForbidden,
    import_get_for_user,
    may_import,
)
from .lifecycle import TRANSIENT_ERRORS, import_summary, import_sweep
from .run import import_run
from .start import ImportOptions, import_start
from .upload import PreviewRow, import_header_cells, import_preview, import_upload

__all__ = [
    "IMPORT_ROLES",
    "PREVIEW_ROWS",
    "TRANSIENT_ERRORS",
    "ImportOptions",
    "IntakeConflict",
    "IntakeError",
    "IntakeForbidden",
    "PreviewRow",
    "import_get_for_user",
    "import_header_cells",
    "import_preview",
    "import_run",
    "import_start",
    "import_summary",
    "import_sweep",
    "import_upload",
    "may_import",
]

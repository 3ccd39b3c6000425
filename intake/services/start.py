"""Starting an import: the options checked, the job queued, the run enqueued after commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import (
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from leads.models import LeadSource
from sdrcrm.inputs import is_ascii_digits
from sdrcrm.tasks import enqueue

from ..models import (
    AssignmentRule,
    DuplicatePolicy,
    ImportJob,
    ImportStatus,
)
from ..rows import (
    mapping_problems,
)
from .common import (
    IntakeConflict,
    IntakeError,
    IntakeForbidden,
    import_get_for_user,
    may_import,
)
from .upload import import_header_cells

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
        problems.append(_("The mapping names a column the file does not have."))
    if problems:
        raise IntakeError(" ".join(problems), field="mapping")
    o.mapping = mapping
    if o.source not in LeadSource.values:
        raise IntakeError(_("Choose a lead source."), field="source")
    if o.duplicates not in DuplicatePolicy.values:
        raise IntakeError(_("Choose what to do with duplicates."), field="duplicates")
    if o.assignment not in AssignmentRule.values:
        raise IntakeError(_("Choose an assignment rule."), field="assignment")
    allowed = _team_prospector_ids(job.team_id)
    chosen = set(o.assignees) | set(o.country_owners.values())
    if chosen - allowed:
        raise IntakeError(_("Choose active SDRs or BDRs of the team."), field="assignees")
    if o.assignment == AssignmentRule.ONE and len(o.assignees) != 1:
        raise IntakeError(_("Choose the one SDR to assign the leads to."), field="assignees")
    if o.assignment == AssignmentRule.ROUND_ROBIN and len(o.assignees) < 1:
        raise IntakeError(_("Choose the SDRs for the round-robin."), field="assignees")
    if o.assignment == AssignmentRule.BY_COUNTRY and not o.country_owners:
        raise IntakeError(_("Give at least one country and its SDR."), field="country_owners")
    if o.assignment in (AssignmentRule.UNASSIGNED,):
        o.assignees, o.country_owners = [], {}
    if actor is not None and actor.is_prospector and not (chosen <= {actor.pk}):
        raise IntakeForbidden(_("SDRs import leads for themselves or the team's pool."))


def import_start(*, actor: User | None, job_id: int, options: ImportOptions) -> ImportJob:
    """Save the mapping and options and queue the import (enqueued after commit). A second
    click finds it started and changes nothing."""
    with transaction.atomic():
        if actor is None:
            job = ImportJob.objects.select_for_update().get(pk=job_id)
        else:
            job = import_get_for_user(user=actor, job_id=job_id, lock=True)
            if not may_import(actor):
                raise IntakeForbidden(_("Your role cannot import leads."))
        if job.status != ImportStatus.UPLOADED:
            raise IntakeConflict(
                _("This import was already started (%(status)s).")
                % {"status": job.get_status_display().lower()}
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

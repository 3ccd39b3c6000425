"""Export and erasure of everything held on one prospect. The list of what is personal data
and what happens to each field is privacy/registry.py.

For importers: before creating a prospect from an import, call
``privacy.services.email_may_be_contacted(email)`` (or ``cadences.services.email_is_suppressed``):
False when the address, its domain, or an erased person with that address is suppressed.
Enrollment and the dispatcher check the same list, so an erased person re-imported is still
never emailed."""

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from audit.services import audit_record
from cadences.models import email_hash
from cadences.services import email_is_suppressed, email_record_erasure
from leads.models import Company, Lead, Prospect
from leads.selectors import lead_scope
from leads.services import lead_events_erase

from .registry import ERASED_NAME, PERSONAL_DATA


def email_may_be_contacted(email: str) -> bool:
    return not email_is_suppressed(email)


def may_handle_personal_data(user) -> bool:
    return user.is_manager or user.is_admin_role


def acts_across_teams(user) -> bool:
    """A data subject's rights are organisation-wide: an admin exports or erases the person in
    every team that holds them; a manager only within their own team (a team is a
    workspace: what another team recorded is neither shown nor changed)."""
    return user.is_admin_role


def prospect_for(actor, lead_id: int) -> Prospect:
    """The prospect behind a lead the actor sees (404 otherwise); managers and admins only
    (403 for the others)."""
    lead = lead_scope(actor).select_related("prospect").filter(pk=lead_id).first()
    if lead is None:
        raise Http404("No such lead")
    if not may_handle_personal_data(actor):
        raise PermissionDenied
    return lead.prospect


def subject_rows(actor, prospect: Prospect) -> list[Prospect]:
    """The rows that are this person for ``actor``: the team's own row for a manager; for an
    admin, every team's row with the same normalised address (one row when there is none)."""
    if acts_across_teams(actor) and prospect.email:
        return list(Prospect.objects.filter(email=prospect.email).order_by("pk"))
    return [prospect]


def _rows(label: str, prospects: list[Prospect]):
    model = apps.get_model(label)
    covered = PERSONAL_DATA[label]
    ids = [p.pk for p in prospects]
    if label == "cadences.suppression":
        hashes = {email_hash(p.email) for p in prospects if p.email}
        return model.objects.filter(email_hash__in=hashes)
    if label == "admin.logentry":
        lead_ids = [
            str(i) for i in Lead.objects.filter(prospect__in=ids).values_list("pk", flat=True)
        ]
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Prospect),
            object_id__in=[str(i) for i in ids],
        ) | LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id__in=lead_ids
        )
    return model.objects.filter(**{f"{covered.path}__in": ids})


def prospect_export(*, actor, lead_id: int) -> dict:
    """Everything held on the person behind ``lead_id``, as plain JSON-able data: in the
    actor's team, or in every team for an admin (``subject_rows``)."""
    prospect = prospect_for(actor, lead_id)
    subjects = subject_rows(actor, prospect)
    company_ids = [p.company_id for p in subjects if p.company_id]
    data = {
        "exported_at": timezone.now(),
        "prospect_id": prospect.pk,
        "prospect_ids": [p.pk for p in subjects],
        "company": Company.objects.filter(pk=prospect.company_id).values().first(),
        "companies": list(Company.objects.filter(pk__in=company_ids).order_by("pk").values()),
    }
    for label in PERSONAL_DATA:
        data[label] = list(_rows(label, subjects).order_by("pk").values())
    for subject in subjects:
        audit_record(actor=actor, target=subject, action="privacy_export", changes={})
    return data


def prospect_erase(*, actor, lead_id: int) -> dict[str, int]:
    """Remove the person's personal data from every model (registry): the team's own row for
    a manager, every team's for an admin (``subject_rows``). The suppression of the address
    is kept as a hash and binds the whole organisation (their cadences stop in every team).
    Returns rows changed per model."""
    prospect = prospect_for(actor, lead_id)
    changed: dict[str, int] = {}
    with transaction.atomic():
        subjects = list(
            Prospect.objects.select_for_update()
            .filter(pk__in=[p.pk for p in subject_rows(actor, prospect)])
            .order_by("pk")
        )
        for email in sorted({p.email for p in subjects if p.email}):
            email_record_erasure(email=email)  # suppress by hash, stop cadences
        # The suppression and admin rows are found through the address and the ids, so they
        # go before the prospect rows lose their address.
        for label in ("cadences.suppression", "admin.logentry"):
            changed[label] = _rows(label, subjects).update(**PERSONAL_DATA[label].erase)
        for label, covered in PERSONAL_DATA.items():
            if label in changed:
                continue
            if label == "leads.leadevent":  # keeps the structure the figures are built from
                changed[label] = lead_events_erase(events=_rows(label, subjects))
                continue
            changed[label] = _rows(label, subjects).update(**covered.erase)
        for subject in subjects:
            audit_record(
                actor=actor,
                target=subject,
                action="privacy_erase",
                changes={label: (None, n) for label, n in changed.items()},
            )
    return changed


def prospect_is_erased(prospect: Prospect) -> bool:
    return prospect.first_name == ERASED_NAME and prospect.email is None

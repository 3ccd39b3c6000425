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
from django.utils import timezone

from audit.services import audit_record
from cadences.models import Suppression, email_hash
from cadences.services import email_is_suppressed, email_record_erasure
from leads.models import Company, Lead, Prospect
from leads.selectors import lead_scope
from leads.services import lead_events_erase

from .registry import ERASED_NAME, PERSONAL_DATA


def email_may_be_contacted(email: str) -> bool:
    return not email_is_suppressed(email)


def may_handle_personal_data(user) -> bool:
    return user.is_manager or user.is_admin_role


def prospect_for(actor, lead_id: int) -> Prospect:
    """The prospect behind a lead the actor sees (404 otherwise); managers and admins only
    (403 for the others)."""
    lead = lead_scope(actor).select_related("prospect").filter(pk=lead_id).first()
    if lead is None:
        from django.http import Http404

        raise Http404("No such lead")
    if not may_handle_personal_data(actor):
        raise PermissionDenied
    return lead.prospect


def _rows(label: str, prospect: Prospect):
    model = apps.get_model(label)
    covered = PERSONAL_DATA[label]
    if label == "cadences.suppression":
        if not prospect.email:
            return model.objects.none()
        return model.objects.filter(email_hash=email_hash(prospect.email))
    if label == "admin.logentry":
        lead_ids = [
            str(i) for i in Lead.objects.filter(prospect=prospect).values_list("pk", flat=True)
        ]
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Prospect), object_id=str(prospect.pk)
        ) | LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id__in=lead_ids
        )
    return model.objects.filter(**{covered.path: prospect.pk})


def prospect_export(*, actor, lead_id: int) -> dict:
    """Everything held on the prospect behind ``lead_id``, as plain JSON-able data."""
    prospect = prospect_for(actor, lead_id)
    data = {
        "exported_at": timezone.now(),
        "prospect_id": prospect.pk,
        "company": Company.objects.filter(pk=prospect.company_id).values().first(),
    }
    for label in PERSONAL_DATA:
        data[label] = list(_rows(label, prospect).order_by("pk").values())
    audit_record(actor=actor, target=prospect, action="privacy_export", changes={})
    return data


def prospect_erase(*, actor, lead_id: int) -> dict[str, int]:
    """Remove the prospect's personal data from every model (registry), keep the suppression
    of the address as a hash, stop their cadences. Returns rows changed per model."""
    prospect = prospect_for(actor, lead_id)
    changed: dict[str, int] = {}
    with transaction.atomic():
        prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
        if prospect.email:
            email_record_erasure(email=prospect.email)  # suppress by hash, stop cadences
        # The suppression and admin rows are found through the address and the ids, so they
        # go before the prospect row loses its address.
        for label in ("cadences.suppression", "admin.logentry"):
            changed[label] = _rows(label, prospect).update(**PERSONAL_DATA[label].erase)
        for label, covered in PERSONAL_DATA.items():
            if label in changed:
                continue
            if label == "leads.leadevent":  # keeps the structure the figures are built from
                changed[label] = lead_events_erase(events=_rows(label, prospect))
                continue
            changed[label] = _rows(label, prospect).update(**covered.erase)
        audit_record(
            actor=actor,
            target=prospect,
            action="privacy_erase",
            changes={label: (None, n) for label, n in changed.items()},
        )
    return changed


def prospect_is_erased(prospect: Prospect) -> bool:
    return prospect.first_name == ERASED_NAME and prospect.email is None


def suppression_is_erased(email: str) -> bool:
    """True when a person with this address was erased (only the hash of it is left)."""
    return Suppression.objects.filter(email_hash=email_hash(email), email__isnull=True).exists()

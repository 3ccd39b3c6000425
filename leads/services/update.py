"""Editing the prospect and company behind a lead, refused when the lead changed since the
form was opened."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..errors import DuplicateProspect, LeadConflict, LeadInvalid
from ..models import (
    Company,
    EventKind,
    Lead,
    LeadSource,
    Prospect,
)
from ..normalize import normalize_domain, normalize_name
from .common import _last_changer, _lock, _require_works, _save, _touch
from .creation import LeadData, _clean_prospect_values, _company_for, _company_values
from .events import lead_event_record


def _company_apply(company: Company, data: LeadData) -> dict[str, list]:
    """Write the form's company fields onto ``company``; return the changes."""
    values = _company_values(data, fallback_name=company.name)
    changes = {}
    for name, value in values.items():
        old = getattr(company, name)
        old_s = "" if old is None else str(old)
        new_s = "" if value is None else str(value)
        if old_s != new_s:
            changes[f"company_{name}"] = [old_s, new_s]
            setattr(company, name, value)
    if changes:
        company.save(update_fields=[k.removeprefix("company_") for k in changes])
    return changes


def lead_update(*, actor: User, lead_id: int, expected_version: int, data: LeadData) -> Lead:
    """Edit the prospect and company behind a lead. Refused with ``LeadConflict`` if the lead
    changed since the form was opened, so no one's edit is silently overwritten."""
    prospect_values = _clean_prospect_values(data)
    with transaction.atomic():
        lead = _lock(actor, lead_id)
        _require_works(actor, lead)
        if lead.version != expected_version:
            raise LeadConflict(
                _(
                    "This lead was changed by %(who)s after you opened the form. "
                    "Nothing was saved: reload it and make your change again."
                )
                % {"who": _last_changer(lead)}
            )
        prospect = Prospect.objects.select_for_update().get(pk=lead.prospect_id)
        if prospect_values["email"] and prospect_values["email"] != prospect.email:
            clash = Prospect.objects.filter(
                team_id=prospect.team_id, email=prospect_values["email"]
            ).exclude(pk=prospect.pk)
            if clash.exists():
                raise DuplicateProspect(_("Another prospect already has this email."))
        changes: dict[str, list] = {}
        for name, value in prospect_values.items():
            if getattr(prospect, name) != value:
                changes[name] = [getattr(prospect, name), value]
                setattr(prospect, name, value)
        current = Company.objects.select_for_update().filter(pk=prospect.company_id).first()
        new_domain = normalize_domain(data.company_domain or data.company_website)
        if (data.company_domain or data.company_website) and new_domain is None:
            raise LeadInvalid(_("That website is not a valid domain."), field="company_website")
        has_company = bool(normalize_name(data.company_name) or new_domain)
        if current is not None and has_company and new_domain == current.domain:
            changes.update(_company_apply(current, data))
        elif not has_company:
            if current is not None:
                changes["company"] = [current.name, ""]
                prospect.company = None
        else:
            company, _matched = _company_for(data, team_id=prospect.team_id)
            changes["company"] = [current.name if current else "", company.name]
            prospect.company = company
        if not changes and data.source == lead.source:
            return lead
        try:
            prospect.save()
        except IntegrityError as exc:  # the email was taken by a concurrent create or edit
            raise DuplicateProspect(_("Another prospect already has this email.")) from exc
        fields = []
        if data.source != lead.source:
            if data.source not in LeadSource.values:
                raise LeadInvalid(_("Choose a source."), field="source")
            changes["source"] = [lead.source, data.source]
            lead.source = data.source
            fields.append("source")
        now = timezone.now()
        _save(lead, _touch(lead, now, fields))
        lead_event_record(
            lead=lead,
            kind=EventKind.EDIT,
            actor=actor,
            at=now,
            body="Edited " + ", ".join(k.replace("_", " ") for k in changes),
            payload={"changes": {k: [str(a or ""), str(b or "")] for k, (a, b) in changes.items()}},
        )
    return lead

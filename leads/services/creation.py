"""Creating a lead: ``LeadData`` (what a person types, checked by ``leads.fields``) and the one
routine that makes a lead, ``_lead_make``, used by the form and the API (``lead_create``) and
the web form (``lead_create_inbound``)."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User

from .. import fields as lead_fields
from ..errors import DuplicateProspect, LeadForbidden, LeadInvalid
from ..fields import PROSPECT_FIELDS
from ..models import (
    ACTIVE_STATES,
    Company,
    EventKind,
    Lead,
    LeadSource,
    Prospect,
    ProspectRole,
)
from ..normalize import normalize_domain, normalize_email, normalize_name
from ..selectors import lead_scope
from .events import lead_event_record


@dataclass
class LeadData:
    """What a person types to create or edit a lead. Company fields are prefixed company_.

    Always clean: construction passes every field through its gate in ``leads.fields`` (the
    same functions the forms, the API and the import call) and raises ``LeadInvalid`` naming
    the first field refused, so no path can store what another would refuse."""

    first_name: str
    last_name: str = ""
    email: str = ""
    phone: str = ""
    title: str = ""
    role: str = ""
    linkedin_url: str = ""
    time_zone: str = ""
    do_not_contact: bool = False
    no_company_reason: str = ""
    company_name: str = ""
    company_website: str = ""
    company_domain: str = ""
    company_industry: str = ""
    company_employee_count: int | None = None
    company_annual_revenue: int | None = None
    company_country: str = ""
    company_time_zone: str = ""
    company_linkedin_url: str = ""
    source: str = LeadSource.OUTBOUND
    owner_id: int | None = None

    def __post_init__(self):
        for name, gate in lead_fields.LEAD_FIELDS.items():
            try:
                setattr(self, name, gate(getattr(self, name)))
            except ValidationError as exc:
                raise LeadInvalid(exc.messages[0], field=name) from None
        self.role = self.role or ""
        if self.role not in ProspectRole.values:
            raise LeadInvalid(_("Choose a buying role from the list."), field="role")
        has_company = bool(self.company_name or self.company_website or self.company_domain)
        if has_company:
            self.no_company_reason = ""  # one or the other
        errors = lead_fields.reachability_errors(
            email=self.email,
            phone=self.phone,
            linkedin_url=self.linkedin_url,
            has_company=has_company,
            no_company_reason=self.no_company_reason,
        )
        if errors:
            name, message = next(iter(errors.items()))
            raise LeadInvalid(message, field=name)


def _clean_prospect_values(data: LeadData) -> dict:
    values = {f: getattr(data, f) for f in PROSPECT_FIELDS}
    values["first_name"] = normalize_name(values["first_name"])
    values["last_name"] = normalize_name(values["last_name"])
    values["email"] = normalize_email(values["email"])
    if not values["first_name"]:
        raise LeadInvalid(_("The prospect needs a first name."), field="first_name")
    return values


def _company_values(data: LeadData, *, fallback_name: str) -> dict:
    return {
        "name": normalize_name(data.company_name) or fallback_name,
        "website": data.company_website.strip(),
        "industry": normalize_name(data.company_industry),
        "employee_count": data.company_employee_count,
        "annual_revenue": data.company_annual_revenue,
        "country": data.company_country.strip().upper(),
        "time_zone": data.company_time_zone.strip(),
        "linkedin_url": data.company_linkedin_url.strip(),
    }


def _company_for(data: LeadData, *, team_id: int) -> tuple[Company | None, bool]:
    """Find the team's company by normalised domain or create it for the team. Returns
    (company, matched). Another team's company with the same domain is never used."""
    name = normalize_name(data.company_name)
    domain = normalize_domain(data.company_domain or data.company_website)
    if (data.company_domain or data.company_website) and domain is None:
        raise LeadInvalid(_("That website is not a valid domain."), field="company_website")
    if not name and not domain:
        return None, False
    values = _company_values(data, fallback_name=domain)
    if domain:
        try:
            with transaction.atomic():
                company, created = Company.objects.get_or_create(
                    team_id=team_id, domain=domain, defaults=values
                )
        except IntegrityError:  # created concurrently
            company, created = Company.objects.get(team_id=team_id, domain=domain), False
        if not created:
            # Fill what the existing company lacks; never overwrite what someone recorded.
            missing = [
                k for k, v in values.items() if v not in ("", None) and not getattr(company, k)
            ]
            for k in missing:
                setattr(company, k, values[k])
            if missing:
                company.save(update_fields=missing)
        return company, not created
    return Company.objects.create(team_id=team_id, domain=None, **values), False


@dataclass
class LeadMade:
    lead: Lead | None  # the new lead, or None when the prospect already has an active lead
    existing: Lead | None = None  # that active lead (always of the same team)
    prospect_known: bool = False  # the team knew the person from an earlier lead
    company_matched: Company | None = None


def _lead_make(
    *,
    team_id: int,
    owner_id: int | None,
    data: LeadData,
    prospect_values: dict,
    at: datetime,
    actor: User | None,
    body: str,
    payload: dict,
) -> LeadMade:
    """The one routine that creates a lead, whoever asks (a person by hand or through the API,
    the web form; the list import writes the same rows set-based in ``intake.engine``). Call
    inside a transaction. A team is a workspace: the prospect and company are found by email
    and domain among the team's own rows only, and created for the team when it has none, so
    nothing another team recorded is read, linked or changed."""
    prospect = None
    if prospect_values["email"]:
        prospect = (
            Prospect.objects.select_for_update()
            .filter(team_id=team_id, email=prospect_values["email"])
            .first()
        )
    if prospect is not None:
        active = prospect.leads.filter(state__in=ACTIVE_STATES).first()
        if active is not None:
            return LeadMade(lead=None, existing=active, prospect_known=True)
    company, matched = _company_for(data, team_id=team_id)
    if prospect is None:
        prospect = Prospect.objects.create(team_id=team_id, company=company, **prospect_values)
        known = False
    else:
        known = True
        if company is not None and prospect.company_id is None:
            prospect.company = company
            prospect.save(update_fields=["company"])
    lead = Lead.objects.create(
        team_id=team_id,
        prospect=prospect,
        source=data.source,
        owner_id=owner_id,
        created_at=at,
        updated_at=at,
        state_changed_at=at,
    )
    lead_event_record(
        lead=lead, kind=EventKind.CREATED, actor=actor, at=at, to_state=lead.state, body=body,
        payload={"source": data.source, "owner_id": owner_id, **payload},
    )  # fmt: skip
    return LeadMade(lead=lead, prospect_known=known, company_matched=company if matched else None)


def lead_create(*, actor: User, data: LeadData) -> tuple[Lead, list[str]]:
    """Create a lead by hand. Returns the lead and notices for the user (e.g. the company
    was matched by its domain). A prospect of the team whose email already has an active lead
    is refused, naming that lead if the user may see it."""
    if not (actor.is_prospector or actor.is_manager or actor.is_admin_role):
        raise LeadForbidden(_("Your role cannot create leads."))
    if actor.team_id is None:
        raise LeadForbidden(_("You need to belong to a team to create leads."))
    if data.source not in LeadSource.values:
        raise LeadInvalid(_("Choose a source."), field="source")
    prospect_values = _clean_prospect_values(data)
    owner_id = data.owner_id
    if actor.is_prospector:
        owner_id = actor.pk if owner_id in (None, actor.pk) else owner_id
        if owner_id != actor.pk:
            raise LeadForbidden(_("SDRs create leads for themselves."))
    elif (
        owner_id is not None
        and not User.objects.filter(
            pk=owner_id, team_id=actor.team_id, role__in=[Role.SDR, Role.BDR], is_active=True
        ).exists()
    ):
        raise LeadInvalid(_("Choose an SDR or BDR of your team."), field="owner")
    notices: list[str] = []
    try:
        with transaction.atomic():
            made = _lead_make(
                team_id=actor.team_id, owner_id=owner_id, data=data,
                prospect_values=prospect_values, at=timezone.now(), actor=actor,
                body=_("Created by hand (%(source)s)") % {"source": LeadSource(data.source).label},
                payload={},
            )  # fmt: skip
            if made.lead is None:
                active = made.existing
                visible = lead_scope(actor).filter(pk=active.pk).exists()
                raise DuplicateProspect(
                    _("A lead for this email already exists (lead #%(id)s).") % {"id": active.pk}
                    if visible
                    else _("A lead for this email already exists in your team."),
                    existing_lead_id=active.pk if visible else None,
                )
    except IntegrityError as exc:  # a concurrent create of the same prospect won the race
        raise DuplicateProspect(
            _("A lead for this email was just created by someone else.")
        ) from exc
    if made.prospect_known:
        notices.append(
            _("This prospect was known from an earlier lead: the new lead shares their history.")
        )
    if made.company_matched is not None:
        company = made.company_matched
        notices.append(
            _("Linked to the existing company %(name)s (%(domain)s).")
            % {"name": company.name, "domain": company.domain}
        )
    return made.lead, notices


def lead_create_inbound(
    *, team_id: int, owner_id: int | None, data: LeadData, at: datetime, body: str, payload: dict
) -> tuple[Lead | None, Lead | None]:
    """A lead captured by the system (an inbound web form), not by a person. Call inside a
    transaction. Returns (new lead, None), or (None, the prospect's existing active lead) when
    the team's prospect with this email already has one."""
    made = _lead_make(
        team_id=team_id, owner_id=owner_id, data=data,
        prospect_values=_clean_prospect_values(data), at=at, actor=None, body=body,
        payload=payload,
    )  # fmt: skip
    return made.lead, made.existing

"""Small helpers for the leads tests: snapshots that let a negative test assert that nothing
at all changed (the lead row, its prospect and company, and its timeline)."""

from leads.models import Company, Lead, LeadEvent, Prospect
from leads.services import LeadData


def lead_snapshot(lead_id: int) -> dict:
    """Every column of the lead, of its prospect and company, and the ids of its events."""
    row = Lead.objects.filter(pk=lead_id).values().get()
    prospect = Prospect.objects.filter(pk=row["prospect_id"]).values().get()
    company = (
        Company.objects.filter(pk=prospect["company_id"]).values().get()
        if prospect["company_id"]
        else None
    )
    events = list(
        LeadEvent.objects.filter(lead_id=lead_id).order_by("id").values_list("id", flat=True)
    )
    return {"lead": row, "prospect": prospect, "company": company, "events": events}


def world_counts() -> dict:
    return {
        "leads": Lead.objects.count(),
        "prospects": Prospect.objects.count(),
        "companies": Company.objects.count(),
        "events": LeadEvent.objects.count(),
    }


def data_for(lead: Lead, **changes) -> LeadData:
    """The LeadData a form would post for ``lead`` as it is now, with ``changes`` applied."""
    p = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
    c = p.company
    values = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email or "",
        "phone": p.phone,
        "title": p.title,
        "role": p.role,
        "no_company_reason": p.no_company_reason,
        "linkedin_url": p.linkedin_url,
        "time_zone": p.time_zone,
        "do_not_contact": p.do_not_contact,
        "company_name": c.name if c else "",
        "company_website": c.website if c else "",
        "company_industry": c.industry if c else "",
        "company_employee_count": c.employee_count if c else None,
        "company_annual_revenue": int(c.annual_revenue) if c and c.annual_revenue else None,
        "company_country": c.country if c else "",
        "company_time_zone": c.time_zone if c else "",
        "company_linkedin_url": c.linkedin_url if c else "",
        "source": Lead.objects.get(pk=lead.pk).source,
    }
    values.update(changes)
    return LeadData(**values)

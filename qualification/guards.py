"""The contact guard qualification registers (leads/guards.py): a lead whose stored score has a
hard disqualifier is not emailed automatically until the SDR scraps it or overrides."""

from django.utils.translation import gettext as _

from leads.guards import ContactBlock

from .models import LeadScore


def _reason(code: str, employee_count: int | None, industry: str) -> str:
    if code == "size":
        if employee_count == 0:
            return _("0 employees (a sole proprietor)")
        if employee_count is not None:
            return _("%(n)s employees: too small") % {"n": employee_count}
        return _("The company is too small")
    if code == "industry":
        return _("%(industry)s is an excluded industry") % {
            "industry": industry or _("the industry")
        }
    if code == "need":
        return _("The prospect has no need")
    if code == "budget":
        return _("The budget is below the cheapest plan")
    return code


def hard_disqualified(lead_ids: list[int]) -> dict[int, ContactBlock]:
    rows = (
        LeadScore.objects.filter(lead_id__in=lead_ids)
        .exclude(disqualifier="")
        .values_list("lead_id", "disqualifier", "employee_count", "industry")
    )
    return {
        lead_id: ContactBlock(code=code, reason=_reason(code, n, industry))
        for lead_id, code, n, industry in rows
    }

"""``{% company_leads_panel lead %}``: the lead page's panel of the team's other leads at the
lead's company (leads/company_leads.py), rendered with ``leads/_company_leads.html``."""

from django import template

from ..company_leads import company_other_leads

register = template.Library()


@register.inclusion_tag("leads/_company_leads.html", takes_context=True)
def company_leads_panel(context, lead):
    rows, total = company_other_leads(user=context["request"].user, lead=lead)
    return {"company": lead.prospect.company, "rows": rows, "more": total - len(rows)}

"""The qualification panel on the lead page. ``leads`` does not import ``qualification``: its
template loads this tag, which runs three queries (score and answers, the team's model, the
team's outcome counts) whatever the lead."""

from django import template

from ..selectors import lead_panel

register = template.Library()


@register.inclusion_tag("qualification/_lead_panel.html", takes_context=True)
def qualification_panel(context, lead):
    user = context["request"].user
    panel = lead_panel(lead=lead, user=user)
    panel["is_manager"] = user.is_manager or user.is_admin_role
    return panel

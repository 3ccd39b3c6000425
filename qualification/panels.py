"""The qualification panel on the lead page (registered in apps.py; leads/panels.py): three
queries (score and answers, the team's model, the team's outcome counts) whatever the lead."""

from .selectors import lead_panel


def qualification_panel(context, lead) -> dict:
    user = context["request"].user
    panel = lead_panel(lead=lead, user=user)
    panel["is_manager"] = user.is_manager or user.is_admin_role
    return panel

"""The coaching panel on the lead page (registered in apps.py; leads/panels.py). One query
(the lead's feedback) for managers, admins and SDRs/BDRs; none for anyone else. The calls and
emails to coach on come from the timeline the page already loaded."""

from .models import FeedbackKind
from .selectors import feedback_for_lead
from .services import COACHABLE_KINDS, user_coaches


def coaching_panel(context, lead) -> dict:
    user = context["request"].user
    if not (user_coaches(user) or user.is_prospector):
        return {"show": False}
    timeline = context.get("timeline") or []
    return {
        "show": True,
        "request": context["request"],
        "lead": lead,
        "feedback": feedback_for_lead(user=user, lead=lead),
        "can_coach": user_coaches(user),
        "events": [e for e in timeline if e.kind in COACHABLE_KINDS][:30],
        "kinds": FeedbackKind.choices,
    }

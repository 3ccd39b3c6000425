"""What cadences shows on pages of the leads app (registered in apps.py; leads/panels.py):
the lead page's cadence panel, the snippet picker beside the note field and the lead list's
"enroll selected" control. Each runs a bounded number of queries."""

from django.utils.translation import get_language

from leads.models import LeadState
from leads.selectors import user_works_lead
from sdrcrm import clock

from .context import enrollment_recipient
from .models import EnrollmentStatus, Reminder, StopReason, TouchStatus
from .projection import touches_project
from .selectors import cadence_scope, lead_enrollments, snippet_groups, snippet_list


def cadence_panel(context, lead) -> dict:
    user = context["request"].user
    enrollments = lead_enrollments(user=user, lead=lead)
    current = next(
        (e for e in enrollments if e.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED)),
        None,
    )
    can_work = user_works_lead(user, lead)
    cadences = []
    if can_work and current is None and lead.state in ("new", "researching", "contacting"):
        cadences = list(cadence_scope(user).filter(is_archived=False, team_id=lead.team_id))
    if current is not None:
        _refresh_projection(current)
    reminders = list(
        Reminder.objects.filter(lead=lead, done_at__isnull=True)
        .select_related("owner")
        .order_by("due_at")[:10]
    )
    return {
        "request": context["request"],
        "lead": lead,
        "current": current,
        "past": [e for e in enrollments if e is not current][:3],
        "cadences": cadences,
        "can_work": can_work,
        "can_reply": can_work and lead.state in (LeadState.RESEARCHING, LeadState.CONTACTING),
        "reminders": reminders,
        "stop_reasons": [
            (v, label)
            for v, label in StopReason.choices
            if v in ("manual", "meeting_booked", "replied")
        ],
        "now": clock.now(),
    }


def _refresh_projection(enrollment) -> None:
    """Planned steps show when they would happen if the current one went out on time."""
    touches = list(enrollment.touches.all())
    current = next(
        (
            t
            for t in touches
            if t.status
            in (
                TouchStatus.SCHEDULED,
                TouchStatus.DUE,
                TouchStatus.HELD,
                TouchStatus.SENDING,
                TouchStatus.UNCERTAIN,
            )
        ),
        None,
    )
    if current is None:
        return
    planned = [
        t for t in touches if t.position > current.position and t.status == TouchStatus.PLANNED
    ]
    touches_project(
        enrollment, planned, max(current.due_at, clock.now()), enrollment_recipient(enrollment)
    )


def enroll_controls(context) -> dict:
    user = context["request"].user
    cadences = []
    if user.is_prospector or user.is_manager or user.is_admin_role:
        cadences = list(cadence_scope(user).filter(is_archived=False).only("pk", "name"))
    return {"cadences": cadences}


def snippet_picker(context, target_id: str) -> dict:
    """A select that inserts one of the team's snippets into the textarea ``target_id``: the
    snippets in the language being written first (the cadence's in its editor, else the page's),
    the others after them, grouped by language when there are several."""
    snippets = context.get("snippets")  # a page with many pickers reads them once
    if snippets is None:
        snippets = list(snippet_list(user=context["request"].user))
    language = context.get("snippet_language") or get_language()
    return {
        "snippets": snippets,
        "groups": snippet_groups(snippets, language),
        "target_id": target_id,
    }

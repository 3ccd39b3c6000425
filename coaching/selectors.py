"""Reads, starting from the user: an SDR sees feedback for them, a manager their team's, an
admin all; anyone else none."""

from django.db.models import QuerySet

from accounts.models import User
from leads.models import Lead

from .models import Feedback


def feedback_scope(user: User) -> QuerySet[Feedback]:
    qs = Feedback.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.is_manager and user.team_id:
        return qs.filter(team_id=user.team_id)
    if user.is_prospector:
        return qs.filter(sdr_id=user.pk)
    return qs.none()


def feedback_list(*, user: User, limit: int = 200) -> list[Feedback]:
    """Newest first, at most ``limit``. One query."""
    return list(
        feedback_scope(user)
        .select_related("author", "sdr", "event", "lead__prospect")
        .order_by("-created_at", "-id")[:limit]
    )


def feedback_for_lead(*, user: User, lead: Lead, limit: int = 20) -> list[Feedback]:
    return list(
        feedback_scope(user)
        .filter(lead_id=lead.pk)
        .select_related("author", "sdr", "event")
        .order_by("-created_at", "-id")[:limit]
    )

"""Escalating hand-offs that their AE left unanswered past the business hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.calendar import team_calendars
from accounts.models import Role, User
from leads.models import Lead, LeadState
from notifications.models import Notification, NotificationKind
from notifications.services import lead_name, notifications_email_after_commit
from sdrcrm.i18n import user_language

from ..clock import handoff_due_at
from ..models import Escalation
from ..selectors import scoring_model_current, scoring_model_default


def handoff_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate to the team's managers every hand-off its AE has neither accepted nor
    rejected within the model's number of business hours. Once per hand-off (a unique row
    records it); safe to run from several workers at once. Returns how many were escalated."""
    now = now or timezone.now()
    escalated = Escalation.objects.filter(
        lead_id=OuterRef("pk"), handed_off_at=OuterRef("handed_off_at")
    )
    # Business hours pass no faster than the clock: a hand-off younger than one hour (the
    # shortest setting) cannot be due yet.
    candidates = list(
        Lead.objects.filter(
            state=LeadState.HANDED_OFF,
            handed_off_at__isnull=False,
            handed_off_at__lte=now - timedelta(hours=1),
        )
        .exclude(Exists(escalated))
        .order_by("handed_off_at", "id")
        .values_list("pk", "team_id", "handed_off_at")[:5000]
    )
    hours_by_team: dict[int, int] = {}
    calendars = team_calendars({row[1] for row in candidates})
    done = 0
    for lead_id, team_id, handed_off_at in candidates:
        if team_id not in hours_by_team:
            model = scoring_model_current(team_id) or scoring_model_default(team_id)
            hours_by_team[team_id] = model.scoring.escalate_after_hours
        due = handoff_due_at(handed_off_at, hours_by_team[team_id], calendars[team_id])
        if due > now:
            continue
        if _escalate_one(lead_id, handed_off_at, due, now, hours_by_team[team_id]):
            done += 1
    return done


def _escalate_one(
    lead_id: int, handed_off_at: datetime, due: datetime, now: datetime, hours: int
) -> bool:
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("prospect__company", "assigned_ae")
            .filter(pk=lead_id, state=LeadState.HANDED_OFF, handed_off_at=handed_off_at)
            .first()
        )
        if lead is None:  # decided meanwhile
            return False
        try:
            with transaction.atomic():
                Escalation.objects.create(
                    lead=lead,
                    handed_off_at=handed_off_at,
                    ae=lead.assigned_ae,
                    due_at=due,
                    escalated_at=now,
                )
        except IntegrityError:  # another worker escalated it first
            return False
        managers = User.objects.filter(
            team_id=lead.team_id, role=Role.MANAGER, is_active=True
        ).select_related("team")
        created = []
        for manager in managers:
            # Stored text, emailed as it is: in the manager's language.
            with translation.override(user_language(manager)):
                title = _("Hand-off waiting too long: %(lead)s") % {"lead": lead_name(lead)}
                body = _(
                    "%(ae)s has neither accepted nor rejected this lead, handed off "
                    "%(handed_off)s; it was due by %(due)s (%(hours)s business hours)."
                ) % {
                    "ae": lead.assigned_ae,
                    "handed_off": date_format(timezone.localtime(handed_off_at), "D d M H:i"),
                    "due": date_format(timezone.localtime(due), "D d M H:i"),
                    "hours": hours,
                }
            created.append(
                Notification.objects.create(
                    user=manager,
                    lead=lead,
                    kind=NotificationKind.ESCALATED,
                    title=title,
                    body=body,
                    created_at=now,
                )
            )
        notifications_email_after_commit(created)
    return True

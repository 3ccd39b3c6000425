"""Reads for the Mailbox page and the team's mailboxes page. Every read starts from the user:
an SDR sees their own mailbox, a manager the health of their team's (never a secret: the
encrypted columns are not even read), an admin every team's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User

from .limits import Ramp, ramp_on
from .models import Mailbox, MailboxSendCounter, OAuthClient

# The roles that send cadence emails and so connect a mailbox.
MAILBOX_ROLES = (Role.SDR, Role.BDR, Role.AE)
SECRET_FIELDS = ("secret", "access_token", "refresh_token")


def may_connect_mailbox(user: User) -> bool:
    return user.is_authenticated and user.role in MAILBOX_ROLES and user.team_id is not None


def may_see_team_mailboxes(user: User) -> bool:
    return user.is_authenticated and (
        (user.is_manager and user.team_id is not None) or user.is_admin_role
    )


def mailbox_of(user: User) -> Mailbox | None:
    return Mailbox.objects.filter(user=user).first()


def oauth_providers() -> list[str]:
    """The providers an admin registered an OAuth app for (their buttons are shown)."""
    return sorted(OAuthClient.objects.values_list("provider", flat=True))


def _day_start(now: datetime, zone: str) -> datetime:
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def sent_today(mailbox: Mailbox, *, zone: str, now: datetime | None = None) -> int:
    """Emails sent from the mailbox since midnight in ``zone`` (its counters are per UTC hour:
    the hour that holds midnight counts whole when the zone is not a whole hour off UTC)."""
    now = now or timezone.now()
    start = _day_start(now, zone).replace(minute=0)
    total = MailboxSendCounter.objects.filter(mailbox=mailbox, hour__gte=start).aggregate(
        n=Sum("sent")
    )["n"]
    return total or 0


@dataclass(frozen=True)
class Health:
    """What the pages show of a mailbox (nothing secret)."""

    mailbox: Mailbox
    ramp: Ramp


def health_of(mailbox: Mailbox, *, owner: User, now: datetime | None = None) -> Health:
    """The mailbox's health with today's ramp-up as the dispatcher counts it (in ``owner``'s
    calendar days: ``limits.ramp_on``)."""
    now = now or timezone.now()
    try:
        tz = ZoneInfo(owner.time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        tz = ZoneInfo(settings.TIME_ZONE)
    return Health(mailbox=mailbox, ramp=ramp_on(mailbox, now, tz))


@dataclass(frozen=True)
class MemberMailbox:
    member: User
    mailbox: Mailbox | None
    health: Health | None
    sent_24h: int


def team_mailboxes(user: User) -> list[MemberMailbox]:
    """The senders of the manager's team (an admin: of every team), each with their mailbox's
    health or None; two queries whatever the number of people."""
    members = User.objects.filter(role__in=MAILBOX_ROLES, is_active=True, team__isnull=False)
    if not user.is_admin_role:
        members = members.filter(team_id=user.team_id)
    members = list(
        members.select_related("team", "mailbox")
        .defer(*(f"mailbox__{name}" for name in SECRET_FIELDS))
        .order_by("team__name", "first_name", "last_name", "username")
    )
    now = timezone.now()
    boxes = [m.mailbox for m in members if _mailbox(m) is not None]
    sent = dict(
        MailboxSendCounter.objects.filter(mailbox__in=boxes, hour__gte=now - timedelta(hours=24))
        .values_list("mailbox_id")
        .annotate(n=Sum("sent"))
        .values_list("mailbox_id", "n")
    )
    rows = []
    for member in members:
        box = _mailbox(member)
        rows.append(
            MemberMailbox(
                member=member,
                mailbox=box,
                health=health_of(box, owner=member, now=now) if box is not None else None,
                sent_24h=sent.get(box.pk, 0) if box is not None else 0,
            )
        )
    return rows


def _mailbox(user: User) -> Mailbox | None:
    try:
        return user.mailbox
    except Mailbox.DoesNotExist:
        return None

"""Reads for cadences, starting from the user."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import Company, Lead, LeadState, Prospect
from leads.selectors import lead_scope
from sdrcrm import clock
from sdrcrm.errors import NotFound

from . import context, pace, schedule, templating
from .models import (
    MAILBOX_HOLDS,
    Cadence,
    Channel,
    Enrollment,
    EnrollmentStatus,
    HoldReason,
    OffsetFrom,
    Reminder,
    Snippet,
    Touch,
    TouchStatus,
)


def cadence_scope(user: User) -> QuerySet[Cadence]:
    """The cadences a user sees: the team's and their own personal ones; a manager also the
    team's SDRs' personal cadences."""
    if user.is_admin_role:
        return Cadence.objects.all()
    if user.team_id is None or not (user.is_prospector or user.is_manager):
        return Cadence.objects.none()
    team = Cadence.objects.filter(team_id=user.team_id)
    if user.is_manager:
        return team
    return team.filter(Q(owner__isnull=True) | Q(owner_id=user.pk))


def cadence_can_change(user: User, cadence: Cadence) -> bool:
    """Who may edit or archive a cadence they see: a team cadence its team's managers (and
    admins) only, a personal cadence also its owner."""
    if user.is_admin_role:
        return True
    if cadence.team_id != user.team_id:
        return False
    if user.is_manager:
        return True
    return user.is_prospector and cadence.owner_id == user.pk


def cadence_list(*, user: User, archived: bool = False) -> QuerySet[Cadence]:
    return (
        cadence_scope(user)
        .filter(is_archived=archived)
        .select_related("owner")
        .annotate(
            step_count=Count("steps", distinct=True),
            active_count=Count(
                "enrollments", filter=Q(enrollments__status="active"), distinct=True
            ),
        )
        .order_by("name")
    )


def cadence_get_for_user(*, user: User, cadence_id: int) -> Cadence:
    try:
        return cadence_scope(user).prefetch_related("steps").get(pk=cadence_id)
    except (Cadence.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such cadence") from None


def cadence_preview(
    *, cadence: Cadence, start: datetime, tz_name: str, country: str = ""
) -> list[dict]:
    """The calendar a start date and time zone would produce: one row per step."""
    recipient = context.recipient(tz_name, country, cadence)
    steps = list(cadence.steps.all())
    due = schedule.plan(
        start, [(s.day_offset, s.offset_from == OffsetFrom.ENROLLMENT) for s in steps], recipient
    )
    first_day = due[0].astimezone(recipient.tz).date() if due else None
    return [
        {
            "step": step,
            "due": when.astimezone(recipient.tz),
            "day": (when.astimezone(recipient.tz).date() - first_day).days + 1,
        }
        for step, when in zip(steps, due, strict=True)
    ]


def snippet_list(*, user: User) -> QuerySet[Snippet]:
    if user.team_id is None:
        return Snippet.objects.none()
    return Snippet.objects.filter(team_id=user.team_id).order_by("title")


def snippet_groups(snippets, language: str) -> list[tuple[str, list[Snippet]]]:
    """Snippets grouped by language for a picker, ``language``'s group first, each group by
    title: [(the language's name, snippets)]."""
    names = dict(settings.LANGUAGES)
    groups: dict[str, list[Snippet]] = {}
    for snippet in sorted(snippets, key=lambda s: (s.language != language, s.language, s.title)):
        groups.setdefault(snippet.language, []).append(snippet)
    return [(names.get(code, code), items) for code, items in groups.items()]


def lead_enrollments(*, user: User, lead: Lead) -> list[Enrollment]:
    """Enrollments of a lead the user can already see, newest first, with their touches."""
    return list(
        Enrollment.objects.filter(lead=lead)
        .select_related("cadence")
        .prefetch_related(Prefetch("touches", queryset=Touch.objects.order_by("position")))
        .order_by("-started_at")[:5]
    )


# --- The SDR's day --------------------------------------------------------------------------

CHANNEL_ORDER = {
    Channel.CALL: 1,
    Channel.VOICEMAIL: 1,
    Channel.LINKEDIN_CONNECT: 2,
    Channel.LINKEDIN_MESSAGE: 2,
    Channel.MANUAL_EMAIL: 3,
    Channel.TASK: 4,
}


@dataclass
class QueueItem:
    # "touch", "held" (fields missing), "held_mailbox" (no working mailbox), "uncertain" (the
    # SDR says whether it was sent) or "reminder"
    kind: str
    obj: object
    lead: Lead
    due_at: datetime
    overdue: bool
    label: str
    group: int

    @property
    def lead_name(self) -> str:
        return self.lead.prospect.full_name

    @property
    def company(self) -> str:
        company = self.lead.prospect.company
        return company.name if company else ""


@dataclass
class Queue:
    items: list[QueueItem] = field(default_factory=list)
    overdue_count: int = 0
    done_today: int = 0
    target: int = 0
    upcoming: int = 0

    @property
    def pace_percent(self) -> int:
        return min(100, round(100 * self.done_today / self.target)) if self.target else 0


def _item_kind(touch: Touch) -> str:
    if touch.status == TouchStatus.UNCERTAIN:
        return "uncertain"
    if touch.status == TouchStatus.HELD:
        if touch.hold_reason == HoldReason.DISQUALIFIER:
            return "held_disqualifier"
        if touch.hold_reason == HoldReason.NO_BASE_URL:
            return "held_site"
        return "held_mailbox" if touch.hold_reason in MAILBOX_HOLDS else "held"
    return "touch"


def _item_label(kind: str, touch: Touch) -> str:
    if kind == "held":
        return _("Held email: %(error)s") % {"error": touch.error}
    if kind == "held_disqualifier":
        return _("Email held, hard disqualifier: %(error)s. Scrap the lead, or override.") % {
            "error": touch.error
        }
    if kind == "held_site":
        return _("Email held: %(error)s") % {"error": touch.error}
    if kind == "held_mailbox":
        return _("Email held: %(reason)s. %(error)s") % {
            "reason": touch.get_hold_reason_display(),
            "error": touch.error,
        }
    if kind == "uncertain":
        return _("Was this email sent? %(error)s") % {"error": touch.error}
    return touch.get_channel_display()


def _end_of_local_day(user: User, now: datetime) -> tuple[datetime, datetime]:
    tz = schedule.recipient_zone(user.time_zone, default=settings.TIME_ZONE)
    start = schedule.local_day_start(now, tz)
    return start, start + timedelta(days=1)


def today_queue(*, user: User, now: datetime | None = None, owner: User | None = None) -> Queue:
    """What ``owner`` (default: the user) has to do today: overdue first, then calls, LinkedIn
    touches, manual emails, held emails and reminders, by due time and lead score. A bounded
    number of queries whatever the queue's length."""
    now = now or clock.now()
    owner = owner or user
    if owner.pk != user.pk and not (
        user.is_admin_role or (user.is_manager and user.team_id == owner.team_id)
    ):
        raise NotFound("No such queue")
    day_start, day_end = _end_of_local_day(owner, now)
    visible = lead_scope(user).values("pk")
    # Two queries, not one whose OR mixes the touch's columns with its enrollment's and its
    # lead's: PostgreSQL took ~85 ms to plan that one (and under 1 ms to run it) on every Today
    # page, so on every action taken there (issue 20; docs/performance.md, "Clicked actions").
    mine = Touch.objects.filter(owner=owner, lead_id__in=visible).select_related(
        "lead__prospect__company", "enrollment__cadence"
    )
    worked = mine.filter(
        Q(status=TouchStatus.HELD) | Q(due_at__lt=day_end) & ~Q(channel=Channel.AUTO_EMAIL),
        enrollment__status=EnrollmentStatus.ACTIVE,
        lead__state=LeadState.CONTACTING,
        status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE, TouchStatus.HELD],
    )
    # An email no one can tell was sent waits for the SDR's word, cadence ended or not.
    unsure = mine.filter(status=TouchStatus.UNCERTAIN, hold_reason=HoldReason.ASK_SDR)
    touches = sorted(
        [*worked.order_by("due_at")[:500], *unsure.order_by("due_at")[:500]],
        key=lambda t: t.due_at,
    )[:500]
    reminders = list(
        Reminder.objects.filter(
            owner=owner, done_at__isnull=True, due_at__lt=day_end, lead_id__in=visible
        )
        .select_related("lead__prospect__company")
        .order_by("due_at")[:200]
    )
    items = []
    for t in touches:
        kind = _item_kind(t)
        waiting = kind != "touch"
        items.append(
            QueueItem(
                kind=kind,
                obj=t,
                lead=t.lead,
                due_at=t.due_at,
                overdue=t.due_at < day_start or (waiting and t.due_at < now),
                label=_item_label(kind, t),
                group=3 if waiting else CHANNEL_ORDER.get(t.channel, 4),
            )
        )
    for r in reminders:
        items.append(
            QueueItem(
                kind="reminder",
                obj=r,
                lead=r.lead,
                due_at=r.due_at,
                overdue=r.due_at < day_start,
                label=_("Reminder: %(note)s") % {"note": r.note},
                group=5,
            )
        )
    items.sort(
        key=lambda i: (
            0 if i.overdue else 1,
            i.group if not i.overdue else 0,
            i.due_at,
            -(i.lead.score or 0),
        )
    )
    return Queue(
        items=items,
        overdue_count=sum(1 for i in items if i.overdue),
        done_today=pace.touches_done(owner=owner, start=day_start, end=day_end),
        target=owner.daily_touch_target,
        upcoming=pace.upcoming_tasks(owner=owner, after=day_end),
    )


# --- The editor's live preview ----------------------------------------------------------------

# The fictional lead a preview uses when the user sees no lead yet.
SAMPLE_PROSPECT = {
    "first_name": "Kari",
    "last_name": "Nordmann",
    "title": "Head of Sales",
    "email": "kari.nordmann@example.com",
}
SAMPLE_COMPANY = {
    "name": "Fjordtech AS",
    "industry": "Software",
    "website": "https://fjordtech.example",
    "country": "NO",
}


@dataclass
class StepPreview:
    subject: str
    body: str
    missing: list[str]  # placeholders without a value or fallback: the email would be held
    problems: list[str]  # what would stop the template from being saved
    sample: str  # who the placeholders were filled for


def step_preview(*, user: User, subject: str, body: str) -> StepPreview:
    """An email step as the dispatcher would send it (``templating.render`` on
    ``context.render_context``, the subject made a header) to the user's latest lead, or to a
    fictional one when the user sees none. The unsubscribe link is shown as a description: a
    real one would work."""
    lead = lead_scope(user).select_related("prospect__company").order_by("-pk").first()
    if lead is not None:
        prospect, company = lead.prospect, lead.prospect.company
        sample = prospect.full_name or _("lead #%(id)s") % {"id": lead.pk}
    else:
        prospect, company = Prospect(**SAMPLE_PROSPECT), Company(**SAMPLE_COMPANY)
        sample = _("a sample prospect")
    values = context.render_context(prospect=prospect, company=company, sdr=user, touch_id=None)
    values["unsubscribe_url"] = _("[the prospect's unsubscribe link]")
    rendered_subject = templating.render(subject, values)
    rendered_body = templating.render(body, values)
    return StepPreview(
        subject=templating.header_safe(rendered_subject.text),
        body=rendered_body.text,
        missing=sorted(set(rendered_subject.missing) | set(rendered_body.missing)),
        problems=templating.validate(subject) + templating.validate(body),
        sample=sample,
    )

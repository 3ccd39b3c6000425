"""Cadences and the record of every scheduled touch.

PostgreSQL is the record: each step of each enrollment is one ``Touch`` row (unique per
enrollment and step) with its due time and status. Celery beat only rings the bell; workers
claim due rows with ``SELECT … FOR UPDATE SKIP LOCKED``.
"""

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    AUTO_EMAIL = "auto_email", _("Automatic email")
    MANUAL_EMAIL = "manual_email", _("Manual email")
    LINKEDIN_CONNECT = "linkedin_connect", _("LinkedIn connection request")
    LINKEDIN_MESSAGE = "linkedin_message", _("LinkedIn message")
    CALL = "call", _("Phone call")
    VOICEMAIL = "voicemail", _("Voicemail")
    TASK = "task", _("Task")


EMAIL_CHANNELS = (Channel.AUTO_EMAIL, Channel.MANUAL_EMAIL)
MANUAL_CHANNELS = tuple(c for c in Channel if c != Channel.AUTO_EMAIL)


class Cadence(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="cadences")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    window_start = models.TimeField(default=time(8, 0))
    window_end = models.TimeField(default=time(17, 0))
    # Weekday numbers (Monday = 0) on which touches may go out, e.g. "01234".
    window_days = models.CharField(max_length=7, default="01234")
    # An exit rule: a human reply from someone else at the prospect's company (the sender's
    # domain is the company's) stops the cadence, read from the SDR's mailbox (inbox app).
    stop_on_colleague_reply = models.BooleanField(
        default=False,
        verbose_name=_("Stop when someone else at the company replies"),
    )
    is_archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Empty: a team cadence, edited by the team's managers only. Set: the SDR's (or BDR's)
    # personal cadence, edited by them and their managers, listed only to them and the managers.
    # A removed user's personal cadences become the team's (enrollments keep their cadence).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="personal_cadences",
    )
    # The language of its email templates and of what the product adds for the prospect (the
    # unsubscribe line and page: sdrcrm/i18n.py). A new cadence takes the team's language.
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        db_default="en",
        verbose_name=_("Language"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="cadence_unique_name_per_team"),
            models.CheckConstraint(
                condition=Q(window_start__lt=models.F("window_end")), name="cadence_window_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None


class OffsetFrom(models.TextChoices):
    PREVIOUS = "previous", _("after the previous step")
    ENROLLMENT = "enrollment", _("after enrollment")


class CadenceStep(models.Model):
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    day_offset = models.PositiveSmallIntegerField(
        default=0, help_text=_("Business days; 0 = the same day")
    )
    offset_from = models.CharField(
        max_length=12, choices=OffsetFrom.choices, default=OffsetFrom.PREVIOUS
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    subject_template = models.CharField(max_length=250, blank=True)
    body_template = models.TextField(blank=True)
    instructions = models.TextField(blank=True)
    is_breakup = models.BooleanField(default=False)
    breakup_wait_days = models.PositiveSmallIntegerField(
        default=5, help_text=_("Business days to wait for an answer after the break-up email")
    )
    # Goes out as a reply to the enrollment's previous email (Re:, In-Reply-To, References).
    reply_in_thread = models.BooleanField(default=False)

    class Meta:
        ordering = ["cadence", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadence", "position"], name="cadencestep_unique_position"
            )
        ]

    # Everything but the step's place (cadence, position): what a touch copies at enrollment,
    # so that editing the cadence later never changes it, and what a cadence's copy takes.
    CONTENT_FIELDS = (
        "channel", "subject_template", "body_template", "instructions", "day_offset",
        "offset_from", "is_breakup", "breakup_wait_days", "reply_in_thread",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"{self.cadence} step {self.position}: {self.get_channel_display()}"

    @property
    def is_email(self) -> bool:
        return self.channel in EMAIL_CHANNELS

    def content(self) -> dict:
        """The step's ``CONTENT_FIELDS`` by name, to build a touch or another step from."""
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class StopReason(models.TextChoices):
    REPLIED = "replied", _("Prospect replied")
    BOUNCED = "bounced", _("Email bounced")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    MEETING_BOOKED = "meeting_booked", _("Meeting booked")
    LEAD_MOVED = "lead_moved", _("Lead left contacting")
    MANUAL = "manual", _("Stopped by hand")
    NO_RESPONSE = "no_response", _("No response after the break-up email")
    SEND_FAILED = "send_failed", _("Email could not be sent")
    # Read from the SDR's mailbox (inbox app).
    COLLEAGUE_REPLIED = "colleague_replied", _("Someone else at the company replied")
    SDR_REPLIED = "sdr_replied", _("The SDR answered in the thread from their mailbox")


class Enrollment(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="enrollments")
    cadence = models.ForeignKey(Cadence, on_delete=models.PROTECT, related_name="enrollments")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(
        max_length=12, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    stop_reason = models.CharField(max_length=20, choices=StopReason.choices, blank=True)
    stop_note = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64)
    country = models.CharField(max_length=2, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Paused by an out-of-office answer: resumed automatically at this moment.
    resume_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Set when the break-up email has gone out: no answer by then scraps the lead.
    scrap_due_at = models.DateTimeField(null=True, blank=True)
    # The hard disqualifier (its code) the SDR chose to override: emails go out despite it.
    # Raw inserts (the benchmarks' loaders) name only the columns they fill: a database default.
    disqualifier_overridden = models.CharField(max_length=20, blank=True, default="", db_default="")
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status__in=["active", "paused"]),
                name="enrollment_one_active_per_lead",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="enrollment_owner_status"),
            models.Index(
                fields=["scrap_due_at"],
                name="enrollment_scrap_due",
                condition=Q(status="active", scrap_due_at__isnull=False),
            ),
            # The tick's resume of enrollments paused by an automatic reply.
            models.Index(
                fields=["resume_at"],
                name="enrollment_resume_due",
                condition=Q(status="paused", resume_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead} in {self.cadence}"


class TouchStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")  # waits for the steps before it
    SCHEDULED = "scheduled", _("Scheduled")  # next up, firm due time
    DUE = "due", _("Due")  # a manual task that came due: in the SDR's queue
    SENDING = "sending", _("Sending")  # claimed by a worker, under a lease
    # Handed to the mailbox's server but its answer never came: resolved (found in the Sent
    # folder, or proven not accepted) before any retry, never sent again blindly.
    UNCERTAIN = "uncertain", _("Sent? Being confirmed")
    HELD = "held", _("Held")  # waits for the SDR: see ``Touch.hold_reason``
    SENT = "sent", _("Sent")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class HoldReason(models.TextChoices):
    """Why an email waits for someone (``Touch.hold_reason``)."""

    FIELDS = "fields", _("Fields missing")  # held; "Send now" once the lead is fixed
    NO_MAILBOX = "no_mailbox", _("No connected mailbox")  # held; released when one connects
    MAILBOX_FAILING = "mailbox", _("The mailbox is not working")  # held; released when it works
    # Uncertain, and neither the Sent folder nor the server can tell: the SDR says whether it
    # went out ("it was sent" / "send it again"); never resent on its own.
    ASK_SDR = "ask_sdr", _("Not known whether it was sent")
    # A hard disqualifier (qualification, through leads.guards): the SDR scraps the lead or
    # overrides (``Enrollment.disqualifier_overridden``), then the held emails go out.
    DISQUALIFIER = "disqualifier", _("Hard disqualifier")
    # Outside development mode without SDRCRM_BASE_URL: the links would be broken. Released by
    # the tick once the address is set.
    NO_BASE_URL = "no_base_url", _("The site's public address is not set")


MAILBOX_HOLDS = (HoldReason.NO_MAILBOX, HoldReason.MAILBOX_FAILING)


OPEN_TOUCH_STATUSES = (
    TouchStatus.PLANNED,
    TouchStatus.SCHEDULED,
    TouchStatus.DUE,
    TouchStatus.SENDING,
    TouchStatus.HELD,
)
FINISHED_TOUCH_STATUSES = (TouchStatus.SENT, TouchStatus.DONE, TouchStatus.SKIPPED)


class TaskOutcome(models.TextChoices):
    CONNECTED = "connected", pgettext_lazy("call outcome", "Connected")
    MEETING_BOOKED = "meeting_booked", _("Meeting booked")
    VOICEMAIL = "voicemail", _("Left voicemail")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    LINKEDIN_SENT = "linkedin_sent", _("Sent")
    LINKEDIN_ACCEPTED = "linkedin_accepted", _("Accepted")
    EMAIL_SENT = "email_sent", _("Email sent")
    DONE = "done", _("Done")


class Touch(models.Model):
    """One step of one enrollment. The step's content is copied at enrollment, so editing the
    cadence later never changes touches already scheduled or sent."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="touches")
    step = models.ForeignKey(CadenceStep, on_delete=models.PROTECT, related_name="touches")
    position = models.PositiveSmallIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="touches")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    subject_template = models.CharField(max_length=250, blank=True)
    body_template = models.TextField(blank=True)
    instructions = models.TextField(blank=True)
    day_offset = models.PositiveSmallIntegerField(default=0)
    offset_from = models.CharField(max_length=12, default=OffsetFrom.PREVIOUS)
    is_breakup = models.BooleanField(default=False)
    breakup_wait_days = models.PositiveSmallIntegerField(default=5)
    reply_in_thread = models.BooleanField(default=False)

    status = models.CharField(
        max_length=12, choices=TouchStatus.choices, default=TouchStatus.PLANNED
    )
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rendered_subject = models.CharField(max_length=250, blank=True)
    rendered_body = models.TextField(blank=True)
    # The Message-ID header it went out with, and the mailbox it left from (null: the
    # site-wide backend). Through a mailbox, both are committed *before* the message is handed
    # to the server: a ``sending`` touch with a Message-ID may have gone out, so a lost lease
    # makes it ``uncertain``, never ``scheduled`` (docs/reliability.md, "Never twice").
    message_id = models.CharField(max_length=255, blank=True)
    mailbox = models.ForeignKey(
        "mailboxes.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=TaskOutcome.choices, blank=True)
    note = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # Why a ``held`` touch (or an ``uncertain`` one left to the SDR) waits; empty otherwise.
    hold_reason = models.CharField(max_length=16, choices=HoldReason.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step"], name="touch_unique_step"),
            models.UniqueConstraint(
                fields=["enrollment", "position"], name="touch_unique_position"
            ),
        ]
        indexes = [
            # The dispatcher's claim: due automatic emails, oldest first.
            models.Index(
                fields=["due_at"],
                name="touch_email_due",
                condition=Q(status="scheduled", channel="auto_email"),
            ),
            # Manual tasks coming due, and the SDR's queue.
            models.Index(
                fields=["owner", "due_at"],
                name="touch_owner_open",
                condition=Q(status__in=["scheduled", "due", "held"]),
            ),
            # Expired leases of dead workers.
            models.Index(
                fields=["lease_until"], name="touch_sending", condition=Q(status="sending")
            ),
            # Uncertain sends: the resolver's queue (``lease_until``: when to look again).
            models.Index(
                fields=["lease_until"], name="touch_uncertain", condition=Q(status="uncertain")
            ),
            # Emails held for their owner's mailbox: released by the tick once it works.
            models.Index(
                fields=["owner"],
                name="touch_mailbox_held",
                condition=Q(status="held", hold_reason__in=["no_mailbox", "mailbox"]),
            ),
            models.Index(fields=["owner", "completed_at"], name="touch_owner_completed"),
            # The mailbox sync matches a reply's In-Reply-To/References to the touch it answers.
            models.Index(
                fields=["message_id"], name="touch_message_id", condition=~Q(message_id="")
            ),
            # The Today queue's "coming up this week" count: manual steps scheduled or planned.
            models.Index(
                fields=["owner", "due_at"],
                name="touch_owner_upcoming",
                condition=Q(status__in=["scheduled", "planned"]) & ~Q(channel="auto_email"),
            ),
        ]

    def __str__(self) -> str:
        return f"Touch {self.pk} ({self.get_channel_display()}, {self.status})"

    @property
    def is_email(self) -> bool:
        return self.channel in EMAIL_CHANNELS

    @property
    def is_manual(self) -> bool:
        return self.channel != Channel.AUTO_EMAIL


class Reminder(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="reminders")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reminders"
    )
    due_at = models.DateTimeField()
    note = models.CharField(max_length=500)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["owner", "due_at"], name="reminder_open", condition=Q(done_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return self.note


class Snippet(models.Model):
    """A reusable answer to a common product question, inserted into templates and notes."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="snippets")
    title = models.CharField(max_length=120)
    body = models.TextField()
    # The language it is written in: the cadence editor offers a cadence's own language first.
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        db_default="en",
        verbose_name=_("Language"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "language", "title"], name="snippet_unique_title"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SendCounter(models.Model):
    """Automatic emails sent in an SDR's name on one of their local days: the daily cap.
    Dispatchers reserve from it atomically (an upsert), so two workers never overshoot."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="sendcounter_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} on {self.day}: {self.sent}"


class DigestLog(models.Model):
    """One morning digest per SDR per local day (the unique row makes sending idempotent)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digestlog_unique_day")]

    def __str__(self) -> str:
        return f"Digest for {self.user_id} on {self.day}"
